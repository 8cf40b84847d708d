/**
 * The blueprint library: several blueprints, the one that is open, and the last runs of
 * each, kept in the browser's localStorage (synchronous, so a reload finds everything at
 * once). Pure functions over a `StorageLike`, so tests use a Map.
 */
import { boundedRecord } from '../../engine/record-bounds';
import type { BlueprintDocument, RunRecord } from '../../engine/types';

export interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export interface LibraryEntry {
  id: string;
  name: string;
  updatedAt: string;
  /** The stored revision, when the workspace counts them. */
  revision?: number;
}

export interface LibraryIndex {
  entries: LibraryEntry[];
  currentId: string | null;
}

/** Runs kept per blueprint. */
export const RUNS_KEPT = 20;
/**
 * Largest run kept in the history, as JSON (a long run already keeps only its first and last
 * steps; this bounds big values). localStorage holds about 5 MB per site for everything.
 */
export const RUN_HISTORY_RECORD_MAX_BYTES = 256 * 1024;
/** What a run is cut to when even alone it does not fit in a full localStorage. */
const RUN_HISTORY_LAST_RESORT_BYTES = 16 * 1024;

const PREFIX = 'kvb.editor.v1';
const INDEX_KEY = `${PREFIX}.index`;
const docKey = (id: string) => `${PREFIX}.blueprint.${id}`;
const runsKey = (id: string) => `${PREFIX}.runs.${id}`;

function readJson<T>(storage: StorageLike, key: string): T | null {
  const raw = storage.getItem(key);
  if (raw === null) return null;
  try {
    return JSON.parse(raw) as T;
  } catch {
    // A damaged entry is treated as absent rather than breaking the editor on load.
    return null;
  }
}

export function readIndex(storage: StorageLike): LibraryIndex {
  const index = readJson<LibraryIndex>(storage, INDEX_KEY);
  if (!index || !Array.isArray(index.entries)) return { entries: [], currentId: null };
  return index;
}

export function writeIndex(storage: StorageLike, index: LibraryIndex): void {
  storage.setItem(INDEX_KEY, JSON.stringify(index));
}

export function readBlueprint(storage: StorageLike, id: string): BlueprintDocument | null {
  return readJson<BlueprintDocument>(storage, docKey(id));
}

/** Saves a document and refreshes its index entry (name, time); returns the new index. */
export function saveBlueprint(storage: StorageLike, index: LibraryIndex, doc: BlueprintDocument, now = new Date()): LibraryIndex {
  storage.setItem(docKey(doc.id), JSON.stringify(doc));
  const entry: LibraryEntry = { id: doc.id, name: doc.name, updatedAt: now.toISOString() };
  const exists = index.entries.some((e) => e.id === doc.id);
  const entries = exists ? index.entries.map((e) => (e.id === doc.id ? entry : e)) : [...index.entries, entry];
  const next = { ...index, entries };
  writeIndex(storage, next);
  return next;
}

export function removeBlueprint(storage: StorageLike, index: LibraryIndex, id: string): LibraryIndex {
  storage.removeItem(docKey(id));
  storage.removeItem(runsKey(id));
  const entries = index.entries.filter((e) => e.id !== id);
  const currentId = index.currentId === id ? (entries[0]?.id ?? null) : index.currentId;
  const next = { entries, currentId };
  writeIndex(storage, next);
  return next;
}

/** An id not yet used in the library, derived from `wanted` (`cache-demo`, `cache-demo-2`…). */
export function freeBlueprintId(index: LibraryIndex, wanted: string): string {
  const taken = new Set(index.entries.map((e) => e.id));
  const base = wanted.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 60) || 'blueprint';
  if (!taken.has(base)) return base;
  for (let n = 2; ; n += 1) if (!taken.has(`${base}-${n}`)) return `${base}-${n}`;
}

/** A name not yet used in the library (`Counter`, `Counter (2)`…). */
export function freeBlueprintName(index: LibraryIndex, wanted: string): string {
  const taken = new Set(index.entries.map((e) => e.name));
  if (!taken.has(wanted)) return wanted;
  for (let n = 2; ; n += 1) if (!taken.has(`${wanted} (${n})`)) return `${wanted} (${n})`;
}

export function readRuns(storage: StorageLike, blueprintId: string): RunRecord[] {
  const runs = readJson<RunRecord[]>(storage, runsKey(blueprintId));
  return Array.isArray(runs) ? runs : [];
}

/** What storing a run in the history did. */
export interface AppendedRun {
  /** The blueprint's runs, newest first, as the history now shows them. */
  runs: RunRecord[];
  /** What had to give way because localStorage was full, for a person to read; null when nothing did. */
  note: string | null;
}

/**
 * Adds a run to its blueprint's history: newest first, at most RUNS_KEPT, each within
 * RUN_HISTORY_RECORD_MAX_BYTES. It never fails: when localStorage is full (or refuses), the
 * oldest runs are dropped until the new one fits; when even it alone does not fit, it is cut
 * further, and at worst kept for this visit only. `note` says which happened.
 */
