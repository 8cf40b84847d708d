/**
 * The Key-Value store contract shared by every backend (memory, IndexedDB, SQLite, HTTP).
 *
 * A backend implements one primitive, `batch`: an atomic list of operations. Either every op
 * applies, or none does and the first failure is thrown as a `KvError`. The semantics of each
 * op (modes, append, increment, TTL, limits) live once in `operations.ts`; backends only
 * provide storage and atomicity.
 */

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export const SCOPES = ['flow', 'flow_group', 'global'] as const;
export type Scope = (typeof SCOPES)[number];

export const VALUE_TYPES = ['text', 'json'] as const;
export type ValueType = (typeof VALUE_TYPES)[number];

export const SAVE_MODES = ['upsert', 'create', 'update'] as const;
export type SaveMode = (typeof SAVE_MODES)[number];

/**
 * Where an entry lives. `scopeKey` is the blueprint id for `flow`, the group id for
 * `flow_group`, and is ignored (normalised to "") for `global`.
 */
export interface ScopeRef {
  scope: Scope;
  scopeKey?: string;
}

export interface Entry {
  id: string;
  companyId: string;
  scope: Scope;
  scopeKey: string;
  key: string;
  value: JsonValue;
  valueType: ValueType;
  /** 1 on creation, +1 on every write. */
  version: number;
  createdAt: string;
  updatedAt: string;
  expiresAt: string | null;
}

export type KvOp =
  | ({ op: 'get'; key: string } & ScopeRef)
  | ({
      op: 'set';
      key: string;
      value: JsonValue;
      valueType?: ValueType;
      mode?: SaveMode;
      ttlSeconds?: number | null;
      /** An absolute expiry (ISO time) instead of `ttlSeconds`, as an import carries it; a past one writes an already expired key. */
      expiresAt?: string | null;
      /** Compare-and-set: write only if the stored version equals this (0: only if absent), else `version_conflict`. */
      expectedVersion?: number;
    } & ScopeRef)
  /** `expectedVersion` as for `set`: delete only if the stored version equals it. */
  | ({ op: 'delete'; key: string; expectedVersion?: number } & ScopeRef)
  | ({ op: 'list'; prefix?: string; limit?: number; cursor?: string | null } & ScopeRef)
  /**
   * Key names only, no value read or decrypted: the live keys of one scope that start with
   * `prefix` (case-sensitive) and contain `contains` (ASCII case-insensitive), paged like
   * `list`, with `total`, the number of matches over every page.
   */
  | ({ op: 'keys'; prefix?: string; contains?: string; limit?: number; cursor?: string | null } & ScopeRef)
  | ({ op: 'append'; key: string; value: JsonValue; valueType?: ValueType } & ScopeRef)
  | ({ op: 'increment'; key: string; by?: number } & ScopeRef)
  /**
   * Adds `value` to the array under `key` unless a deep-equal item is in it (`already_exists`);
   * an absent key becomes `[value]`; any other stored type is `type_mismatch`.
   */
  | ({ op: 'listAdd'; key: string; value: JsonValue; valueType?: ValueType } & ScopeRef)
  /** Removes every item deep-equal to `value` from the array under `key`; none there (or no key) is `not_found`. */
  | ({ op: 'listRemove'; key: string; value: JsonValue } & ScopeRef)
  /** The versions writes to `key` replaced (the last `HISTORY_MAX_VERSIONS`), newest first. */
  | ({ op: 'history'; key: string } & ScopeRef)
  /** Writes the value of a kept `version` of `key` as its next version; brings a deleted key back. */
  | ({ op: 'restore'; key: string; version: number } & ScopeRef)
  /** Keys of the scope that were deleted and are not live now, most recently deleted first. */
  | ({ op: 'deleted'; prefix?: string; limit?: number } & ScopeRef);

export type KvOpName = KvOp['op'];

