import { describe, expect, it } from 'vitest';
import type { BlueprintDocument, RunRecord } from '../../engine/types';
import { startAutosave, type Timers } from './autosave';
import { createEditorStore } from './editor-store';
import {
  appendRun,
  createBrowserWorkspace,
  freeBlueprintId,
  readBlueprint,
  readIndex,
  readRevision,
  readRuns,
  RUN_HISTORY_RECORD_MAX_BYTES,
  REVISIONS_KEPT,
  RUNS_KEPT,
  saveBlueprint,
  type StorageLike,
  type WorkspaceBackend,
} from './library';
import { createLibraryStore, followStorage } from './library-store';

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

const noEvents = { addEventListener: () => {}, removeEventListener: () => {} };

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

describe('browser workspace revisions', () => {
  it('keeps the last 50, each in its own key, and forgets them with the blueprint', async () => {
    const storage = memoryStorage();
    const workspace = createBrowserWorkspace(storage, { events: noEvents });
    await workspace.create(doc);
    for (let n = 2; n <= 55; n += 1) expect(await workspace.save({ ...doc, name: `Demo ${n}` }, n - 1)).toEqual({ ok: true, revision: n });
    const kept = await workspace.revisions('demo');
    expect(kept).toHaveLength(REVISIONS_KEPT);
    expect(kept[0]).toMatchObject({ revision: 55, name: 'Demo 55' });
    expect(kept.at(-1)?.revision).toBe(6);
    expect((await workspace.revision('demo', 6)).name).toBe('Demo 6');
    await expect(workspace.revision('demo', 5)).rejects.toThrow("Revision 5 of 'demo' is no longer kept");
    expect([...storage.data.keys()].filter((key) => key.includes('revisionDoc'))).toHaveLength(REVISIONS_KEPT);
    await workspace.remove('demo');
    expect([...storage.data.keys()].filter((key) => key.includes('demo'))).toEqual([]);
  });

  it('a full localStorage drops history before it drops a save', async () => {
    const storage = memoryStorage();
    const limited: StorageLike = {
      ...storage,
      setItem(key, value) {
        const used = [...storage.data.entries()].reduce((sum, [k, v]) => sum + (k === key ? 0 : v.length), 0);
        if (used + value.length > 3_000) throw new DOMException('full', 'QuotaExceededError');
        storage.setItem(key, value);
      },
    };
    const workspace = createBrowserWorkspace(limited, { events: noEvents });
    await workspace.create(doc);
    for (let n = 2; n <= 12; n += 1) expect(await workspace.save({ ...doc, name: `Demo ${n}` }, n - 1)).toMatchObject({ ok: true });
    expect((await workspace.get('demo'))?.document.name).toBe('Demo 12');
    const kept = await workspace.revisions('demo');
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.length).toBeLessThan(12);
    expect(kept[0]?.revision).toBe(12);
  });
});

