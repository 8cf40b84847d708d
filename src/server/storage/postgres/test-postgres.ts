/**
 * The PostgreSQL the tests use: `KVB_TEST_POSTGRES_URL` when set (a server someone else runs),
 * else a throwaway server started for the test file (`scripts/postgres.mjs`) and stopped by PID
 * in its `afterAll`. Each `freshDatabase()` is a new, empty database on it, so tests never see
 * each other's rows, migrations or notifications.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll } from 'vitest';
import { startPostgres, type TestPostgres } from '../../../../scripts/postgres.mjs';

export interface TestDatabases {
  /** A new empty database; its URL. */
  freshDatabase(): Promise<string>;
}

/** Registers the server's start (lazily, on first use) and its stop with the calling test file. */
export function useTestPostgres(): TestDatabases {
  let server: Promise<{ url: string; stop(): Promise<void> }> | null = null;
  const created: string[] = [];
  const start = (): Promise<{ url: string; stop(): Promise<void> }> => {
    const external = process.env.KVB_TEST_POSTGRES_URL;
    server ??= external ? Promise.resolve({ url: external, stop: async () => undefined }) : startPostgres();
    return server;
  };
  afterAll(async () => {
    if (!server) return;
    const running = await server;
    if (process.env.KVB_TEST_POSTGRES_URL) await dropDatabases(running.url, created);
    await running.stop();
  });
  return {
    async freshDatabase() {
      const { url } = await start();
      const name = `kvb_test_${randomBytes(6).toString('hex')}`;
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      try {
        await admin.query(`CREATE DATABASE ${name} TEMPLATE template0`);
      } finally {
        await admin.end();
      }
      created.push(name);
      const fresh = new URL(url);
      fresh.pathname = `/${name}`;
      return fresh.toString();
    },
  };
}

async function dropDatabases(url: string, names: readonly string[]): Promise<void> {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    for (const name of names) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

export type { TestPostgres };
