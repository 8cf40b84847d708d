/**
 * What came into each step of a run: the result of the block that passed control to it (the
 * run's input for the start block). The run record keeps each step's result, not its input, so
 * this replays the runner's depth-first walk over the edges: each step takes the newest waiting
 * hand-over, and hands its result on along the edges of its outcome, ordered like the runner
 * orders them (top to bottom, then left to right). Where the replay and the record part ways
 * (the graph changed since the run), a step falls back to the latest earlier step with an edge
 * into it.
 */
import type { JsonValue, StepRecord } from '../../engine/types';

interface GraphEdge {
  source: string;
  sourceHandle: string;
  target: string;
}

interface GraphNode {
  id: string;
  position: { x: number; y: number };
}

export interface StepInput {
  /** Index of the step whose result came in, or null (the start block, or not known). */
  from: number | null;
  value: JsonValue | undefined;
}

export function stepInputs(
  steps: readonly StepRecord[],
  runInput: JsonValue,
  nodes: readonly GraphNode[],
  edges: readonly GraphEdge[],
): StepInput[] {
  const position = new Map(nodes.map((n) => [n.id, n.position] as const));
  const targetsOf = (nodeId: string, outcome: string): string[] =>
    edges
      .filter((e) => e.source === nodeId && e.sourceHandle === outcome && position.has(e.target))
      .sort((a, b) => {
        const pa = position.get(a.target)!;
        const pb = position.get(b.target)!;
        return pa.y - pb.y || pa.x - pb.x;
      })
      .map((e) => e.target);

  const waiting: { nodeId: string; from: number | null }[] = [];
  const inputs: StepInput[] = [];
  steps.forEach((step, index) => {
    const pending = waiting.pop();
    let from: number | null;
    if (index === 0) from = null;
    else if (pending && pending.nodeId === step.nodeId) from = pending.from;
    else from = latestFeeder(steps, index, edges);
    inputs.push({ from, value: from === null ? (index === 0 ? runInput : undefined) : steps[from]!.result });
    for (const target of targetsOf(step.nodeId, step.outcome).reverse()) waiting.push({ nodeId: target, from: index });
  });
  return inputs;
}

function latestFeeder(steps: readonly StepRecord[], index: number, edges: readonly GraphEdge[]): number | null {
  const nodeId = steps[index]!.nodeId;
  for (let j = index - 1; j >= 0; j -= 1) {
    const earlier = steps[j]!;
    if (edges.some((e) => e.source === earlier.nodeId && e.sourceHandle === earlier.outcome && e.target === nodeId)) return j;
  }
  return null;
}
