/**
 * The semantics of every store operation, written once. A backend hands `executeBatch` a
 * reader over its rows (inside whatever transaction or lock makes the batch atomic) and then
 * persists the returned writes; nothing is persisted when `executeBatch` throws.
 */
import { KvError } from './errors';
import { findTooDeep } from './json';
import {
  DELETED_DEFAULT_LIMIT,
  DELETED_MAX_LIMIT,
  HISTORY_MAX_VERSIONS,
  JSON_MAX_DEPTH,
  KEY_MAX_LENGTH,
  KEY_PATTERN,
  LIST_DEFAULT_LIMIT,
  LIST_MAX_LIMIT,
  SAVE_MODES,
  SCOPES,
  TTL_MAX_SECONDS,
  VALUE_MAX_BYTES,
  VALUE_TYPES,
  type DeletedKey,
  type Entry,
  type HistoryVersion,
  type JsonValue,
  type KvOp,
  type KeysResult,
  type KvOpResult,
  type Scope,
  type ScopeRef,
  type ResultOf,
  type ValueType,
} from './types';

export interface ListQuery {
  prefix: string;
  /** Only keys strictly greater than this one (the cursor). */
  afterKey: string | null;
  limit: number;
  /** ISO time: entries with `expiresAt <= now` are left out. */
  now: string;
}

/** Rows of a list, with the keys of rows in range a backend could not open (and left out). */
export interface ListedRows {
  entries: Entry[];
  damagedKeys: string[];
}

export interface KeyQuery {
  prefix: string;
  /** Lower-cased; "" matches every key. Keys are ASCII, so lower-casing both sides is exact. */
  contains: string;
  /** Only keys strictly greater than this one (the cursor). */
  afterKey: string | null;
  limit: number;
  /** ISO time: entries with `expiresAt <= now` are left out. */
  now: string;
}

export interface KeyPage {
  /** Up to `limit` matching live keys after `afterKey`, sorted by code unit. */
  keys: string[];
  /** Every matching live key of the scope, whatever the cursor and limit. */
  total: number;
}

/** True when a key passes a `keys` op's filter (`contains` already lower-cased). */
export function keyMatches(key: string, prefix: string, contains: string): boolean {
  return key.startsWith(prefix) && (contains === '' || key.toLowerCase().includes(contains));
}

/**
 * A `KeyPage` from every matching live name of a scope, sorted by code unit: for backends that
 * hold the names in memory (memory, the IndexedDB name cache).
 */
export function pageOfNames(names: readonly string[], query: Pick<KeyQuery, 'afterKey' | 'limit'>): KeyPage {
  let start = 0;
  if (query.afterKey !== null) {
    // First name strictly greater than the cursor.
    let high = names.length;
    while (start < high) {
      const middle = (start + high) >>> 1;
      if (names[middle]! <= query.afterKey) start = middle + 1;
      else high = middle;
    }
  }
  return { keys: names.slice(start, start + query.limit), total: names.length };
}

/** Read access a backend gives `executeBatch`, inside its transaction. */
export interface BatchReader {
  /** The stored row, expired or not; `null` when there is none. */
  read(scope: Scope, scopeKey: string, key: string): Promise<Entry | null> | Entry | null;
  /**
   * Whether a row exists, and its expiry, without opening its value: a delete needs no more,
   * so a row whose value cannot be opened can still be deleted. Optional: `read` stands in.
   */
  readPresence?(scope: Scope, scopeKey: string, key: string): Promise<RowPresence | null> | RowPresence | null;
  /**
   * Live rows of one scope, sorted by key (code-unit order), filtered as `query` says. A
   * backend that skips rows it cannot open returns them with the count of those it skipped.
   */
  list(scope: Scope, scopeKey: string, query: ListQuery): Promise<Entry[] | ListedRows> | Entry[] | ListedRows;
  /** Names of live rows of one scope, without reading values (an index or a name cache). */
  keys(scope: Scope, scopeKey: string, query: KeyQuery): Promise<KeyPage> | KeyPage;
  /** The backend's history, when it keeps one (see `HistoryReader`). */
  history?: HistoryReader['history'];
  deletedKeys?: HistoryReader['deletedKeys'];
}

/** What a `deleted` op asks a backend for. */
export interface DeletedQuery {
  prefix: string;
  limit: number;
  /** ISO time: a key whose row is live at this time is not deleted, whatever its history says. */
  now: string;
}

/**
 * Read access to the history of a backend that keeps one. A backend without it (a sandbox
 * overlay) answers the history ops with `invalid_request`; its writes' `replaced` lists go unused.
 */