export function appendRun(storage: StorageLike, record: RunRecord): AppendedRun {
  const key = runsKey(record.blueprintId);
  const fresh = boundedRecord(record, RUN_HISTORY_RECORD_MAX_BYTES, 'a run kept in this browser');
  const runs = [fresh, ...readRuns(storage, record.blueprintId)].slice(0, RUNS_KEPT);
  const tryStore = (list: RunRecord[]): boolean => {
    try {
      storage.setItem(key, JSON.stringify(list));
      return true;
    } catch {
      // QuotaExceededError, or storage blocked: the caller makes room and tries again.
      return false;
    }
  };
  for (let kept = runs.length; kept >= 1; kept--) {
    const list = runs.slice(0, kept);
    if (!tryStore(list)) continue;
    const dropped = runs.length - kept;
    const note =
      dropped === 0
        ? null
        : `The browser's storage is full: the ${dropped} oldest ${dropped === 1 ? 'run' : 'runs'} of this blueprint ${dropped === 1 ? 'was' : 'were'} dropped from Last runs to keep this one.`;
    return { runs: list, note };
  }
  const cut = boundedRecord(record, RUN_HISTORY_LAST_RESORT_BYTES, 'a run kept in a full browser storage');
  if (tryStore([cut])) {
    return {
      runs: [cut],
      note: "The browser's storage is full: this blueprint's earlier runs were dropped and this run's large values were left out.",
    };
  }
  return {
    runs,
    note: "The browser's storage is full: this run is in Last runs until the page is reloaded, but it could not be saved.",
  };
}

/* ------------------------------------------------------------------------------------------ */
/* Workspaces: where blueprints and their run history live (this browser, or the kvb server). */

export type WorkspaceWhere = 'browser' | 'server';

export const WHERE_LABELS: Record<WorkspaceWhere, string> = { browser: 'Browser', server: 'Server' };

export interface StoredBlueprint {
  document: BlueprintDocument;
  /** 1 on create, +1 on every save: a save names the revision it started from. */
  revision: number;
}

export interface RevisionEntry {
  revision: number;
  savedAt: string;
  name: string;
}

/** A save either lands (the new revision) or finds that someone else saved first. */
export type SaveOutcome = { ok: true; revision: number } | { ok: false; currentRevision: number };

/**
 * What the library store needs of a place that keeps blueprints. Browser and Server look the
 * same to it; every call may fail (a server that went away), which the store reports.
 */
export interface WorkspaceBackend {
  readonly where: WorkspaceWhere;
  list(): Promise<LibraryEntry[]>;
  get(id: string): Promise<StoredBlueprint | null>;
  /** Adds a blueprint whose id is free (the caller picked it); revision 1. */
  create(doc: BlueprintDocument): Promise<StoredBlueprint>;
  /** Saves only when `expected` is still the stored revision. */
  save(doc: BlueprintDocument, expected: number): Promise<SaveOutcome>;
  remove(id: string): Promise<void>;
  /** Newest first. */
  revisions(id: string): Promise<RevisionEntry[]>;
  revision(id: string, revision: number): Promise<BlueprintDocument>;
  /** Newest first. */
  runs(id: string): Promise<RunRecord[]>;
  /** Keeps a finished run where this workspace keeps runs (the server already has its own). */
  /** Resolves to a note when older runs had to give way (a full browser storage), else null. */
  addRun(record: RunRecord): Promise<string | null>;
  /** The blueprint this workspace opened last (per browser). */
  currentId(): string | null;
  setCurrentId(id: string | null): void;
  /** Calls `onChange` when another tab or client changed blueprints or finished a run. */
  subscribe(onChange: (change: WorkspaceChange) => void): () => void;
}

export type WorkspaceChange = { kind: 'blueprints' } | { kind: 'runs'; blueprintId: string };

/** The revisions kept per blueprint (the server keeps as many). */
export const REVISIONS_KEPT = 50;

const revisionKey = (id: string) => `${PREFIX}.revision.${id}`;
const revisionsKey = (id: string) => `${PREFIX}.revisions.${id}`;

/** A browser blueprint's revision; one saved before revisions existed counts as 1. */
export function readRevision(storage: StorageLike, id: string): number {
  const raw = Number(storage.getItem(revisionKey(id)));
  return Number.isInteger(raw) && raw > 0 ? raw : storage.getItem(docKey(id)) === null ? 0 : 1;
}

/** Characters of kept revisions per browser blueprint: localStorage holds about 5 million in all. */
export const REVISION_CHARS_KEPT = 400_000;

const revisionDocKey = (id: string, revision: number) => `${PREFIX}.revisionDoc.${id}.${revision}`;

interface KeptRevision extends RevisionEntry {
  /** Length of the stored document's JSON. */
  chars: number;
}

function readKept(storage: StorageLike, id: string): KeptRevision[] {
  const kept = readJson<KeptRevision[]>(storage, revisionsKey(id));
  return Array.isArray(kept) ? kept : [];
}

