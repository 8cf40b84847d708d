/**
 * Copy, paste and duplicate: pure functions over the graph. Pasted blocks get fresh ids,
 * edges between copied blocks are remapped to them, and edges to blocks left behind are
 * dropped (a pasted block starts unconnected from the rest).
 */
import type { FlowEdge, FlowNode } from './flow-model';
import { edgeIdFor, idBaseFor, uniqueId } from './ids';

export interface ClipboardContent {
  nodes: FlowNode[];
  edges: FlowEdge[];
}

/** Offset of a paste from the copied blocks, so the copy is visibly a copy. */
export const PASTE_OFFSET = { x: 40, y: 40 };

export function copySelection(nodes: readonly FlowNode[], edges: readonly FlowEdge[]): ClipboardContent | null {
  const picked = nodes.filter((n) => n.selected && n.type !== 'start');
  if (picked.length === 0) return null;
  const ids = new Set(picked.map((n) => n.id));
  return {
    nodes: picked.map((n) => ({ id: n.id, type: n.type, position: { ...n.position }, data: structuredClone(n.data) })),
    edges: edges.filter((e) => ids.has(e.source) && ids.has(e.target)).map((e) => ({ ...e, selected: false })),
  };
}

export interface PasteResult {
  nodes: FlowNode[];
  edges: FlowEdge[];
  /** Old id → new id. */
  idMap: Map<string, string>;
}

/**
 * Makes new blocks and edges from clipboard content. The new blocks come out selected; ids
 * never collide with `existing`, and a `ref` alias that is already used is dropped.
 */
export function pasteContent(
  content: ClipboardContent,
  existing: { nodes: readonly FlowNode[]; edges: readonly FlowEdge[] },
  offset = PASTE_OFFSET,
): PasteResult {
  const takenNodeIds = new Set(existing.nodes.map((n) => n.id));
  const takenRefs = new Set(existing.nodes.map((n) => n.data.ref).filter((r): r is string => typeof r === 'string'));
  const idMap = new Map<string, string>();
  const nodes: FlowNode[] = content.nodes.map((n) => {
    const id = uniqueId(idBaseFor(n.type ?? 'kv', n.data), takenNodeIds);
    takenNodeIds.add(id);
    idMap.set(n.id, id);
    const data = structuredClone(n.data);
    if (typeof data.ref === 'string') {
      if (takenRefs.has(data.ref)) delete data.ref;
      else takenRefs.add(data.ref);
    }
    return { id, type: n.type, position: { x: n.position.x + offset.x, y: n.position.y + offset.y }, data, selected: true };
  });
  const takenEdgeIds = new Set(existing.edges.map((e) => e.id));
  const edges: FlowEdge[] = [];
  for (const e of content.edges) {
    const source = idMap.get(e.source);
    const target = idMap.get(e.target);
    if (!source || !target) continue;
    const id = edgeIdFor(source, e.sourceHandle, target, takenEdgeIds);
    takenEdgeIds.add(id);
    edges.push({ id, source, sourceHandle: e.sourceHandle, target, targetHandle: e.targetHandle ?? null });
  }
  return { nodes, edges, idMap };
}
