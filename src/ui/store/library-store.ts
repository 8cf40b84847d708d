/**
 * The blueprint library as the shell sees it: which blueprints exist, which is open, the runs
 * of the open one, and where they all live (a workspace: this browser, or the kvb server). It
 * loads documents into the editor store and saves them back (autosave, always naming the
 * revision it loaded, so a save that would overwrite someone else's becomes a conflict for a
 * person to settle); it never edits the graph itself.
 */
import { createStore } from 'zustand/vanilla';
import { TEMPLATES, validateBlueprint } from '../../engine';
import type { BlueprintDocument, Problem, RunRecord } from '../../engine/types';
import { startAutosave, type Autosave } from './autosave';
import type { EditorStoreApi } from './editor-store';
import {
  createBrowserWorkspace,
  freeBlueprintId,
  freeBlueprintName,
  WHERE_LABELS,
  type LibraryEntry,
  type LibraryIndex,
  type RevisionEntry,
  type StorageLike,
  type StoredBlueprint,
  type WorkspaceBackend,
  type WorkspaceChange,
  type WorkspaceWhere,
} from './library';

/** The template a first visit opens, so the canvas is never empty. */
export const FIRST_TEMPLATE_ID = 'cache-result';

/** Someone else saved the open blueprint since this editor loaded it. */
export interface Conflict {
  blueprintId: string;
  name: string;
  where: WorkspaceWhere;
  /** The revision now stored (theirs). */
  currentRevision: number;
}

export type ConflictChoice = 'mine' | 'theirs' | 'copy';
export type ImportChoice = 'replace' | 'keep-both' | 'cancel';

export interface LibraryState {
  /** Where the open blueprint and the listed ones live. */
  where: WorkspaceWhere;
  /** `loading` while another workspace is being opened; `unavailable` when that failed (`message` says why). */
  status: 'loading' | 'ready' | 'unavailable';
  message: string | null;
  index: LibraryIndex;
  /** Last runs of the open blueprint, newest first. */
  runs: RunRecord[];
  /** The open blueprint and the revision this editor loaded or last saved. */
  opened: { id: string; revision: number } | null;
  conflict: Conflict | null;
  /** Why the last save did not land (the server went away); retried on the next save or reconnect. */
  saveError: string | null;
  /** An imported file whose id is already taken here, waiting for Replace or Keep both. */
  pendingImport: { document: BlueprintDocument; existingName: string } | null;
}

export type ImportOutcome = { ok: true; id: string } | { ok: false; problems: Problem[] } | { ok: 'ask'; existingName: string };

export interface LibraryActions {
  /** Opens this browser's library: the last open blueprint, or the first template. */
  init(): Promise<void>;
  /** Opens another workspace's library (Storage switched); the current one stays until it has loaded. */
  useWorkspace(where: WorkspaceWhere): Promise<void>;
  open(id: string): Promise<void>;
  createFromTemplate(templateId: string): Promise<string>;
  createBlank(): Promise<string>;
  renameCurrent(name: string): void;
  duplicateCurrent(): Promise<string>;
  deleteBlueprint(id: string): Promise<void>;
  /** Parses and validates a file's text; on success adds it and opens it, else changes nothing. */
  importText(text: string): Promise<ImportOutcome>;
  resolveImport(choice: ImportChoice): Promise<void>;
  resolveConflict(choice: ConflictChoice): Promise<void>;
  listRevisions(): Promise<RevisionEntry[]>;
  /** Makes an earlier revision the current one (saved as a new revision). */
  restoreRevision(revision: number): Promise<void>;
  /** Copies the open blueprint to the other workspace (same id when it is free there). */
  copyToOther(): Promise<{ where: WorkspaceWhere; id: string; name: string }>;
  /** Saves before a run on the server (which runs what it stores); throws when the save did not land. */
  saveForRun(): Promise<void>;
  recordRun(record: RunRecord): Promise<void>;
  refresh(): Promise<void>;
  /** Saves pending edits now; resolves when they landed (or did not: see `conflict`, `saveError`). */
  flush(): Promise<void>;
}

