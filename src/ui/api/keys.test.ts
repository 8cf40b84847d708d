import { describe, expect, it, vi } from 'vitest';
import { KvError } from '../../kv/errors';
import { HttpStore } from '../../kv/http-store';
import { API_MAX_OPS } from '../../kv/api-schema';
import { MemoryStore } from '../../kv/memory';
import type { KeyValueStore, KvOp, KvOpResult } from '../../kv/types';
import { QueryClient, QueryObserver } from '@tanstack/react-query';
import { undoDelete } from './key-history';
import { deleteKeys, invalidateKeys, keyNamesBetween, keyNamesPageQuery, listAllKeyNames } from './keys';

const COMPANY = 'default';
const GLOBAL = { scope: 'global' as const, scopeKey: '' };

/** A memory store that records each batch's size, and calls itself `http` when asked to. */
function recordingStore(kind = 'memory') {
  const inner = new MemoryStore();
  const batches: number[] = [];
  const store: KeyValueStore = {
    kind,
    batch: (companyId: string, ops: KvOp[]): Promise<KvOpResult[]> => {
      batches.push(ops.length);
      return inner.batch(companyId, ops);
    },
    getById: (companyId, id) => inner.getById(companyId, id),
    deleteById: (companyId, id) => inner.deleteById(companyId, id),
    close: () => inner.close(),
  };
  return { store, batches, inner };
}

async function seed(store: KeyValueStore, count: number, extra: Partial<Extract<KvOp, { op: 'set' }>> = {}) {
  await store.batch(
    COMPANY,
    Array.from({ length: count }, (_, i) => ({
      op: 'set' as const,
      scope: 'global' as const,
      key: `k${String(i).padStart(5, '0')}`,
      value: { n: i },
      ...extra,
    })),
  );
}

describe('bulk delete and undo of the keys panel', () => {
  it('deletes every selected key in one batch and hands back exactly what they held', async () => {
    const { store, batches } = recordingStore();
    await seed(store, 30);
    batches.length = 0;
    const deleted = await deleteKeys(store, COMPANY, GLOBAL, ['k00003', 'k00004', 'missing']);
    expect(batches).toEqual([6]);
    expect(deleted.map((entry) => [entry.key, entry.value])).toEqual([
      ['k00003', { n: 3 }],
      ['k00004', { n: 4 }],
    ]);
    expect(await listAllKeyNames(store, COMPANY, GLOBAL, '0000')).toEqual([
      'k00000',
      'k00001',
      'k00002',
      'k00005',
      'k00006',
      'k00007',
      'k00008',
      'k00009',
    ]);
  });

  it('undo restores through the history: the deleted version comes back and stays in the key’s history', async () => {
    const { store, batches } = recordingStore();
    await seed(store, 3);
    await store.batch(COMPANY, [{ op: 'set', scope: 'global', key: 'k00001', value: { n: 'second' } }]);
    const deleted = await deleteKeys(store, COMPANY, GLOBAL, ['k00000', 'k00001']);
    batches.length = 0;
    expect(await undoDelete(store, COMPANY, deleted)).toBe(2);
    expect(batches).toEqual([2]);
    const [again, history] = await store.batch(COMPANY, [
      { op: 'get', scope: 'global', key: 'k00001' },
      { op: 'history', scope: 'global', key: 'k00001' },
    ]);
    // A key that comes back starts its versions over; its history keeps the deleted one.
    expect(again).toMatchObject({ op: 'get', entry: { value: { n: 'second' }, version: 1 } });
    expect(history).toMatchObject({
      op: 'history',
      versions: [
        { version: 2, value: { n: 'second' }, deleted: true },
        { version: 1, value: { n: 1 }, deleted: false },
      ],
    });
    const [gone] = await store.batch(COMPANY, [{ op: 'deleted', scope: 'global' }]);
    expect(gone).toEqual({ op: 'deleted', keys: [] });
  });

  it('undo against a store without history writes the values back instead', async () => {
    const { store: inner } = recordingStore();
    await seed(inner, 2);
    const store: KeyValueStore = {
      ...inner,
      kind: 'memory',
      batch: (companyId, ops) =>
        ops.some((op) => op.op === 'restore')
          ? Promise.reject(new KvError('invalid_request', 'This store keeps no history of values'))
          : inner.batch(companyId, ops),
    };
    const deleted = await deleteKeys(store, COMPANY, GLOBAL, ['k00000', 'k00001']);
    expect(await undoDelete(store, COMPANY, deleted)).toBe(2);
    expect(await listAllKeyNames(store, COMPANY, GLOBAL, '')).toEqual(['k00000', 'k00001']);
  });

  it('undo writes the values back with the time they had left to live', async () => {
    const { store } = recordingStore();
    await seed(store, 2, { ttlSeconds: 600 });
    const deleted = await deleteKeys(store, COMPANY, GLOBAL, ['k00000', 'k00001']);
    const restored = await undoDelete(store, COMPANY, deleted, Date.parse(deleted[0]!.expiresAt!) - 300_000);
    expect(restored).toBe(2);
    const [again] = await store.batch(COMPANY, [{ op: 'get', scope: 'global', key: 'k00000' }]);
    const entry = again?.op === 'get' ? again.entry : null;
    expect(entry?.value).toEqual({ n: 0 });
    const leftMs = Date.parse(entry!.expiresAt!) - Date.now();
    expect(leftMs).toBeGreaterThan(290_000);
    expect(leftMs).toBeLessThan(310_000);
  });

  it('undo leaves out entries whose time ran out meanwhile', async () => {
    const { store } = recordingStore();
    await seed(store, 1, { ttlSeconds: 60 });
    const deleted = await deleteKeys(store, COMPANY, GLOBAL, ['k00000']);
    expect(await undoDelete(store, COMPANY, deleted, Date.parse(deleted[0]!.expiresAt!) + 1)).toBe(0);
    expect(await listAllKeyNames(store, COMPANY, GLOBAL, '')).toEqual([]);
  });

  it('through the server, a selection larger than one request is split at the op limit, keeping each get with its delete', async () => {
    const { store, batches } = recordingStore('http');
    const count = API_MAX_OPS / 2 + 10;
    await seed(store, count);
    batches.length = 0;
    const keys = await listAllKeyNames(store, COMPANY, GLOBAL, '');
    expect(keys).toHaveLength(count);
    expect(Math.max(...batches)).toBe(1);
    batches.length = 0;
    const deleted = await deleteKeys(store, COMPANY, GLOBAL, keys);
    expect(batches).toEqual([API_MAX_OPS, 20]);
    expect(deleted).toHaveLength(count);
  });
});

