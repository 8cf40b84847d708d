/**
 * What `@{` autocomplete offers for one block: the run input, state, earlier results, the
 * error (only where an error out leads here) and stored keys. Pure: built from the graph, the
 * last run and the stored entries.
 */
import type { CompletionSources } from '../../engine/completions';
import type { JsonValue, RunRecord } from '../../engine/types';
import type { Entry } from '../../kv/types';
import type { FlowEdge, FlowNode } from '../store/flow-model';

/** Blocks from which control can reach `nodeId`, and whether any path passes an error out. */
export function upstreamOf(nodeId: string, edges: readonly FlowEdge[]): { ids: Set<string>; viaError: boolean } {
  const ids = new Set<string>();
  let viaError = false;
  const queue = [nodeId];
  const seen = new Set<string>([nodeId]);
  while (queue.length > 0) {
    const current = queue.shift() as string;
    for (const edge of edges) {
      if (edge.target !== current) continue;
      if (edge.sourceHandle === 'error') viaError = true;
      ids.add(edge.source);
      if (!seen.has(edge.source)) {
        seen.add(edge.source);
        queue.push(edge.source);
      }
    }
  }
  return { ids, viaError };
}

/** A sample state object from the Set state blocks' paths, where no run has filled it yet. */
export function stateShapeFromBlocks(nodes: readonly FlowNode[]): { [key: string]: JsonValue } {
  const shape: { [key: string]: JsonValue } = {};
  for (const node of nodes) {
    if (node.type !== 'setState' || typeof node.data.path !== 'string' || node.data.path === '') continue;
    const segments = node.data.path.split('.');
    let cursor: { [key: string]: JsonValue } = shape;
    segments.forEach((segment, index) => {
      if (index === segments.length - 1) {
        if (!(segment in cursor)) cursor[segment] = '';
        return;
      }
      const next = cursor[segment];
      if (next === null || typeof next !== 'object' || Array.isArray(next)) cursor[segment] = {};
      cursor = cursor[segment] as { [key: string]: JsonValue };
    });
  }
  return shape;
}

function mergeShapes(base: JsonValue, over: JsonValue | undefined): JsonValue {
  if (over === undefined) return base;
  if (base === null || typeof base !== 'object' || Array.isArray(base) || over === null || typeof over !== 'object' || Array.isArray(over))
    return over;
  const merged: { [key: string]: JsonValue } = { ...base };
  for (const [key, value] of Object.entries(over)) merged[key] = mergeShapes(merged[key] ?? null, value);
  return merged;
}

export interface SourceInputs {
  nodeId: string;
  nodes: readonly FlowNode[];
  edges: readonly FlowEdge[];
  lastRun: RunRecord | null;
  storedEntries: readonly Entry[];
}

export function completionSourcesFor({ nodeId, nodes, edges, lastRun, storedEntries }: SourceInputs): CompletionSources {
  const start = nodes.find((n) => n.type === 'start');
  const upstream = upstreamOf(nodeId, edges);
  const results: Record<string, JsonValue | undefined> = {};
  for (const step of lastRun?.steps ?? []) {
    if (step.error) continue;
    results[step.nodeId] = step.result;
    const ref = nodes.find((n) => n.id === step.nodeId)?.data.ref;
    if (typeof ref === 'string' && ref !== '') results[ref] = step.result;
  }
  const resultIds: string[] = [];
  for (const node of nodes) {
    if (!upstream.ids.has(node.id)) continue;
    resultIds.push(node.id);
    if (typeof node.data.ref === 'string' && node.data.ref !== '') resultIds.push(node.data.ref);
  }
  const incoming = edges.find((e) => e.target === nodeId && results[e.source] !== undefined);
  const storedValues: Record<string, JsonValue> = {};
  for (const entry of storedEntries) storedValues[entry.key] = entry.value;
  const sources: CompletionSources = {
    input: (start?.data.sampleInput as JsonValue | undefined) ?? {},
    state: mergeShapes(stateShapeFromBlocks(nodes), lastRun?.state),
    results,
    resultIds,
    storedKeys: storedEntries.map((e) => e.key),
    storedValues,
    hasError: upstream.viaError,
  };
  if (incoming) sources.result = results[incoming.source];
  return sources;
}
