/**
 * The editor document: the open blueprint's graph with its undo history. This module is the
 * one owner of `applyNodeChanges` / `applyEdgeChanges`; React Flow is fed the arrays held
 * here, and unchanged nodes keep their identity from one change to the next.
 *
 * History policy (see history.ts): document edits record a step; a drag records one step when
 * it ends; consecutive keystrokes in one inspector field within a second are one step;
 * selection and measurement never record.
 */
import { applyEdgeChanges, applyNodeChanges, type Connection, type EdgeChange, type NodeChange, type XYPosition } from '@xyflow/react';
import { createStore } from 'zustand/vanilla';
import type { BlueprintDocument, JsonValue, PaletteEntry } from '../../engine/types';
import { copySelection, pasteContent, type ClipboardContent } from './clipboard';
import { checkConnection, type ConnectionCheck } from './connection-rules';
import { fromDocument, toDocument, type BlueprintMeta, type FlowEdge, type FlowNode, type GraphSnapshot } from './flow-model';
import { emptyHistory, recordStep, redoStep, undoStep, type History } from './history';
import { edgeIdFor, idBaseFor, numberedTitle, uniqueId } from './ids';

/** Keystrokes in the same field closer than this are one undo step. */
const TYPING_COALESCE_MS = 1000;

export interface EditorState {
  meta: BlueprintMeta;
  nodes: FlowNode[];
  edges: FlowEdge[];
  history: History<GraphSnapshot>;
  /** The graph as it was when the current drag began; recorded as one step when it ends. */
  dragOrigin: GraphSnapshot | null;
  /** Increases on every document change (not selection): what autosave watches. */
  revision: number;
  clipboard: ClipboardContent | null;
  lastEdit: { key: string; at: number } | null;
}

export interface EditorActions {
  load(doc: BlueprintDocument): void;
  rename(name: string): void;
  updateMeta(patch: Partial<Omit<BlueprintMeta, 'id'>>): void;
  /** Pins a block's output (kept with the blueprint), or unpins it with `undefined`. */
  setPin(nodeId: string, value: JsonValue | undefined): void;
  onNodesChange(changes: NodeChange<FlowNode>[]): void;
  onEdgesChange(changes: EdgeChange<FlowEdge>[]): void;
  connect(connection: Connection): ConnectionCheck;
  addBlock(entry: PaletteEntry, position: XYPosition): string;
  /**
   * Adds a block and an edge into it from `from` as one undo step (the block picker, a palette
   * click beside a selected block). When the connection is refused the block is still added,
   * and the refusal is returned.
   */
  addConnectedBlock(entry: PaletteEntry, position: XYPosition, from: BlockOut): { id: string; check: ConnectionCheck };
  updateNodeData(id: string, patch: Record<string, unknown>, now?: number): void;
  deleteSelection(): number;
  copy(): boolean;
  paste(): string[];
  duplicate(): string[];
  selectOnly(ids: readonly string[]): void;
  selectAll(): void;
  moveNodes(positions: ReadonlyMap<string, XYPosition>): void;
  undo(): boolean;
  redo(): boolean;
  toDocument(): BlueprintDocument;
}

export type EditorStore = EditorState & EditorActions;

/** One out of one block: where a new edge starts. */
export interface BlockOut {
  source: string;
  sourceHandle: string;
}

const EMPTY_META: BlueprintMeta = { id: 'untitled', name: 'Untitled' };

function snapshotOf(state: EditorState): GraphSnapshot {
  return { nodes: state.nodes, edges: state.edges };
}

/** Re-applies the current selection to restored nodes, creating objects only where it differs. */
function keepSelection<T extends { id: string; selected?: boolean }>(items: T[], selected: ReadonlySet<string>): T[] {
  return items.map((item) => (Boolean(item.selected) === selected.has(item.id) ? item : { ...item, selected: selected.has(item.id) }));
}

function selectedIds(items: readonly { id: string; selected?: boolean }[]): Set<string> {
  return new Set(items.filter((i) => i.selected).map((i) => i.id));
}