export type LibraryStore = LibraryState & LibraryActions;

export interface LibraryOptions {
  /** The server workspace; without one, Storage = Server keeps blueprints in the browser. */
  server?: WorkspaceBackend;
  browser?: WorkspaceBackend;
  notify?: (tone: 'info' | 'success' | 'error', message: string) => void;
  autosaveDelayMs?: number;
}

function templateById(id: string) {
  return TEMPLATES.find((t) => t.id === id) ?? TEMPLATES[0];
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

export function createLibraryStore(storage: StorageLike, editor: EditorStoreApi, options: LibraryOptions = {}) {
  const backends: Record<WorkspaceWhere, WorkspaceBackend> = {
    browser: options.browser ?? createBrowserWorkspace(storage),
    server: options.server ?? options.browser ?? createBrowserWorkspace(storage),
  };
  const notify = options.notify ?? (() => {});
  let backend = backends.browser;
  let autosave: Autosave | null = null;
  let unsubscribe: (() => void) | null = null;
  /** Bumped by every workspace switch, so a slow load of an earlier one cannot win. */
  let switches = 0;
  /** The workspace being opened now, so asking again waits for it instead of opening it twice. */
  let pendingLoad: { where: WorkspaceWhere; promise: Promise<void> } | null = null;
  let queued: BlueprintDocument | null = null;
  let saving: Promise<void> | null = null;

  return createStore<LibraryStore>()((set, get) => {
    const updateEntry = (doc: BlueprintDocument, revision: number) => {
      const entry: LibraryEntry = { id: doc.id, name: doc.name, updatedAt: new Date().toISOString(), revision };
      const { entries, currentId } = get().index;
      const next = entries.some((e) => e.id === doc.id) ? entries.map((e) => (e.id === doc.id ? entry : e)) : [...entries, entry];
      set({ index: { entries: next, currentId } });
    };

    /** Saves the queued document, one save at a time, each naming the revision the last one left. */
    const drain = async () => {
      while (queued !== null) {
        const { opened: open, conflict } = get();
        const doc: BlueprintDocument = queued;
        // A document of a blueprint no longer open (deleted, or another workspace took over) is dropped.
        if (!open || doc.id !== open.id) {
          queued = null;
          break;
        }
        if (conflict) break;
        queued = null;
        const target = backend;
        try {
          const outcome = await target.save(doc, open.revision);
          if (target !== backend || get().opened?.id !== doc.id) continue;
          if (outcome.ok) {
            set({ opened: { id: doc.id, revision: outcome.revision }, saveError: null });
            updateEntry(doc, outcome.revision);
          } else {
            set({ conflict: { blueprintId: doc.id, name: doc.name, where: target.where, currentRevision: outcome.currentRevision } });
          }
        } catch (error) {
          // Kept for the next attempt, unless newer edits came meanwhile.
          queued ??= doc;
          const message = `Not saved: ${messageOf(error)}`;
          if (get().saveError !== message) notify('error', message);
          set({ saveError: message });
          break;
        }
      }
    };

    const persist = (doc: BlueprintDocument): Promise<void> => {
      queued = doc;
      if (!saving) {
        saving = drain().finally(() => {
          saving = null;
        });
      }
      return saving;
    };

    const flushSaves = async () => {
      autosave?.flush();
      if (saving) await saving;
      // Edits that came while the last save was in flight.
      if (queued && !saving) await persist(queued);
    };

    const refreshRuns = async () => {
      const id = get().opened?.id;
      if (!id) return;
      try {
        const runs = await backend.runs(id);
        if (get().opened?.id === id) set({ runs });
      } catch {
        // The history stays as it was; the next run or reconnect refreshes it.
      }
    };

    const refreshList = async () => {
      try {
        const entries = await backend.list();
        set({ index: { entries, currentId: get().index.currentId } });
      } catch {
        // Keep the last list shown.
      }
    };

    const openStored = async ({ document, revision }: StoredBlueprint) => {
      await flushSaves();
      autosave?.cancel();
      queued = null;
      editor.getState().load(document);
      backend.setCurrentId(document.id);
      set({
        index: { ...get().index, currentId: document.id },
        opened: { id: document.id, revision },
        conflict: null,
        saveError: null,
        runs: [],
      });
      await refreshRuns();
    };

    /** Adds a new document under a free id and name, saves it and opens it. */
    const addDocument = async (doc: BlueprintDocument, sameName = false): Promise<string> => {
      const entries = await backend.list();
      const index = { entries, currentId: get().index.currentId };
      const fresh: BlueprintDocument = {
        ...structuredClone(doc),
        id: freeBlueprintId(index, doc.id),
        name: sameName ? doc.name : freeBlueprintName(index, doc.name),
      };
      await flushSaves();
      const stored = await backend.create(fresh);
      set({
        index: {
          entries: [...entries, { id: fresh.id, name: fresh.name, updatedAt: new Date().toISOString(), revision: stored.revision }],
          currentId: fresh.id,
        },
      });
      await openStored({ document: fresh, revision: stored.revision });
      return fresh.id;
    };

    /** A person's action waits for a workspace being opened, so it lands in the one they see next. */
    const settled = async () => {
      while (pendingLoad) await pendingLoad.promise.catch(() => {});
    };

    const openFirst = async () => {
      const template = templateById(FIRST_TEMPLATE_ID);
      if (template) await addDocument(template.document);
    };

    const onChange = (change: WorkspaceChange) => {
      if (change.kind === 'blueprints') void refreshList();
      else if (change.blueprintId === get().opened?.id) void refreshRuns();
    };

    const load = (next: WorkspaceBackend): Promise<void> => {
      if (pendingLoad?.where === next.where) return pendingLoad.promise;
      const promise = loadNow(next).finally(() => {
        if (pendingLoad?.promise === promise) pendingLoad = null;
      });
      pendingLoad = { where: next.where, promise };
      return promise;
    };

    /** Loads `next`'s list and opens its last blueprint (or seeds it); the store moves to it only if that worked. */
    const loadNow = async (next: WorkspaceBackend) => {
      const ticket = ++switches;
      if (next !== backend) set({ status: 'loading', message: null });
      try {
        const entries = await next.list();
        const remembered = next.currentId();
        const wanted = entries.find((e) => e.id === remembered)?.id ?? entries[0]?.id ?? null;
        const stored = wanted ? await next.get(wanted) : null;
        if (ticket !== switches) return;
        await flushSaves();
        if (ticket !== switches) return;
        unsubscribe?.();
        if (next !== backend) {
          // Nothing of the blueprint open until now may be saved into the other workspace.
          autosave?.cancel();
          queued = null;
          set({ opened: null, conflict: null });
        }
        backend = next;
        set({ where: next.where, index: { entries, currentId: wanted }, status: 'ready', message: null });
        unsubscribe = next.subscribe(onChange);
        if (stored) await openStored(stored);
        else await openFirst();
      } catch (error) {
        if (ticket !== switches) return;
        set({ status: 'unavailable', message: `The ${WHERE_LABELS[next.where]} blueprints cannot be opened: ${messageOf(error)}` });
      }
    };

    return {
      where: 'browser',
      status: 'loading',
      message: null,
      index: { entries: [], currentId: null },
      runs: [],
      opened: null,
      conflict: null,
      saveError: null,
      pendingImport: null,

      async init() {
        autosave?.stop();
        autosave = startAutosave(
          editor,
          (doc) => void persist(doc),
          options.autosaveDelayMs === undefined ? {} : { delayMs: options.autosaveDelayMs },
        );
        await load(backends.browser);
      },

      async useWorkspace(where) {
        const next = backends[where];
        if (next === backend && get().opened && pendingLoad?.where !== where) {
          // Same place, maybe back online (or a switch elsewhere that failed is given up):
          // retry what did not save, and catch up.
          ++switches;
          set({ status: 'ready', message: null });
          await flushSaves();
          await Promise.all([refreshList(), refreshRuns()]);
          return;
        }
        await load(next);
      },

      async open(id) {
        await settled();
        if (id === get().opened?.id) return;
        try {
          const stored = await backend.get(id);
          if (stored) await openStored(stored);
          else notify('error', `“${id}” is no longer in the ${WHERE_LABELS[backend.where]} workspace.`);
        } catch (error) {
          notify('error', messageOf(error));
        }
      },

      async createFromTemplate(templateId) {
        await settled();
        const template = templateById(templateId);
        if (!template) throw new Error(`Unknown template ${templateId}`);
        return addDocument(template.document);
      },

      async createBlank() {
        await settled();
        return addDocument({
          format: 'kv-blueprint/1',
          id: 'blueprint',
          name: 'Untitled blueprint',
          nodes: [{ id: 'start', type: 'start', position: { x: 0, y: 0 }, data: { sampleInput: {} } }],
          edges: [],
        });
      },

      renameCurrent(name) {
        const trimmed = name.trim();
        if (trimmed === '') return;
        editor.getState().rename(trimmed);
        void flushSaves();
      },

      async duplicateCurrent() {
        await settled();
        await flushSaves();
        const doc = editor.getState().toDocument();
        return addDocument({ ...doc, name: `${doc.name} (copy)` });
      },

      async deleteBlueprint(id) {
        await settled();
        const wasOpen = get().opened?.id === id;
        if (wasOpen) {
          autosave?.cancel();
          queued = null;
          set({ opened: null, conflict: null });
        }
        await backend.remove(id);
        const entries = get().index.entries.filter((e) => e.id !== id);
        set({ index: { entries, currentId: wasOpen ? null : get().index.currentId } });
        if (!wasOpen) return;
        const next = entries[0] ? await backend.get(entries[0].id) : null;
        if (next) await openStored(next);
        else await openFirst();
      },

      async importText(text) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch (error) {
          return { ok: false, problems: [{ path: '(file)', message: `Not JSON: ${(error as Error).message}` }] };
        }
        const result = validateBlueprint(parsed);
        if (!result.ok) return { ok: false, problems: result.problems };
        await settled();
        const existing = get().index.entries.find((e) => e.id === result.document.id);
        if (existing) {
          set({ pendingImport: { document: result.document, existingName: existing.name } });
          return { ok: 'ask', existingName: existing.name };
        }
        return { ok: true, id: await addDocument(result.document, true) };
      },

      async resolveImport(choice) {
        await settled();
        const pending = get().pendingImport;
        set({ pendingImport: null });
        if (!pending || choice === 'cancel') return;
        const { document } = pending;
        if (choice === 'keep-both') {
          await addDocument(document);
          return;
        }
        // Replace: a new revision of the stored blueprint, whoever saved it last.
        await flushSaves();
        const stored = await backend.get(document.id);
        if (!stored) {
          await addDocument(document, true);
          return;
        }
        const outcome = await backend.save(document, stored.revision);
        if (!outcome.ok) throw new Error(`“${pending.existingName}” changed while importing; import again.`);
        updateEntry(document, outcome.revision);
        if (get().opened?.id === document.id) set({ opened: null });
        await openStored({ document, revision: outcome.revision });
      },

      async resolveConflict(choice) {
        const conflict = get().conflict;
        if (!conflict || conflict.blueprintId !== get().opened?.id) return;
        autosave?.cancel();
        queued = null;
        const mine = editor.getState().toDocument();
        if (choice === 'mine') {
          // Revision 0: they deleted it; mine brings it back.
          const outcome =
            conflict.currentRevision === 0
              ? { ok: true as const, revision: (await backend.create(mine)).revision }
              : await backend.save(mine, conflict.currentRevision);
          if (outcome.ok) {
            set({ conflict: null, opened: { id: mine.id, revision: outcome.revision }, saveError: null });
            updateEntry(mine, outcome.revision);
          } else set({ conflict: { ...conflict, currentRevision: outcome.currentRevision } });
          return;
        }
        if (choice === 'theirs') {
          const theirs = await backend.get(conflict.blueprintId);
          set({ conflict: null, opened: null });
          if (theirs) await openStored(theirs);
          else await addDocument(mine, true);
          return;
        }
        // Save as copy: theirs stays under the id; mine becomes a new blueprint.
        set({ conflict: null, opened: null });
        await addDocument({ ...mine, name: `${mine.name} (copy)` });
      },

      async listRevisions() {
        const id = get().opened?.id;
        return id ? backend.revisions(id) : [];
      },

      async restoreRevision(revision) {
        const open = get().opened;
        if (!open) return;
        await flushSaves();
        const earlier = await backend.revision(open.id, revision);
        const doc = { ...earlier, id: open.id };
        editor.getState().load(doc);
        await persist(doc);
      },

      async copyToOther() {
        await settled();
        await flushSaves();
        const target = backends[backend.where === 'browser' ? 'server' : 'browser'];
        if (target === backend) throw new Error('There is no other workspace to copy to');
        const doc = editor.getState().toDocument();
        const index = { entries: await target.list(), currentId: null };
        const copy = { ...doc, id: freeBlueprintId(index, doc.id), name: freeBlueprintName(index, doc.name) };
        await target.create(copy);
        return { where: target.where, id: copy.id, name: copy.name };
      },

      async saveForRun() {
        await flushSaves();
        const { conflict, saveError } = get();
        if (conflict) throw new Error('Not run: someone else saved this blueprint meanwhile. Choose in the Conflict dialog first.');
        if (saveError) throw new Error(`Not run: the last edits are not on the server yet (${saveError})`);
      },

      async recordRun(record) {
        try {
          const note = await backend.addRun(record);
          if (note) notify('info', note);
        } catch (error) {
          notify('error', `The run was not kept: ${messageOf(error)}`);
        }
        if (record.blueprintId === get().opened?.id) await refreshRuns();
      },

      async refresh() {
        await Promise.all([refreshList(), refreshRuns()]);
      },

      flush: flushSaves,
    };
  });
}