export interface HistoryReader {
  /** The kept versions of one key, newest (most recently replaced) first, at most `HISTORY_MAX_VERSIONS`. */
  history(scope: Scope, scopeKey: string, key: string): Promise<HistoryVersion[]> | HistoryVersion[];
  /**
   * Keys of one scope whose newest kept version was ended by a delete and that have no live row
   * at `query.now`, starting with `query.prefix`, most recently deleted first, at most `query.limit`.
   */
  deletedKeys(scope: Scope, scopeKey: string, query: DeletedQuery): Promise<DeletedKey[]> | DeletedKey[];
}

export interface RowPresence {
  expiresAt: string | null;
}

export interface BatchWrite {
  scope: Scope;
  scopeKey: string;
  key: string;
  /** The new row, or `null` to delete it. */
  entry: Entry | null;
  /**
   * The versions this batch's writes to the row replaced, oldest first (empty when the row was
   * absent). A backend that keeps history appends them to the key's history, in this order, and
   * then keeps only the newest `HISTORY_MAX_VERSIONS` of the key.
   */
  replaced: HistoryVersion[];
}

export interface BatchOutcome {
  results: KvOpResult[];
  /** The final state of every row the batch changed, one write per row. */
  writes: BatchWrite[];
}

export interface BatchOptions {
  now?: () => Date;
  newId?: () => string;
}

export function describeKey(key: string): string {
  return key.length > 60 ? `'${key.slice(0, 60)}…' (${key.length} characters)` : `'${key}'`;
}

/** Throws `invalid_key` unless the key is 1–256 characters of A–Z a–z 0–9 _ -. */
export function assertValidKey(key: unknown): asserts key is string {
  if (typeof key !== 'string' || key.length === 0) {
    throw new KvError('invalid_key', 'Key is empty: give a key of 1–256 characters (A–Z a–z 0–9 _ -)');
  }
  if (key.length > KEY_MAX_LENGTH) {
    throw new KvError('invalid_key', `Key ${describeKey(key)} is too long: at most ${KEY_MAX_LENGTH} characters`);
  }
  if (!KEY_PATTERN.test(key)) {
    const bad = [...key].find((ch) => !/[A-Za-z0-9_-]/.test(ch)) ?? '';
    const shown = bad === ' ' ? 'a space' : `'${bad}'`;
    throw new KvError('invalid_key', `Key ${describeKey(key)} has ${shown}: keys may only use A–Z a–z 0–9 _ -`);
  }
}

/** The scope key an entry is stored under: required for flow and flow_group, "" for global. */
export function resolveScopeKey(ref: ScopeRef): string {
  if (!(SCOPES as readonly string[]).includes(ref.scope)) {
    throw new KvError('invalid_scope', `Unknown scope '${String(ref.scope)}': expected flow, flow_group or global`);
  }
  if (ref.scope === 'global') return '';
  const scopeKey = ref.scopeKey ?? '';
  if (typeof scopeKey !== 'string' || scopeKey.length === 0) {
    const what = ref.scope === 'flow' ? 'the blueprint id' : 'the group id';
    throw new KvError('invalid_scope', `Scope '${ref.scope}' needs a scopeKey (${what})`);
  }
  if (hasLoneSurrogate(scopeKey)) {
    throw new KvError(
      'invalid_scope',
      `The scopeKey of scope '${ref.scope}' has a lone UTF-16 surrogate (half of a character); send whole characters`,
    );
  }
  return scopeKey;
}

/** Size of a value as UTF-8 JSON, in bytes. */
export function jsonByteLength(value: JsonValue): number {
  return new TextEncoder().encode(JSON.stringify(value)).length;
}

/** Why a value nests too deeply to store (naming the limit), or null when it does not. */
export function nestingProblem(value: unknown, key: string): string | null {
  const at = findTooDeep(value);
  return at === null
    ? null
    : `Value for key ${describeKey(key)} nests arrays and objects more than ${JSON_MAX_DEPTH} levels deep (at ${at}); the limit is ${JSON_MAX_DEPTH} levels`;
}

/**
 * True when `text` holds a lone UTF-16 surrogate: such a string cannot be written as UTF-8, so
 * SQLite and the cipher would each store a different text than was sent.
 */
export function hasLoneSurrogate(text: string): boolean {
  return /\p{Cs}/u.test(text);
}

export function assertStorableValue(value: unknown, key: string): asserts value is JsonValue {
  if (value === undefined) {
    throw new KvError('invalid_value', `Value for key ${describeKey(key)} is missing`);
  }
  const tooDeep = nestingProblem(value, key);
  if (tooDeep) throw new KvError('invalid_value', tooDeep);
  const problem = findNonJson(value, 'value');
  if (problem) throw new KvError('invalid_value', `Value for key ${describeKey(key)} is not JSON: ${problem}`);
  const bytes = jsonByteLength(value as JsonValue);
  if (bytes > VALUE_MAX_BYTES) {
    throw new KvError(
      'too_large',
      `Value for key ${describeKey(key)} is ${bytes} bytes as JSON; the limit is ${VALUE_MAX_BYTES} bytes (1 MiB)`,
    );
  }
}

