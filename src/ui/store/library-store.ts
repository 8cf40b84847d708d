/**
 * The blueprint library as the shell sees it: which blueprints exist, which is open, the runs
 * of the open one. It loads documents into the editor store and saves them back (autosave);
 * it never edits the graph itself.
 */
import { createStore } from 'zustand/vanilla';
import { TEMPLATES, validateBlueprint } from '../../engine';
import type { BlueprintDocument, Problem, RunRecord } from '../../engine/types';
import { startAutosave, type Autosave } from './autosave';
import type { EditorStoreApi } from './editor-store';
import {
  appendRun,
  freeBlueprintId,
  freeBlueprintName,
  readBlueprint,
  readIndex,
  readRuns,
  removeBlueprint,
  saveBlueprint,
  writeIndex,
  type LibraryIndex,
  type StorageLike,
} from './library';

/** The template a first visit opens, so the canvas is never empty. */
export const FIRST_TEMPLATE_ID = 'cache-result';

export interface LibraryState {
  index: LibraryIndex;
  /** Last runs of the open blueprint, newest first. */
  runs: RunRecord[];
}

export type ImportOutcome = { ok: true; id: string } | { ok: false; problems: Problem[] };

export interface LibraryActions {
  /** Opens the last open blueprint, or seeds the library from the first template. */
  init(): void;
  open(id: string): void;
  createFromTemplate(templateId: string): string;
  createBlank(): string;
  renameCurrent(name: string): void;
  duplicateCurrent(): string;
  deleteBlueprint(id: string): void;
  /** Parses and validates a file's text; on success adds it and opens it, else changes nothing. */
  importText(text: string): ImportOutcome;
  /** Keeps a finished run in the history; returns what had to give way when storage was full, else null. */
  recordRun(record: RunRecord): string | null;
  flush(): void;
}

export type LibraryStore = LibraryState & LibraryActions;

function templateById(id: string) {
  return TEMPLATES.find((t) => t.id === id) ?? TEMPLATES[0];
}

export function createLibraryStore(storage: StorageLike, editor: EditorStoreApi) {
  let autosave: Autosave | null = null;

  return createStore<LibraryStore>()((set, get) => {
    const persist = (doc: BlueprintDocument) => {
      set({ index: saveBlueprint(storage, get().index, doc) });
    };

    const openDocument = (doc: BlueprintDocument) => {
      autosave?.flush();
      editor.getState().load(doc);
      const index = { ...get().index, currentId: doc.id };
      writeIndex(storage, index);
      set({ index, runs: readRuns(storage, doc.id) });
    };

    /** Adds a new document under a free id and name, saves it and opens it. */
    const addDocument = (doc: BlueprintDocument): string => {
      const index = get().index;
      const fresh: BlueprintDocument = {
        ...structuredClone(doc),
        id: freeBlueprintId(index, doc.id),
        name: freeBlueprintName(index, doc.name),
      };
      set({ index: saveBlueprint(storage, index, fresh) });
      openDocument(fresh);
      return fresh.id;
    };

    return {
      index: { entries: [], currentId: null },
      runs: [],

      init() {
        autosave?.stop();
        const index = readIndex(storage);
        set({ index });
        const wanted = index.currentId ?? index.entries[0]?.id ?? null;
        const doc = wanted ? readBlueprint(storage, wanted) : null;
        if (doc) openDocument(doc);
        else {
          const template = templateById(FIRST_TEMPLATE_ID);
          if (template) addDocument(template.document);
        }
        autosave = startAutosave(editor, persist);
      },

      open(id) {
        if (id === get().index.currentId) return;
        const doc = readBlueprint(storage, id);
        if (doc) openDocument(doc);
      },

      createFromTemplate(templateId) {
        const template = templateById(templateId);
        if (!template) throw new Error(`Unknown template ${templateId}`);
        return addDocument(template.document);
      },

      createBlank() {
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
        autosave?.flush();
      },

      duplicateCurrent() {
        autosave?.flush();
        const doc = editor.getState().toDocument();
        return addDocument({ ...doc, name: `${doc.name} (copy)` });
      },

      deleteBlueprint(id) {
        const wasOpen = get().index.currentId === id;
        const index = removeBlueprint(storage, get().index, id);
        set({ index });
        if (!wasOpen) return;
        const next = index.currentId ? readBlueprint(storage, index.currentId) : null;
        if (next) openDocument(next);
        else {
          const template = templateById(FIRST_TEMPLATE_ID);
          if (template) addDocument(template.document);
        }
      },

      importText(text) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch (error) {
          return { ok: false, problems: [{ path: '(file)', message: `Not JSON: ${(error as Error).message}` }] };
        }
        const result = validateBlueprint(parsed);
        if (!result.ok) return { ok: false, problems: result.problems };
        return { ok: true, id: addDocument(result.document) };
      },

      recordRun(record) {
        const { runs, note } = appendRun(storage, record);
        if (record.blueprintId === get().index.currentId) set({ runs });
        return note;
      },

      flush() {
        autosave?.flush();
      },
    };
  });
}

export type LibraryStoreApi = ReturnType<typeof createLibraryStore>;
