/**
 * Runs inside Chromium for `npm run bench` (bundled by esbuild, see `keys-browser.ts`): the keys
 * panel's store operations at 100,000 keys on the browser store, and the same operations on a
 * bare IndexedDB object store (no encryption, no locks) as the baseline.
 */
import { IndexedDbStore } from '../../src/kv/indexeddb';
import type { KvOp } from '../../src/kv/types';
import { applyImport, parseImport } from '../../src/kv/transfer';
import { exportScope } from '../../src/ui/api/key-transfer';

export interface BrowserKeysFigures {
  count: number;
  bare: { writeMs: number; openMs: number; countMs: number; filterMs: number; visibleMs: number; readAllMs: number };
  store: {
    writeMs: number;
    openColdMs: number;
    openWarmMs: number;
    filterColdMs: number;
    filterMs: number;
    visibleMs: number;
    deleteMs: number;
    /** The panel's Export keys: every entry of the scope as NDJSON through the store API. */
    exportMs: number;
    /** The panel's Import keys: that file parsed and written into another scope in one batch. */
    importMs: number;
  };
}

const COMPANY = 'bench';
const BATCH = 2000;
const keyOf = (i: number) => `key-${String(i).padStart(6, '0')}`;

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function bare(count: number): Promise<BrowserKeysFigures['bare']> {
  const open = indexedDB.open('bench-bare', 1);
  open.onupgradeneeded = () => open.result.createObjectStore('entries', { keyPath: 'key' });
  const db = await request(open);
  let started = performance.now();
  for (let start = 0; start < count; start += BATCH) {
    const tx = db.transaction('entries', 'readwrite');
    for (let i = start; i < Math.min(count, start + BATCH); i++) tx.objectStore('entries').put({ key: keyOf(i), value: { n: i } });
    await new Promise((resolve, reject) => {
      tx.oncomplete = resolve;
      tx.onerror = () => reject(tx.error);
    });
  }
  const writeMs = performance.now() - started;
  started = performance.now();
  const first = await request(db.transaction('entries').objectStore('entries').getAll(null, 50));
  const openMs = performance.now() - started;
  if (first.length !== 50) throw new Error('bare IndexedDB lost rows');
  started = performance.now();
  await request(db.transaction('entries').objectStore('entries').count());
  const countMs = performance.now() - started;
  started = performance.now();
  const names = await request(db.transaction('entries').objectStore('entries').getAllKeys());
  const matches = (names as string[]).filter((name) => name.includes(keyOf(count - 1).slice(0, -1)));
  const filterMs = performance.now() - started;
  if (matches.length !== 10) throw new Error(`bare filter found ${matches.length}`);
  started = performance.now();
  const store = db.transaction('entries').objectStore('entries');
  await Promise.all(Array.from({ length: 40 }, (_, i) => request(store.get(keyOf(Math.floor(count / 2) + i)))));
  const visibleMs = performance.now() - started;
  started = performance.now();
  const all = await request(db.transaction('entries').objectStore('entries').getAll());
  const readAllMs = performance.now() - started;
  if (all.length !== count) throw new Error('bare getAll lost rows');
  db.close();
  return { writeMs, openMs, countMs, filterMs, visibleMs, readAllMs };
}

async function throughStore(count: number): Promise<BrowserKeysFigures['store']> {
  const scope = { scope: 'global' as const };
  let store = await IndexedDbStore.open({ dbName: 'bench-store' });
  let started = performance.now();
  for (let start = 0; start < count; start += BATCH) {
    const ops: KvOp[] = [];
    for (let i = start; i < Math.min(count, start + BATCH); i++) ops.push({ op: 'set', ...scope, key: keyOf(i), value: { n: i } });
    await store.batch(COMPANY, ops);
  }
  const writeMs = performance.now() - started;
  await store.close();
  // A fresh store: no name cache, as when the page has just loaded.
  store = await IndexedDbStore.open({ dbName: 'bench-store' });
  const openPanel = () =>
    Promise.all([
      store.batch(COMPANY, [{ op: 'keys', ...scope, limit: 1000 }]),
      store.batch(COMPANY, [{ op: 'keys', ...scope, limit: 1 }]),
    ]);
  started = performance.now();
  const [[page]] = await openPanel();
  const openColdMs = performance.now() - started;
  if (page?.op !== 'keys' || page.total !== count) throw new Error(`store open counted ${page?.op === 'keys' ? page.total : '?'}`);
  started = performance.now();
  await openPanel();
  const openWarmMs = performance.now() - started;
  // A person starts typing a moment after the panel opens; by then the names are cached.
  await new Promise((resolve) => setTimeout(resolve, 2000));
  started = performance.now();
  const [filtered] = await store.batch(COMPANY, [{ op: 'keys', ...scope, contains: keyOf(count - 1).slice(0, -1), limit: 1000 }]);
  const filterMs = performance.now() - started;
  if (filtered?.op !== 'keys' || filtered.total !== 10) throw new Error('store filter found the wrong keys');
  // The worst case: a filter typed into a tab that has never read this scope's names.
  await store.close();
  store = await IndexedDbStore.open({ dbName: 'bench-store' });
  started = performance.now();
  await store.batch(COMPANY, [{ op: 'keys', ...scope, contains: keyOf(count - 1).slice(0, -1), limit: 1000 }]);
  const filterColdMs = performance.now() - started;
  started = performance.now();
  await store.batch(
    COMPANY,
    Array.from({ length: 40 }, (_, i) => ({ op: 'get' as const, ...scope, key: keyOf(Math.floor(count / 2) + i) })),
  );
  const visibleMs = performance.now() - started;
  started = performance.now();
  const doomed = Array.from({ length: Math.min(10_000, Math.floor(count / 10)) }, (_, i) => keyOf(i));
  await store.batch(
    COMPANY,
    doomed.flatMap((key): KvOp[] => [
      { op: 'get', ...scope, key },
      { op: 'delete', ...scope, key },
    ]),
  );
  const deleteMs = performance.now() - started;
  started = performance.now();
  const text = (await exportScope(store, COMPANY, { scope: 'global', scopeKey: '' }, count - doomed.length)).join('');
  const exportMs = performance.now() - started;
  started = performance.now();
  // The same lines into a flow scope: a different place, so every line creates a key.
  const lines = parseImport(text.replaceAll('"scope":"global","scopeKey":""', '"scope":"flow","scopeKey":"imported"'));
  const summary = await applyImport(store, COMPANY, lines, 'upsert');
  const importMs = performance.now() - started;
  if (summary.created !== count - doomed.length) throw new Error(`import created ${summary.created}`);
  await store.close();
  return { writeMs, openColdMs, openWarmMs, filterColdMs, filterMs, visibleMs, deleteMs, exportMs, importMs };
}

declare global {
  interface Window {
    runKeysBench?: (count: number) => Promise<BrowserKeysFigures>;
  }
}

window.runKeysBench = async (count) => ({ count, bare: await bare(count), store: await throughStore(count) });
