/**
 * The conformance suite every `KeyValueStore` backend must pass: memory, SQLite, IndexedDB and
 * HTTP. It is the executable form of the store contract in `types.ts`, docs/blocks.md and ARCHITECTURE.md.
 *
 * Portable on purpose: no test framework and no Node-only module, so the same cases run under
 * vitest (see `conformance-vitest.ts`) and inside a real browser page. Each case receives a
 * fresh `companyId`, so one store instance can serve every case without cases seeing each
 * other's data.
 */
import { isKvError, type KvError, type KvErrorCode } from './errors';
import {
  KEY_MAX_LENGTH,
  LIST_DEFAULT_LIMIT,
  TTL_MAX_SECONDS,
  VALUE_MAX_BYTES,
  type Entry,
  type JsonValue,
  type KeyValueStore,
  type KvOp,
  type KvOpResult,
  type ResultOf,
  type ScopeRef,
} from './types';

export interface ConformanceContext {
  store: KeyValueStore;
  /** A companyId no other case uses, so cases never see each other's entries. */
  companyId: string;
  /**
   * The store's clock, when the runner gave the store one (its `now` option): the TTL cases
   * move it forward instead of sleeping. Without it they wait in real time.
   */
  clock?: ConformanceClock;
}

/**
 * Real time plus an offset that only grows: cases that expect time to pass still see it pass,
 * and `advance` jumps past a TTL at once. Hand `now` to the store as its clock.
 */
export class ConformanceClock {
  private offsetMs = 0;

  readonly now = (): Date => new Date(Date.now() + this.offsetMs);

  advance(ms: number): void {
    this.offsetMs += ms;
  }
}

