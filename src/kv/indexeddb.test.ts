import 'fake-indexeddb/auto';
import { IDBFactory as FakeIdbFactory, IDBObjectStore as FakeObjectStore } from 'fake-indexeddb';
import { openDB } from 'idb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { describeConformance } from './conformance-vitest';
import { KvError } from './errors';
import { IndexedDbStore, subscribeToKvChanges, type KvChangeMessage } from './indexeddb';
import type { KvOp, KvOpResult } from './types';

const COMPANY = 'acme';
const openStores: IndexedDbStore[] = [];

function freshDbName(): string {
  return `kvb-test-${globalThis.crypto.randomUUID()}`;
}

async function openStore(dbName = freshDbName()): Promise<IndexedDbStore> {
  const store = await IndexedDbStore.open({ dbName });
  openStores.push(store);
  return store;
}

afterEach(async () => {
  vi.restoreAllMocks();
  await Promise.all(openStores.splice(0).map((store) => store.close()));
});

async function rejectionOf(promise: Promise<unknown>): Promise<KvError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(KvError);
  return error as KvError;
}

/** The raw database, as another program (or an attacker with disk access) would see it. */
function openRaw(dbName: string) {
  return openDB(dbName);
}

function valueOf(results: KvOpResult[], index = 0): unknown {
  const result = results[index];
  if (!result || !('entry' in result)) throw new Error(`result ${index} has no entry`);
  return result.entry?.value;
}

const get = (key: string): KvOp => ({ op: 'get', key, scope: 'global' });

describeConformance(
  'indexeddb (fake-indexeddb)',
  (clock) => IndexedDbStore.open({ dbName: freshDbName(), batchOptions: { now: clock.now } }),
  { injectsClock: true },
);

