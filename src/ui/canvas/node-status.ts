/**
 * Adds the run status to the nodes React Flow renders, as `data-status` on the node element
 * (a stable name for tests). A node object is only recreated when its status changes, so
 * React Flow's identity checks keep skipping untouched nodes.
 */
import type { FlowNode } from '../store/flow-model';
import type { NodeRunStatus } from '../store/run-state';

const cache = new WeakMap<FlowNode, { status: NodeRunStatus; node: FlowNode }>();

/**
 * `ranWith` (the run store's) marks blocks edited since the run started: they show idle, as
 * what the run said of them no longer holds.
 */
export function withRunStatus(
  nodes: readonly FlowNode[],
  statuses: Readonly<Record<string, NodeRunStatus>>,
  ranWith: Readonly<Record<string, unknown>> = {},
): FlowNode[] {
  return nodes.map((node) => {
    const changed = Object.hasOwn(ranWith, node.id) && ranWith[node.id] !== node.data;
    const status = changed ? 'idle' : (statuses[node.id] ?? 'idle');
    const cached = cache.get(node);
    if (cached && cached.status === status) return cached.node;
    const shown: FlowNode = { ...node, domAttributes: { 'data-status': status } as FlowNode['domAttributes'] };
    cache.set(node, { status, node: shown });
    return shown;
  });
}