export interface ConformanceCase {
  name: string;
  run(ctx: ConformanceContext): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Assertions: tiny, dependency-free, with messages that say where the difference is.

/** Thrown when a store breaks the contract; the message says what was expected and what came. */
export class ConformanceFailure extends Error {
  override readonly name = 'ConformanceFailure';
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new ConformanceFailure(message);
}

function show(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 160 ? `${text.slice(0, 160)}… (${text.length} characters)` : text;
}

/** The first place where `actual` and `expected` differ, as a readable sentence, or null. */
export function findDifference(actual: unknown, expected: unknown, path = ''): string | null {
  const at = path === '' ? 'the value' : path;
  if (Object.is(actual, expected)) return null;
  if (typeof actual !== typeof expected || actual === null || expected === null || typeof actual !== 'object') {
    return `${at}: expected ${show(expected)}, got ${show(actual)}`;
  }
  const expectedObject = expected as object;
  if (Array.isArray(expectedObject) !== Array.isArray(actual)) {
    return `${at}: expected ${Array.isArray(expectedObject) ? 'an array' : 'an object'} ${show(expected)}, got ${show(actual)}`;
  }
  if (Array.isArray(expectedObject) && Array.isArray(actual)) {
    for (let i = 0; i < Math.min(actual.length, expectedObject.length); i++) {
      const difference = findDifference(actual[i], expectedObject[i], `${path}[${i}]`);
      if (difference) return difference;
    }
    if (actual.length !== expectedObject.length) {
      return `${at}: expected ${expectedObject.length} items, got ${actual.length} (${show(actual)})`;
    }
    return null;
  }
  const actualRecord = actual as Record<string, unknown>;
  const expectedRecord = expectedObject as Record<string, unknown>;
  for (const key of Object.keys(expectedRecord)) {
    if (!Object.prototype.hasOwnProperty.call(actualRecord, key)) {
      return `${path}.${key}: missing, expected ${show(expectedRecord[key])}`;
    }
    const difference = findDifference(actualRecord[key], expectedRecord[key], `${path}.${key}`);
    if (difference) return difference;
  }
  for (const key of Object.keys(actualRecord)) {
    if (!Object.prototype.hasOwnProperty.call(expectedRecord, key)) {
      return `${path}.${key}: unexpected, got ${show(actualRecord[key])}`;
    }
  }
  return null;
}

/** Deep equality (key order ignored); fails with the first difference and its path. */
export function assertEqual(actual: unknown, expected: unknown, what: string): void {
  const difference = findDifference(actual, expected);
  if (difference) throw new ConformanceFailure(`${what}: ${difference}`);
}

export interface ExpectedKvError {
  /** Index of the failing op in its batch, when the failure comes from `batch`. */
  opIndex?: number;
  /** Text the message must contain (for example the offending key). */
  messageIncludes?: string;
}

/** Awaits `promise` and checks that it rejects with a `KvError` of `code`; returns that error. */
export async function expectKvError(promise: Promise<unknown>, code: KvErrorCode, expected: ExpectedKvError = {}): Promise<KvError> {
  let outcome: unknown;
  try {
    outcome = await promise;
  } catch (error) {
    if (!isKvError(error)) {
      throw new ConformanceFailure(
        `expected a KvError '${code}', got ${error instanceof Error ? `${error.name}: ${error.message}` : show(error)}`,
      );
    }
    if (error.code !== code) {
      throw new ConformanceFailure(`expected KvError '${code}', got '${error.code}': ${error.message}`);
    }
    if (expected.opIndex !== undefined && error.opIndex !== expected.opIndex) {
      throw new ConformanceFailure(`KvError '${code}' should point at op ${expected.opIndex}, it has opIndex ${show(error.opIndex)}`);
    }
    if (expected.messageIncludes !== undefined && !error.message.includes(expected.messageIncludes)) {
      throw new ConformanceFailure(`KvError '${code}' message should mention ${show(expected.messageIncludes)}: ${show(error.message)}`);
    }
    if (error.message.trim() === '') throw new ConformanceFailure(`KvError '${code}' has an empty message`);
    return error;
  }
  throw new ConformanceFailure(`expected KvError '${code}', but it succeeded with ${show(outcome)}`);
}

// ---------------------------------------------------------------------------------------------
// Helpers the cases share.

const GLOBAL: ScopeRef = { scope: 'global' };
const FLOW: ScopeRef = { scope: 'flow', scopeKey: 'bp-main' };

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function randomSuffix(): string {
  const random = globalThis.crypto?.randomUUID?.();
  return random ? random.slice(0, 8) : Math.random().toString(36).slice(2, 10);
}

/** A companyId nobody else uses: `c-<random>`. */
export function freshCompanyId(): string {
  return `c-${randomSuffix()}-${Date.now().toString(36)}`;
}

/** Runs one op as a batch of one and returns its result with the precise type. */
async function one<O extends KvOp>(ctx: ConformanceContext, op: O): Promise<ResultOf<O>> {
  const results = await ctx.store.batch(ctx.companyId, [op]);
  assert(Array.isArray(results) && results.length === 1, `a batch of one op should return one result, got ${show(results)}`);
  const result = results[0] as KvOpResult;
  assert(result.op === op.op, `the result of a '${op.op}' op should have op '${op.op}', got ${show(result.op)}`);
  return result as ResultOf<O>;
}

async function setValue(
  ctx: ConformanceContext,
  key: string,
  value: JsonValue,
  extra: Partial<Extract<KvOp, { op: 'set' }>> = {},
): Promise<Entry> {
  const result = await one(ctx, { op: 'set', key, value, ...GLOBAL, ...extra });
  return result.entry;
}

async function getEntry(ctx: ConformanceContext, key: string, scope: ScopeRef = GLOBAL): Promise<Entry | null> {
  return (await one(ctx, { op: 'get', key, ...scope })).entry;
}

async function getValue(ctx: ConformanceContext, key: string, scope: ScopeRef = GLOBAL): Promise<JsonValue | undefined> {
  const entry = await getEntry(ctx, key, scope);
  return entry === null ? undefined : entry.value;
}

async function listKeys(
  ctx: ConformanceContext,
  options: { prefix?: string; limit?: number; cursor?: string | null } = {},
  scope: ScopeRef = GLOBAL,
): Promise<{ keys: string[]; nextCursor: string | null }> {
  const result = await one(ctx, { op: 'list', ...scope, ...options });
  return { keys: result.entries.map((entry) => entry.key), nextCursor: result.nextCursor };
}

function isIsoTime(value: unknown): boolean {
  return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/.test(value) && !Number.isNaN(Date.parse(value));
}

/** Checks every field of an entry against what the op that wrote it asked for. */
function assertEntryShape(
  entry: Entry | null | undefined,
  ctx: ConformanceContext,
  expected: { key: string; value: JsonValue; scope?: ScopeRef; version?: number },
  what: string,
): asserts entry is Entry {
  assert(entry !== null && entry !== undefined && typeof entry === 'object', `${what}: expected an entry, got ${show(entry)}`);
  const scope = expected.scope ?? GLOBAL;
  assert(typeof entry.id === 'string' && entry.id.length > 0, `${what}: id should be a non-empty string, got ${show(entry.id)}`);
  assertEqual(entry.companyId, ctx.companyId, `${what}: companyId`);
  assertEqual(entry.scope, scope.scope, `${what}: scope`);
  assertEqual(entry.scopeKey, scope.scope === 'global' ? '' : scope.scopeKey, `${what}: scopeKey`);
  assertEqual(entry.key, expected.key, `${what}: key`);
  assertEqual(entry.value, expected.value, `${what}: value`);
  assertEqual(entry.valueType, typeof expected.value === 'string' ? 'text' : 'json', `${what}: valueType`);
  if (expected.version !== undefined) assertEqual(entry.version, expected.version, `${what}: version`);
  assert(isIsoTime(entry.createdAt), `${what}: createdAt should be an ISO time, got ${show(entry.createdAt)}`);
  assert(isIsoTime(entry.updatedAt), `${what}: updatedAt should be an ISO time, got ${show(entry.updatedAt)}`);
  assert(entry.createdAt <= entry.updatedAt, `${what}: createdAt ${entry.createdAt} is after updatedAt ${entry.updatedAt}`);
  assert(
    entry.expiresAt === null || isIsoTime(entry.expiresAt),
    `${what}: expiresAt should be null or an ISO time, got ${show(entry.expiresAt)}`,
  );
}

// The TTL cases write with a short ttl and move past it: the store's clock when the runner
// injected one, else real time (so keep a margin).
const SHORT_TTL_SECONDS = 0.3;
const PAST_SHORT_TTL_MS = 450;

async function writeThenExpire(
  ctx: ConformanceContext,
  writes: Array<{ key: string; value: JsonValue; scope?: ScopeRef }>,
): Promise<Entry[]> {
  const results = await ctx.store.batch(
    ctx.companyId,
    writes.map((w) => ({ op: 'set' as const, key: w.key, value: w.value, ttlSeconds: SHORT_TTL_SECONDS, ...(w.scope ?? GLOBAL) })),
  );
  const entries = results.map((r) => {
    assert(r.op === 'set', `a set op should give a set result, got ${show(r)}`);
    return r.entry;
  });
  for (const write of writes) {
    assertEqual(await getValue(ctx, write.key, write.scope), write.value, `before its ttl, key '${write.key}'`);
  }
  if (ctx.clock) ctx.clock.advance(PAST_SHORT_TTL_MS);
  else await sleep(PAST_SHORT_TTL_MS);
  return entries;
}

// ---------------------------------------------------------------------------------------------
// The cases.

export const conformanceCases: ConformanceCase[] = [];

function conformanceCase(name: string, run: (ctx: ConformanceContext) => Promise<void>): void {
  conformanceCases.push({ name, run });
}

// --- set and get ------------------------------------------------------------------------------

conformanceCase('set creates an entry with version 1 and get reads it back', async (ctx) => {
  const result = await one(ctx, { op: 'set', key: 'greeting', value: 'hello', ...GLOBAL });
  assertEqual(result.created, true, 'created');
  assertEntryShape(result.entry, ctx, { key: 'greeting', value: 'hello', version: 1 }, 'set result');
  assertEqual(result.entry.createdAt, result.entry.updatedAt, 'a new entry: updatedAt equals createdAt');
  assertEqual(result.entry.expiresAt, null, 'expiresAt without ttl');
  const read = await getEntry(ctx, 'greeting');
  assertEqual(read, result.entry, 'get after set');
});

conformanceCase('get on a missing key returns a null entry, not an error', async (ctx) => {
  assertEqual(await getEntry(ctx, 'never_written'), null, 'get of a missing key');
});

conformanceCase('upsert over an existing key bumps the version and keeps id and createdAt', async (ctx) => {
  const first = await setValue(ctx, 'counter_doc', { n: 1 });
  await sleep(5);
  const second = await one(ctx, { op: 'set', key: 'counter_doc', value: { n: 2 }, ...GLOBAL });
  assertEqual(second.created, false, 'created on update');
  assertEntryShape(second.entry, ctx, { key: 'counter_doc', value: { n: 2 }, version: 2 }, 'second write');
  assertEqual(second.entry.id, first.id, 'id across updates');
  assertEqual(second.entry.createdAt, first.createdAt, 'createdAt across updates');
  assert(second.entry.updatedAt > first.updatedAt, `updatedAt should move forward: ${first.updatedAt} then ${second.entry.updatedAt}`);
  const third = await setValue(ctx, 'counter_doc', 'three');
  assertEqual(third.version, 3, 'version after a third write');
  assertEqual(third.id, first.id, 'id after a third write');
  assertEqual(third.valueType, 'text', 'valueType follows the new value');
});

conformanceCase('every kind of write adds exactly one to the version', async (ctx) => {
  assertEqual((await setValue(ctx, 'log', 'a')).version, 1, 'version after set');
  assertEqual((await one(ctx, { op: 'append', key: 'log', value: 'b', ...GLOBAL })).entry.version, 2, 'version after append');
  await setValue(ctx, 'log', '5');
  assertEqual((await one(ctx, { op: 'increment', key: 'log', ...GLOBAL })).entry.version, 4, 'version after increment');
  const results = await ctx.store.batch(ctx.companyId, [
    { op: 'increment', key: 'log', ...GLOBAL },
    { op: 'increment', key: 'log', ...GLOBAL },
  ]);
  assertEqual(
    results.map((r) => (r.op === 'increment' ? r.entry.version : null)),
    [5, 6],
    'versions of two increments in one batch',
  );
  assertEqual((await getEntry(ctx, 'log'))?.version, 6, 'stored version after the batch');
});

conformanceCase('create mode writes an absent key and fails with already_exists on a present one', async (ctx) => {
  const created = await one(ctx, { op: 'set', key: 'token', value: 'first', mode: 'create', ...GLOBAL });
  assertEqual(created.created, true, 'created');
  await expectKvError(
    ctx.store.batch(ctx.companyId, [{ op: 'set', key: 'token', value: 'second', mode: 'create', ...GLOBAL }]),
    'already_exists',
    { opIndex: 0, messageIncludes: 'token' },
  );
  const stored = await getEntry(ctx, 'token');
  assertEqual(stored?.value, 'first', 'value after a refused create');
  assertEqual(stored?.version, 1, 'version after a refused create');
});

conformanceCase('update mode changes a present key and fails with not_found on an absent one', async (ctx) => {
  await expectKvError(
    ctx.store.batch(ctx.companyId, [{ op: 'set', key: 'profile', value: { a: 1 }, mode: 'update', ...GLOBAL }]),
    'not_found',
    { opIndex: 0, messageIncludes: 'profile' },
  );
  assertEqual(await getEntry(ctx, 'profile'), null, 'an update of an absent key creates nothing');
  await setValue(ctx, 'profile', { a: 1 });
  const updated = await one(ctx, { op: 'set', key: 'profile', value: { a: 2 }, mode: 'update', ...GLOBAL });
  assertEqual(updated.created, false, 'created on update');
  assertEqual(updated.entry.value, { a: 2 }, 'value after update');
  assertEqual(updated.entry.version, 2, 'version after update');
});

conformanceCase('values keep their structure and types exactly', async (ctx) => {
  const values: Record<string, JsonValue> = {
    nested: { user: { name: 'Ada', tags: ['x', 'y'], address: { city: 'Zürich', zip: '8001' } }, empty: {}, list: [] },
    array_mixed: [1, 'two', true, null, { three: 3 }, [4, [5]]],
    unicode: 'héllo wörld ✓ — 日本語 😀',
    quotes: 'she said "hi" \\ back\\slash \' single \n newline \t tab \u0000 nul',
    integer: 42,
    negative: -17,
    fraction: 3.25,
    big: 9007199254740991,
    tiny: 1e-300,
    huge: 1.5e300,
    yes: true,
    no: false,
    nothing: null,
    zero: 0,
    empty_text: '',
    empty_object: {},
    empty_array: [],
    json_looking_text: '{"a":1}',
    numeric_text: '007',
  };
  const ops: KvOp[] = Object.entries(values).map(([key, value]) => ({ op: 'set', key, value, ...GLOBAL }));
  await ctx.store.batch(ctx.companyId, ops);
  for (const [key, value] of Object.entries(values)) {
    const entry = await getEntry(ctx, key);
    assertEntryShape(entry, ctx, { key, value, version: 1 }, `value under '${key}'`);
  }
});

conformanceCase('a stored null, false, 0 or empty string is present, not absent', async (ctx) => {
  await ctx.store.batch(ctx.companyId, [
    { op: 'set', key: 'n', value: null, ...GLOBAL },
    { op: 'set', key: 'f', value: false, ...GLOBAL },
    { op: 'set', key: 'z', value: 0, ...GLOBAL },
    { op: 'set', key: 's', value: '', ...GLOBAL },
  ]);
  for (const [key, value] of [
    ['n', null],
    ['f', false],
    ['z', 0],
    ['s', ''],
  ] as const) {
    const entry = await getEntry(ctx, key);
    assert(entry !== null, `key '${key}' holding ${show(value)} should be found`);
    assertEqual(entry.value, value, `value of '${key}'`);
  }
  assertEqual(
    await one(ctx, { op: 'set', key: 'n', value: 1, mode: 'update', ...GLOBAL }).then((r) => r.created),
    false,
    'update of a key holding null',
  );
  await expectKvError(ctx.store.batch(ctx.companyId, [{ op: 'set', key: 'f', value: 1, mode: 'create', ...GLOBAL }]), 'already_exists');
  assertEqual((await listKeys(ctx)).keys, ['f', 'n', 's', 'z'], 'list shows keys holding falsy values');
});

conformanceCase('a value changed by the caller after batch() is stored as it was at call time', async (ctx) => {
  const value = { items: ['a'] };
  const pending = ctx.store.batch(ctx.companyId, [{ op: 'set', key: 'snapshot', value, ...GLOBAL }]);
  value.items.push('b');
  await pending;
  assertEqual(await getValue(ctx, 'snapshot'), { items: ['a'] }, 'stored value');
});

conformanceCase('an entry read back is a copy: changing it does not change the store', async (ctx) => {
  const written = await setValue(ctx, 'doc', { list: [1, 2] });
  (written.value as { list: number[] }).list.push(99);
  const read = await getEntry(ctx, 'doc');
  assert(read !== null, 'doc should exist');
  (read.value as { list: number[] }).list.push(100);
  assertEqual(await getValue(ctx, 'doc'), { list: [1, 2] }, 'stored value after callers changed their copies');
});

// --- delete -----------------------------------------------------------------------------------

conformanceCase('delete removes a present key and reports whether it was there', async (ctx) => {
  await setValue(ctx, 'doomed', 'bye');
  assertEqual((await one(ctx, { op: 'delete', key: 'doomed', ...GLOBAL })).deleted, true, 'deleted of a present key');
  assertEqual(await getEntry(ctx, 'doomed'), null, 'get after delete');
  assertEqual((await listKeys(ctx)).keys, [], 'list after delete');
  assertEqual((await one(ctx, { op: 'delete', key: 'doomed', ...GLOBAL })).deleted, false, 'deleted of an absent key');
});

conformanceCase('a key saved again after delete starts over at version 1 with created true', async (ctx) => {
  const first = await setValue(ctx, 'phoenix', 1);
  await setValue(ctx, 'phoenix', 2);
  await one(ctx, { op: 'delete', key: 'phoenix', ...GLOBAL });
  const again = await one(ctx, { op: 'set', key: 'phoenix', value: 3, mode: 'create', ...GLOBAL });
  assertEqual(again.created, true, 'created');
  assertEqual(again.entry.version, 1, 'version');
  assert(again.entry.id !== first.id, `a recreated key should get a new id, both are ${first.id}`);
});

// --- append -----------------------------------------------------------------------------------

conformanceCase('append concatenates to stored text', async (ctx) => {
  await setValue(ctx, 'log', 'line1');
  const result = await one(ctx, { op: 'append', key: 'log', value: '|line2', ...GLOBAL });
  assertEntryShape(result.entry, ctx, { key: 'log', value: 'line1|line2', version: 2 }, 'append result');
  assertEqual(await getValue(ctx, 'log'), 'line1|line2', 'stored text');
});

conformanceCase('append of a number or object to text adds it as JSON text', async (ctx) => {
  await setValue(ctx, 'log', 'n=');
  await one(ctx, { op: 'append', key: 'log', value: 5, ...GLOBAL });
  await one(ctx, { op: 'append', key: 'log', value: { a: [1] }, ...GLOBAL });
  assertEqual(await getValue(ctx, 'log'), 'n=5{"a":[1]}', 'stored text');
});

conformanceCase('append pushes onto a stored array, keeping the pushed value whole', async (ctx) => {
  await setValue(ctx, 'items', [1]);
  await one(ctx, { op: 'append', key: 'items', value: { id: 2 }, ...GLOBAL });
  await one(ctx, { op: 'append', key: 'items', value: [3, 4], ...GLOBAL });
  const result = await one(ctx, { op: 'append', key: 'items', value: 'five', ...GLOBAL });
  assertEntryShape(result.entry, ctx, { key: 'items', value: [1, { id: 2 }, [3, 4], 'five'], version: 4 }, 'append result');
});

conformanceCase('append to an absent key creates [value] for json and the text for text', async (ctx) => {
  const json = await one(ctx, { op: 'append', key: 'as_json', value: { first: true }, valueType: 'json', ...GLOBAL });
  assertEntryShape(json.entry, ctx, { key: 'as_json', value: [{ first: true }], version: 1 }, 'json append to an absent key');
  const jsonText = await one(ctx, { op: 'append', key: 'json_string', value: 'x', valueType: 'json', ...GLOBAL });
  assertEqual(jsonText.entry.value, ['x'], 'json append of a string to an absent key');
  const text = await one(ctx, { op: 'append', key: 'as_text', value: 'hello', valueType: 'text', ...GLOBAL });
  assertEntryShape(text.entry, ctx, { key: 'as_text', value: 'hello', version: 1 }, 'text append to an absent key');
  assertEqual(await getValue(ctx, 'as_json'), [{ first: true }], 'stored json');
  assertEqual(await getValue(ctx, 'as_text'), 'hello', 'stored text');
});

conformanceCase('append to an object, number, boolean or null fails with type_mismatch and changes nothing', async (ctx) => {
  const stored: Record<string, JsonValue> = { obj: { a: 1 }, num: 7, bool: true, nil: null };
  await ctx.store.batch(
    ctx.companyId,
    Object.entries(stored).map(([key, value]) => ({ op: 'set', key, value, ...GLOBAL })),
  );
  for (const [key, value] of Object.entries(stored)) {
    await expectKvError(ctx.store.batch(ctx.companyId, [{ op: 'append', key, value: 'x', ...GLOBAL }]), 'type_mismatch', {
      opIndex: 0,
      messageIncludes: key,
    });
    const entry = await getEntry(ctx, key);
    assertEqual(entry?.value, value, `value of '${key}' after a refused append`);
    assertEqual(entry?.version, 1, `version of '${key}' after a refused append`);
  }
});

// --- increment --------------------------------------------------------------------------------

conformanceCase('increment on an absent key starts at 0 and adds 1 by default', async (ctx) => {
  const first = await one(ctx, { op: 'increment', key: 'visits', ...GLOBAL });
  assertEntryShape(first.entry, ctx, { key: 'visits', value: 1, version: 1 }, 'first increment');
  const second = await one(ctx, { op: 'increment', key: 'visits', ...GLOBAL });
  assertEqual(second.entry.value, 2, 'second increment');
  assertEqual(second.entry.id, first.entry.id, 'id across increments');
});

conformanceCase('increment adds a negative or fractional by', async (ctx) => {
  await setValue(ctx, 'balance', 10);
  assertEqual((await one(ctx, { op: 'increment', key: 'balance', by: -12, ...GLOBAL })).entry.value, -2, 'after by -12');
  assertEqual((await one(ctx, { op: 'increment', key: 'balance', by: 0.25, ...GLOBAL })).entry.value, -1.75, 'after by 0.25');
  assertEqual((await one(ctx, { op: 'increment', key: 'fresh', by: -0.5, ...GLOBAL })).entry.value, -0.5, 'absent key by -0.5');
  assertEqual(await getValue(ctx, 'balance'), -1.75, 'stored balance');
});

conformanceCase('increment of a numeric string stores a number', async (ctx) => {
  await setValue(ctx, 'count_text', '41');
  const result = await one(ctx, { op: 'increment', key: 'count_text', ...GLOBAL });
  assertEntryShape(result.entry, ctx, { key: 'count_text', value: 42, version: 2 }, 'increment of "41"');
  await setValue(ctx, 'neg_text', '-2.5');
  assertEqual((await one(ctx, { op: 'increment', key: 'neg_text', by: 1, ...GLOBAL })).entry.value, -1.5, 'increment of "-2.5"');
});

conformanceCase('increment of a non-numeric value fails with type_mismatch and changes nothing', async (ctx) => {
  const stored: Record<string, JsonValue> = { word: 'abc', blank: '', hex: '0x10', obj: { n: 1 }, arr: [1], bool: true, nil: null };
  await ctx.store.batch(
    ctx.companyId,
    Object.entries(stored).map(([key, value]) => ({ op: 'set', key, value, ...GLOBAL })),
  );
  for (const [key, value] of Object.entries(stored)) {
    await expectKvError(ctx.store.batch(ctx.companyId, [{ op: 'increment', key, ...GLOBAL }]), 'type_mismatch', {
      opIndex: 0,
      messageIncludes: key,
    });
    const entry = await getEntry(ctx, key);
    assertEqual(entry?.value, value, `value of '${key}' after a refused increment`);
    assertEqual(entry?.version, 1, `version of '${key}' after a refused increment`);
  }
});

conformanceCase('increment whose sum JSON cannot hold fails with invalid_value', async (ctx) => {
  await setValue(ctx, 'huge', 1.7e308);
  await expectKvError(ctx.store.batch(ctx.companyId, [{ op: 'increment', key: 'huge', by: 1.7e308, ...GLOBAL }]), 'invalid_value', {
    opIndex: 0,
    messageIncludes: 'huge',
  });
  assertEqual(await getValue(ctx, 'huge'), 1.7e308, 'value after the refused increment');
});

conformanceCase('increment and append keep the expiry of the entry they change', async (ctx) => {
  const counter = await setValue(ctx, 'rate', 1, { ttlSeconds: 120 });
  const incremented = await one(ctx, { op: 'increment', key: 'rate', ...GLOBAL });
  assertEqual(incremented.entry.expiresAt, counter.expiresAt, 'expiresAt after increment');
  const list = await setValue(ctx, 'recent', [], { ttlSeconds: 120 });
  const appended = await one(ctx, { op: 'append', key: 'recent', value: 1, ...GLOBAL });
  assertEqual(appended.entry.expiresAt, list.expiresAt, 'expiresAt after append');
});

conformanceCase('append to an absent key without valueType: text for a string, [value] otherwise', async (ctx) => {
  assertEqual((await one(ctx, { op: 'append', key: 'word', value: 'hi', ...GLOBAL })).entry.value, 'hi', 'string value');
  assertEqual((await one(ctx, { op: 'append', key: 'num', value: 3, ...GLOBAL })).entry.value, [3], 'number value');
  assertEqual((await one(ctx, { op: 'append', key: 'obj', value: { a: 1 }, ...GLOBAL })).entry.value, [{ a: 1 }], 'object value');
  assertEqual(
    (await one(ctx, { op: 'append', key: 'num_text', value: 3, valueType: 'text', ...GLOBAL })).entry.value,
    '3',
    'number value as text',
  );
});

// --- key, value and scope validation ----------------------------------------------------------

conformanceCase('a key of exactly 256 characters is accepted and 257 fails with invalid_key', async (ctx) => {
  const longest = 'k'.repeat(KEY_MAX_LENGTH - 1) + 'Z';
  await setValue(ctx, longest, 'ok');
  assertEqual(await getValue(ctx, longest), 'ok', 'value under a 256-character key');
  assertEqual((await listKeys(ctx)).keys, [longest], 'list shows the 256-character key');
  const tooLong = 'q'.repeat(KEY_MAX_LENGTH + 1);
  for (const op of ['set', 'get', 'delete', 'append', 'increment'] as const) {
    const kvOp = (op === 'set' || op === 'append' ? { op, key: tooLong, value: 'x', ...GLOBAL } : { op, key: tooLong, ...GLOBAL }) as KvOp;
    await expectKvError(ctx.store.batch(ctx.companyId, [kvOp]), 'invalid_key', { opIndex: 0, messageIncludes: tooLong.slice(0, 20) });
  }
});

conformanceCase('keys with characters other than A-Z a-z 0-9 _ - fail with invalid_key naming the key', async (ctx) => {
  const badKeys = ['has space', 'dot.ted', 'sla/sh', 'colon:key', 'ünïcode', 'emoji😀', 'tab\tkey', 'per%cent', 'quote"key', 'new\nline'];
  for (const key of badKeys) {
    const shown = key.includes('\n') || key.includes('\t') ? key.split(/[\n\t]/)[0]! : key;
    for (const op of ['set', 'get', 'delete', 'append', 'increment'] as const) {
      const kvOp = (op === 'set' || op === 'append' ? { op, key, value: 'x', ...GLOBAL } : { op, key, ...GLOBAL }) as KvOp;
      await expectKvError(ctx.store.batch(ctx.companyId, [kvOp]), 'invalid_key', { opIndex: 0, messageIncludes: shown });
    }
  }
  await expectKvError(ctx.store.batch(ctx.companyId, [{ op: 'set', key: '', value: 'x', ...GLOBAL }]), 'invalid_key', { opIndex: 0 });
  assertEqual((await listKeys(ctx)).keys, [], 'nothing was written by refused keys');
  for (const key of ['A', 'z', '0', '_', '-', 'Mixed_Case-09']) {
    await setValue(ctx, key, key);
    assertEqual(await getValue(ctx, key), key, `value under the valid key '${key}'`);
  }
});

conformanceCase('a value of exactly 1 MiB as JSON is stored and one byte more fails with too_large', async (ctx) => {
  // A string's JSON form adds two quote characters.
  const atLimit = 'a'.repeat(VALUE_MAX_BYTES - 2);
  await setValue(ctx, 'big', atLimit);
  const stored = await getValue(ctx, 'big');
  assert(
    typeof stored === 'string' && stored.length === atLimit.length && stored === atLimit,
    `the 1 MiB value should come back whole, got ${show(stored)}`,
  );
  await expectKvError(ctx.store.batch(ctx.companyId, [{ op: 'set', key: 'bigger', value: atLimit + 'a', ...GLOBAL }]), 'too_large', {
    opIndex: 0,
    messageIncludes: 'bigger',
  });
  assertEqual(await getEntry(ctx, 'bigger'), null, 'a refused too-large value is not stored');
  // Multi-byte characters count as their UTF-8 bytes: 'é' is two bytes.
  await expectKvError(
    ctx.store.batch(ctx.companyId, [{ op: 'set', key: 'wide', value: 'é'.repeat(VALUE_MAX_BYTES / 2), ...GLOBAL }]),
    'too_large',
  );
});

conformanceCase('append that would grow a value past 1 MiB fails with too_large and keeps the old value', async (ctx) => {
  const almost = 'b'.repeat(VALUE_MAX_BYTES - 2);
  await setValue(ctx, 'full', almost);
  await expectKvError(ctx.store.batch(ctx.companyId, [{ op: 'append', key: 'full', value: 'c', ...GLOBAL }]), 'too_large', { opIndex: 0 });
  const entry = await getEntry(ctx, 'full');
  assertEqual(entry?.version, 1, 'version after the refused append');
  assert(entry?.value === almost, 'the value is unchanged after the refused append');
});

conformanceCase('values JSON cannot hold fail with invalid_value', async (ctx) => {
  const bad: Array<[string, unknown]> = [
    ['infinite', Infinity],
    ['not_a_number', NaN],
    ['nested_nan', { a: [1, NaN] }],
    ['missing', undefined],
  ];
  for (const [key, value] of bad) {
    await expectKvError(ctx.store.batch(ctx.companyId, [{ op: 'set', key, value: value as JsonValue, ...GLOBAL }]), 'invalid_value', {
      opIndex: 0,
      messageIncludes: key,
    });
    await expectKvError(ctx.store.batch(ctx.companyId, [{ op: 'append', key, value: value as JsonValue, ...GLOBAL }]), 'invalid_value', {
      opIndex: 0,
    });
  }
  assertEqual((await listKeys(ctx)).keys, [], 'nothing was written by refused values');
});

conformanceCase('a ttlSeconds over 100 years fails with invalid_value and writes nothing', async (ctx) => {
  for (const ttlSeconds of [TTL_MAX_SECONDS + 1, 1e300]) {
    await expectKvError(ctx.store.batch(ctx.companyId, [{ op: 'set', key: 'forever', value: 1, ttlSeconds, ...GLOBAL }]), 'invalid_value', {
      opIndex: 0,
    });
  }
  assertEqual(await getEntry(ctx, 'forever'), null, 'nothing written for a refused ttl');
  const longest = await setValue(ctx, 'forever', 1, { ttlSeconds: TTL_MAX_SECONDS });
  assert(
    longest.expiresAt !== null && /^\d{4}-/.test(longest.expiresAt),
    `expiresAt of the longest ttl should be an ISO time, got ${show(longest.expiresAt)}`,
  );
});

conformanceCase('ttlSeconds and increment by that are not positive finite numbers fail with invalid_value', async (ctx) => {
  for (const ttlSeconds of [0, -5]) {
    await expectKvError(ctx.store.batch(ctx.companyId, [{ op: 'set', key: 'ttl_key', value: 1, ttlSeconds, ...GLOBAL }]), 'invalid_value', {
      opIndex: 0,
    });
  }
  for (const by of [Infinity, NaN]) {
    await expectKvError(ctx.store.batch(ctx.companyId, [{ op: 'increment', key: 'ctr', by, ...GLOBAL }]), 'invalid_value', { opIndex: 0 });
  }
  assertEqual((await listKeys(ctx)).keys, [], 'nothing was written');
});

conformanceCase('flow and flow_group without a scopeKey fail with invalid_scope', async (ctx) => {
  const refs: ScopeRef[] = [
    { scope: 'flow' },
    { scope: 'flow_group' },
    { scope: 'flow', scopeKey: '' },
    { scope: 'flow_group', scopeKey: '' },
  ];
  for (const ref of refs) {
    for (const op of [
      { op: 'set', key: 'k', value: 1, ...ref },
      { op: 'get', key: 'k', ...ref },
      { op: 'delete', key: 'k', ...ref },
      { op: 'list', ...ref },
      { op: 'append', key: 'k', value: 1, ...ref },
      { op: 'increment', key: 'k', ...ref },
    ] as KvOp[]) {
      await expectKvError(ctx.store.batch(ctx.companyId, [op]), 'invalid_scope', { opIndex: 0, messageIncludes: ref.scope });
    }
  }
  await expectKvError(ctx.store.batch(ctx.companyId, [{ op: 'get', key: 'k', scope: 'planet' } as unknown as KvOp]), 'invalid_scope', {
    opIndex: 0,
    messageIncludes: 'planet',
  });
});

conformanceCase('an unknown op or save mode fails with invalid_request', async (ctx) => {
  await expectKvError(
    ctx.store.batch(ctx.companyId, [{ op: 'frobnicate', key: 'k', scope: 'global' } as unknown as KvOp]),
    'invalid_request',
    { opIndex: 0, messageIncludes: 'frobnicate' },
  );
  await expectKvError(
    ctx.store.batch(ctx.companyId, [{ op: 'set', key: 'k', value: 1, mode: 'replace', scope: 'global' } as unknown as KvOp]),
    'invalid_request',
    { opIndex: 0, messageIncludes: 'replace' },
  );
  assertEqual(await getEntry(ctx, 'k'), null, 'nothing was written');
});

conformanceCase('an unknown valueType fails with invalid_request', async (ctx) => {
  await expectKvError(
    ctx.store.batch(ctx.companyId, [{ op: 'append', key: 'k', value: 1, valueType: 'xml', scope: 'global' } as unknown as KvOp]),
    'invalid_request',
    { opIndex: 0, messageIncludes: 'xml' },
  );
  await expectKvError(
    ctx.store.batch(ctx.companyId, [{ op: 'set', key: 'k', value: 1, valueType: 'binary', scope: 'global' } as unknown as KvOp]),
    'invalid_request',
    { opIndex: 0, messageIncludes: 'binary' },
  );
  assertEqual(await getEntry(ctx, 'k'), null, 'nothing was written');
});

// --- scopes and companies ---------------------------------------------------------------------

conformanceCase('flow, flow_group and global are separate, and so are two scopeKeys of one scope', async (ctx) => {
  const places: ScopeRef[] = [
    { scope: 'flow', scopeKey: 'bp-a' },
    { scope: 'flow', scopeKey: 'bp-b' },
    { scope: 'flow_group', scopeKey: 'bp-a' },
    { scope: 'flow_group', scopeKey: 'grp-b' },
    { scope: 'global' },
  ];
  await ctx.store.batch(
    ctx.companyId,
    places.map((ref, i) => ({ op: 'set', key: 'shared_name', value: `value-${i}`, ...ref })),
  );
  for (const [i, ref] of places.entries()) {
    const entry = await getEntry(ctx, 'shared_name', ref);
    assertEntryShape(
      entry,
      ctx,
      { key: 'shared_name', value: `value-${i}`, scope: ref, version: 1 },
      `entry in ${ref.scope} '${ref.scopeKey ?? ''}'`,
    );
    assertEqual((await listKeys(ctx, {}, ref)).keys, ['shared_name'], `list in ${ref.scope} '${ref.scopeKey ?? ''}'`);
  }
  const ids = new Set<string>();
  for (const ref of places) ids.add((await getEntry(ctx, 'shared_name', ref))!.id);
  assertEqual(ids.size, places.length, 'each scope holds its own entry with its own id');
  await one(ctx, { op: 'delete', key: 'shared_name', scope: 'flow', scopeKey: 'bp-a' });
  assertEqual(await getValue(ctx, 'shared_name', { scope: 'flow', scopeKey: 'bp-b' }), 'value-1', 'other flow after delete');
  assertEqual(
    await getValue(ctx, 'shared_name', { scope: 'flow_group', scopeKey: 'bp-a' }),
    'value-2',
    'flow_group with the same scopeKey after delete',
  );
  assertEqual(await getValue(ctx, 'shared_name', GLOBAL), 'value-4', 'global after delete');
  await one(ctx, { op: 'increment', key: 'hits', scope: 'flow', scopeKey: 'bp-a' });
  assertEqual(await getEntry(ctx, 'hits', { scope: 'flow', scopeKey: 'bp-b' }), null, 'increment in one flow stays in that flow');
});

conformanceCase('scopeKeys are opaque: look-alike and prefix scopeKeys never share entries', async (ctx) => {
  // Stores that join scope, scopeKey and key into one string must not let them run together.
  const places: ScopeRef[] = [
    { scope: 'flow', scopeKey: 'bp' },
    { scope: 'flow', scopeKey: 'bp-2' },
    { scope: 'flow', scopeKey: 'bp_' },
    { scope: 'flow', scopeKey: 'a:b' },
    { scope: 'flow', scopeKey: 'a' },
    { scope: 'flow', scopeKey: 'with space/and·unicode ✓' },
    { scope: 'flow_group', scopeKey: 'bp' },
  ];
  await ctx.store.batch(
    ctx.companyId,
    places.map((ref, i) => ({ op: 'set' as const, key: i === 4 ? 'b_c' : 'c', value: i, ...ref })),
  );
  for (const [i, ref] of places.entries()) {
    const expectedKey = i === 4 ? 'b_c' : 'c';
    assertEqual((await listKeys(ctx, {}, ref)).keys, [expectedKey], `list in ${ref.scope} ${show(ref.scopeKey)}`);
    assertEqual(await getValue(ctx, expectedKey, ref), i, `value in ${ref.scope} ${show(ref.scopeKey)}`);
  }
  assertEqual(await getEntry(ctx, 'c', { scope: 'flow', scopeKey: 'b' }), null, 'a scopeKey nobody wrote');
});

conformanceCase('global scope ignores scopeKey and stores it as an empty string', async (ctx) => {
  const entry = await setValue(ctx, 'g', 1, { scope: 'global', scopeKey: 'ignored' });
  assertEqual(entry.scopeKey, '', 'scopeKey of a global entry');
  assertEqual(await getValue(ctx, 'g', { scope: 'global' }), 1, 'global get without scopeKey');
  assertEqual(await getValue(ctx, 'g', { scope: 'global', scopeKey: 'other' }), 1, 'global get with another scopeKey');
});

conformanceCase('companies are isolated: keys, lists, getById and deleteById never cross', async (ctx) => {
  const other: ConformanceContext = { store: ctx.store, companyId: `${ctx.companyId}-other` };
  const mine = await setValue(ctx, 'secret', 'mine');
  const theirs = await setValue(other, 'secret', 'theirs');
  await setValue(other, 'only_theirs', 1);
  assert(mine.id !== theirs.id, 'two companies get different ids for the same key');
  assertEqual(theirs.companyId, other.companyId, "companyId of the other company's entry");
  assertEqual(await getValue(ctx, 'secret'), 'mine', 'my value');
  assertEqual(await getValue(other, 'secret'), 'theirs', 'their value');
  assertEqual((await listKeys(ctx)).keys, ['secret'], 'my list');
  assertEqual(await ctx.store.getById(ctx.companyId, theirs.id), null, "getById of another company's id");
  assertEqual(await ctx.store.deleteById(ctx.companyId, theirs.id), false, "deleteById of another company's id");
  assertEqual(await getValue(other, 'secret'), 'theirs', 'their value after my deleteById attempt');
  assertEqual(await getEntry(ctx, 'only_theirs'), null, 'get of a key only the other company has');
});

conformanceCase("a company whose id starts with another company's id sees only its own keys", async (ctx) => {
  const longer: ConformanceContext = { store: ctx.store, companyId: `${ctx.companyId}0` };
  await setValue(ctx, 'k1', 1);
  await setValue(longer, 'k2', 2);
  assertEqual((await listKeys(ctx)).keys, ['k1'], "the shorter company's list");
  assertEqual((await listKeys(longer)).keys, ['k2'], "the longer company's list");
  assertEqual(await getEntry(longer, 'k1'), null, 'get across look-alike companies');
});

// --- getById and deleteById -------------------------------------------------------------------

conformanceCase('getById returns the entry a batch wrote, and null for an unknown id', async (ctx) => {
  const entry = await setValue(ctx, 'by_id', { deep: [1, 2] }, { scope: 'flow', scopeKey: 'bp-x' });
  assertEqual(await ctx.store.getById(ctx.companyId, entry.id), entry, 'getById');
  const updated = await setValue(ctx, 'by_id', 'v2', { scope: 'flow', scopeKey: 'bp-x' });
  assertEqual(await ctx.store.getById(ctx.companyId, entry.id), updated, 'getById after an update');
  assertEqual(await ctx.store.getById(ctx.companyId, 'no-such-id'), null, 'getById of an unknown id');
});

conformanceCase('deleteById removes the entry once and then reports false', async (ctx) => {
  const entry = await setValue(ctx, 'by_id', 1);
  await setValue(ctx, 'neighbour', 2);
  assertEqual(await ctx.store.deleteById(ctx.companyId, entry.id), true, 'first deleteById');
  assertEqual(await getEntry(ctx, 'by_id'), null, 'get after deleteById');
  assertEqual(await ctx.store.getById(ctx.companyId, entry.id), null, 'getById after deleteById');
  assertEqual(await ctx.store.deleteById(ctx.companyId, entry.id), false, 'second deleteById');
  assertEqual(await getValue(ctx, 'neighbour'), 2, 'a neighbour survives deleteById');
  assertEqual(await ctx.store.deleteById(ctx.companyId, 'no-such-id'), false, 'deleteById of an unknown id');
});

// --- list -------------------------------------------------------------------------------------

conformanceCase('list returns keys sorted by code unit with full entries', async (ctx) => {
  const keys = ['b', 'B', 'a', 'A', '_x', '-x', '0', '9z', 'Z', 'z', 'aa', 'a_', 'a-'];
  await ctx.store.batch(
    ctx.companyId,
    keys.map((key) => ({ op: 'set', key, value: key, ...GLOBAL })),
  );
  const result = await one(ctx, { op: 'list', ...GLOBAL });
  const sorted = [...keys].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
  assertEqual(
    result.entries.map((e) => e.key),
    sorted,
    'list order',
  );
  assertEqual(result.nextCursor, null, 'nextCursor when everything fits');
  for (const entry of result.entries)
    assertEntryShape(entry, ctx, { key: entry.key, value: entry.key, version: 1 }, `listed entry '${entry.key}'`);
  await setValue(ctx, 'a', { changed: true });
  const relisted = await one(ctx, { op: 'list', prefix: 'a', limit: 1, ...GLOBAL });
  assertEqual(relisted.entries, [await getEntry(ctx, 'a')], 'a listed entry is the same as get returns, after an update');
});

conformanceCase('list filters by prefix literally and case-sensitively', async (ctx) => {
  const keys = ['user_1', 'user_2', 'user-3', 'userX', 'USER_4', 'users', 'admin_1', 'a_b', 'axb', 'a_bc'];
  await ctx.store.batch(
    ctx.companyId,
    keys.map((key) => ({ op: 'set', key, value: 1, ...GLOBAL })),
  );
  assertEqual((await listKeys(ctx, { prefix: 'user_' })).keys, ['user_1', 'user_2'], 'prefix user_ (an underscore is not a wildcard)');
  assertEqual((await listKeys(ctx, { prefix: 'user' })).keys, ['user-3', 'userX', 'user_1', 'user_2', 'users'], 'prefix user');
  assertEqual((await listKeys(ctx, { prefix: 'USER' })).keys, ['USER_4'], 'prefix USER (case matters)');
  assertEqual((await listKeys(ctx, { prefix: 'a_' })).keys, ['a_b', 'a_bc'], 'prefix a_ does not match axb');
  assertEqual((await listKeys(ctx, { prefix: '%' })).keys, [], 'prefix % matches nothing');
  assertEqual((await listKeys(ctx, { prefix: 'nobody' })).keys, [], 'a prefix nothing has');
  assertEqual((await listKeys(ctx, { prefix: '' })).keys.length, keys.length, 'an empty prefix lists everything');
});

conformanceCase('list pages with limit and cursor through 25 keys without duplicates or gaps', async (ctx) => {
  const keys = Array.from({ length: 25 }, (_, i) => `item_${String(i).padStart(2, '0')}`);
  await ctx.store.batch(
    ctx.companyId,
    [...keys].reverse().map((key) => ({ op: 'set', key, value: key, ...GLOBAL })),
  );
  await setValue(ctx, 'other_key', 0);
  const seen: string[] = [];
  const pageSizes: number[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 10; page++) {
    const result = await listKeys(ctx, { prefix: 'item_', limit: 10, cursor });
    pageSizes.push(result.keys.length);
    seen.push(...result.keys);
    cursor = result.nextCursor;
    if (cursor === null) break;
    assert(typeof cursor === 'string' && cursor.length > 0, `nextCursor should be a non-empty string, got ${show(cursor)}`);
  }
  assertEqual(pageSizes, [10, 10, 5], 'page sizes');
  assertEqual(seen, keys, 'keys across pages');
});

conformanceCase('list pages with a prefix and a cursor together', async (ctx) => {
  const keys = ['a1', 'a2', 'a3', 'a4', 'a5', 'b1', 'b2'];
  await ctx.store.batch(
    ctx.companyId,
    ['a0x', ...keys].map((key) => ({ op: 'set' as const, key, value: key, ...GLOBAL })),
  );
  const first = await listKeys(ctx, { prefix: 'a', limit: 3, cursor: 'a0x' });
  assertEqual(first.keys, ['a1', 'a2', 'a3'], 'first page after cursor a0x');
  const second = await listKeys(ctx, { prefix: 'a', limit: 3, cursor: first.nextCursor });
  assertEqual(second.keys, ['a4', 'a5'], 'second page stays inside the prefix');
  assertEqual(second.nextCursor, null, 'no page after the last key with the prefix');
  assertEqual((await listKeys(ctx, { cursor: 'a5' })).keys, ['b1', 'b2'], 'a cursor alone');
  assertEqual((await listKeys(ctx, { cursor: 'zzz' })).keys, [], 'a cursor after every key');
});

conformanceCase('list past a cursor after a lower key was staged in the same batch', async (ctx) => {
  await ctx.store.batch(
    ctx.companyId,
    ['n1', 'n2'].map((key) => ({ op: 'set' as const, key, value: key, ...GLOBAL })),
  );
  const [, listed] = await ctx.store.batch(ctx.companyId, [
    { op: 'set', key: 'a_staged', value: 'below the cursor', ...GLOBAL },
    { op: 'list', cursor: 'm', ...GLOBAL },
  ]);
  assert(listed?.op === 'list', `the second op should give a list result, got ${show(listed)}`);
  assertEqual(
    listed.entries.map((entry) => entry.key),
    ['n1', 'n2'],
    'keys after cursor m, with a_staged written earlier in the batch',
  );
  assertEqual(listed.nextCursor, null, 'nextCursor');
});

conformanceCase('a page that ends exactly at the last key has no nextCursor', async (ctx) => {
  await ctx.store.batch(
    ctx.companyId,
    Array.from({ length: 20 }, (_, i) => ({ op: 'set' as const, key: `k${String(i).padStart(2, '0')}`, value: i, ...GLOBAL })),
  );
  const first = await listKeys(ctx, { limit: 10 });
  assert(first.nextCursor !== null, 'the first page of 20 keys by 10 should have a nextCursor');
  const second = await listKeys(ctx, { limit: 10, cursor: first.nextCursor });
  assertEqual(second.keys.length, 10, 'second page size');
  assertEqual(second.nextCursor, null, 'nextCursor after the last key');
  assertEqual((await listKeys(ctx, { limit: 20 })).nextCursor, null, 'nextCursor when the limit equals the number of keys');
});

conformanceCase('a list cursor is a position by key, so writes between pages neither repeat nor skip keys', async (ctx) => {
  await ctx.store.batch(
    ctx.companyId,
    ['b', 'd', 'f', 'h'].map((key) => ({ op: 'set' as const, key, value: key, ...GLOBAL })),
  );
  const first = await listKeys(ctx, { limit: 2 });
  assertEqual(first.keys, ['b', 'd'], 'first page');
  await ctx.store.batch(ctx.companyId, [
    { op: 'set', key: 'a', value: 'a', ...GLOBAL },
    { op: 'delete', key: 'f', ...GLOBAL },
    { op: 'set', key: 'g', value: 'g', ...GLOBAL },
  ]);
  const second = await listKeys(ctx, { limit: 2, cursor: first.nextCursor });
  assertEqual(second.keys, ['g', 'h'], 'second page after writes');
  assertEqual(second.nextCursor, null, 'no more pages');
});

conformanceCase('list returns at most 1000 keys by default and refuses a limit outside 1–1000', async (ctx) => {
  const count = LIST_DEFAULT_LIMIT + 5;
  await ctx.store.batch(
    ctx.companyId,
    Array.from({ length: count }, (_, i) => ({ op: 'set' as const, key: `n${String(i).padStart(5, '0')}`, value: i, ...GLOBAL })),
  );
  const first = await listKeys(ctx);
  assertEqual(first.keys.length, LIST_DEFAULT_LIMIT, 'default page size');
  const rest = await listKeys(ctx, { cursor: first.nextCursor });
  assertEqual(rest.keys.length, 5, 'the rest');
  for (const limit of [0, -1, 1.5, LIST_DEFAULT_LIMIT + 1]) {
    await expectKvError(ctx.store.batch(ctx.companyId, [{ op: 'list', limit, ...GLOBAL }]), 'invalid_request', { opIndex: 0 });
  }
  assertEqual((await listKeys(ctx, { limit: 1 })).keys, ['n00000'], 'limit 1');
});

// --- keys (names only) ------------------------------------------------------------------------

async function keyNames(
  ctx: ConformanceContext,
  options: { prefix?: string; contains?: string; limit?: number; cursor?: string | null } = {},
  scope: ScopeRef = GLOBAL,
) {
  const result = await one(ctx, { op: 'keys', ...scope, ...options });
  assert(
    Array.isArray(result.keys) && result.keys.every((key) => typeof key === 'string'),
    `keys should be an array of key names, got ${show(result.keys)}`,
  );
  return result;
}

conformanceCase('keys returns sorted key names and the total, in one scope only', async (ctx) => {
  const keys = ['b', 'B', 'a', '_x', '-x', '0', 'z', 'a_'];
  await ctx.store.batch(
    ctx.companyId,
    keys.map((key) => ({ op: 'set', key, value: { secret: key }, ...GLOBAL })),
  );
  await ctx.store.batch(ctx.companyId, [{ op: 'set', key: 'in_flow', value: 1, ...FLOW }]);
  const sorted = [...keys].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
  assertEqual(await keyNames(ctx), { op: 'keys', keys: sorted, total: keys.length, nextCursor: null }, 'keys of global scope');
  assertEqual(await keyNames(ctx, {}, FLOW), { op: 'keys', keys: ['in_flow'], total: 1, nextCursor: null }, 'keys of the flow scope');
  assertEqual(
    await keyNames(ctx, {}, { scope: 'flow', scopeKey: 'bp-other' }),
    { op: 'keys', keys: [], total: 0, nextCursor: null },
    'keys of an empty scope',
  );
});

conformanceCase('keys matches a substring anywhere, ignoring case, and a prefix case-sensitively', async (ctx) => {
  const keys = ['user_01', 'USER_02', 'key-01', 'monkey_1', 'a_b', 'axb', 'x01y'];
  await ctx.store.batch(
    ctx.companyId,
    keys.map((key) => ({ op: 'set', key, value: 1, ...GLOBAL })),
  );
  assertEqual((await keyNames(ctx, { contains: 'key' })).keys, ['key-01', 'monkey_1'], 'contains key');
  assertEqual((await keyNames(ctx, { contains: 'user' })).keys, ['USER_02', 'user_01'], 'contains user, either case');
  assertEqual((await keyNames(ctx, { contains: 'KEY-0' })).keys, ['key-01'], 'contains KEY-0 (the filter is lower-cased too)');
  assertEqual((await keyNames(ctx, { contains: '01' })).total, 3, 'total of contains 01');
  assertEqual((await keyNames(ctx, { contains: '_' })).keys, ['USER_02', 'a_b', 'monkey_1', 'user_01'], 'an underscore is no wildcard');
  assertEqual((await keyNames(ctx, { contains: '%' })).keys, [], 'a percent sign matches nothing');
  assertEqual((await keyNames(ctx, { prefix: 'user', contains: '0' })).keys, ['user_01'], 'prefix and contains together');
  assertEqual((await keyNames(ctx, { contains: '' })).total, keys.length, 'an empty contains matches everything');
});

conformanceCase('keys pages with limit and cursor, with the same total on every page', async (ctx) => {
  const keys = Array.from({ length: 25 }, (_, i) => `item_${String(i).padStart(2, '0')}`);
  await ctx.store.batch(
    ctx.companyId,
    [...keys, 'other'].map((key) => ({ op: 'set' as const, key, value: key, ...GLOBAL })),
  );
  const seen: string[] = [];
  const totals: number[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 10; page++) {
    const result = await keyNames(ctx, { contains: 'ITEM', limit: 10, cursor });
    seen.push(...result.keys);
    totals.push(result.total);
    cursor = result.nextCursor;
    if (cursor === null) break;
  }
  assertEqual(seen, keys, 'names across pages');
  assertEqual(totals, [25, 25, 25], 'total on each page');
  for (const limit of [0, 1.5, LIST_DEFAULT_LIMIT + 1]) {
    await expectKvError(ctx.store.batch(ctx.companyId, [{ op: 'keys', limit, ...GLOBAL }]), 'invalid_request', { opIndex: 0 });
  }
  await expectKvError(ctx.store.batch(ctx.companyId, [{ op: 'keys', contains: 5 as unknown as string, ...GLOBAL }]), 'invalid_request', {
    opIndex: 0,
  });
});

conformanceCase('keys leaves out expired keys and counts the writes of its own batch', async (ctx) => {
  await ctx.store.batch(
    ctx.companyId,
    ['a', 'b', 'c'].map((key) => ({ op: 'set' as const, key, value: key, ...GLOBAL })),
  );
  await writeThenExpire(
    ctx,
    [{ key: 'gone' }].map(({ key }) => ({ key, value: 1 })),
  );
  assertEqual(
    await keyNames(ctx),
    { op: 'keys', keys: ['a', 'b', 'c'], total: 3, nextCursor: null },
    'an expired key is neither listed nor counted',
  );
  assertEqual(
    await keyNames(ctx, { contains: 'o' }),
    { op: 'keys', keys: [], total: 0, nextCursor: null },
    'an expired key does not match a filter',
  );
  assertEqual(
    await keyNames(ctx, { prefix: 'g' }),
    { op: 'keys', keys: [], total: 0, nextCursor: null },
    'an expired key does not match a prefix',
  );
  const [, , names] = await ctx.store.batch(ctx.companyId, [
    { op: 'delete', key: 'a', ...GLOBAL },
    { op: 'set', key: 'd', value: 'd', ...GLOBAL },
    { op: 'keys', limit: 2, ...GLOBAL },
  ]);
  assertEqual(names, { op: 'keys', keys: ['b', 'c'], total: 3, nextCursor: 'c' }, 'keys after a delete and a set in the same batch');
  assertEqual((await keyNames(ctx)).keys, ['b', 'c', 'd'], 'keys after that batch');
});

// --- batches ----------------------------------------------------------------------------------

conformanceCase('a batch returns one result per op, in order', async (ctx) => {
  assertEqual(await ctx.store.batch(ctx.companyId, []), [], 'an empty batch');
  const results = await ctx.store.batch(ctx.companyId, [
    { op: 'set', key: 'a', value: 'x', ...GLOBAL },
    { op: 'get', key: 'a', ...GLOBAL },
    { op: 'append', key: 'a', value: 'y', ...GLOBAL },
    { op: 'increment', key: 'n', by: 2, ...GLOBAL },
    { op: 'list', ...GLOBAL },
    { op: 'delete', key: 'a', ...GLOBAL },
    { op: 'get', key: 'a', ...GLOBAL },
  ]);
  assertEqual(
    results.map((r) => r.op),
    ['set', 'get', 'append', 'increment', 'list', 'delete', 'get'],
    'result ops',
  );
  const [set, get, append, increment, list, del, getAfter] = results;
  assert(set?.op === 'set' && set.created, 'set created the key');
  assertEqual(get?.op === 'get' ? get.entry?.value : undefined, 'x', 'get sees the set before it');
  assertEqual(append?.op === 'append' ? append.entry.value : undefined, 'xy', 'append sees the set before it');
  assertEqual(increment?.op === 'increment' ? increment.entry.value : undefined, 2, 'increment result');
  assertEqual(
    list?.op === 'list' ? list.entries.map((e) => [e.key, e.value]) : undefined,
    [
      ['a', 'xy'],
      ['n', 2],
    ],
    'list sees earlier writes of the batch',
  );
  assertEqual(del?.op === 'delete' ? del.deleted : undefined, true, 'delete sees the key written earlier in the batch');
  assertEqual(getAfter?.op === 'get' ? getAfter.entry : undefined, null, 'get after delete in the same batch');
  assertEqual(await getEntry(ctx, 'a'), null, 'a after the batch');
  assertEqual(await getValue(ctx, 'n'), 2, 'n after the batch');
});

conformanceCase('a batch whose third op fails changes nothing and reports opIndex 2', async (ctx) => {
  await setValue(ctx, 'existing', 'original');
  await setValue(ctx, 'counter', 10);
  const before = await getEntry(ctx, 'existing');
  await expectKvError(
    ctx.store.batch(ctx.companyId, [
      { op: 'set', key: 'new_one', value: 1, ...GLOBAL },
      { op: 'increment', key: 'counter', by: 5, ...GLOBAL },
      { op: 'set', key: 'existing', value: 'overwritten', mode: 'create', ...GLOBAL },
      { op: 'set', key: 'after', value: 1, ...GLOBAL },
    ]),
    'already_exists',
    { opIndex: 2, messageIncludes: 'existing' },
  );
  assertEqual(await getEntry(ctx, 'new_one'), null, 'a key set by op 0 of the failed batch');
  assertEqual(await getValue(ctx, 'counter'), 10, 'a counter incremented by op 1 of the failed batch');
  assertEqual(await getEntry(ctx, 'existing'), before, 'the key the failing op touched');
  assertEqual(await getEntry(ctx, 'after'), null, 'a key after the failing op');
  assertEqual((await listKeys(ctx)).keys, ['counter', 'existing'], 'list after the failed batch');

  await expectKvError(
    ctx.store.batch(ctx.companyId, [
      { op: 'delete', key: 'existing', ...GLOBAL },
      { op: 'append', key: 'counter', value: 'x', ...GLOBAL },
    ]),
    'type_mismatch',
    { opIndex: 1 },
  );
  assertEqual(await getEntry(ctx, 'existing'), before, 'a key deleted by op 0 of a failed batch');

  await expectKvError(
    ctx.store.batch(ctx.companyId, [
      { op: 'set', key: 'x1', value: 1, ...GLOBAL },
      { op: 'set', key: 'x2', value: 2, ...GLOBAL },
      { op: 'get', key: 'bad key', ...GLOBAL },
    ]),
    'invalid_key',
    { opIndex: 2, messageIncludes: 'bad key' },
  );
  assertEqual((await listKeys(ctx)).keys, ['counter', 'existing'], 'list after a batch failing on a bad key');
});

conformanceCase('later ops in a batch see the writes of earlier ones, including create after delete', async (ctx) => {
  await setValue(ctx, 'slot', 'old');
  const results = await ctx.store.batch(ctx.companyId, [
    { op: 'delete', key: 'slot', ...GLOBAL },
    { op: 'set', key: 'slot', value: 'new', mode: 'create', ...GLOBAL },
    { op: 'set', key: 'fresh', value: 1, mode: 'create', ...GLOBAL },
    { op: 'set', key: 'fresh', value: 2, mode: 'update', ...GLOBAL },
    { op: 'increment', key: 'fresh', by: 3, ...GLOBAL },
  ]);
  const last = results[4];
  assertEqual(
    last?.op === 'increment' ? [last.entry.value, last.entry.version] : undefined,
    [5, 3],
    'value and version after create, update, increment in one batch',
  );
  const slot = await getEntry(ctx, 'slot');
  assertEqual(slot?.value, 'new', 'slot after delete then create');
  assertEqual(slot?.version, 1, 'slot version after delete then create');
  await expectKvError(
    ctx.store.batch(ctx.companyId, [
      { op: 'set', key: 'twice', value: 1, mode: 'create', ...GLOBAL },
      { op: 'set', key: 'twice', value: 2, mode: 'create', ...GLOBAL },
    ]),
    'already_exists',
    { opIndex: 1 },
  );
  assertEqual(await getEntry(ctx, 'twice'), null, 'nothing from a batch that creates a key twice');
});

conformanceCase('a large batch is atomic too: 500 writes and a failing op leave nothing', async (ctx) => {
  const writes: KvOp[] = Array.from({ length: 500 }, (_, i) => ({ op: 'set', key: `bulk_${i}`, value: { i }, ...GLOBAL }));
  await expectKvError(ctx.store.batch(ctx.companyId, [...writes, { op: 'increment', key: 'bulk_7', ...GLOBAL }]), 'type_mismatch', {
    opIndex: 500,
  });
  assertEqual((await listKeys(ctx)).keys, [], 'list after the failed batch');
  const results = await ctx.store.batch(ctx.companyId, writes);
  assertEqual(results.length, 500, 'results of the successful batch');
  assertEqual((await listKeys(ctx, { prefix: 'bulk_' })).keys.length, 500, 'keys after the successful batch');
});

conformanceCase('a failed batch does not block the batches after it', async (ctx) => {
  const outcomes = await Promise.allSettled([
    ctx.store.batch(ctx.companyId, [{ op: 'increment', key: 'n', ...GLOBAL }]),
    ctx.store.batch(ctx.companyId, [{ op: 'get', key: 'bad key', ...GLOBAL }]),
    ctx.store.batch(ctx.companyId, [{ op: 'increment', key: 'n', ...GLOBAL }]),
  ]);
  assertEqual(
    outcomes.map((o) => o.status),
    ['fulfilled', 'rejected', 'fulfilled'],
    'outcomes',
  );
  assertEqual(await getValue(ctx, 'n'), 2, 'value after the batches');
});

// --- concurrency ------------------------------------------------------------------------------

conformanceCase('200 concurrent increments add exactly 200', async (ctx) => {
  await setValue(ctx, 'hits', 1000, FLOW);
  const results = await Promise.all(
    Array.from({ length: 200 }, () => ctx.store.batch(ctx.companyId, [{ op: 'increment', key: 'hits', ...FLOW }])),
  );
  const seen = results.map((r) => (r[0]?.op === 'increment' ? r[0].entry.value : null));
  assertEqual(
    [...seen].sort((a, b) => Number(a) - Number(b)),
    Array.from({ length: 200 }, (_, i) => 1001 + i),
    'the values each increment returned',
  );
  const entry = await getEntry(ctx, 'hits', FLOW);
  assertEqual(entry?.value, 1200, 'final count');
  assertEqual(entry?.version, 201, 'final version');
});

conformanceCase('200 concurrent appends to a json array keep all 200 items', async (ctx) => {
  await setValue(ctx, 'events', []);
  await Promise.all(
    Array.from({ length: 200 }, (_, i) =>
      ctx.store.batch(ctx.companyId, [{ op: 'append', key: 'events', value: { i }, valueType: 'json', ...GLOBAL }]),
    ),
  );
  const stored = await getValue(ctx, 'events');
  assert(Array.isArray(stored), `events should be an array, got ${show(stored)}`);
  assertEqual(stored.length, 200, 'number of items');
  const distinct = new Set(stored.map((item) => (item as { i: number }).i));
  assertEqual(distinct.size, 200, 'distinct items');
});

conformanceCase('concurrent creates of one key: exactly one succeeds, the rest get already_exists', async (ctx) => {
  const attempts = await Promise.allSettled(
    Array.from({ length: 20 }, (_, i) => ctx.store.batch(ctx.companyId, [{ op: 'set', key: 'lock', value: i, mode: 'create', ...GLOBAL }])),
  );
  const won = attempts.filter((a) => a.status === 'fulfilled');
  assertEqual(won.length, 1, 'number of creates that succeeded');
  for (const attempt of attempts) {
    if (attempt.status === 'rejected') await expectKvError(Promise.reject(attempt.reason), 'already_exists');
  }
  const winner = won[0]!.value[0];
  assertEqual(await getValue(ctx, 'lock'), winner?.op === 'set' ? winner.entry.value : undefined, "the stored value is the winner's");
});

// --- compare-and-set and list sets -------------------------------------------------------------

conformanceCase('set with expectedVersion writes only over that version, 0 meaning absent', async (ctx) => {
  const created = await one(ctx, { op: 'set', key: 'doc', value: 'a', expectedVersion: 0, ...FLOW });
  assertEqual(created.entry.version, 1, 'version after a create with expectedVersion 0');
  const error = await expectKvError(
    ctx.store.batch(ctx.companyId, [{ op: 'set', key: 'doc', value: 'b', expectedVersion: 0, ...FLOW }]),
    'version_conflict',
    { opIndex: 0, messageIncludes: 'version 1' },
  );
  assert(error.message.includes('doc'), `the message should name the key, got ${show(error.message)}`);
  const updated = await one(ctx, { op: 'set', key: 'doc', value: 'b', expectedVersion: 1, ...FLOW });
  assertEqual(updated.entry.version, 2, 'version after a matching expectedVersion');
  await expectKvError(
    ctx.store.batch(ctx.companyId, [{ op: 'set', key: 'doc', value: 'c', expectedVersion: 1, ...FLOW }]),
    'version_conflict',
    { messageIncludes: 'version 2' },
  );
  await expectKvError(
    ctx.store.batch(ctx.companyId, [{ op: 'set', key: 'absent', value: 'c', expectedVersion: 3, ...FLOW }]),
    'version_conflict',
    { messageIncludes: 'absent' },
  );
  const stored = await getEntry(ctx, 'doc', FLOW);
  assertEqual([stored?.value, stored?.version], ['b', 2], 'value and version after the refused writes');
  assertEqual(await getEntry(ctx, 'absent', FLOW), null, 'a refused compare-and-set creates nothing');
});

conformanceCase('delete with expectedVersion removes only that version', async (ctx) => {
  await setValue(ctx, 'row', 1);
  await setValue(ctx, 'row', 2);
  await expectKvError(ctx.store.batch(ctx.companyId, [{ op: 'delete', key: 'row', expectedVersion: 1, ...GLOBAL }]), 'version_conflict', {
    messageIncludes: 'version 2',
  });
  assertEqual(await getValue(ctx, 'row'), 2, 'value after a refused delete');
  assertEqual(
    (await one(ctx, { op: 'delete', key: 'row', expectedVersion: 2, ...GLOBAL })).deleted,
    true,
    'deleted with the right version',
  );
  assertEqual(await getEntry(ctx, 'row'), null, 'get after the delete');
  assertEqual(
    (await one(ctx, { op: 'delete', key: 'row', expectedVersion: 0, ...GLOBAL })).deleted,
    false,
    'expectedVersion 0 on an absent key',
  );
});

conformanceCase('an expectedVersion that is not a whole number of 0 or more fails with invalid_value', async (ctx) => {
  for (const bad of [-1, 1.5, '1'] as const) {
    await expectKvError(
      ctx.store.batch(ctx.companyId, [{ op: 'set', key: 'k', value: 1, expectedVersion: bad as number, ...GLOBAL }]),
      'invalid_value',
      { messageIncludes: 'expectedVersion' },
    );
  }
  assertEqual(await getEntry(ctx, 'k'), null, 'nothing written');
});

conformanceCase('listAdd creates [value], appends a new item and refuses a deep-equal one', async (ctx) => {
  const first = await one(ctx, { op: 'listAdd', key: 'seen', value: { id: 1, tags: ['a'] }, ...FLOW });
  assertEntryShape(first.entry, ctx, { key: 'seen', value: [{ id: 1, tags: ['a'] }], scope: FLOW, version: 1 }, 'listAdd on an absent key');
  const second = await one(ctx, { op: 'listAdd', key: 'seen', value: 'x', ...FLOW });
  assertEqual(second.entry.value, [{ id: 1, tags: ['a'] }, 'x'], 'list after a second listAdd');
  assertEqual(second.entry.version, 2, 'version after a second listAdd');
  await expectKvError(
    ctx.store.batch(ctx.companyId, [{ op: 'listAdd', key: 'seen', value: { tags: ['a'], id: 1 }, ...FLOW }]),
    'already_exists',
    { opIndex: 0, messageIncludes: 'seen' },
  );
  // Deep-equal, not loosely equal: 1 and "1", [1, 2] and [2, 1] are different items.
  await one(ctx, { op: 'listAdd', key: 'nums', value: 1, ...GLOBAL });
  await one(ctx, { op: 'listAdd', key: 'nums', value: '1', ...GLOBAL });
  await one(ctx, { op: 'listAdd', key: 'nums', value: [1, 2], ...GLOBAL });
  await one(ctx, { op: 'listAdd', key: 'nums', value: [2, 1], ...GLOBAL });
  assertEqual(await getValue(ctx, 'nums'), [1, '1', [1, 2], [2, 1]], 'items that only look alike');
  assertEqual((await getEntry(ctx, 'seen', FLOW))?.version, 2, 'version after a refused listAdd');
});

conformanceCase('listAdd and listRemove on a value that is not an array fail with type_mismatch', async (ctx) => {
  for (const [key, value] of [
    ['text', 'abc'],
    ['num', 3],
    ['obj', { a: 1 }],
    ['nul', null],
  ] as const) {
    await setValue(ctx, key, value);
    await expectKvError(ctx.store.batch(ctx.companyId, [{ op: 'listAdd', key, value: 1, ...GLOBAL }]), 'type_mismatch', {
      messageIncludes: key,
    });
    await expectKvError(ctx.store.batch(ctx.companyId, [{ op: 'listRemove', key, value: 1, ...GLOBAL }]), 'type_mismatch', {
      messageIncludes: key,
    });
    assertEqual(await getValue(ctx, key), value, `value of ${key} after the refused ops`);
  }
});

conformanceCase('listRemove removes every deep-equal item and fails with not_found when there is none', async (ctx) => {
  await setValue(ctx, 'bag', [1, { a: [1] }, 2, { a: [1] }, '1']);
  const removed = await one(ctx, { op: 'listRemove', key: 'bag', value: { a: [1] }, ...GLOBAL });
  assertEqual(removed.entry.value, [1, 2, '1'], 'list after removing both copies');
  assertEqual(removed.entry.version, 2, 'version after listRemove');
  await expectKvError(ctx.store.batch(ctx.companyId, [{ op: 'listRemove', key: 'bag', value: { a: [1] }, ...GLOBAL }]), 'not_found', {
    messageIncludes: 'bag',
  });
  await expectKvError(ctx.store.batch(ctx.companyId, [{ op: 'listRemove', key: 'nobag', value: 1, ...GLOBAL }]), 'not_found', {
    messageIncludes: 'nobag',
  });
  const last = await one(ctx, { op: 'listRemove', key: 'bag', value: '1', ...GLOBAL });
  assertEqual(last.entry.value, [1, 2], 'the number 1 stays when the text "1" is removed');
  await one(ctx, { op: 'listRemove', key: 'bag', value: 1, ...GLOBAL });
  const empty = await one(ctx, { op: 'listRemove', key: 'bag', value: 2, ...GLOBAL });
  assertEqual(empty.entry.value, [], 'removing the last item leaves an empty list, not an absent key');
});

conformanceCase('listAdd keeps the expiry of the list it changes, and a batch sees its own listAdds', async (ctx) => {
  const entry = await setValue(ctx, 'recent', [], { ttlSeconds: 60 });
  const added = await one(ctx, { op: 'listAdd', key: 'recent', value: 'a', ...GLOBAL });
  assertEqual(added.entry.expiresAt, entry.expiresAt, 'expiresAt after listAdd');
  await expectKvError(
    ctx.store.batch(ctx.companyId, [
      { op: 'listAdd', key: 'recent', value: 'b', ...GLOBAL },
      { op: 'listAdd', key: 'recent', value: 'b', ...GLOBAL },
    ]),
    'already_exists',
    { opIndex: 1 },
  );
  assertEqual(await getValue(ctx, 'recent'), ['a'], 'nothing from the failed batch');
});

conformanceCase('100 concurrent listAdds of distinct items keep all 100', async (ctx) => {
  await Promise.all(
    Array.from({ length: 100 }, (_, i) => ctx.store.batch(ctx.companyId, [{ op: 'listAdd', key: 'ids', value: `id-${i}`, ...FLOW }])),
  );
  const stored = await getEntry(ctx, 'ids', FLOW);
  assert(Array.isArray(stored?.value), `ids should be an array, got ${show(stored?.value)}`);
  assertEqual(new Set(stored.value).size, 100, 'distinct items');
  assertEqual(stored.value.length, 100, 'number of items');
  assertEqual(stored.version, 100, 'version');
});

conformanceCase('100 concurrent listAdds of one item: exactly one succeeds, the rest get already_exists', async (ctx) => {
  const attempts = await Promise.allSettled(
    Array.from({ length: 100 }, () => ctx.store.batch(ctx.companyId, [{ op: 'listAdd', key: 'once', value: { id: 7 }, ...GLOBAL }])),
  );
  assertEqual(attempts.filter((a) => a.status === 'fulfilled').length, 1, 'listAdds that succeeded');
  for (const attempt of attempts) {
    if (attempt.status === 'rejected') await expectKvError(Promise.reject(attempt.reason), 'already_exists');
  }
  assertEqual(await getValue(ctx, 'once'), [{ id: 7 }], 'the list holds the item once');
});

// --- history, restore and recently deleted keys -------------------------------------------------

async function historyOf(ctx: ConformanceContext, key: string, scope: ScopeRef = GLOBAL) {
  return (await one(ctx, { op: 'history', key, ...scope })).versions;
}

conformanceCase('history keeps the version every kind of write replaced, newest first', async (ctx) => {
  const first = await setValue(ctx, 'doc', 'a', { ttlSeconds: 600 });
  await one(ctx, { op: 'append', key: 'doc', value: 'b', ...GLOBAL });
  await setValue(ctx, 'doc', '5');
  await one(ctx, { op: 'increment', key: 'doc', ...GLOBAL });
  await setValue(ctx, 'doc', []);
  await one(ctx, { op: 'listAdd', key: 'doc', value: 'x', ...GLOBAL });
  await one(ctx, { op: 'listRemove', key: 'doc', value: 'x', ...GLOBAL });
  const versions = await historyOf(ctx, 'doc');
  assertEqual(
    versions.map((v) => [v.version, v.value, v.valueType, v.deleted]),
    [
      [6, ['x'], 'json', false],
      [5, [], 'json', false],
      [4, 6, 'json', false],
      [3, '5', 'text', false],
      [2, 'ab', 'text', false],
      [1, 'a', 'text', false],
    ],
    'kept versions',
  );
  assertEqual(versions[5]!.updatedAt, first.updatedAt, 'updatedAt of the first version');
  for (const v of versions) {
    assert(isIsoTime(v.updatedAt) && isIsoTime(v.replacedAt), `times should be ISO, got ${show(v)}`);
    assert(v.updatedAt <= v.replacedAt, `version ${v.version} was replaced (${v.replacedAt}) before it was written (${v.updatedAt})`);
  }
  assertEqual(await historyOf(ctx, 'never_written'), [], 'history of a key never written');
  assertEqual((await getEntry(ctx, 'doc'))?.version, 7, 'the live version is not in its own history');
});

conformanceCase('history keeps the last 20 versions of a key, in its own scope only', async (ctx) => {
  for (let i = 1; i <= 25; i++) await setValue(ctx, 'busy', i, { ...FLOW });
  await setValue(ctx, 'busy', 'global one');
  const versions = await historyOf(ctx, 'busy', FLOW);
  assertEqual(
    versions.map((v) => v.version),
    Array.from({ length: 20 }, (_, i) => 24 - i),
    'versions kept',
  );
  assertEqual(versions[0]!.value, 24, 'value of the newest kept version');
  assertEqual(await historyOf(ctx, 'busy'), [], 'the global key of the same name has its own (empty) history');
  assertEqual(await historyOf(ctx, 'busy', { scope: 'flow', scopeKey: 'bp-other' }), [], 'another blueprint');
});

conformanceCase('a delete keeps the deleted version marked deleted, and restore brings the key back', async (ctx) => {
  await setValue(ctx, 'profile', { name: 'Ada' });
  await setValue(ctx, 'profile', { name: 'Ada L.' });
  assertEqual((await one(ctx, { op: 'delete', key: 'profile', ...GLOBAL })).deleted, true, 'deleted');
  const versions = await historyOf(ctx, 'profile');
  assertEqual(
    versions.map((v) => [v.version, v.value, v.deleted]),
    [
      [2, { name: 'Ada L.' }, true],
      [1, { name: 'Ada' }, false],
    ],
    'history after the delete',
  );
  const restored = await one(ctx, { op: 'restore', key: 'profile', version: 1, ...GLOBAL });
  assertEqual(restored.created, true, 'a restore of a deleted key creates it');
  assertEntryShape(restored.entry, ctx, { key: 'profile', value: { name: 'Ada' }, version: 1 }, 'restored entry');
  assertEqual(await getValue(ctx, 'profile'), { name: 'Ada' }, 'value after restore');
  const again = await one(ctx, { op: 'restore', key: 'profile', version: 2, ...GLOBAL });
  assertEqual([again.created, again.entry.version, again.entry.value], [false, 2, { name: 'Ada L.' }], 'restore over a live key');
  const after = await historyOf(ctx, 'profile');
  assertEqual(
    after.map((v) => [v.version, v.value, v.deleted]),
    [
      [1, { name: 'Ada' }, false],
      [2, { name: 'Ada L.' }, true],
      [1, { name: 'Ada' }, false],
    ],
    'the restore kept the version it replaced',
  );
});

conformanceCase('restore of a version not kept fails with not_found listing the kept ones; a bad version is invalid_value', async (ctx) => {
  await setValue(ctx, 'k', 1);
  await setValue(ctx, 'k', 2);
  await expectKvError(ctx.store.batch(ctx.companyId, [{ op: 'restore', key: 'k', version: 9, ...GLOBAL }]), 'not_found', {
    messageIncludes: 'kept: 1',
  });
  await expectKvError(ctx.store.batch(ctx.companyId, [{ op: 'restore', key: 'ghost', version: 1, ...GLOBAL }]), 'not_found', {
    messageIncludes: 'ghost',
  });
  for (const bad of [0, 1.5, '1'] as const) {
    await expectKvError(ctx.store.batch(ctx.companyId, [{ op: 'restore', key: 'k', version: bad as number, ...GLOBAL }]), 'invalid_value');
  }
  assertEqual((await getEntry(ctx, 'k'))?.version, 2, 'nothing written by the refused restores');
});

conformanceCase('a restored key is permanent, and a failed batch keeps no history', async (ctx) => {
  await setValue(ctx, 'session', 'v1', { ttlSeconds: 60 });
  await setValue(ctx, 'session', 'v2', { ttlSeconds: 60 });
  const restored = await one(ctx, { op: 'restore', key: 'session', version: 1, ...GLOBAL });
  assertEqual(restored.entry.expiresAt, null, 'expiresAt of a restored version');
  const before = await historyOf(ctx, 'session');
  await expectKvError(
    ctx.store.batch(ctx.companyId, [
      { op: 'set', key: 'session', value: 'v4', ...GLOBAL },
      { op: 'increment', key: 'session', ...GLOBAL },
    ]),
    'type_mismatch',
    { opIndex: 1 },
  );
  assertEqual(await historyOf(ctx, 'session'), before, 'history after a failed batch');
});

conformanceCase('history and restore inside a batch see the batch’s own writes', async (ctx) => {
  const results = await ctx.store.batch(ctx.companyId, [
    { op: 'set', key: 'draft', value: 'one', ...GLOBAL },
    { op: 'set', key: 'draft', value: 'two', ...GLOBAL },
    { op: 'history', key: 'draft', ...GLOBAL },
    { op: 'restore', key: 'draft', version: 1, ...GLOBAL },
  ]);
  const seen = results[2];
  assert(seen?.op === 'history', `the third result should be a history, got ${show(seen)}`);
  assertEqual(
    seen.versions.map((v) => [v.version, v.value]),
    [[1, 'one']],
    'history inside the batch',
  );
  assertEqual(await getEntry(ctx, 'draft').then((e) => [e?.version, e?.value]), [3, 'one'], 'after the batch');
  assertEqual(
    (await historyOf(ctx, 'draft')).map((v) => [v.version, v.value]),
    [
      [2, 'two'],
      [1, 'one'],
    ],
    'history after the batch',
  );
});

conformanceCase('deleted lists keys deleted and not saved again, most recent first, by prefix', async (ctx) => {
  for (const key of ['a_one', 'a_two', 'b_one', 'kept']) await setValue(ctx, key, key, FLOW);
  await one(ctx, { op: 'delete', key: 'a_one', ...FLOW });
  await sleep(5);
  await one(ctx, { op: 'delete', key: 'b_one', ...FLOW });
  await sleep(5);
  await one(ctx, { op: 'delete', key: 'a_two', ...FLOW });
  await setValue(ctx, 'a_two', 'back', FLOW);
  await one(ctx, { op: 'delete', key: 'never', ...FLOW });
  const all = (await one(ctx, { op: 'deleted', ...FLOW })).keys;
  assertEqual(
    all.map((d) => [d.key, d.version]),
    [
      ['b_one', 1],
      ['a_one', 1],
    ],
    'deleted keys',
  );
  assert(all.every((d) => isIsoTime(d.deletedAt)) && all[0]!.deletedAt >= all[1]!.deletedAt, `deletedAt, newest first: ${show(all)}`);
  assertEqual(
    (await one(ctx, { op: 'deleted', prefix: 'a_', ...FLOW })).keys.map((d) => d.key),
    ['a_one'],
    'with a prefix',
  );
  assertEqual((await one(ctx, { op: 'deleted', limit: 1, ...FLOW })).keys.length, 1, 'with a limit');
  assertEqual((await one(ctx, { op: 'deleted', ...GLOBAL })).keys, [], 'another scope');
  await one(ctx, { op: 'restore', key: 'b_one', version: 1, ...FLOW });
  assertEqual(
    (await one(ctx, { op: 'deleted', ...FLOW })).keys.map((d) => d.key),
    ['a_one'],
    'after restoring b_one',
  );
  await expectKvError(ctx.store.batch(ctx.companyId, [{ op: 'deleted', limit: 0, ...FLOW }]), 'invalid_request');
});

conformanceCase('deleteById keeps the deleted version in the history too', async (ctx) => {
  const entry = await setValue(ctx, 'by_id', { n: 1 });
  assertEqual(await ctx.store.deleteById(ctx.companyId, entry.id), true, 'deleteById');
  assertEqual(
    (await historyOf(ctx, 'by_id')).map((v) => [v.version, v.value, v.deleted]),
    [[1, { n: 1 }, true]],
    'history after deleteById',
  );
});

conformanceCase('set with an absolute expiresAt stores it exactly; with ttlSeconds too, or not an ISO time, it is refused', async (ctx) => {
  const at = new Date(Date.now() + 3_600_000).toISOString();
  const entry = await setValue(ctx, 'until', 'x', { expiresAt: at });
  assertEqual(entry.expiresAt, at, 'expiresAt as given');
  assertEqual((await getEntry(ctx, 'until'))?.expiresAt, at, 'expiresAt read back');
  await expectKvError(
    ctx.store.batch(ctx.companyId, [{ op: 'set', key: 'both', value: 1, expiresAt: at, ttlSeconds: 5, ...GLOBAL }]),
    'invalid_request',
  );
  await expectKvError(
    ctx.store.batch(ctx.companyId, [{ op: 'set', key: 'bad', value: 1, expiresAt: 'tomorrow', ...GLOBAL }]),
    'invalid_value',
    { messageIncludes: 'expiresAt' },
  );
  assertEqual(await getEntry(ctx, 'both'), null, 'nothing written');
});

// --- TTL --------------------------------------------------------------------------------------

conformanceCase('ttlSeconds sets expiresAt; a later set without ttl makes the key permanent', async (ctx) => {
  const entry = await setValue(ctx, 'session', 'abc', { ttlSeconds: 60 });
  assert(entry.expiresAt !== null, 'expiresAt should be set when ttlSeconds is given');
  const delta = Date.parse(entry.expiresAt) - Date.parse(entry.updatedAt);
  assert(Math.abs(delta - 60_000) < 1000, `expiresAt should be 60 s after updatedAt, it is ${delta} ms`);
  assertEqual((await getEntry(ctx, 'session'))?.expiresAt, entry.expiresAt, 'expiresAt read back');
  const appended = await one(ctx, { op: 'append', key: 'session', value: 'd', ...GLOBAL });
  assertEqual(appended.entry.expiresAt, entry.expiresAt, 'append keeps expiresAt');
  const permanent = await setValue(ctx, 'session', 'xyz');
  assertEqual(permanent.expiresAt, null, 'expiresAt after a set without ttl');
});

conformanceCase('an expired key is absent for get, list, getById and delete', async (ctx) => {
  const [entry] = await writeThenExpire(ctx, [
    { key: 'short', value: 'gone soon' },
    { key: 'short_flow', value: 1, scope: FLOW },
  ]);
  await setValue(ctx, 'stays', 'here');
  assertEqual(await getEntry(ctx, 'short'), null, 'get of an expired key');
  assertEqual(await getEntry(ctx, 'short_flow', FLOW), null, 'get of an expired key in flow scope');
  assertEqual((await listKeys(ctx)).keys, ['stays'], 'list leaves out an expired key');
  assertEqual((await listKeys(ctx, {}, FLOW)).keys, [], 'list in flow scope leaves out an expired key');
  assertEqual(await ctx.store.getById(ctx.companyId, entry!.id), null, 'getById of an expired entry');
  assertEqual(await ctx.store.deleteById(ctx.companyId, entry!.id), false, 'deleteById of an expired entry');
  assertEqual((await one(ctx, { op: 'delete', key: 'short_flow', ...FLOW })).deleted, false, 'delete of an expired key');
  await expectKvError(ctx.store.batch(ctx.companyId, [{ op: 'set', key: 'short', value: 1, mode: 'update', ...GLOBAL }]), 'not_found', {
    opIndex: 0,
  });
});

conformanceCase('append and increment on an expired key start fresh', async (ctx) => {
  await writeThenExpire(ctx, [
    { key: 'log', value: 'old text' },
    { key: 'list', value: ['old'] },
    { key: 'ctr', value: 100 },
  ]);
  const log = await one(ctx, { op: 'append', key: 'log', value: 'new', valueType: 'text', ...GLOBAL });
  assertEntryShape(log.entry, ctx, { key: 'log', value: 'new', version: 1 }, 'append to expired text');
  assertEqual(log.entry.expiresAt, null, 'a fresh entry from append has no expiry');
  const list = await one(ctx, { op: 'append', key: 'list', value: 'new', valueType: 'json', ...GLOBAL });
  assertEqual(list.entry.value, ['new'], 'append to an expired array');
  const ctr = await one(ctx, { op: 'increment', key: 'ctr', by: 2, ...GLOBAL });
  assertEntryShape(ctr.entry, ctx, { key: 'ctr', value: 2, version: 1 }, 'increment of an expired counter');
  assertEqual(ctr.entry.expiresAt, null, 'a fresh entry from increment has no expiry');
});

conformanceCase('set in create mode succeeds over an expired key', async (ctx) => {
  const [old] = await writeThenExpire(ctx, [{ key: 'idem', value: 'first' }]);
  const result = await one(ctx, { op: 'set', key: 'idem', value: 'second', mode: 'create', ...GLOBAL });
  assertEqual(result.created, true, 'created over an expired key');
  assertEntryShape(result.entry, ctx, { key: 'idem', value: 'second', version: 1 }, 'entry created over an expired key');
  assert(result.entry.id !== old!.id, 'an entry created over an expired one gets a new id');
  assertEqual(result.entry.expiresAt, null, 'expiresAt of the new entry');
  assertEqual(await getValue(ctx, 'idem'), 'second', 'stored value');
  assertEqual((await listKeys(ctx)).keys, ['idem'], 'list shows the recreated key once');
});
