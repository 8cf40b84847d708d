/**
 * The server's storage seam: everything `kvb serve` and `kvb` keep, as the interfaces a backend
 * implements. Routes and the CLI see only these; which database is behind them is decided once,
 * by `openServerStorage` (`index.ts`) from a location.
 */
import type { BlueprintDocument, RunEvent, RunningRecord, RunRecord } from '../../engine/types';
import type { BlueprintRevision, BlueprintSummary } from '../../kv/api-schema';
import { KvError } from '../../kv/errors';
import type { JsonValue, KeyValueStore } from '../../kv/types';
import type { EventRelay } from '../http/event-bus';

export interface SavedBlueprint {
  created: boolean;
  summary: BlueprintSummary;
}

/** A stored blueprint: the document and its revision (1 on create, +1 on every save). */
export interface StoredBlueprint {
  document: BlueprintDocument;
  revision: number;
  updatedAt: string;
}

/** How many revisions of a blueprint are kept (the current one included); older ones are dropped. */
export const REVISIONS_KEPT_PER_BLUEPRINT = 50;

/**
 * A save that names the revision it was based on (`If-Match`) found another one stored: nothing
 * was written. `currentRevision` is 0 when the blueprint no longer exists.
 */
export class RevisionConflictError extends Error {
  override readonly name = 'RevisionConflictError';
  readonly code = 'conflict';
  constructor(
    readonly blueprintId: string,
    readonly currentRevision: number,
    basedOn: number,
  ) {
    super(
      currentRevision === 0
        ? `Blueprint '${blueprintId}' no longer exists; the save was based on revision ${basedOn}`
        : `Blueprint '${blueprintId}' is at revision ${currentRevision}, not ${basedOn}: someone else saved it meanwhile. Nothing was changed; load revision ${currentRevision} (or save without If-Match to overwrite it)`,
    );
  }
}

/** A run refused because its company already has as many executing as the server allows. */
export class TooManyRunsError extends Error {
  override readonly name = 'TooManyRunsError';
  readonly code = 'too_many_runs';
  constructor(running: number, limit: number) {
    super(
      `${running} runs of this company are already executing, the most this server allows at once (KVB_MAX_RUNS=${limit}): retry when one has finished`,
    );
  }
}

/** Blueprints saved on the server, per companyId, sealed at rest, with their last revisions. */
export interface BlueprintStore {
  /** Summaries (with `revision`), sorted by name, then id. */
  list(companyId: string): Promise<BlueprintSummary[]>;
  get(companyId: string, id: string): Promise<StoredBlueprint | null>;
  /**
   * Saves `document` as a new revision. `create` refuses an existing id with `already_exists`.
   * With `ifRevision`, saves only if that is the stored revision, else throws
   * `RevisionConflictError` and changes nothing. Keeps the last `REVISIONS_KEPT_PER_BLUEPRINT`.
   */
  save(
    companyId: string,
    document: BlueprintDocument,
    mode: 'create' | 'upsert',
    options?: { ifRevision?: number },
  ): Promise<SavedBlueprint>;
  /** Deletes the blueprint, its revisions and its run history; false when there was none. */
  delete(companyId: string, id: string): Promise<boolean>;
  /** The kept revisions, newest first; null when there is no such blueprint. */
  revisions(companyId: string, id: string): Promise<BlueprintRevision[] | null>;
  /** The document as saved in revision `revision`; null when that revision is not kept. */
  revision(companyId: string, id: string, revision: number): Promise<BlueprintDocument | null>;
}

/** A run record as stored, and when a sandbox run's changes were applied (null: not yet). */
export interface StoredRun {
  record: RunRecord;
  appliedAt: string | null;
}