describe('library store', () => {
  const newLibrary = (storage = memoryStorage()) => {
    const editor = createEditorStore();
    const library = createLibraryStore(storage, editor, { browser: createBrowserWorkspace(storage, { events: noEvents }) });
    return { storage, editor, library };
  };

  it('seeds the first visit from the cache template and reopens the last blueprint later', async () => {
    const { storage, editor, library } = newLibrary();
    await library.getState().init();
    expect(editor.getState().meta.id).toBe('cache-result');
    await library.getState().createBlank();
    const blankId = editor.getState().meta.id;
    await library.getState().flush();

    const again = newLibrary(storage);
    await again.library.getState().init();
    expect(again.editor.getState().meta.id).toBe(blankId);
  });

  it('an invalid import lists problems and leaves the open blueprint as it was', async () => {
    const { editor, library } = newLibrary();
    await library.getState().init();
    const before = editor.getState().nodes;
    const outcome = await library
      .getState()
      .importText(JSON.stringify({ ...doc, nodes: [{ id: 'x', type: 'teleport', position: { x: 0, y: 0 }, data: {} }] }));
    expect(outcome.ok).toBe(false);
    expect(outcome.ok === false && outcome.problems.length).toBeGreaterThan(0);
    expect(editor.getState().nodes).toBe(before);
    expect(library.getState().index.entries).toHaveLength(1);
  });

  it('an import whose id exists asks; Keep both adds it under a free id, Replace makes a new revision of the same id', async () => {
    const { storage, editor, library } = newLibrary();
    await library.getState().init();
    expect(await library.getState().importText(JSON.stringify(doc))).toEqual({ ok: true, id: 'demo' });
    expect(readRevision(storage, 'demo')).toBe(1);

    expect(await library.getState().importText(JSON.stringify({ ...doc, name: 'Demo v2' }))).toEqual({ ok: 'ask', existingName: 'Demo' });
    expect(library.getState().pendingImport?.existingName).toBe('Demo');
    await library.getState().resolveImport('keep-both');
    expect(editor.getState().meta).toMatchObject({ id: 'demo-2', name: 'Demo v2' });
    expect(library.getState().pendingImport).toBeNull();

    await library.getState().importText(JSON.stringify({ ...doc, name: 'Demo v3' }));
    await library.getState().resolveImport('replace');
    expect(editor.getState().meta).toMatchObject({ id: 'demo', name: 'Demo v3' });
    expect(readRevision(storage, 'demo')).toBe(2);
    expect(readBlueprint(storage, 'demo')?.name).toBe('Demo v3');
    expect(
      library
        .getState()
        .index.entries.map((e) => e.id)
        .sort(),
    ).toEqual(['cache-result', 'demo', 'demo-2']);
  });

  it('deleting the open blueprint opens another one', async () => {
    const { storage, editor, library } = newLibrary();
    await library.getState().init();
    const id = await library.getState().createBlank();
    await library.getState().deleteBlueprint(id);
    expect(editor.getState().meta.id).toBe('cache-result');
    expect(readBlueprint(storage, id)).toBeNull();
  });

  /** Two tabs: two editors and libraries on one localStorage, both on blueprint `demo`. */
  async function twoTabs() {
    const storage = memoryStorage();
    const first = newLibrary(storage);
    await first.library.getState().init();
    await first.library.getState().importText(JSON.stringify(doc));
    await first.library.getState().flush();
    const second = newLibrary(storage);
    await second.library.getState().init();
    expect(second.editor.getState().meta.id).toBe('demo');
    // The first tab saves a rename: revision 2.
    first.library.getState().renameCurrent('Renamed in tab 1');
    await first.library.getState().flush();
    expect(readRevision(storage, 'demo')).toBe(2);
    // The second tab, still on revision 1, edits too: its save is a conflict, not an overwrite.
    second.library.getState().renameCurrent('Renamed in tab 2');
    await second.library.getState().flush();
    expect(second.library.getState().conflict).toEqual({
      blueprintId: 'demo',
      name: 'Renamed in tab 2',
      where: 'browser',
      currentRevision: 2,
    });
    expect(readBlueprint(storage, 'demo')?.name).toBe('Renamed in tab 1');
    return { storage, first, second };
  }

  it('two tabs on one blueprint: the second save is a conflict; Keep mine saves over theirs as a new revision', async () => {
    const { storage, second } = await twoTabs();
    // Further edits wait for the choice.
    second.editor.getState().rename('Still tab 2');
    await second.library.getState().flush();
    expect(readBlueprint(storage, 'demo')?.name).toBe('Renamed in tab 1');
    await second.library.getState().resolveConflict('mine');
    expect(second.library.getState().conflict).toBeNull();
    expect(readBlueprint(storage, 'demo')?.name).toBe('Still tab 2');
    expect(readRevision(storage, 'demo')).toBe(3);
    expect(second.library.getState().opened).toEqual({ id: 'demo', revision: 3 });
    // Both kept in the revisions, newest first.
    expect((await second.library.getState().listRevisions()).map((r) => [r.revision, r.name])).toEqual([
      [3, 'Still tab 2'],
      [2, 'Renamed in tab 1'],
      [1, 'Demo'],
    ]);
  });

  it('Take theirs loads the stored version; Save as copy keeps theirs and adds mine as a new blueprint', async () => {
    const theirs = await twoTabs();
    await theirs.second.library.getState().resolveConflict('theirs');
    expect(theirs.second.editor.getState().meta.name).toBe('Renamed in tab 1');
    expect(theirs.second.library.getState().opened).toEqual({ id: 'demo', revision: 2 });

    const copy = await twoTabs();
    await copy.second.library.getState().resolveConflict('copy');
    expect(readBlueprint(copy.storage, 'demo')?.name).toBe('Renamed in tab 1');
    expect(copy.second.editor.getState().meta).toMatchObject({ id: 'demo-2', name: 'Renamed in tab 2 (copy)' });
    expect(readBlueprint(copy.storage, 'demo-2')?.name).toBe('Renamed in tab 2 (copy)');
  });

  it('restores an earlier revision as a new one', async () => {
    const { storage, editor, library } = newLibrary();
    await library.getState().init();
    await library.getState().importText(JSON.stringify(doc));
    library.getState().renameCurrent('Second');
    await library.getState().flush();
    await library.getState().restoreRevision(1);
    expect(editor.getState().meta.name).toBe('Demo');
    expect(readRevision(storage, 'demo')).toBe(3);
    expect(readBlueprint(storage, 'demo')?.name).toBe('Demo');
  });

  it('a save that fails is kept and retried; Storage = Server waits until the server list loads', async () => {
    const storage = memoryStorage();
    const editor = createEditorStore();
    let down = true;
    const server = createBrowserWorkspace(memoryStorage(), { events: noEvents });
    const flaky: WorkspaceBackend = {
      ...server,
      where: 'server',
      list: () => (down ? Promise.reject(new Error('server gone')) : server.list()),
      save: (d, expected) => (down ? Promise.reject(new Error('server gone')) : server.save(d, expected)),
    };
    const library = createLibraryStore(storage, editor, { browser: createBrowserWorkspace(storage, { events: noEvents }), server: flaky });
    await library.getState().init();
    await library.getState().useWorkspace('server');
    expect(library.getState()).toMatchObject({ where: 'browser', status: 'unavailable' });
    expect(library.getState().message).toContain('server gone');
    down = false;
    await library.getState().useWorkspace('server');
    expect(library.getState()).toMatchObject({ where: 'server', status: 'ready' });
    // The server had nothing: it gets the first template.
    expect(editor.getState().meta.id).toBe('cache-result');
    down = true;
    library.getState().renameCurrent('Offline edit');
    await library.getState().flush();
    expect(library.getState().saveError).toContain('server gone');
    down = false;
    await library.getState().useWorkspace('server');
    expect(library.getState().saveError).toBeNull();
    expect((await server.get('cache-result'))?.document.name).toBe('Offline edit');
  });
});