export function createEditorStore(initial?: BlueprintDocument) {
  return createStore<EditorStore>()((set, get) => {
    /** Applies a document change as one undo step. */
    const commit = (next: Partial<Pick<EditorState, 'nodes' | 'edges'>>, lastEdit: EditorState['lastEdit'] = null) => {
      const state = get();
      set({
        ...next,
        history: recordStep(state.history, snapshotOf(state)),
        revision: state.revision + 1,
        lastEdit,
        dragOrigin: null,
      });
    };

    /** Shows the snapshot an undo or redo step moves to; the selection stays as it is. */
    const travel = (step: typeof undoStep): boolean => {
      const state = get();
      const move = step(state.history, snapshotOf(state));
      if (!move) return false;
      set({
        nodes: keepSelection(move.present.nodes, selectedIds(state.nodes)),
        edges: keepSelection(move.present.edges, selectedIds(state.edges)),
        history: move.history,
        revision: state.revision + 1,
        lastEdit: null,
        dragOrigin: null,
      });
      return true;
    };

    /** Adds a block, selected, and (with `from`) the edge into it: one undo step. */
    const insertBlock = (
      entry: PaletteEntry,
      position: XYPosition,
      from: BlockOut | null,
    ): { id: string; check: ConnectionCheck | null } => {
      const state = get();
      const data: Record<string, unknown> = structuredClone(entry.data);
      const title = numberedTitle(entry.type, data, state.nodes);
      if (title !== null) data.label = title;
      const id = uniqueId(idBaseFor(entry.type, data), new Set(state.nodes.map((n) => n.id)));
      const node: FlowNode = {
        id,
        type: entry.type,
        position: { x: Math.round(position.x), y: Math.round(position.y) },
        data,
        selected: true,
      };
      const nodes = [...state.nodes.map((n) => (n.selected ? { ...n, selected: false } : n)), node];
      const edges = state.edges.map((e) => (e.selected ? { ...e, selected: false } : e));
      let check: ConnectionCheck | null = null;
      if (from) {
        check = checkConnection({ nodes, edges }, { source: from.source, sourceHandle: from.sourceHandle, target: id });
        if (check.ok) {
          const edgeId = edgeIdFor(from.source, check.sourceHandle, id, new Set(edges.map((e) => e.id)));
          edges.push({ id: edgeId, source: from.source, sourceHandle: check.sourceHandle, target: id, targetHandle: null });
        }
      }
      commit({ nodes, edges });
      return { id, check };
    };

    const base: EditorState = {
      meta: EMPTY_META,
      nodes: [],
      edges: [],
      history: emptyHistory(),
      dragOrigin: null,
      revision: 0,
      clipboard: null,
      lastEdit: null,
    };
    if (initial) {
      const { meta, graph } = fromDocument(initial);
      Object.assign(base, { meta, nodes: graph.nodes, edges: graph.edges });
    }

    return {
      ...base,

      load(doc) {
        const { meta, graph } = fromDocument(doc);
        set({ meta, nodes: graph.nodes, edges: graph.edges, history: emptyHistory(), dragOrigin: null, lastEdit: null, revision: 0 });
      },

      rename(name) {
        set((s) => ({ meta: { ...s.meta, name }, revision: s.revision + 1 }));
      },

      updateMeta(patch) {
        set((s) => {
          const meta: BlueprintMeta = { ...s.meta, ...patch };
          if (!meta.groupId) delete meta.groupId;
          return { meta, revision: s.revision + 1 };
        });
      },

      setPin(nodeId, value) {
        set((s) => {
          const pins: Record<string, JsonValue> = { ...s.meta.pins };
          if (value === undefined) delete pins[nodeId];
          else pins[nodeId] = structuredClone(value);
          const meta: BlueprintMeta = { ...s.meta, pins };
          if (Object.keys(pins).length === 0) delete meta.pins;
          return { meta, revision: s.revision + 1 };
        });
      },

      onNodesChange(changes) {
        const state = get();
        // Removal goes through deleteSelection so that nodes and their edges are one step.
        const kept = changes.filter((c) => c.type !== 'remove');
        if (kept.length === 0) return;
        const nodes = applyNodeChanges(kept, state.nodes);
        const positions = kept.filter((c) => c.type === 'position');
        if (positions.length === 0) {
          set({ nodes });
          return;
        }
        const dragging = positions.some((c) => c.type === 'position' && c.dragging);
        const moved = positions.some((c) => c.type === 'position' && c.position);
        if (dragging) {
          set({ nodes, dragOrigin: state.dragOrigin ?? snapshotOf(state) });
        } else if (state.dragOrigin) {
          // The drag ended: the whole drag is one step back to where it began.
          set({
            nodes,
            history: recordStep(state.history, state.dragOrigin),
            dragOrigin: null,
            revision: state.revision + 1,
            lastEdit: null,
          });
        } else if (moved) {
          commit({ nodes });
        } else {
          set({ nodes });
        }
      },

      onEdgesChange(changes) {
        const kept = changes.filter((c) => c.type === 'select');
        if (kept.length === 0) return;
        set((s) => ({ edges: applyEdgeChanges(kept, s.edges) }));
      },

      connect(connection) {
        const state = get();
        const check = checkConnection(state, connection);
        if (!check.ok) return check;
        const id = edgeIdFor(connection.source, check.sourceHandle, connection.target, new Set(state.edges.map((e) => e.id)));
        const edge: FlowEdge = {
          id,
          source: connection.source,
          sourceHandle: check.sourceHandle,
          target: connection.target,
          targetHandle: connection.targetHandle ?? null,
        };
        commit({ edges: [...state.edges, edge] });
        return check;
      },

      addBlock(entry, position) {
        return insertBlock(entry, position, null).id;
      },

      addConnectedBlock(entry, position, from) {
        const added = insertBlock(entry, position, from);
        return { id: added.id, check: added.check! };
      },

      updateNodeData(id, patch, now = Date.now()) {
        const state = get();
        const target = state.nodes.find((n) => n.id === id);
        if (!target) return;
        const data = { ...target.data, ...patch };
        for (const [key, value] of Object.entries(patch)) if (value === undefined) delete data[key];
        const nodes = state.nodes.map((n) => (n.id === id ? { ...n, data } : n));
        const editKey = `${id}:${Object.keys(patch).sort().join(',')}`;
        const coalesce = state.lastEdit !== null && state.lastEdit.key === editKey && now - state.lastEdit.at < TYPING_COALESCE_MS;
        if (coalesce) set({ nodes, revision: state.revision + 1, lastEdit: { key: editKey, at: now } });
        else commit({ nodes }, { key: editKey, at: now });
      },

      deleteSelection() {
        const state = get();
        const doomed = new Set(state.nodes.filter((n) => n.selected).map((n) => n.id));
        const edgesOut = new Set(state.edges.filter((e) => e.selected || doomed.has(e.source) || doomed.has(e.target)).map((e) => e.id));
        if (doomed.size === 0 && edgesOut.size === 0) return 0;
        commit({
          nodes: state.nodes.filter((n) => !doomed.has(n.id)),
          edges: state.edges.filter((e) => !edgesOut.has(e.id)),
        });
        return doomed.size + edgesOut.size;
      },

      copy() {
        const content = copySelection(get().nodes, get().edges);
        if (content) set({ clipboard: content });
        return content !== null;
      },

      paste() {
        const state = get();
        if (!state.clipboard) return [];
        const pasted = pasteContent(state.clipboard, state);
        commit({
          nodes: [...state.nodes.map((n) => (n.selected ? { ...n, selected: false } : n)), ...pasted.nodes],
          edges: [...state.edges.map((e) => (e.selected ? { ...e, selected: false } : e)), ...pasted.edges],
        });
        // The next paste lands one step further, like a stack of copies.
        set({ clipboard: { nodes: pasted.nodes.map((n) => ({ ...n, selected: false })), edges: pasted.edges } });
        return pasted.nodes.map((n) => n.id);
      },

      duplicate() {
        const state = get();
        const content = copySelection(state.nodes, state.edges);
        if (!content) return [];
        const pasted = pasteContent(content, state);
        commit({
          nodes: [...state.nodes.map((n) => (n.selected ? { ...n, selected: false } : n)), ...pasted.nodes],
          edges: [...state.edges.map((e) => (e.selected ? { ...e, selected: false } : e)), ...pasted.edges],
        });
        return pasted.nodes.map((n) => n.id);
      },

      selectOnly(ids) {
        const wanted = new Set(ids);
        set((s) => ({ nodes: keepSelection(s.nodes, wanted), edges: keepSelection(s.edges, new Set()) }));
      },

      selectAll() {
        set((s) => ({ nodes: keepSelection(s.nodes, new Set(s.nodes.map((n) => n.id))) }));
      },

      moveNodes(positions) {
        const state = get();
        if (positions.size === 0) return;
        commit({
          nodes: state.nodes.map((n) => {
            const p = positions.get(n.id);
            return p ? { ...n, position: { x: Math.round(p.x), y: Math.round(p.y) } } : n;
          }),
        });
      },

      undo() {
        return travel(undoStep);
      },

      redo() {
        return travel(redoStep);
      },

      toDocument() {
        const state = get();
        return toDocument(state.meta, snapshotOf(state));
      },
    };
  });
}

export type EditorStoreApi = ReturnType<typeof createEditorStore>;