/**
 * Keeps `doc` as a revision: each in its own key (a save writes one document, not all 50),
 * listed newest first; the oldest go past REVISIONS_KEPT, past REVISION_CHARS_KEPT, or when
 * localStorage is full (the blueprint itself matters more than its history).
 */
function keepRevision(storage: StorageLike, doc: BlueprintDocument, revision: number, now: Date): void {
  const text = JSON.stringify(doc);
  const list = [{ revision, savedAt: now.toISOString(), name: doc.name, chars: text.length }, ...readKept(storage, doc.id)];
  let keep = 0;
  let chars = 0;
  while (keep < list.length && keep < REVISIONS_KEPT && (keep === 0 || chars + list[keep]!.chars <= REVISION_CHARS_KEPT)) {
    chars += list[keep]!.chars;
    keep += 1;
  }
  for (;;) {
    for (const dropped of list.splice(keep)) storage.removeItem(revisionDocKey(doc.id, dropped.revision));
    try {
      storage.setItem(revisionDocKey(doc.id, revision), text);
      storage.setItem(revisionsKey(doc.id), JSON.stringify(list));
      return;
    } catch {
      if (keep <= 1) {
        // Not even this one fits: the blueprint is saved without history.
        storage.removeItem(revisionDocKey(doc.id, revision));
        storage.removeItem(revisionsKey(doc.id));
        return;
      }
      keep = Math.floor(keep / 2);
    }
  }
}

function forgetRevisions(storage: StorageLike, id: string): void {
  for (const kept of readKept(storage, id)) storage.removeItem(revisionDocKey(id, kept.revision));
  storage.removeItem(revisionsKey(id));
}

export interface BrowserWorkspaceOptions {
  /** Where `storage` events come from (another tab wrote localStorage); default `globalThis`. */
  events?: Pick<EventTarget, 'addEventListener' | 'removeEventListener'>;
  now?: () => Date;
}

/**
 * Blueprints in this browser's localStorage. Each has a revision counter beside it, so two tabs
 * on one blueprint notice each other: a save names the revision its tab loaded, and localStorage
 * is shared by the tabs, so the second tab's save finds a newer one and becomes a conflict.
 */
export function createBrowserWorkspace(storage: StorageLike, options: BrowserWorkspaceOptions = {}): WorkspaceBackend {
  const now = options.now ?? (() => new Date());
  const write = (doc: BlueprintDocument, revision: number) => {
    const at = now();
    try {
      saveBlueprint(storage, readIndex(storage), doc, at);
    } catch {
      // localStorage is full: the kept revisions of this blueprint make room for the document.
      forgetRevisions(storage, doc.id);
      saveBlueprint(storage, readIndex(storage), doc, at);
    }
    storage.setItem(revisionKey(doc.id), String(revision));
    keepRevision(storage, doc, revision, at);
  };
  return {
    where: 'browser',
    list: async () => readIndex(storage).entries.map((entry) => ({ ...entry, revision: readRevision(storage, entry.id) })),
    async get(id) {
      const document = readBlueprint(storage, id);
      return document ? { document, revision: readRevision(storage, id) } : null;
    },
    async create(doc) {
      if (readBlueprint(storage, doc.id)) throw new Error(`A blueprint with id '${doc.id}' is already in this browser`);
      write(doc, 1);
      return { document: doc, revision: 1 };
    },
    async save(doc, expected) {
      const current = readRevision(storage, doc.id);
      if (current !== 0 && current !== expected) return { ok: false, currentRevision: current };
      write(doc, current + 1);
      return { ok: true, revision: current + 1 };
    },
    async remove(id) {
      removeBlueprint(storage, readIndex(storage), id);
      storage.removeItem(revisionKey(id));
      forgetRevisions(storage, id);
    },
    async revisions(id) {
      return readKept(storage, id).map(({ revision, savedAt, name }) => ({ revision, savedAt, name }));
    },
    async revision(id, revision) {
      const document = readJson<BlueprintDocument>(storage, revisionDocKey(id, revision));
      if (!document) throw new Error(`Revision ${revision} of '${id}' is no longer kept in this browser`);
      return document;
    },
    runs: async (id) => readRuns(storage, id),
    async addRun(record) {
      return appendRun(storage, record).note;
    },
    currentId: () => readIndex(storage).currentId,
    setCurrentId(id) {
      writeIndex(storage, { ...readIndex(storage), currentId: id });
    },
    subscribe(onChange) {
      const events = options.events ?? (globalThis as Partial<EventTarget>);
      if (typeof events.addEventListener !== 'function' || typeof events.removeEventListener !== 'function') return () => {};
      const listener = (event: Event) => {
        const key = (event as StorageEvent).key;
        if (key === null || key === INDEX_KEY || key.startsWith(`${PREFIX}.revision.`)) onChange({ kind: 'blueprints' });
        else if (key.startsWith(`${PREFIX}.runs.`)) onChange({ kind: 'runs', blueprintId: key.slice(`${PREFIX}.runs.`.length) });
      };
      events.addEventListener('storage', listener);
      return () => events.removeEventListener?.('storage', listener);
    },
  };
}