function findNonJson(value: unknown, path: string): string | null {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return null;
  if (typeof value === 'number') return Number.isFinite(value) ? null : `${path} is ${value}, which JSON cannot hold`;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const problem = findNonJson(value[i], `${path}[${i}]`);
      if (problem) return problem;
    }
    return null;
  }
  if (typeof value === 'object') {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) return `${path} is not a plain object`;
    for (const [k, v] of Object.entries(value)) {
      const problem = findNonJson(v, `${path}.${k}`);
      if (problem) return problem;
    }
    return null;
  }
  return `${path} is a ${typeof value}`;
}

export function isExpired(entry: Entry, now: Date | string): boolean {
  if (entry.expiresAt === null) return false;
  const nowIso = typeof now === 'string' ? now : now.toISOString();
  return entry.expiresAt <= nowIso;
}

function valueTypeOf(value: JsonValue): ValueType {
  return typeof value === 'string' ? 'text' : 'json';
}

function rowKey(scope: Scope, scopeKey: string, key: string): string {
  return `${scope}\u0000${scopeKey}\u0000${key}`;
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

function historyVersionOf(entry: Entry, replacedAt: Date, deleted: boolean): HistoryVersion {
  return {
    version: entry.version,
    value: entry.value,
    valueType: entry.valueType,
    updatedAt: entry.updatedAt,
    replacedAt: replacedAt.toISOString(),
    deleted,
  };
}

function defaultId(): string {
  return globalThis.crypto.randomUUID();
}

function describeScope(scope: Scope, scopeKey: string): string {
  return scope === 'global' ? 'global scope' : `${scope} scope '${scopeKey}'`;
}

function shortJson(value: JsonValue): string {
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 80)}… (${text.length} characters)` : text;
}

function listMismatch(verb: string, key: string, stored: JsonValue): KvError {
  return new KvError(
    'type_mismatch',
    `Cannot ${verb} the list under key ${describeKey(key)}: it holds ${typeof stored === 'string' ? 'text' : typeName(stored)}, not an array`,
  );
}

function typeName(value: JsonValue): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

const OP_NAMES = [
  'get',
  'set',
  'delete',
  'list',
  'keys',
  'append',
  'increment',
  'listAdd',
  'listRemove',
  'history',
  'restore',
  'deleted',
] as const;

/** For a delete's history read: a value that does not open (`integrity`) is not kept, and the delete goes on. */
function unlessDamaged(error: unknown): null {
  if (error instanceof KvError && error.code === 'integrity') return null;
  throw error;
}

/**
 * Deep equality of two JSON values, as `listAdd` and `listRemove` compare items: arrays item by
 * item in order, objects by their keys whatever their order, everything else by `===`.
 */
export function jsonEqual(a: JsonValue, b: JsonValue): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => jsonEqual(item, b[i]!));
  }
  const aKeys = Object.keys(a);
  if (aKeys.length !== Object.keys(b).length) return false;
  return aKeys.every((k) => Object.prototype.hasOwnProperty.call(b, k) && jsonEqual(a[k]!, b[k]!));
}

/** Throws `version_conflict` unless the live row's version (0 when absent) is `expected`. */
function assertVersion(expected: number | undefined, live: Entry | null, key: string, scope: Scope, scopeKey: string): void {
  if (expected === undefined) return;
  const stored = live?.version ?? 0;
  if (stored === expected) return;
  const found = live === null ? 'is absent (version 0)' : `is at version ${stored}`;
  throw new KvError(
    'version_conflict',
    `Key ${describeKey(key)} in ${describeScope(scope, scopeKey)} ${found}, not the expected version ${expected}: read it again and retry`,
  );
}

/**
 * The checks an op passes before any row is read: shape, scope, key, value and options.
 * Returns the scopeKey the op resolves to. With `index`, errors carry it as opIndex.
 * (The HTTP store does not call it up front: a batch fails at its first failing op, in order,
 * and only values JSON cannot carry are refused before sending; see `assertTransportable`.)
 */
export function validateOp(op: KvOp, index?: number): string {
  try {
    if (typeof op !== 'object' || op === null) throw new KvError('invalid_request', `ops[${index ?? 0}] is not an object`);
    if (!(OP_NAMES as readonly string[]).includes(op.op)) {
      throw new KvError(
        'invalid_request',
        `Op '${String((op as { op?: unknown }).op)}' is unknown: expected ${OP_NAMES.slice(0, -1).join(', ')} or ${OP_NAMES.at(-1)}`,
      );
    }
    const scopeKey = resolveScopeKey(op);
    if (op.op !== 'list' && op.op !== 'keys' && op.op !== 'deleted') assertValidKey(op.key);
    if (op.op === 'restore') {
      const version: unknown = op.version;
      if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
        throw new KvError(
          'invalid_value',
          `restore needs the version to bring back, a whole number of 1 or more; got ${typeof version === 'number' ? String(version) : (JSON.stringify(version) ?? 'nothing')}`,
        );
      }
    }
    if (op.op === 'deleted') {
      if (op.prefix !== undefined && typeof op.prefix !== 'string') throw new KvError('invalid_request', 'prefix must be a string');
      const limit = op.limit ?? DELETED_DEFAULT_LIMIT;
      if (!Number.isInteger(limit) || limit < 1 || limit > DELETED_MAX_LIMIT) {
        throw new KvError('invalid_request', `limit must be a whole number from 1 to ${DELETED_MAX_LIMIT}, got ${String(limit)}`);
      }
    }
    if (op.op === 'set' || op.op === 'append' || op.op === 'listAdd' || op.op === 'listRemove') {
      assertStorableValue(op.value, op.key);
    }
    if (op.op === 'set' || op.op === 'append' || op.op === 'listAdd') {
      if (op.valueType !== undefined && !(VALUE_TYPES as readonly string[]).includes(op.valueType)) {
        throw new KvError('invalid_request', `Unknown valueType '${String(op.valueType)}': expected text or json`);
      }
    }
    if (op.op === 'set') {
      if (op.mode !== undefined && !(SAVE_MODES as readonly string[]).includes(op.mode)) {
        throw new KvError('invalid_request', `Unknown save mode '${String(op.mode)}': expected upsert, create or update`);
      }
      if (
        op.ttlSeconds !== undefined &&
        op.ttlSeconds !== null &&
        (typeof op.ttlSeconds !== 'number' || !Number.isFinite(op.ttlSeconds) || op.ttlSeconds <= 0)
      ) {
        throw new KvError('invalid_value', `ttlSeconds must be a positive number of seconds, got ${String(op.ttlSeconds)}`);
      }
      if (typeof op.ttlSeconds === 'number' && op.ttlSeconds > TTL_MAX_SECONDS) {
        throw new KvError('invalid_value', `ttlSeconds must be at most ${TTL_MAX_SECONDS} (100 years), got ${String(op.ttlSeconds)}`);
      }
      if (op.expiresAt !== undefined && op.expiresAt !== null) {
        const at: unknown = op.expiresAt;
        if (typeof at !== 'string' || !ISO_TIME.test(at) || Number.isNaN(Date.parse(at))) {
          throw new KvError('invalid_value', `expiresAt must be an ISO time such as 2030-01-01T00:00:00.000Z, got ${JSON.stringify(at)}`);
        }
        if (typeof op.ttlSeconds === 'number') throw new KvError('invalid_request', 'Give ttlSeconds or expiresAt, not both');
        if (Date.parse(at) > Date.now() + TTL_MAX_SECONDS * 1000) {
          throw new KvError('invalid_value', `expiresAt must be at most 100 years ahead, got ${at}`);
        }
      }
    }
    if ((op.op === 'set' || op.op === 'delete') && op.expectedVersion !== undefined) {
      const expected: unknown = op.expectedVersion;
      if (typeof expected !== 'number' || !Number.isInteger(expected) || expected < 0) {
        throw new KvError(
          'invalid_value',
          `expectedVersion must be a whole number of 0 or more (0: the key must be absent), got ${typeof expected === 'number' ? String(expected) : JSON.stringify(expected)}`,
        );
      }
    }
    if (op.op === 'increment' && op.by !== undefined && (typeof op.by !== 'number' || !Number.isFinite(op.by))) {
      throw new KvError(
        'invalid_value',
        `Increment 'by' must be a finite number, got ${typeof op.by === 'number' ? String(op.by) : JSON.stringify(op.by)}`,
      );
    }
    if (op.op === 'keys' && op.contains !== undefined && typeof op.contains !== 'string') {
      throw new KvError('invalid_request', 'contains must be a string');
    }
    if (op.op === 'list' || op.op === 'keys') {
      if (op.prefix !== undefined && typeof op.prefix !== 'string') throw new KvError('invalid_request', 'prefix must be a string');
      const limit = op.limit ?? LIST_DEFAULT_LIMIT;
      if (!Number.isInteger(limit) || limit < 1 || limit > LIST_MAX_LIMIT) {
        throw new KvError('invalid_request', `limit must be a whole number from 1 to ${LIST_MAX_LIMIT}, got ${String(limit)}`);
      }
      if (op.cursor !== undefined && op.cursor !== null && typeof op.cursor !== 'string')
        throw new KvError('invalid_request', 'cursor must be a string');
    }
    return scopeKey;
  } catch (error) {
    if (index !== undefined && error instanceof KvError && error.opIndex === undefined) throw new KvError(error.code, error.message, index);
    throw error;
  }
}

/** What every op handler gets: the batch's view of the rows, its clock and its staging area. */
interface BatchContext {
  /** The scope key the op resolved to. */
  scopeKey: string;
  now: Date;
  /** The live row as this batch sees it (its own writes first). */
  readLive(scope: Scope, scopeKey: string, key: string): Promise<Entry | null>;
  /** Presence and expiry of a row, without opening its value. */
  readPresence(scope: Scope, scopeKey: string, key: string): Promise<RowPresence | null>;
  list(scope: Scope, scopeKey: string, query: ListQuery): Promise<ListedRows>;
  /** The names a `keys` op asks for, with this batch's own writes counted in. */
  keyNames(op: Extract<KvOp, { op: 'keys' }>): Promise<KeysResult>;
  /** This batch's writes to one scope so far. */
  stagedIn(scope: Scope, scopeKey: string): BatchWrite[];
  /** Stages a row's next state; `replaced` is the live row it replaces, kept in the key's history. */
  stage(scope: Scope, scopeKey: string, key: string, entry: Entry | null, replaced: Entry | null): void;
  /** The `deleted` op's keys, with this batch's own deletes and writes laid over the backend's. */
  deletedKeys(op: Extract<KvOp, { op: 'deleted' }>): Promise<DeletedKey[]>;
  /** The key's kept versions as this batch sees them (its own replaced versions first), newest first. */
  history(scope: Scope, scopeKey: string, key: string): Promise<HistoryVersion[]>;
  /** The row a write leaves: the previous row's id and creation kept, version bumped. */
  nextEntry(previous: Entry | null, scope: Scope, key: string, value: JsonValue, expiresAt: string | null, valueType: ValueType): Entry;
}

type OpHandlers = {
  [Name in KvOp['op']]: (op: Extract<KvOp, { op: Name }>, batch: BatchContext) => Promise<ResultOf<Extract<KvOp, { op: Name }>>>;
};

/** One handler per op: its semantics, after `validateOp` has checked its shape. */
const OP_HANDLERS: OpHandlers = {
  async get(op, batch) {
    return { op: 'get', entry: await batch.readLive(op.scope, batch.scopeKey, op.key) };
  },

  async set(op, batch) {
    const { scope } = op;
    const { scopeKey, now } = batch;
    const mode = op.mode ?? 'upsert';
    const expiresAt =
      typeof op.ttlSeconds === 'number'
        ? new Date(now.getTime() + op.ttlSeconds * 1000).toISOString()
        : typeof op.expiresAt === 'string'
          ? new Date(op.expiresAt).toISOString()
          : null;
    const existing = await batch.readLive(scope, scopeKey, op.key);
    assertVersion(op.expectedVersion, existing, op.key, scope, scopeKey);
    if (mode === 'create' && existing) {
      throw new KvError('already_exists', `Key ${describeKey(op.key)} already exists in ${describeScope(scope, scopeKey)}`);
    }
    if (mode === 'update' && !existing) {
      throw new KvError(
        'not_found',
        `Key ${describeKey(op.key)} not found in ${describeScope(scope, scopeKey)}; mode "update" only changes existing keys`,
      );
    }
    const entry = batch.nextEntry(existing, scope, op.key, op.value, expiresAt, valueTypeOf(op.value));
    batch.stage(scope, scopeKey, op.key, entry, existing);
    return { op: 'set', entry, created: existing === null };
  },

  async delete(op, batch) {
    if (op.expectedVersion !== undefined) {
      // A conditional delete needs the version, so it opens the row.
      const live = await batch.readLive(op.scope, batch.scopeKey, op.key);
      assertVersion(op.expectedVersion, live, op.key, op.scope, batch.scopeKey);
    }
    // One look, without opening the value: an expired row is removed too (so it stops taking
    // space) but did not count as present, and a row whose value is damaged can go.
    const presence = await batch.readPresence(op.scope, batch.scopeKey, op.key);
    const live = presence !== null && !(presence.expiresAt !== null && presence.expiresAt <= batch.now.toISOString());
    // The deleted version goes to the history when its value opens; a damaged one just goes.
    const replaced = live ? await batch.readLive(op.scope, batch.scopeKey, op.key).catch(unlessDamaged) : null;
    if (presence) batch.stage(op.scope, batch.scopeKey, op.key, null, replaced);
    return { op: 'delete', deleted: live };
  },

  async append(op, batch) {
    const existing = await batch.readLive(op.scope, batch.scopeKey, op.key);
    let value: JsonValue;
    if (!existing) {
      const valueType = op.valueType ?? valueTypeOf(op.value);
      value = valueType === 'json' ? [op.value] : renderText(op.value);
    } else if (typeof existing.value === 'string') {
      value = existing.value + renderText(op.value);
    } else if (Array.isArray(existing.value)) {
      value = [...existing.value, op.value];
    } else {
      throw new KvError(
        'type_mismatch',
        `Cannot append to key ${describeKey(op.key)}: it holds ${typeName(existing.value)}; append works on text and arrays`,
      );
    }
    assertStorableValue(value, op.key);
    const entry = batch.nextEntry(existing, op.scope, op.key, value, existing?.expiresAt ?? null, valueTypeOf(value));
    batch.stage(op.scope, batch.scopeKey, op.key, entry, existing);
    return { op: 'append', entry };
  },

  async increment(op, batch) {
    const by = op.by ?? 1;
    const existing = await batch.readLive(op.scope, batch.scopeKey, op.key);
    let current = 0;
    if (existing) {
      const stored = existing.value;
      const numeric = typeof stored === 'number' ? stored : typeof stored === 'string' ? parseDecimal(stored) : null;
      if (numeric !== null) current = numeric;
      else {
        throw new KvError(
          'type_mismatch',
          `Cannot increment key ${describeKey(op.key)}: it holds ${typeof stored === 'string' ? `the text ${JSON.stringify(stored.slice(0, 40))}` : typeName(stored)}, not a number`,
        );
      }
    }
    const sum = current + by;
    if (!Number.isFinite(sum)) {
      throw new KvError(
        'invalid_value',
        `Incrementing key ${describeKey(op.key)} (${current}) by ${by} gives ${sum}, which JSON cannot hold`,
      );
    }
    const entry = batch.nextEntry(existing, op.scope, op.key, sum, existing?.expiresAt ?? null, 'json');
    batch.stage(op.scope, batch.scopeKey, op.key, entry, existing);
    return { op: 'increment', entry };
  },

  async listAdd(op, batch) {
    const existing = await batch.readLive(op.scope, batch.scopeKey, op.key);
    let value: JsonValue[];
    if (!existing) value = [op.value];
    else if (Array.isArray(existing.value)) {
      if (existing.value.some((item) => jsonEqual(item, op.value))) {
        throw new KvError(
          'already_exists',
          `The list under key ${describeKey(op.key)} in ${describeScope(op.scope, batch.scopeKey)} already holds ${shortJson(op.value)}`,
        );
      }
      value = [...existing.value, op.value];
    } else throw listMismatch('add to', op.key, existing.value);
    assertStorableValue(value, op.key);
    const entry = batch.nextEntry(existing, op.scope, op.key, value, existing?.expiresAt ?? null, 'json');
    batch.stage(op.scope, batch.scopeKey, op.key, entry, existing);
    return { op: 'listAdd', entry };
  },

  async listRemove(op, batch) {
    const existing = await batch.readLive(op.scope, batch.scopeKey, op.key);
    if (!existing) {
      throw new KvError(
        'not_found',
        `Key ${describeKey(op.key)} not found in ${describeScope(op.scope, batch.scopeKey)}; nothing to remove`,
      );
    }
    if (!Array.isArray(existing.value)) throw listMismatch('remove from', op.key, existing.value);
    const value = existing.value.filter((item) => !jsonEqual(item, op.value));
    if (value.length === existing.value.length) {
      throw new KvError(
        'not_found',
        `The list under key ${describeKey(op.key)} in ${describeScope(op.scope, batch.scopeKey)} does not hold ${shortJson(op.value)}`,
      );
    }
    const entry = batch.nextEntry(existing, op.scope, op.key, value, existing.expiresAt, 'json');
    batch.stage(op.scope, batch.scopeKey, op.key, entry, existing);
    return { op: 'listRemove', entry };
  },

  async history(op, batch) {
    return { op: 'history', versions: await batch.history(op.scope, batch.scopeKey, op.key) };
  },

  async restore(op, batch) {
    const { scope } = op;
    const { scopeKey } = batch;
    const versions = await batch.history(scope, scopeKey, op.key);
    // Version numbers start over when a deleted key is saved again: the newest one kept wins.
    const kept = versions.find((v) => v.version === op.version);
    if (!kept) {
      const which = versions.length === 0 ? 'none are kept' : `kept: ${versions.map((v) => v.version).join(', ')}`;
      throw new KvError(
        'not_found',
        `Key ${describeKey(op.key)} in ${describeScope(scope, scopeKey)} has no kept version ${op.version} (${which})`,
      );
    }
    const existing = await batch.readLive(scope, scopeKey, op.key);
    const entry = batch.nextEntry(existing, scope, op.key, kept.value, null, kept.valueType);
    batch.stage(scope, scopeKey, op.key, entry, existing);
    return { op: 'restore', entry, created: existing === null };
  },

  async deleted(op, batch) {
    return { op: 'deleted', keys: await batch.deletedKeys(op) };
  },

  async list(op, batch) {
    const { scope } = op;
    const { scopeKey } = batch;
    const prefix = op.prefix ?? '';
    const limit = op.limit ?? LIST_DEFAULT_LIMIT;
    const cursor = op.cursor ?? null;
    const nowIso = batch.now.toISOString();
    const stagedHere = batch.stagedIn(scope, scopeKey);
    const base = await batch.list(scope, scopeKey, { prefix, afterKey: cursor, limit: limit + 1 + stagedHere.length, now: nowIso });
    const byKey = new Map(base.entries.map((e) => [e.key, e] as const));
    for (const w of stagedHere) {
      if (w.entry && !isExpired(w.entry, nowIso)) byKey.set(w.key, w.entry);
      else byKey.delete(w.key);
    }
    const live = [...byKey.values()]
      .filter((e) => e.key.startsWith(prefix) && (cursor === null || e.key > cursor))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const page = live.slice(0, limit);
    const nextCursor = live.length > limit ? page[page.length - 1]!.key : null;
    if (base.damagedKeys.length === 0) return { op: 'list', entries: page, nextCursor };
    return { op: 'list', entries: page, nextCursor, damaged: base.damagedKeys.length, damagedKeys: base.damagedKeys };
  },
  keys(op, batch) {
    return batch.keyNames(op);
  },
};

/**
 * Runs `ops` in order against `reader`, with later ops seeing earlier ops' writes. Throws the
 * first `KvError` (with `opIndex`), in which case the caller must persist nothing.
 */
export async function executeBatch(
  companyId: string,
  ops: readonly KvOp[],
  reader: BatchReader,
  options: BatchOptions = {},
): Promise<BatchOutcome> {
  if (hasLoneSurrogate(companyId)) {
    throw new KvError('invalid_request', 'companyId has a lone UTF-16 surrogate (half of a character); send whole characters');
  }
  const clock = options.now ?? (() => new Date());
  const newId = options.newId ?? defaultId;
  const staged = new Map<string, BatchWrite>();
  const results: KvOpResult[] = [];
  const noHistory = (): never => {
    throw new KvError(
      'invalid_request',
      'This store keeps no history of values (a sandbox run, for one): history, restore and deleted are not available',
    );
  };

  /** The row as this batch sees it (its own writes first), expired or not. */
  const readRow = async (scope: Scope, scopeKey: string, key: string): Promise<Entry | null> => {
    const write = staged.get(rowKey(scope, scopeKey, key));
    return write ? write.entry : reader.read(scope, scopeKey, key);
  };

  for (let index = 0; index < ops.length; index++) {
    const op = ops[index]!;
    const now = clock();
    try {
      const scopeKey = validateOp(op, index);
      const batch: BatchContext = {
        scopeKey,
        now,
        readLive: async (scope, rowScopeKey, key) => {
          const row = await readRow(scope, rowScopeKey, key);
          return row && !isExpired(row, now) ? row : null;
        },
        readPresence: async (scope, rowScopeKey, key) => {
          const write = staged.get(rowKey(scope, rowScopeKey, key));
          if (write) return write.entry;
          return reader.readPresence ? reader.readPresence(scope, rowScopeKey, key) : reader.read(scope, rowScopeKey, key);
        },
        list: async (scope, rowScopeKey, query) => {
          const listed = await reader.list(scope, rowScopeKey, query);
          return Array.isArray(listed) ? { entries: listed, damagedKeys: [] } : listed;
        },
        keyNames: (keysOp) =>
          keyNamesOf(
            keysOp,
            keysOp.scope,
            scopeKey,
            reader,
            [...staged.values()].filter((w) => w.scope === keysOp.scope && w.scopeKey === scopeKey),
            now,
          ),
        stagedIn: (scope, rowScopeKey) => [...staged.values()].filter((w) => w.scope === scope && w.scopeKey === rowScopeKey),
        stage: (scope, rowScopeKey, key, entry, replaced) => {
          const id = rowKey(scope, rowScopeKey, key);
          const kept = staged.get(id)?.replaced ?? [];
          if (replaced) kept.push(historyVersionOf(replaced, now, entry === null));
          staged.set(id, { scope, scopeKey: rowScopeKey, key, entry, replaced: kept });
        },
        deletedKeys: async (deletedOp) => {
          if (!reader.deletedKeys) return noHistory();
          const prefix = deletedOp.prefix ?? '';
          const limit = deletedOp.limit ?? DELETED_DEFAULT_LIMIT;
          const nowIso = now.toISOString();
          const stagedHere = [...staged.values()].filter(
            (w) => w.scope === deletedOp.scope && w.scopeKey === scopeKey && w.key.startsWith(prefix),
          );
          const stored = await reader.deletedKeys(deletedOp.scope, scopeKey, { prefix, limit: limit + stagedHere.length, now: nowIso });
          const byKey = new Map(stored.map((d) => [d.key, d] as const));
          for (const write of stagedHere) {
            const last = write.replaced[write.replaced.length - 1];
            if (write.entry && !isExpired(write.entry, nowIso)) byKey.delete(write.key);
            else if (write.entry === null && last?.deleted)
              byKey.set(write.key, { key: write.key, version: last.version, deletedAt: last.replacedAt });
          }
          return [...byKey.values()].sort((a, b) => (a.deletedAt > b.deletedAt ? -1 : a.deletedAt < b.deletedAt ? 1 : 0)).slice(0, limit);
        },
        history: async (scope, rowScopeKey, key) => {
          if (!reader.history) return noHistory();
          const stored = await reader.history(scope, rowScopeKey, key);
          const own = staged.get(rowKey(scope, rowScopeKey, key))?.replaced ?? [];
          return [...own].reverse().concat(stored).slice(0, HISTORY_MAX_VERSIONS);
        },
        nextEntry: (previous, scope, key, value, expiresAt, valueType) => {
          const at = now.toISOString();
          return {
            id: previous?.id ?? newId(),
            companyId,
            scope,
            scopeKey,
            key,
            value,
            valueType,
            version: (previous?.version ?? 0) + 1,
            createdAt: previous?.createdAt ?? at,
            updatedAt: at,
            expiresAt,
          };
        },
      };
      const handler = OP_HANDLERS[op.op] as (op: KvOp, batch: BatchContext) => Promise<KvOpResult>;
      results.push(await handler(op, batch));
    } catch (error) {
      if (error instanceof KvError && error.opIndex === undefined) throw new KvError(error.code, error.message, index);
      throw error;
    }
  }
  return { results, writes: [...staged.values()] };
}

/**
 * The `keys` op: the reader's page of names with this batch's own writes laid over it, and the
 * total corrected by every staged write that changed whether a matching key is live.
 */
async function keyNamesOf(
  op: Extract<KvOp, { op: 'keys' }>,
  scope: Scope,
  scopeKey: string,
  reader: BatchReader,
  stagedHere: BatchWrite[],
  now: Date,
): Promise<KeysResult> {
  const prefix = op.prefix ?? '';
  const contains = (op.contains ?? '').toLowerCase();
  const limit = op.limit ?? LIST_DEFAULT_LIMIT;
  const cursor = op.cursor ?? null;
  const nowIso = now.toISOString();
  const base = await reader.keys(scope, scopeKey, {
    prefix,
    contains,
    afterKey: cursor,
    limit: limit + 1 + stagedHere.length,
    now: nowIso,
  });
  const names = new Set(base.keys);
  let total = base.total;
  for (const write of stagedHere) {
    if (!keyMatches(write.key, prefix, contains)) continue;
    const stored = await reader.read(scope, scopeKey, write.key);
    const wasLive = stored !== null && !isExpired(stored, nowIso);
    const isLive = write.entry !== null && !isExpired(write.entry, nowIso);
    total += Number(isLive) - Number(wasLive);
    if (cursor !== null && write.key <= cursor) continue;
    if (isLive) names.add(write.key);
    else names.delete(write.key);
  }
  const sorted = [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const keys = sorted.slice(0, limit);
  return { op: 'keys', keys, total, nextCursor: sorted.length > limit ? keys[keys.length - 1]! : null };
}

// Plain decimal notation only: `Number()` alone would also accept "0x10", "0b1" and "Infinity".
const DECIMAL_NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** The number a stored text holds ("41", "-2.5", "1e3", surrounding spaces allowed), or null. */
export function parseDecimal(text: string): number | null {
  const trimmed = text.trim();
  if (!DECIMAL_NUMBER.test(trimmed)) return null;
  const parsed = Number(trimmed);
  return Number.isFinite(parsed) ? parsed : null;
}

/**
 * A deep copy of a batch's ops, taken when `batch()` is called: the batch may wait its turn,
 * and a caller that changes its values meanwhile must not change what is stored. Ops that
 * cannot be copied (functions, symbols) are not JSON either: they go as they are, for
 * `executeBatch` to reject as `invalid_value` with the op's index.
 */
export function snapshotOps(ops: readonly KvOp[]): KvOp[] {
  try {
    return structuredClone(ops) as KvOp[];
  } catch {
    return [...ops];
  }
}

/** How a value reads when appended to text: strings as is, anything else as JSON. */
export function renderText(value: JsonValue): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}
