/**
 * The server's storage seam: everything `kvb serve` and `kvb` keep, as four interfaces a backend
 * implements. Routes and the CLI see only these; which database is behind them is decided once,
 * by `openServerStorage` (`index.ts`) from a location.
 */
import type { BlueprintDocument, RunRecord } from '../../engine/types';
import type { BlueprintSummary } from '../../kv/api-schema';
import { KvError } from '../../kv/errors';
import type { KeyValueStore } from '../../kv/types';
import type { EventRelay } from '../http/event-bus';

export interface SavedBlueprint {
  created: boolean;
  summary: BlueprintSummary;
}

/** Blueprints saved on the server, per companyId, sealed at rest. */
export interface BlueprintStore {
  list(companyId: string): Promise<BlueprintSummary[]>;
  get(companyId: string, id: string): Promise<BlueprintDocument | null>;
  /** `create` refuses an existing id with `already_exists`. */
  save(companyId: string, document: BlueprintDocument, mode: 'create' | 'upsert'): Promise<SavedBlueprint>;
  /** Deletes the blueprint and its run history; false when there was none. */
  delete(companyId: string, id: string): Promise<boolean>;
}

/** Server-side run records, per companyId and blueprint, newest first, bounded (`run-records.ts`). */
export interface RunStore {
  /** Stores the record within the bounds and returns what was stored. */
  add(companyId: string, record: RunRecord): Promise<RunRecord>;
  /** The latest `limit` runs; records that fail to open are left out and counted. */
  list(companyId: string, blueprintId: string, limit: number): Promise<{ runs: RunRecord[]; damaged: number }>;
  get(companyId: string, blueprintId: string, runId: string): Promise<RunRecord | null>;
  /** Deletes a record without opening it (a damaged one too); false when absent. */
  delete(companyId: string, blueprintId: string, runId: string): Promise<boolean>;
}

export interface ServerStorage {
  /** The KV entries, through the one store contract every backend passes. */
  store: KeyValueStore;
  blueprints: BlueprintStore;
  runs: RunStore;
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
