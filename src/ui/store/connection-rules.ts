/**
 * Which connections the canvas accepts. Pure: the canvas asks before adding an edge and
 * shows the refusal's message.
 */
import { defaultTitleOf, outsOf } from '../../engine';
import type { BlockType, Out } from '../../engine/types';
import type { FlowEdge, FlowNode } from './flow-model';

export type ConnectionRefusal = 'missing_node' | 'into_start' | 'missing_out' | 'duplicate_edge';

export type ConnectionCheck = { ok: true; sourceHandle: Out } | { ok: false; code: ConnectionRefusal; message: string };

export interface ConnectionRequest {
  source: string | null;
  sourceHandle: string | null | undefined;
  target: string | null;
}

/** The block's name as the canvas shows it (its display name, else its palette entry's), never its id. */
function labelOf(node: FlowNode): string {
  const label = node.data.label;
  return typeof label === 'string' && label.trim() !== '' ? label : defaultTitleOf(node.type as BlockType, node.data as never);
}

export function checkConnection(
  graph: { nodes: readonly FlowNode[]; edges: readonly FlowEdge[] },
  request: ConnectionRequest,
): ConnectionCheck {
  const source = graph.nodes.find((n) => n.id === request.source);
  const target = graph.nodes.find((n) => n.id === request.target);
  if (!source || !target) {
    return { ok: false, code: 'missing_node', message: 'That connection points to a block that no longer exists.' };
  }
  if (target.type === 'start') {
    return { ok: false, code: 'into_start', message: 'Nothing can connect into the Start block: a run always begins there.' };
  }
  const outs: readonly Out[] = outsOf(source.type as BlockType);
  const handle = request.sourceHandle ?? null;
  if (handle === null || !(outs as readonly string[]).includes(handle)) {
    return {
      ok: false,
      code: 'missing_out',
      message: `“${labelOf(source)}” has no “${handle ?? '(none)'}” out; its outs are ${outs.join(', ')}.`,
    };
  }
  const duplicate = graph.edges.some((e) => e.source === source.id && e.sourceHandle === handle && e.target === target.id);
  if (duplicate) {
    return { ok: false, code: 'duplicate_edge', message: `“${labelOf(source)}” ${handle} already connects to “${labelOf(target)}”.` };
  }
  return { ok: true, sourceHandle: handle as Out };
}
