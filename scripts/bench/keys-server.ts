/**
 * The server half of the keys-panel benchmark: the panel's operations at 100,000 keys through
 * `kvb serve` (HTTP store → Fastify → encrypted SQLite store), and the same reads as bare
 * SQLite queries on a plaintext table in the same run as the baseline.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { HttpStore } from '../../src/kv/http-store';
import type { KvOp } from '../../src/kv/types';
import { startServer } from '../../src/server/http/serve';

export interface ServerKeysFigures {
  count: number;
  bare: { writeMs: number; openMs: number; filterMs: number; visibleMs: number; readAllMs: number };
  server: {
    writeMs: number;
    openMs: number;
    filterMs: number;
    visibleMs: number;
    pageMs: number;
    deleteMs: number;
    /** `GET /api/kv/export` of the scope, read to the end (the panel's Export keys). */
    exportMs: number;
    /** That file sent to `POST /api/kv/import` for another scope (one atomic request). */
    importMs: number;
  };
}

const BATCH = 1000;
const keyOf = (i: number) => `key-${String(i).padStart(6, '0')}`;

function timed<T>(work: () => T): [T, number] {
  const started = performance.now();
  const result = work();
  return [result, performance.now() - started];
}

async function timedAsync<T>(work: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const result = await work();
  return [result, performance.now() - started];
}

function bare(dir: string, count: number): ServerKeysFigures['bare'] {
  const db = new Database(join(dir, 'bare.sqlite'));
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE kv (scope TEXT, k TEXT, v TEXT, PRIMARY KEY (scope, k))');
  const insert = db.prepare('INSERT INTO kv (scope, k, v) VALUES (?, ?, ?)');
  const [, writeMs] = timed(() => {
    for (let start = 0; start < count; start += BATCH) {
      db.transaction(() => {
        for (let i = start; i < Math.min(count, start + BATCH); i++) insert.run('global', keyOf(i), JSON.stringify({ n: i }));
      })();
    }
  });
  const [, openMs] = timed(() => [
    db.prepare('SELECT k FROM kv WHERE scope = ? ORDER BY k LIMIT 1000').all('global'),
    db.prepare('SELECT count(*) FROM kv WHERE scope = ?').get('global'),
  ]);
  const needle = keyOf(count - 1).slice(0, -1);
  const [, filterMs] = timed(() => [
    db.prepare('SELECT k FROM kv WHERE scope = ? AND instr(k, ?) > 0 ORDER BY k LIMIT 1000').all('global', needle),
    db.prepare('SELECT count(*) FROM kv WHERE scope = ? AND instr(k, ?) > 0').get('global', needle),
  ]);
  const select = db.prepare('SELECT v FROM kv WHERE scope = ? AND k = ?');
  const [, visibleMs] = timed(() =>
    Array.from(
      { length: 40 },
      (_, i) => JSON.parse((select.get('global', keyOf(Math.floor(count / 2) + i)) as { v: string }).v) as unknown,
    ),
  );
  const [all, readAllMs] = timed(() => db.prepare('SELECT k, v FROM kv WHERE scope = ? ORDER BY k').all('global'));
  if (all.length !== count) throw new Error('bare SQLite lost rows');
  db.close();
  return { writeMs, openMs, filterMs, visibleMs, readAllMs };
}

async function throughServer(dir: string, count: number): Promise<ServerKeysFigures['server']> {
  const server = await startServer({ host: '127.0.0.1', port: 0, dataDir: join(dir, 'server'), env: { KVB_MASTER_KEY: '22'.repeat(32) } });
  try {
    const store = new HttpStore({ baseUrl: server.url });
    const company = 'default';
    const scope = { scope: 'global' as const };
    const [, writeMs] = await timedAsync(async () => {
      for (let start = 0; start < count; start += BATCH) {
        const ops: KvOp[] = [];
        for (let i = start; i < Math.min(count, start + BATCH); i++) ops.push({ op: 'set', ...scope, key: keyOf(i), value: { n: i } });
        await store.batch(company, ops);
      }
    });
    const [[first], openMs] = await timedAsync(() =>
      Promise.all([
        store.batch(company, [{ op: 'keys', ...scope, limit: 1000 }]),
        store.batch(company, [{ op: 'keys', ...scope, limit: 1 }]),
      ]),
    );
    const page = first?.[0];
    if (page?.op !== 'keys' || page.total !== count) throw new Error('the server counted the wrong number of keys');
    const [, pageMs] = await timedAsync(() =>
      store.batch(company, [{ op: 'keys', ...scope, limit: 1000, cursor: keyOf(Math.floor(count / 2)) }]),
    );
    const [[filtered], filterMs] = await timedAsync(() =>
      store.batch(company, [{ op: 'keys', ...scope, contains: keyOf(count - 1).slice(0, -1), limit: 1000 }]),
    );
    if (filtered?.op !== 'keys' || filtered.total !== 10) throw new Error('the server filter found the wrong keys');
    const [, visibleMs] = await timedAsync(() =>
      store.batch(
        company,
        Array.from({ length: 40 }, (_, i) => ({ op: 'get' as const, ...scope, key: keyOf(Math.floor(count / 2) + i) })),
      ),
    );
    const doomed = Array.from({ length: Math.min(5000, Math.floor(count / 20)) }, (_, i) => keyOf(i));
    const [, deleteMs] = await timedAsync(() =>
      store.batch(
        company,
        doomed.flatMap((key): KvOp[] => [
          { op: 'get', ...scope, key },
          { op: 'delete', ...scope, key },
        ]),
      ),
    );
    const [text, exportMs] = await timedAsync(async () => {
      const response = await fetch(`${server.url}/api/kv/export?scope=global`);
      if (!response.ok) throw new Error(`export answered ${response.status}`);
      return response.text();
    });
    const lines = text.trim().split('\n').length;
    if (lines !== count - doomed.length) throw new Error(`the export has ${lines} lines`);
    const body = text.replaceAll('"scope":"global","scopeKey":""', '"scope":"flow","scopeKey":"imported"');
    const [summary, importMs] = await timedAsync(async () => {
      const response = await fetch(`${server.url}/api/kv/import?mode=upsert`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson' },
        body,
      });
      if (!response.ok) throw new Error(`import answered ${response.status}: ${await response.text()}`);
      return (await response.json()) as { created: number };
    });
    if (summary.created !== lines) throw new Error(`the import created ${summary.created}`);
    return { writeMs, openMs, filterMs, visibleMs, pageMs, deleteMs, exportMs, importMs };
  } finally {
    await server.close();
  }
}

export async function measureServerKeys(dir: string, count: number): Promise<ServerKeysFigures> {
  return { count, bare: bare(dir, count), server: await throughServer(dir, count) };
}