describe('IndexedDbStore', () => {
  it('keeps values across reopening the database, with the same encryption key', async () => {
    const dbName = freshDbName();
    const first = await IndexedDbStore.open({ dbName });
    await first.batch(COMPANY, [{ op: 'set', key: 'profile', value: { name: 'Ada', tags: ['x'] }, scope: 'flow', scopeKey: 'bp' }]);
    await first.close();
    const second = await openStore(dbName);
    const [result] = await second.batch(COMPANY, [{ op: 'get', key: 'profile', scope: 'flow', scopeKey: 'bp' }]);
    expect(result).toMatchObject({ op: 'get', entry: { value: { name: 'Ada', tags: ['x'] }, version: 1 } });
  });

  it('stores no plaintext value in IndexedDB', async () => {
    const dbName = freshDbName();
    const store = await openStore(dbName);
    await store.batch(COMPANY, [
      { op: 'set', key: 'secret_text', value: 'launch-code-4815162342', scope: 'global' },
      { op: 'set', key: 'secret_json', value: { password: 'correct-horse-battery' }, scope: 'global' },
    ]);
    const raw = await openRaw(dbName);
    const records: unknown[] = await raw.getAll('entries');
    raw.close();
    expect(records).toHaveLength(2);
    for (const record of records) {
      expect(record).not.toHaveProperty('value');
      const { sealed, ...clear } = record as { sealed: { ciphertext: ArrayBuffer } };
      const visible = JSON.stringify(clear) + Buffer.from(sealed.ciphertext).toString('latin1');
      expect(visible).not.toContain('launch-code');
      expect(visible).not.toContain('correct-horse');
    }
  });

  it('reports integrity when a ciphertext is moved to another key', async () => {
    const dbName = freshDbName();
    const store = await openStore(dbName);
    await store.batch(COMPANY, [
      { op: 'set', key: 'mine', value: 'my value', scope: 'global' },
      { op: 'set', key: 'theirs', value: 'their value', scope: 'global' },
    ]);
    const raw = await openRaw(dbName);
    const mine = await raw.get('entries', [COMPANY, 'global', '', 'mine']);
    const theirs = await raw.get('entries', [COMPANY, 'global', '', 'theirs']);
    await raw.put('entries', { ...mine, sealed: theirs.sealed });
    raw.close();

    const error = await rejectionOf(store.batch(COMPANY, [get('mine')]));
    expect(error.code).toBe('integrity');
    expect(error.message).toContain("'mine'");
    // The untouched entry still reads; a list leaves the damaged one out and counts it.
    expect(valueOf(await store.batch(COMPANY, [get('theirs')]))).toBe('their value');
    const [listed] = await store.batch(COMPANY, [{ op: 'list', scope: 'global' }]);
    expect(listed).toMatchObject({ op: 'list', entries: [{ key: 'theirs' }], nextCursor: null, damaged: 1, damagedKeys: ['mine'] });
    const [page] = await store.batch(COMPANY, [{ op: 'list', scope: 'global', limit: 1 }]);
    expect(page).toMatchObject({ entries: [{ key: 'theirs' }], nextCursor: null });
    // And it can be deleted without opening it.
    expect(await store.batch(COMPANY, [{ op: 'delete', key: 'mine', scope: 'global' }])).toEqual([{ op: 'delete', deleted: true }]);
    const [after] = await store.batch(COMPANY, [{ op: 'list', scope: 'global' }]);
    expect(after).toEqual({ op: 'list', entries: [expect.objectContaining({ key: 'theirs' })], nextCursor: null });
  });

  it('keeps replaced versions sealed in the history store, bound to their role', async () => {
    const dbName = freshDbName();
    const store = await openStore(dbName);
    await store.batch(COMPANY, [{ op: 'set', key: 'secret', value: 'launch-code-4815162342', scope: 'global' }]);
    await store.batch(COMPANY, [{ op: 'set', key: 'secret', value: 'newer', scope: 'global' }]);
    const raw = await openRaw(dbName);
    const kept: Array<{ sealed: { ciphertext: ArrayBuffer } }> = await raw.getAll('history');
    expect(kept).toHaveLength(1);
    const { sealed, ...clear } = kept[0]!;
    expect(clear).not.toHaveProperty('value');
    expect(JSON.stringify(clear) + Buffer.from(sealed.ciphertext).toString('latin1')).not.toContain('launch-code');
    // The kept version's ciphertext put on the live row (same key, version 1 again) does not open.
    const live = await raw.get('entries', [COMPANY, 'global', '', 'secret']);
    await raw.put('entries', { ...live, version: 1, sealed });
    raw.close();
    expect((await rejectionOf(store.batch(COMPANY, [get('secret')]))).code).toBe('integrity');
    const [history] = await store.batch(COMPANY, [{ op: 'history', key: 'secret', scope: 'global' }]);
    expect(history).toMatchObject({ op: 'history', versions: [{ version: 1, value: 'launch-code-4815162342', deleted: false }] });
  });

  it('keeps its encryption key non-extractable in IndexedDB', async () => {
    const dbName = freshDbName();
    await openStore(dbName);
    const raw = await openRaw(dbName);
    const keys: CryptoKey[] = await raw.getAll('keys');
    raw.close();
    expect(keys).toHaveLength(1);
    expect(keys[0]!.extractable).toBe(false);
    await expect(globalThis.crypto.subtle.exportKey('raw', keys[0]!)).rejects.toThrow();
  });

  it('gives exactly +100 and every value 1..100 once for 100 concurrent increments', async () => {
    const store = await openStore();
    const results = await Promise.all(
      Array.from({ length: 100 }, () => store.batch(COMPANY, [{ op: 'increment', key: 'counter', scope: 'global' }])),
    );
    const seen = results.map((r) => valueOf(r)).sort((a, b) => Number(a) - Number(b));
    expect(seen).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(valueOf(await store.batch(COMPANY, [get('counter')]))).toBe(100);
  });

  it('stays atomic between two copies of the module that share no lock, like two tabs without Web Locks', async () => {
    const dbName = freshDbName();
    const storeA = await openStore(dbName);
    vi.resetModules();
    const otherCopy = await import('./indexeddb');
    expect(otherCopy.IndexedDbStore).not.toBe(IndexedDbStore);
    const storeB = await otherCopy.IndexedDbStore.open({ dbName });
    try {
      const appendFrom = (store: { batch: IndexedDbStore['batch'] }, tab: string) =>
        Array.from({ length: 25 }, (_, i) =>
          store.batch(COMPANY, [
            { op: 'increment', key: 'counter', scope: 'global' },
            { op: 'append', key: 'log', value: `${tab}${i}`, valueType: 'json', scope: 'global' },
          ]),
        );
      await Promise.all([...appendFrom(storeA, 'a'), ...appendFrom(storeB, 'b')]);
      const results = await storeA.batch(COMPANY, [get('counter'), get('log')]);
      expect(valueOf(results, 0)).toBe(50);
      const log = valueOf(results, 1) as string[];
      expect(log).toHaveLength(50);
      expect(new Set(log).size).toBe(50);
    } finally {
      await storeB.close();
    }
  });

  it('writes nothing of a batch whose later op fails', async () => {
    const store = await openStore();
    await store.batch(COMPANY, [{ op: 'set', key: 'taken', value: 1, scope: 'global' }]);
    const error = await rejectionOf(
      store.batch(COMPANY, [
        { op: 'set', key: 'fresh', value: 'x', scope: 'global' },
        { op: 'increment', key: 'taken', scope: 'global' },
        { op: 'set', key: 'taken', value: 2, mode: 'create', scope: 'global' },
      ]),
    );
    expect(error).toMatchObject({ code: 'already_exists', opIndex: 2 });
    const results = await store.batch(COMPANY, [get('fresh'), get('taken')]);
    expect(results).toMatchObject([{ entry: null }, { entry: { value: 1, version: 1 } }]);
  });

  it('turns a full disk into a quota error and writes nothing of the batch', async () => {
    const store = await openStore();
    await store.batch(COMPANY, [{ op: 'set', key: 'before', value: 'old', scope: 'global' }]);
    const realPut = IDBObjectStore.prototype.put;
    vi.spyOn(IDBObjectStore.prototype, 'put').mockImplementation(function (this: IDBObjectStore, value: unknown, key?: IDBValidKey) {
      if (typeof value === 'object' && value !== null && (value as { key?: unknown }).key === 'big') {
        throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      }
      return realPut.call(this, value, key);
    });
    const error = await rejectionOf(
      store.batch(COMPANY, [
        { op: 'set', key: 'before', value: 'new', scope: 'global' },
        { op: 'set', key: 'big', value: 'x'.repeat(1000), scope: 'global' },
      ]),
    );
    expect(error.code).toBe('quota');
    expect(error.message).toMatch(/^Browser storage is full: /);
    vi.restoreAllMocks();
    const results = await store.batch(COMPANY, [get('before'), get('big')]);
    expect(results).toMatchObject([{ entry: { value: 'old', version: 1 } }, { entry: null }]);
  });

  it('finds and deletes entries by id, only within their company', async () => {
    const store = await openStore();
    const [created] = await store.batch(COMPANY, [{ op: 'set', key: 'k', value: [1, 2], scope: 'flow', scopeKey: 'bp' }]);
    const id = (created as Extract<KvOpResult, { op: 'set' }>).entry.id;
    expect(await store.getById('other-company', id)).toBeNull();
    expect(await store.deleteById('other-company', id)).toBe(false);
    expect(await store.getById(COMPANY, id)).toMatchObject({ key: 'k', value: [1, 2], scope: 'flow', scopeKey: 'bp' });
    expect(await store.deleteById(COMPANY, id)).toBe(true);
    expect(await store.getById(COMPANY, id)).toBeNull();
    expect(await store.deleteById(COMPANY, id)).toBe(false);
  });

  it('treats a key past its ttl on the injected clock as absent for get, getById and deleteById', async () => {
    let now = new Date('2030-01-01T00:00:00.000Z');
    const store = await IndexedDbStore.open({ dbName: freshDbName(), batchOptions: { now: () => now } });
    openStores.push(store);
    const [created] = await store.batch(COMPANY, [{ op: 'set', key: 'session', value: 'token', ttlSeconds: 10, scope: 'global' }]);
    const id = (created as Extract<KvOpResult, { op: 'set' }>).entry.id;
    now = new Date('2030-01-01T00:00:09.000Z');
    expect(await store.getById(COMPANY, id)).toMatchObject({ value: 'token' });
    now = new Date('2030-01-01T00:00:11.000Z');
    expect(await store.batch(COMPANY, [get('session')])).toMatchObject([{ entry: null }]);
    expect(await store.getById(COMPANY, id)).toBeNull();
    expect(await store.deleteById(COMPANY, id)).toBe(false);
  });

  it('lists one scope in key order with prefix and cursor, skipping other scopes and companies', async () => {
    const store = await openStore();
    const flow = { scope: 'flow', scopeKey: 'bp' } as const;
    await store.batch(
      COMPANY,
      ['b2', 'a1', 'b1', 'b3', 'c'].map((key): KvOp => ({ op: 'set', key, value: key, ...flow })),
    );
    await store.batch(COMPANY, [
      { op: 'set', key: 'b0', value: 0, scope: 'flow', scopeKey: 'bp2' },
      { op: 'set', key: 'b0', value: 0, scope: 'global' },
    ]);
    await store.batch('other', [{ op: 'set', key: 'b0', value: 0, ...flow }]);
    const [page1] = await store.batch(COMPANY, [{ op: 'list', prefix: 'b', limit: 2, ...flow }]);
    expect(page1).toMatchObject({ nextCursor: 'b2' });
    expect((page1 as Extract<KvOpResult, { op: 'list' }>).entries.map((e) => e.key)).toEqual(['b1', 'b2']);
    const [page2] = await store.batch(COMPANY, [{ op: 'list', prefix: 'b', limit: 2, cursor: 'b2', ...flow }]);
    expect((page2 as Extract<KvOpResult, { op: 'list' }>).entries.map((e) => e.key)).toEqual(['b3']);
    expect(page2).toMatchObject({ nextCursor: null });
  });

  it('uses the IDBFactory it is given instead of the global one', async () => {
    const dbName = freshDbName();
    const store = await IndexedDbStore.open({ dbName, idbFactory: new FakeIdbFactory() });
    try {
      await store.batch(COMPANY, [{ op: 'set', key: 'isolated', value: true, scope: 'global' }]);
      const globalView = await openStore(dbName);
      expect(await globalView.batch(COMPANY, [get('isolated')])).toMatchObject([{ entry: null }]);
    } finally {
      await store.close();
    }
  });

  it('broadcasts kv-changed with the written keys after a committed write, and not after a read', async () => {
    const store = await openStore();
    const received: KvChangeMessage[] = [];
    const unsubscribe = subscribeToKvChanges((message) => received.push(message));
    try {
      await store.batch(COMPANY, [get('nothing')]);
      await store.batch(COMPANY, [
        { op: 'set', key: 'a', value: 1, scope: 'flow', scopeKey: 'bp' },
        { op: 'increment', key: 'n', scope: 'global' },
      ]);
      await vi.waitFor(() => expect(received).toHaveLength(1));
      expect(received[0]).toMatchObject({
        type: 'kv-changed',
        companyId: COMPANY,
        keys: [
          { scope: 'flow', scopeKey: 'bp', key: 'a' },
          { scope: 'global', scopeKey: '', key: 'n' },
        ],
      });
    } finally {
      unsubscribe();
    }
  });

  it('rejects operations after close with a store error', async () => {
    const store = await IndexedDbStore.open({ dbName: freshDbName() });
    await store.close();
    expect((await rejectionOf(store.batch(COMPANY, [get('a')]))).code).toBe('store');
  });

  describe('key names', () => {
    const names = async (store: IndexedDbStore, contains = '') => {
      const [result] = await store.batch(COMPANY, [{ op: 'keys', scope: 'global', contains }]);
      if (result?.op !== 'keys') throw new Error('not a keys result');
      return { keys: result.keys, total: result.total };
    };

    it('a version 1 database gains the expiry index on open, and its names are listed and counted', async () => {
      const dbName = freshDbName();
      const past = new Date(Date.now() - 60_000).toISOString();
      const future = new Date(Date.now() + 60_000).toISOString();
      const v1 = await openDB(dbName, 1, {
        upgrade(db) {
          const entries = db.createObjectStore('entries', { keyPath: ['companyId', 'scope', 'scopeKey', 'key'] });
          entries.createIndex('byId', ['companyId', 'id'], { unique: true });
          db.createObjectStore('generations');
          db.createObjectStore('keys');
        },
      });
      const row = (key: string, expiresAt: string | null) => ({
        companyId: COMPANY,
        scope: 'global',
        scopeKey: '',
        key,
        id: `id-${key}`,
        valueType: 'json',
        version: 1,
        createdAt: past,
        updatedAt: past,
        expiresAt,
        sealed: { iv: new Uint8Array(12), ciphertext: new ArrayBuffer(16) },
      });
      for (const [key, expiresAt] of [
        ['kept', null],
        ['later', future],
        ['gone', past],
      ] as const)
        await v1.put('entries', row(key, expiresAt));
      v1.close();
      const store = await openStore(dbName);
      expect(await names(store)).toEqual({ keys: ['kept', 'later'], total: 2 });
      expect(await names(store, 'E')).toEqual({ keys: ['kept', 'later'], total: 2 });
      expect(await names(store, 'gon')).toEqual({ keys: [], total: 0 });
    });

    it('the name cache follows a write by another store on the same database', async () => {
      const dbName = freshDbName();
      const first = await openStore(dbName);
      const second = await openStore(dbName);
      await first.batch(COMPANY, [{ op: 'set', key: 'x1', value: 1, scope: 'global' }]);
      expect(await names(first, 'x')).toEqual({ keys: ['x1'], total: 1 });
      await second.batch(COMPANY, [
        { op: 'set', key: 'x2', value: 2, scope: 'global' },
        { op: 'delete', key: 'x1', scope: 'global' },
      ]);
      expect(await names(first, 'x')).toEqual({ keys: ['x2'], total: 1 });
    });

    it('the name cache follows this store’s own bulk writes and deletes', async () => {
      const store = await openStore();
      await store.batch(COMPANY, [{ op: 'set', key: 'seed', value: 0, scope: 'global' }]);
      expect(await names(store, 'e')).toEqual({ keys: ['seed'], total: 1 });
      const many = Array.from({ length: 50 }, (_, i) => `k${String(i).padStart(2, '0')}`);
      await store.batch(
        COMPANY,
        many.map((key) => ({ op: 'set' as const, key, value: key, scope: 'global' as const })),
      );
      await store.batch(COMPANY, [
        { op: 'delete', key: 'k07', scope: 'global' },
        { op: 'set', key: 'k99', value: 1, scope: 'global', ttlSeconds: 60 },
      ]);
      const { keys, total } = await names(store, 'K');
      expect(total).toBe(50);
      expect(keys).toEqual([...many.filter((key) => key !== 'k07'), 'k99']);
    });

    it('a bulk write of new keys reads no row one by one, and an overwrite reads only the rows that exist', async () => {
      const store = await openStore();
      const existing = Array.from({ length: 20 }, (_, i) => `old${String(i).padStart(2, '0')}`);
      await store.batch(
        COMPANY,
        existing.map((key) => ({ op: 'set' as const, key, value: 1, scope: 'global' as const })),
      );
      const reads = vi.spyOn(FakeObjectStore.prototype, 'get');
      await store.batch(
        COMPANY,
        Array.from({ length: 100 }, (_, i) => ({
          op: 'set' as const,
          key: `new${String(i).padStart(3, '0')}`,
          value: i,
          scope: 'global' as const,
        })),
      );
      // Only the generation counter is read with `get`; rows have array keys.
      expect(reads.mock.calls.filter(([key]) => Array.isArray(key))).toEqual([]);
      const results = await store.batch(
        COMPANY,
        [...existing, 'old20', 'old21'].map((key) => ({ op: 'set' as const, key, value: 2, scope: 'global' as const })),
      );
      const rowReads = reads.mock.calls.filter(([key]) => Array.isArray(key));
      expect(rowReads).toHaveLength(20);
      expect(results.map((r) => (r.op === 'set' ? r.entry.version : 0))).toEqual([...existing.map(() => 2), 1, 1]);
    });
  });
});