describe('following the Storage choice', () => {
  it('moves to the server once it answers, back to the browser at once, and says so on each switch', async () => {
    const storage = memoryStorage();
    const editor = createEditorStore();
    const server = { ...createBrowserWorkspace(memoryStorage(), { events: noEvents }), where: 'server' as const };
    const library = createLibraryStore(storage, editor, { browser: createBrowserWorkspace(storage, { events: noEvents }), server });
    await library.getState().init();
    type Source = { choice: 'browser' | 'server'; status: string };
    let state: Source = { choice: 'browser', status: 'ready' };
    const listeners = new Set<(next: Source, previous: Source) => void>();
    const source = {
      getState: () => state,
      subscribe: (listener: (next: Source, previous: Source) => void) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    };
    const set = (next: Source) => {
      const previous = state;
      state = next;
      listeners.forEach((listener) => listener(next, previous));
    };
    const notices: string[] = [];
    followStorage(library, source, (where) => notices.push(where));
    const settle = () => new Promise((resolve) => setTimeout(resolve, 10));

    set({ choice: 'server', status: 'connecting' });
    await settle();
    expect(library.getState().where).toBe('browser');
    set({ choice: 'server', status: 'ready' });
    await settle();
    expect(library.getState().where).toBe('server');
    set({ choice: 'browser', status: 'ready' });
    await settle();
    expect(library.getState().where).toBe('browser');
    expect(notices).toEqual(['server', 'browser']);

    // Back to Browser while the server's library is still loading: the browser's stays.
    let release: () => void = () => {};
    const slowList = server.list;
    server.list = () => new Promise((resolve) => (release = () => resolve(slowList())));
    set({ choice: 'server', status: 'ready' });
    await settle();
    expect(library.getState().status).toBe('loading');
    set({ choice: 'browser', status: 'ready' });
    await settle();
    release();
    await settle();
    expect(library.getState()).toMatchObject({ where: 'browser', status: 'ready' });
  });
});
