import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { describeConformance } from '../../../kv/conformance-vitest';
import { isKvError } from '../../../kv/errors';
import type { KvOp } from '../../../kv/types';
import { describeServerStorageContract } from '../contract';
import { openServerStorage } from '../index';
import { openPostgres, type PostgresStorage } from './index';
import { migrate, MIGRATIONS } from './schema';
import { useTestPostgres } from './test-postgres';

const postgres = useTestPostgres();
const MASTER_KEY = randomBytes(32).toString('hex');
const env = { KVB_MASTER_KEY: MASTER_KEY };
const opened: PostgresStorage[] = [];
afterAll(async () => {
  await Promise.all(opened.splice(0).map((storage) => storage.close()));
});

async function open(url?: string, options: Partial<Parameters<typeof openPostgres>[0]> = {}): Promise<PostgresStorage> {
  const storage = openPostgres({ url: url ?? (await postgres.freshDatabase()), env, ...options });
  opened.push(storage);
  await storage.ready;
  return storage;
}

describeConformance(
  'postgres',
  async (clock) => {
    const storage = await open(undefined, { batchOptions: { now: clock.now } });
    return storage.store;
  },
  { injectsClock: true, closeStore: false },
);

describeServerStorageContract('PostgreSQL', async () => {
  const storage = openServerStorage({ kind: 'postgres', url: await postgres.freshDatabase() }, env);
  await storage.ready;
  return storage;
});

describe('PostgreSQL store', () => {
  const counter = { op: 'increment', key: 'hits', scope: 'global' } as const;
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((storage) => storage.close()));
  });

  it('keeps a counter exact under concurrent increments from several pools', async () => {
    const url = await postgres.freshDatabase();
    const instances = await Promise.all([open(url), open(url), open(url)]);
    await Promise.all(Array.from({ length: 150 }, (_, i) => instances[i % 3]!.store.batch('acme', [{ ...counter }])));
    const [result] = await instances[0]!.store.batch('acme', [{ op: 'get', key: 'hits', scope: 'global' }]);
    expect(result).toMatchObject({ entry: { value: 150, version: 150 } });
  });

  it('never deadlocks two batches that name the same keys in opposite orders', async () => {
    const url = await postgres.freshDatabase();
    const [a, b] = await Promise.all([open(url), open(url)]);
    const forward: KvOp[] = ['x', 'y', 'z'].map((key) => ({ op: 'increment', key, scope: 'global' }));
    const backward = [...forward].reverse();
    // Without the ordered locks these interleave into lock cycles that PostgreSQL aborts.
    const results = await Promise.allSettled(
      Array.from({ length: 60 }, (_, i) => (i % 2 === 0 ? a : b).store.batch('acme', i % 2 === 0 ? forward : backward)),
    );
    expect(results.filter((result) => result.status === 'rejected')).toEqual([]);
    const read = await a.store.batch(
      'acme',
      ['x', 'y', 'z'].map((key) => ({ op: 'get', key, scope: 'global' })),
    );
    expect(read.map((result) => (result as { entry: { value: number } }).entry.value)).toEqual([60, 60, 60]);
    // And the server saw no deadlock at all (not even one retried away). Closing the pools ends
    // their sessions, which flushes their statistics.
    await Promise.all([a.close(), b.close()]);
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    const { rows } = await admin.query<{ deadlocks: string }>('SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()');
    await admin.end();
    expect(Number(rows[0]?.deadlocks)).toBe(0);
  });

  it('creates a missing key once when two batches create it together', async () => {
    const url = await postgres.freshDatabase();
    const [a, b] = await Promise.all([open(url), open(url)]);
    const create = { op: 'set', key: 'only', value: 1, scope: 'global', mode: 'create' } as const;
    const results = await Promise.allSettled([a.store.batch('acme', [create]), b.store.batch('acme', [create])]);
    expect(results.map((result) => result.status).sort()).toEqual(['fulfilled', 'rejected']);
    const refused = results.find((result) => result.status === 'rejected') as PromiseRejectedResult;
    expect(isKvError(refused.reason) && refused.reason.code).toBe('already_exists');
  });

  it('stores values sealed: the table holds no plaintext, and another master key is refused at open', async () => {
    const url = await postgres.freshDatabase();
    const storage = await open(url);
    await storage.store.batch('acme', [{ op: 'set', key: 'secret', value: 'plain-text-marker', scope: 'global' }]);
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    const { rows } = await admin.query<{ value_ciphertext: Buffer }>('SELECT value_ciphertext FROM kv_entries');
    await admin.end();
    expect(rows[0]!.value_ciphertext.includes('plain-text-marker')).toBe(false);
    const other = openPostgres({ url, env: { KVB_MASTER_KEY: randomBytes(32).toString('hex') } });
    opened.push(other);
    await expect(other.ready).rejects.toThrow(/master key is not the one/);
  });

  it('refuses to open without KVB_MASTER_KEY, saying what to set', () => {
    expect(() => openPostgres({ url: 'postgres://127.0.0.1/x', env: {} })).toThrow(/needs KVB_MASTER_KEY/);
  });

  it('runs each migration once when instances start together, and records its version', async () => {
    const url = await postgres.freshDatabase();
    const pools = Array.from({ length: 4 }, () => new pg.Pool({ connectionString: url, max: 2 }));
    try {
      const applied = await Promise.all(pools.map((pool) => migrate(pool)));
      expect(applied.flat()).toEqual(MIGRATIONS.map((migration) => migration.version));
      const { rows } = await pools[0]!.query<{ version: number }>('SELECT version FROM kvb_schema ORDER BY version');
      expect(rows.map((row) => row.version)).toEqual(MIGRATIONS.map((migration) => migration.version));
      const newer = [...MIGRATIONS, { version: 99, name: 'later', sql: 'CREATE TABLE later (company_id text PRIMARY KEY)' }];
      expect(await migrate(pools[1]!, newer)).toEqual([99]);
      await expect(migrate(pools[2]!)).rejects.toThrow(/schema is at version 99, newer than this kvb knows/);
    } finally {
      await Promise.all(pools.map((pool) => pool.end()));
    }
  });
});