export interface GetResult {
  op: 'get';
  entry: Entry | null;
}
export interface SetResult {
  op: 'set';
  entry: Entry;
  created: boolean;
}
export interface DeleteResult {
  op: 'delete';
  deleted: boolean;
}
export interface ListResult {
  op: 'list';
  entries: Entry[];
  nextCursor: string | null;
  /** Rows in range whose value could not be opened (damaged or tampered): left out, counted. Absent when none. */
  damaged?: number;
  /** Their keys, so they can be deleted (a delete needs no decryption). Absent when none. */
  damagedKeys?: string[];
}
export interface KeysResult {
  op: 'keys';
  keys: string[];
  total: number;
  nextCursor: string | null;
}
export interface AppendResult {
  op: 'append';
  entry: Entry;
}
export interface IncrementResult {
  op: 'increment';
  entry: Entry;
}

export interface ListAddResult {
  op: 'listAdd';
  entry: Entry;
}
export interface ListRemoveResult {
  op: 'listRemove';
  entry: Entry;
}

/** A version of a key that a later write replaced, as its history keeps it. */
export interface HistoryVersion {
  version: number;
  value: JsonValue;
  valueType: ValueType;
  /** When this version was written. */
  updatedAt: string;
  /** When a later write (or a delete) replaced it. */
  replacedAt: string;
  /** True when a delete ended this version: the key was deleted at `replacedAt`, holding this value. */
  deleted: boolean;
}
export interface HistoryResult {
  op: 'history';
  /** Newest first, at most `HISTORY_MAX_VERSIONS`. */
  versions: HistoryVersion[];
}
export interface RestoreResult {
  op: 'restore';
  entry: Entry;
  /** True when the key was absent (deleted or expired) and the restore brought it back. */
  created: boolean;
}
export interface DeletedKey {
  key: string;
  /** The version the key had when it was deleted (restore it with this number). */
  version: number;
  deletedAt: string;
}
export interface DeletedResult {
  op: 'deleted';
  keys: DeletedKey[];
}

export type KvOpResult =
  | GetResult
  | SetResult
  | DeleteResult
  | ListResult
  | KeysResult
  | AppendResult
  | IncrementResult
  | ListAddResult
  | ListRemoveResult
  | HistoryResult
  | RestoreResult
  | DeletedResult;

/** Maps an op type to its result type, so `batch` callers keep precise types. */
export type ResultOf<O extends KvOp> = Extract<KvOpResult, { op: O['op'] }>;

export interface KeyValueStore {
  /** A short name for messages and logs: "memory", "sqlite", "indexeddb", "http". */
  readonly kind: string;
  /** Applies every op atomically for one company, in order; returns one result per op. */
  batch(companyId: string, ops: KvOp[]): Promise<KvOpResult[]>;
  getById(companyId: string, id: string): Promise<Entry | null>;
  deleteById(companyId: string, id: string): Promise<boolean>;
  close(): Promise<void>;
}

/** Limits, shared by every backend and by the HTTP API. */
export const KEY_MAX_LENGTH = 256;
export const KEY_PATTERN = /^[A-Za-z0-9_-]{1,256}$/;
export const VALUE_MAX_BYTES = 1024 * 1024;
/**
 * Deepest nesting of arrays and objects a value (or a blueprint document) may have: `[[1]]`
 * nests 2 levels. Deeper JSON is refused where it enters, before anything walks it recursively.
 */
export const JSON_MAX_DEPTH = 64;
export const LIST_DEFAULT_LIMIT = 1000;
export const LIST_MAX_LIMIT = 1000;
/** Versions kept per key by the history (each up to `VALUE_MAX_BYTES`). */
export const HISTORY_MAX_VERSIONS = 20;
/** Default and largest page of the `deleted` op. */
export const DELETED_DEFAULT_LIMIT = 100;
export const DELETED_MAX_LIMIT = 1000;
/**
 * Longest TTL: 100 years. Past it an expiry could leave the 4-digit-year ISO range that
 * expiry checks compare as text (or the range of Date itself).
 */
export const TTL_MAX_SECONDS = 100 * 365 * 24 * 60 * 60;
