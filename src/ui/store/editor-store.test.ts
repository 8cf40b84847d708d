import { describe, expect, it } from 'vitest';
import type { BlueprintDocument, PaletteEntry } from '../../engine/types';
import { createEditorStore } from './editor-store';

const doc: BlueprintDocument = {
  format: 'kv-blueprint/1',
  id: 'demo',
  name: 'Demo',
  nodes: [
    { id: 'start', type: 'start', position: { x: 0, y: 0 }, data: { sampleInput: {} } },
    { id: 'get', type: 'kv', position: { x: 240, y: 0 }, data: { action: 'get', key: 'analysis_result', scope: 'flow' } },
    { id: 'out', type: 'output', position: { x: 480, y: 0 }, data: { valueType: 'text', value: '@{result}' } },
  ],
  edges: [{ id: 'e1', source: 'start', sourceHandle: 'success', target: 'get' }],
};

const getKey: PaletteEntry = { label: 'Get key', type: 'kv', group: 'Key-Value Storage', data: { action: 'get', key: '', scope: 'flow' } };

function select(store: ReturnType<typeof createEditorStore>, ids: string[]) {
  store.getState().selectOnly(ids);
}

describe('editor document history', () => {
  it('undoes and redoes adding a block', () => {
    const store = createEditorStore(doc);
    const id = store.getState().addBlock(getKey, { x: 10, y: 20 });
    expect(store.getState().nodes.map((n) => n.id)).toContain(id);
    expect(store.getState().undo()).toBe(true);
    expect(store.getState().nodes.map((n) => n.id)).not.toContain(id);
    expect(store.getState().redo()).toBe(true);
    expect(store.getState().nodes.find((n) => n.id === id)?.position).toEqual({ x: 10, y: 20 });
  });

  it('records a whole drag as one step back to where it began', () => {
    const store = createEditorStore(doc);
    const { onNodesChange } = store.getState();
    onNodesChange([{ type: 'position', id: 'get', position: { x: 250, y: 10 }, dragging: true }]);
    onNodesChange([{ type: 'position', id: 'get', position: { x: 300, y: 50 }, dragging: true }]);
    onNodesChange([{ type: 'position', id: 'get', position: { x: 320, y: 60 }, dragging: false }]);
    expect(store.getState().history.past).toHaveLength(1);
    store.getState().undo();
    expect(store.getState().nodes.find((n) => n.id === 'get')?.position).toEqual({ x: 240, y: 0 });
    store.getState().redo();
    expect(store.getState().nodes.find((n) => n.id === 'get')?.position).toEqual({ x: 320, y: 60 });
  });

  it('does not record selection as a step', () => {
    const store = createEditorStore(doc);
    store.getState().onNodesChange([{ type: 'select', id: 'get', selected: true }]);
    select(store, ['out']);
    expect(store.getState().history.past).toHaveLength(0);
    expect(store.getState().undo()).toBe(false);
  });

  it('keeps the current selection when undoing', () => {
    const store = createEditorStore(doc);
    store.getState().addBlock(getKey, { x: 0, y: 100 });
    select(store, ['out']);
    store.getState().undo();
    expect(
      store
        .getState()
        .nodes.filter((n) => n.selected)
        .map((n) => n.id),
    ).toEqual(['out']);
  });

  it('deletes a block with its edges in one step and brings both back on undo', () => {
    const store = createEditorStore(doc);
    select(store, ['get']);
    expect(store.getState().deleteSelection()).toBe(2);
    expect(store.getState().edges).toHaveLength(0);
    store.getState().undo();
    expect(store.getState().nodes.map((n) => n.id)).toContain('get');
    expect(store.getState().edges.map((e) => e.id)).toEqual(['e1']);
  });

  it('keeps the identity of nodes that did not change', () => {
    const store = createEditorStore(doc);
    const before = store.getState().nodes;
    store.getState().updateNodeData('get', { key: 'other' });
    const after = store.getState().nodes;
    expect(after[0]).toBe(before[0]);
    expect(after[2]).toBe(before[2]);
    expect(after[1]).not.toBe(before[1]);
    store.getState().undo();
    expect(store.getState().nodes[1]).toBe(before[1]);
  });

  it('coalesces quick keystrokes in one field into one step', () => {
    const store = createEditorStore(doc);
    const { updateNodeData } = store.getState();
    updateNodeData('get', { key: 'a' }, 1000);
    updateNodeData('get', { key: 'ab' }, 1200);
    updateNodeData('get', { key: 'abc' }, 1400);
    updateNodeData('get', { scope: 'global' }, 1500);
    expect(store.getState().history.past).toHaveLength(2);
    store.getState().undo();
    store.getState().undo();
    expect(store.getState().nodes[1]?.data.key).toBe('analysis_result');
  });

  it('forgets what could be redone after a new edit', () => {
    const store = createEditorStore(doc);
    store.getState().addBlock(getKey, { x: 0, y: 0 });
    store.getState().undo();
    store.getState().addBlock(getKey, { x: 5, y: 5 });
    expect(store.getState().redo()).toBe(false);
  });
});

