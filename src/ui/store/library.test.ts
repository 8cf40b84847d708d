import { describe, expect, it } from 'vitest';
import type { BlueprintDocument, RunRecord } from '../../engine/types';
import { startAutosave, type Timers } from './autosave';
import { createEditorStore } from './editor-store';
import {
  appendRun,
  freeBlueprintId,
  readBlueprint,
  readIndex,
  readRuns,
  RUN_HISTORY_RECORD_MAX_BYTES,
  RUNS_KEPT,
  saveBlueprint,
  type StorageLike,
} from './library';
import { createLibraryStore } from './library-store';

function memoryStorage(): StorageLike & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return {
    data,
    getItem: (key) => data.get(key) ?? null,
    setItem: (key, value) => void data.set(key, value),
    removeItem: (key) => void data.delete(key),
  };
}

/** Timers that fire only when the test says so. */
function manualTimers(): Timers & { fire(): void; pending(): number } {
  const queue = new Map<number, () => void>();
  let next = 1;
  return {
    setTimeout: (callback) => {
      queue.set(next, callback);
      return next++;
    },
    clearTimeout: (handle) => void queue.delete(handle as number),
    fire: () => {
      const callbacks = [...queue.values()];
      queue.clear();
      callbacks.forEach((c) => c());
    },
    pending: () => queue.size,
  };
}

const doc: BlueprintDocument = {
  format: 'kv-blueprint/1',
  id: 'demo',
  name: 'Demo',
  nodes: [{ id: 'start', type: 'start', position: { x: 0, y: 0 }, data: { sampleInput: {} } }],
  edges: [],
};

const run = (n: number): RunRecord => ({
  runId: `r${n}`,
  blueprintId: 'demo',
  status: 'succeeded',
  startedAt: '',
  finishedAt: '',
  input: {},
  steps: [],
  outputs: [],
  state: {},
  error: null,
});

