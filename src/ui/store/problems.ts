/**
 * The blueprint's problems before any run: each block's field problems (bad key, bad JSON,
 * a placeholder written wrongly) and the document's own (duplicate refs, edges), each tied to
 * its block and field where it has one. Run stays disabled while there are any; the canvas
 * marks their blocks and the Problems list names them.
 */
import { manifestOf, validateBlueprint, validateNodeData } from '../../engine';
import type { BlockType } from '../../engine/types';
import { toDocument, type BlueprintMeta, type FlowEdge, type FlowNode } from './flow-model';

export interface BlueprintProblem {
  /** The block at fault, or null for a problem of the whole blueprint. */
  nodeId: string | null;
  /** The field's name in `node.data`, or null. */
  field: string | null;
  /** The field's label as the Inspector shows it ("Key"), or null. */
  fieldLabel: string | null;
  message: string;
}

const NODE_PATH = /^nodes\[(\d+)\](?:\.data\.([A-Za-z0-9_]+))?/;

function fieldLabelOf(type: BlockType, field: string): string {
  if (field === 'ref') return 'Alias (ref)';
  if (field === 'label') return 'Display name';
  return manifestOf(type).fields.find((spec) => spec.name === field)?.label ?? field;
}

export function findProblems(nodes: readonly FlowNode[], edges: readonly FlowEdge[], meta: BlueprintMeta): BlueprintProblem[] {
  const problems: BlueprintProblem[] = [];
  const seen = new Set<string>();
  const add = (problem: BlueprintProblem) => {
    const key = `${problem.nodeId ?? ''}\u0000${problem.field ?? ''}`;
    // One problem per field: the Inspector's wording first, the document's when it has none.
    if (problem.field !== null && seen.has(key)) return;
    seen.add(key);
    problems.push(problem);
  };
  for (const node of nodes) {
    const type = node.type as BlockType;
    for (const problem of validateNodeData({ type, data: node.data as never }, meta)) {
      add({ nodeId: node.id, field: problem.field, fieldLabel: fieldLabelOf(type, problem.field), message: problem.message });
    }
  }
  const validation = validateBlueprint(toDocument(meta, { nodes: [...nodes], edges: [...edges] }));
  if (!validation.ok) {
    for (const problem of validation.problems) {
      const match = NODE_PATH.exec(problem.path);
      const node = match ? nodes[Number(match[1])] : undefined;
      const field = match?.[2] ?? null;
      add({
        nodeId: node?.id ?? null,
        field,
        fieldLabel: node && field ? fieldLabelOf(node.type as BlockType, field) : null,
        message: node ? problem.message : `${problem.path}: ${problem.message}`,
      });
    }
  }
  return problems;
}

/**
 * `findProblems`, computed again only when a block's data, the edges or the blueprint's meta
 * change: a drag moves positions on every frame and must not re-validate the document.
 */
export function createProblemsCache() {
  let last: { datas: unknown[]; ids: string[]; edges: readonly FlowEdge[]; meta: BlueprintMeta; problems: BlueprintProblem[] } | null =
    null;
  return (state: { nodes: readonly FlowNode[]; edges: readonly FlowEdge[]; meta: BlueprintMeta }): BlueprintProblem[] => {
    const { nodes, edges, meta } = state;
    if (
      last &&
      last.edges === edges &&
      last.meta === meta &&
      last.datas.length === nodes.length &&
      nodes.every((node, i) => node.data === last!.datas[i] && node.id === last!.ids[i])
    ) {
      return last.problems;
    }
    const problems = findProblems(nodes, edges, meta);
    last = { datas: nodes.map((n) => n.data), ids: nodes.map((n) => n.id), edges, meta, problems };
    return problems;
  };
}
