/**
 * The editor holds the blueprint as React Flow nodes and edges (the document's node and edge
 * objects already have React Flow's shape). This module is the one boundary between the two:
 * it adds nothing on the way in and strips React Flow's view fields on the way out.
 */
import type { Edge, Node } from '@xyflow/react';
import {
  BLUEPRINT_FORMAT,
  type BlockType,
  type BlueprintDocument,
  type BlueprintEdge,
  type BlueprintNode,
  type BlueprintSettings,
  type JsonValue,
  type Out,
} from '../../engine/types';

export type BlockData = Record<string, unknown>;
export type FlowNode = Node<BlockData, BlockType>;
export type FlowEdge = Edge<Record<string, unknown>> & { sourceHandle: Out };

/** The parts of a blueprint that are not the graph. */
export interface BlueprintMeta {
  id: string;
  name: string;
  groupId?: string;
  settings?: Partial<BlueprintSettings>;
  /** Pinned outputs by node id (the document's `pins`). */
  pins?: Readonly<Record<string, JsonValue>>;
}

/** What undo/redo restores. */
export interface GraphSnapshot {
  nodes: FlowNode[];
  edges: FlowEdge[];
}

export function toFlowNode(node: BlueprintNode): FlowNode {
  return { id: node.id, type: node.type, position: { ...node.position }, data: { ...(node.data as object) } as BlockData };
}

export function toFlowEdge(edge: BlueprintEdge): FlowEdge {
  return {
    id: edge.id,
    source: edge.source,
    sourceHandle: edge.sourceHandle,
    target: edge.target,
    targetHandle: edge.targetHandle ?? null,
  };
}

export function toBlueprintNode(node: FlowNode): BlueprintNode {
  return {
    id: node.id,
    type: node.type as BlockType,
    position: { x: Math.round(node.position.x), y: Math.round(node.position.y) },
    data: node.data as unknown as BlueprintNode['data'],
  };
}

export function toBlueprintEdge(edge: FlowEdge): BlueprintEdge {
  const plain: BlueprintEdge = { id: edge.id, source: edge.source, sourceHandle: edge.sourceHandle, target: edge.target };
  if (edge.targetHandle) plain.targetHandle = edge.targetHandle;
  return plain;
}

export function toDocument(meta: BlueprintMeta, graph: GraphSnapshot): BlueprintDocument {
  const doc: BlueprintDocument = {
    format: BLUEPRINT_FORMAT,
    id: meta.id,
    name: meta.name,
    nodes: graph.nodes.map(toBlueprintNode),
    edges: graph.edges.map(toBlueprintEdge),
  };
  if (meta.groupId) doc.groupId = meta.groupId;
  if (meta.settings) doc.settings = meta.settings;
  // A pin of a deleted block goes with it.
  const pins = Object.entries(meta.pins ?? {}).filter(([id]) => graph.nodes.some((n) => n.id === id));
  if (pins.length > 0) doc.pins = Object.fromEntries(pins);
  return doc;
}

export function fromDocument(doc: BlueprintDocument): { meta: BlueprintMeta; graph: GraphSnapshot } {
  const meta: BlueprintMeta = { id: doc.id, name: doc.name };
  if (doc.groupId) meta.groupId = doc.groupId;
  if (doc.settings) meta.settings = doc.settings;
  if (doc.pins && Object.keys(doc.pins).length > 0) meta.pins = doc.pins;
  return { meta, graph: { nodes: doc.nodes.map(toFlowNode), edges: doc.edges.map(toFlowEdge) } };
}