describe('blueprint library storage', () => {
  it('saves documents with an index entry and reads them back', () => {
    const storage = memoryStorage();
    const index = saveBlueprint(storage, readIndex(storage), doc, new Date('2026-01-01T00:00:00Z'));
    expect(index.entries).toEqual([{ id: 'demo', name: 'Demo', updatedAt: '2026-01-01T00:00:00.000Z' }]);
    expect(readIndex(storage).entries).toHaveLength(1);
    expect(readBlueprint(storage, 'demo')).toEqual(doc);
  });

  it('treats a damaged entry as absent instead of failing', () => {
    const storage = memoryStorage();
    storage.setItem('kvb.editor.v1.index', '{not json');
    expect(readIndex(storage)).toEqual({ entries: [], currentId: null });
  });

  it('finds a free id for a copy', () => {
    const storage = memoryStorage();
    const index = saveBlueprint(storage, readIndex(storage), doc);
    expect(freeBlueprintId(index, 'demo')).toBe('demo-2');
    expect(freeBlueprintId(index, 'other')).toBe('other');
  });

  it('keeps the last runs of a blueprint, newest first', () => {
    const storage = memoryStorage();
    for (let n = 1; n <= RUNS_KEPT + 5; n += 1) appendRun(storage, run(n));
    const runs = readRuns(storage, 'demo');
    expect(runs).toHaveLength(RUNS_KEPT);
    expect(runs[0]?.runId).toBe(`r${RUNS_KEPT + 5}`);
  });

  it('keeps a run within its size: the largest values give way to a note', () => {
    const storage = memoryStorage();
    const big = { ...run(1), outputs: ['x'.repeat(RUN_HISTORY_RECORD_MAX_BYTES)] };
    const { runs, note } = appendRun(storage, big);
    expect(note).toBeNull();
    expect(runs[0]!.outputs[0]).toMatch(/^\[\d+ bytes left out: a run kept in this browser keeps at most/);
    expect(storage.data.get('kvb.editor.v1.runs.demo')!.length).toBeLessThan(RUN_HISTORY_RECORD_MAX_BYTES);
  });

  it('drops the oldest runs when storage is full, and says so, instead of failing', () => {
    const storage = memoryStorage();
    for (let n = 1; n <= 5; n += 1) appendRun(storage, { ...run(n), outputs: ['y'.repeat(1000)] });
    // A quota that holds about three runs of this size.
    const quota = 3.5 * (storage.data.get('kvb.editor.v1.runs.demo')!.length / 5);
    const setItem = storage.setItem;
    storage.setItem = (key, value) => {
      if (value.length > quota) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      setItem(key, value);
    };
    const { runs, note } = appendRun(storage, { ...run(6), outputs: ['y'.repeat(1000)] });
    expect(runs.map((r) => r.runId)).toEqual(['r6', 'r5', 'r4']);
    expect(readRuns(storage, 'demo').map((r) => r.runId)).toEqual(['r6', 'r5', 'r4']);
    expect(note).toContain('the 3 oldest runs of this blueprint were dropped');
  });

  it('keeps a run for the visit when storage refuses everything', () => {
    const storage = memoryStorage();
    appendRun(storage, run(1));
    storage.setItem = () => {
      throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    };
    const { runs, note } = appendRun(storage, run(2));
    expect(runs.map((r) => r.runId)).toEqual(['r2', 'r1']);
    expect(note).toContain('could not be saved');
  });
});

describe('autosave', () => {
  it('saves once after a burst of edits, not on selection', () => {
    const editor = createEditorStore(doc);
    const timers = manualTimers();
    const saved: BlueprintDocument[] = [];
    startAutosave(editor, (d) => saved.push(d), { timers });
    editor.getState().selectOnly(['start']);
    expect(timers.pending()).toBe(0);
    editor.getState().updateNodeData('start', { label: 'A' }, 1);
    editor.getState().updateNodeData('start', { label: 'AB' }, 2);
    expect(timers.pending()).toBe(1);
    timers.fire();
    expect(saved).toHaveLength(1);
    expect(saved[0]?.nodes[0]?.data).toMatchObject({ label: 'AB' });
  });

  it('flushes a pending save at once', () => {
    const editor = createEditorStore(doc);
    const timers = manualTimers();
    const saved: BlueprintDocument[] = [];
    const autosave = startAutosave(editor, (d) => saved.push(d), { timers });
    editor.getState().rename('Renamed');
    autosave.flush();
    expect(saved.map((d) => d.name)).toEqual(['Renamed']);
    expect(timers.pending()).toBe(0);
  });
});

describe('library store', () => {
  it('seeds the first visit from the cache template and reopens the last blueprint later', () => {
    const storage = memoryStorage();
    const editor = createEditorStore();
    const library = createLibraryStore(storage, editor);
    library.getState().init();
    expect(editor.getState().meta.id).toBe('cache-result');
    library.getState().createBlank();
    const blankId = editor.getState().meta.id;
    library.getState().flush();

    const editorAgain = createEditorStore();
    createLibraryStore(storage, editorAgain).getState().init();
    expect(editorAgain.getState().meta.id).toBe(blankId);
  });

  it('an invalid import lists problems and leaves the open blueprint as it was', () => {
    const storage = memoryStorage();
    const editor = createEditorStore();
    const library = createLibraryStore(storage, editor);
    library.getState().init();
    const before = editor.getState().nodes;
    const outcome = library
      .getState()
      .importText(JSON.stringify({ ...doc, nodes: [{ id: 'x', type: 'teleport', position: { x: 0, y: 0 }, data: {} }] }));
    expect(outcome.ok).toBe(false);
    expect(outcome.ok === false && outcome.problems.length).toBeGreaterThan(0);
    expect(editor.getState().nodes).toBe(before);
    expect(library.getState().index.entries).toHaveLength(1);
  });

  it('imports a valid file under a free id when the id is taken', () => {
    const storage = memoryStorage();
    const editor = createEditorStore();
    const library = createLibraryStore(storage, editor);
    library.getState().init();
    library.getState().importText(JSON.stringify(doc));
    const second = library.getState().importText(JSON.stringify(doc));
    expect(second).toEqual({ ok: true, id: 'demo-2' });
    expect(editor.getState().meta).toMatchObject({ id: 'demo-2', name: 'Demo (2)' });
  });

  it('deleting the open blueprint opens another one', () => {
    const storage = memoryStorage();
    const editor = createEditorStore();
    const library = createLibraryStore(storage, editor);
    library.getState().init();
    const id = library.getState().createBlank();
    library.getState().deleteBlueprint(id);
    expect(editor.getState().meta.id).toBe('cache-result');
    expect(readBlueprint(storage, id)).toBeNull();
  });
});