describe('connections', () => {
  it('accepts a connection from an existing out and records it', () => {
    const store = createEditorStore(doc);
    const check = store.getState().connect({ source: 'get', sourceHandle: 'success', target: 'out', targetHandle: null });
    expect(check.ok).toBe(true);
    expect(store.getState().edges.some((e) => e.source === 'get' && e.target === 'out' && e.sourceHandle === 'success')).toBe(true);
    store.getState().undo();
    expect(store.getState().edges.some((e) => e.source === 'get' && e.target === 'out')).toBe(false);
  });

  it('refuses a connection into the start block', () => {
    const store = createEditorStore(doc);
    const check = store.getState().connect({ source: 'get', sourceHandle: 'success', target: 'start', targetHandle: null });
    expect(check).toMatchObject({ ok: false, code: 'into_start' });
    expect(store.getState().edges).toHaveLength(1);
  });

  it('refuses an out the block does not have', () => {
    const store = createEditorStore(doc);
    const check = store.getState().connect({ source: 'get', sourceHandle: 'true', target: 'out', targetHandle: null });
    expect(check).toMatchObject({ ok: false, code: 'missing_out' });
    expect(check.ok === false && check.message).toContain('success, error');
  });

  it('refuses a duplicate edge', () => {
    const store = createEditorStore(doc);
    const check = store.getState().connect({ source: 'start', sourceHandle: 'success', target: 'get', targetHandle: null });
    expect(check).toMatchObject({ ok: false, code: 'duplicate_edge' });
    expect(store.getState().history.past).toHaveLength(0);
  });

  it('names blocks by their titles in a refusal, never by their ids', () => {
    const store = createEditorStore(doc);
    const check = store.getState().connect({ source: 'start', sourceHandle: 'success', target: 'get', targetHandle: null });
    expect(check.ok === false && check.message).toBe('“Start” success already connects to “Get key”.');
  });

  it('adds a block connected from an out as one undo step', () => {
    const store = createEditorStore(doc);
    const { id, check } = store.getState().addConnectedBlock(getKey, { x: 700, y: 0 }, { source: 'out', sourceHandle: 'success' });
    expect(check.ok).toBe(true);
    expect(store.getState().edges.some((e) => e.source === 'out' && e.target === id)).toBe(true);
    expect(store.getState().nodes.find((n) => n.id === id)?.selected).toBe(true);
    store.getState().undo();
    expect(store.getState().nodes.some((n) => n.id === id)).toBe(false);
    expect(store.getState().edges).toHaveLength(1);
  });
});

describe('new blocks', () => {
  it('get a numbered title when their own is taken', () => {
    const store = createEditorStore(doc);
    const output: PaletteEntry = { label: 'Output', type: 'output', group: 'Logic', data: { valueType: 'text', value: '@{result}' } };
    const first = store.getState().addBlock(output, { x: 0, y: 200 });
    const second = store.getState().addBlock(output, { x: 0, y: 300 });
    const labels = store
      .getState()
      .nodes.filter((n) => n.id === first || n.id === second || n.id === 'out')
      .map((n) => n.data.label);
    // The document's own Output is untitled (it shows "Output"), so the new ones are 2 and 3.
    expect(labels).toEqual([undefined, 'Output 2', 'Output 3']);
  });
});

describe('pins', () => {
  it('are kept in the document and dropped with their block', () => {
    const store = createEditorStore(doc);
    store.getState().setPin('get', { cached: true });
    expect(store.getState().toDocument().pins).toEqual({ get: { cached: true } });
    store.getState().selectOnly(['get']);
    store.getState().deleteSelection();
    expect(store.getState().toDocument().pins).toBeUndefined();
    store.getState().undo();
    expect(store.getState().toDocument().pins).toEqual({ get: { cached: true } });
    store.getState().setPin('get', undefined);
    expect(store.getState().toDocument().pins).toBeUndefined();
  });
});

describe('copy, paste and duplicate', () => {
  it('pastes copies with new ids and edges remapped between the copies', () => {
    const store = createEditorStore({
      ...doc,
      edges: [...doc.edges, { id: 'e2', source: 'get', sourceHandle: 'success', target: 'out' }],
    });
    select(store, ['get', 'out']);
    expect(store.getState().copy()).toBe(true);
    const pasted = store.getState().paste();
    expect(pasted).toHaveLength(2);
    expect(pasted).not.toContain('get');
    expect(pasted).not.toContain('out');
    const [newGet, newOut] = pasted;
    const copiedEdge = store.getState().edges.find((e) => e.source === newGet);
    expect(copiedEdge).toMatchObject({ target: newOut, sourceHandle: 'success' });
    // The edge from start into the copied block stays with the original only.
    expect(store.getState().edges.filter((e) => e.target === newGet)).toHaveLength(0);
    expect(store.getState().nodes.find((n) => n.id === newGet)?.position).toEqual({ x: 280, y: 40 });
  });

  it('never copies the start block', () => {
    const store = createEditorStore(doc);
    select(store, ['start']);
    expect(store.getState().copy()).toBe(false);
    expect(store.getState().duplicate()).toEqual([]);
  });

  it('drops a ref alias that would collide, and duplicates in one undo step', () => {
    const store = createEditorStore({
      ...doc,
      nodes: doc.nodes.map((n) => (n.id === 'get' ? { ...n, data: { ...n.data, ref: 'cached' } } : n)),
    } as BlueprintDocument);
    select(store, ['get']);
    const [copy] = store.getState().duplicate();
    expect(store.getState().nodes.find((n) => n.id === copy)?.data.ref).toBeUndefined();
    expect(store.getState().nodes.find((n) => n.id === copy)?.data.key).toBe('analysis_result');
    store.getState().undo();
    expect(store.getState().nodes).toHaveLength(3);
  });
});

describe('document round trip', () => {
  it('gives back a clean kv-blueprint/1 document without view fields', () => {
    const store = createEditorStore(doc);
    select(store, ['get']);
    store.getState().onNodesChange([{ type: 'dimensions', id: 'get', dimensions: { width: 200, height: 80 } }]);
    const out = store.getState().toDocument();
    expect(out).toEqual(doc);
  });
});
