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