export type LibraryStoreApi = ReturnType<typeof createLibraryStore>;

/** What `followStorage` needs of the Storage select's state. */
export interface StorageSource {
  getState(): { choice: WorkspaceWhere; status: string };
  subscribe(
    listener: (state: { choice: WorkspaceWhere; status: string }, previous: { choice: WorkspaceWhere; status: string }) => void,
  ): () => void;
}

/**
 * Keeps the library on the workspace the Storage select names: Server once the server answers
 * (and again after it comes back, which retries unsaved edits), Browser at once.
 */
export function followStorage(library: LibraryStoreApi, storage: StorageSource, onSwitch?: (where: WorkspaceWhere) => void): () => void {
  const sync = (state: { choice: WorkspaceWhere; status: string }) => {
    if (state.choice === 'browser') {
      const { where, status } = library.getState();
      // Also while the server's library is still loading: the browser's stays.
      if (where !== 'browser' || status !== 'ready') void library.getState().useWorkspace('browser');
    } else if (state.status === 'ready') void library.getState().useWorkspace('server');
  };
  sync(storage.getState());
  return storage.subscribe((state, previous) => {
    if (state.choice !== previous.choice) onSwitch?.(state.choice);
    if (state.choice !== previous.choice || state.status !== previous.status) sync(state);
  });
}