describe('paging the names of the keys list', () => {
  const keyOf = (i: number) => `k${String(i).padStart(5, '0')}`;

  it('a refresh re-reads only the pages in view, each after its cached predecessor, not every page read before', async () => {
    const { store, batches } = recordingStore();
    await seed(store, 5500);
    const client = new QueryClient();
    const page = (n: number) => keyNamesPageQuery(client, store, COMPANY, GLOBAL, '', n);
    batches.length = 0;
    // Scrolled to the end: page 5 reads pages 0 to 4 first (each starts after the last name of the one before).
    expect((await client.fetchQuery(page(5))).keys).toEqual([keyOf(5000), ...Array.from({ length: 499 }, (_, i) => keyOf(5001 + i))]);
    expect(batches).toHaveLength(6);
    // In view: page 0 (the count) and page 4.
    const observers = [0, 4].map((n) => new QueryObserver(client, page(n)));
    const stops = observers.map((observer) => observer.subscribe(() => undefined));
    await store.batch(COMPANY, [{ op: 'set', scope: 'global', key: `${keyOf(4100)}x`, value: 1 }]);
    batches.length = 0;
    await invalidateKeys(client);
    expect(batches).toHaveLength(2);
    const page4 = observers[1]!.getCurrentResult().data!;
    expect(page4.keys[0]).toBe(keyOf(4000));
    expect(page4.keys).toContain(`${keyOf(4100)}x`);
    expect(page4.keys).toHaveLength(1000);
    expect(observers[0]!.getCurrentResult().data!.total).toBe(5501);
    // Page 5 was only marked stale: coming into view, it is re-read once, after page 4's new last name.
    batches.length = 0;
    const page5 = await client.fetchQuery(page(5));
    expect(batches).toEqual([1]);
    expect(page5.keys[0]).toBe(keyOf(4999));
    stops.forEach((stop) => stop());
    client.clear();
  });

  it('a shift-click range spans pages and comes out in list order whichever end was clicked first', async () => {
    const { store } = recordingStore();
    await seed(store, 1200);
    const client = new QueryClient();
    const range = await keyNamesBetween(client, store, COMPANY, GLOBAL, '', 1003, 997);
    expect(range).toEqual(Array.from({ length: 7 }, (_, i) => keyOf(997 + i)));
    expect(await keyNamesBetween(client, store, COMPANY, GLOBAL, '', 5, 5)).toEqual([keyOf(5)]);
    client.clear();
  });

  it('a names query nobody waits for any more (the filter changed) aborts its server request on the wire', async () => {
    const signals: AbortSignal[] = [];
    const store = new HttpStore({
      baseUrl: 'http://127.0.0.1:9',
      // A server that never answers: only an abort ends the request.
      fetch: (_input, init) =>
        new Promise<Response>((_resolve, reject) => {
          const signal = init?.signal;
          if (!signal) return;
          signals.push(signal);
          signal.addEventListener('abort', () => reject(signal.reason));
        }),
    });
    const client = new QueryClient();
    const observer = new QueryObserver(client, keyNamesPageQuery(client, store, COMPANY, GLOBAL, 'key-0', 0));
    const stop = observer.subscribe(() => undefined);
    await vi.waitFor(() => expect(signals).toHaveLength(1));
    expect(signals[0]!.aborted).toBe(false);
    stop();
    await vi.waitFor(() => expect(signals[0]!.aborted).toBe(true));
    client.clear();
  });
});
