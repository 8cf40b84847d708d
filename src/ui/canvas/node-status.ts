/**
 * Adds the run status to the nodes React Flow renders, as `data-status` on the node element
 * (a stable name for tests). A node object is only recreated when its status changes, so
 * React Flow's identity checks keep skipping untouched nodes.
 */
import type { FlowNode } from '../store/flow-model';
import type { NodeRunStatus } from '../store/run-state';

const cache = new WeakMap<FlowNode, { status: NodeRunStatus; node: FlowNode }>();

export function withRunStatus(nodes: readonly FlowNode[], statuses: Readonly<Record<string, NodeRunStatus>>): FlowNode[] {
  return nodes.map((node) => {
    const status = statuses[node.id] ?? 'idle';
    const cached = cache.get(node);
    if (cached && cached.status === status) return cached.node;
    const shown: FlowNode = { ...node, domAttributes: { 'data-status': status } as FlowNode['domAttributes'] };
    cache.set(node, { status, node: shown });
    return shown;
  });
}