/** Server-side run records, per companyId and blueprint, newest first, bounded (`run-records.ts`). */
export interface RunStore {
  /** Stores the record within the bounds and returns what was stored. */
  add(companyId: string, record: RunRecord): Promise<RunRecord>;
  /** The latest `limit` runs; records that fail to open are left out and counted. */
  list(companyId: string, blueprintId: string, limit: number): Promise<{ runs: RunRecord[]; damaged: number }>;
  get(companyId: string, blueprintId: string, runId: string): Promise<RunRecord | null>;
  /** A run by its id alone (run ids are unique per company), with its apply mark; null when absent. */
  find(companyId: string, runId: string): Promise<StoredRun | null>;
  /**
   * Sets (a time) or clears (null) the apply mark of a run, atomically: true when it changed, so
   * of two concurrent applies exactly one gets true. False when the run is absent too.
   */
  markApplied(companyId: string, runId: string, appliedAt: string | null): Promise<boolean>;
  /** Deletes a record without opening it (a damaged one too); false when absent. */
  delete(companyId: string, blueprintId: string, runId: string): Promise<boolean>;
}

/** What a run is started with, as the coordinator keeps it for followers. */
export interface RunStart {
  runId: string;
  blueprintId: string;
  startedAt: string;
  input: JsonValue;
  sandbox: boolean;
}

/** The owner's side of an executing run: it publishes the engine's events as they come. */
export interface RunHandle {
  /** `run-started`, `step-started` and `step-finished` events, as the engine emits them. */
  publish(event: RunEvent): void;
  /**
   * The run ended and its record is stored (`RunStore.add`): followers get `run-finished`
   * with it, their streams end, and the run's slot is given back. Called exactly once.
   */
  finish(record: RunRecord): Promise<void>;
}

/** A follower's subscription; `stop` ends it early (the client went away). */
export interface RunFollow {
  stop(): void;
}

/**
 * The runs executing now, per companyId: their slots (`KVB_MAX_RUNS`), their events for live
 * followers (replay first, then live) and their cancellation. Kept apart from the stores so a
 * backend shared by several server processes can make a run followable and cancellable from
 * any of them; the embedded backend keeps it in memory (`LocalRunCoordinator`).
 */
export interface RunCoordinator {
  /**
   * Registers a run about to start. Throws `TooManyRunsError` when `companyId` already has
   * `maxRuns` runs executing. `onCancel` is called (once) when any caller cancels the run.
   */
  begin(companyId: string, run: RunStart, maxRuns: number, onCancel: () => void): Promise<RunHandle>;
  /** The record so far of an executing run (status `running`, its finished steps); null when none runs under that id. */
  snapshot(companyId: string, runId: string): Promise<RunningRecord | null>;
  /**
   * Calls `listener` with every event of the run so far, then with each new one, up to and
   * including `run-finished`, then `onEnd`. Null when no run executes under that id.
   */
  follow(companyId: string, runId: string, listener: (event: RunEvent) => void, onEnd: () => void): Promise<RunFollow | null>;
  /** Asks an executing run to stop after the block in flight; false when none runs under that id. */
  cancel(companyId: string, runId: string): Promise<boolean>;
}

export interface ServerStorage {
  /** The KV entries, through the one store contract every backend passes. */
  store: KeyValueStore;
  blueprints: BlueprintStore;
  runs: RunStore;
  /** The runs executing now (slots, live events, cancellation). */
  runCoordinator: RunCoordinator;
  /** The companyId holding KV entry `id`, or null (loopback mode: the seed's DELETE names no company). */
  companyOfEntryId(id: string): Promise<string | null>;
  /** Resolves when the storage is usable (a database reached, migrated, its master key checked). */
  ready?: Promise<void>;
  /** Events to and from other instances on the same database; absent for a one-process store. */
  events?: EventRelay;
  close(): Promise<void>;
}

/** Where the storage lives. `--data <dir>` today; a database URL names another backend. */
export type StorageLocation = { kind: 'sqlite'; dataDir: string } | { kind: 'postgres'; url: string };

/**
 * The storage location cannot be used at all (a data directory that cannot be created, a
 * damaged database file): `kvb` exits 2 with this message instead of trying anything.
 */
export class DataDirectoryError extends KvError {
  constructor(message: string) {
    super('store', message);
  }
}
