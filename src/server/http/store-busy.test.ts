/** Another process holding the database's write lock: a quick 503 `store`, never a 500 or a frozen server. */
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_FILE } from '../storage/sqlite/database';
import { errorOf, startTestServer, type TestServer } from './test-support';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t.stop();
});

describe('a database locked by another process', () => {
  it('answers KV writes and blueprint saves with 503 store "busy, try again" within a second or two', async () => {
    const holder = new BetterSqlite3(join(t.dataDir, DATABASE_FILE));
    holder.prepare('BEGIN IMMEDIATE').run();
    try {
      const started = performance.now();
      const kv = await t.call('POST', '/api/kv', { body: { key: 'k', value: 1, scope: 'global' } });
      expect(kv.status).toBe(503);
      expect(errorOf(kv)).toMatchObject({ code: 'store', message: expect.stringMatching(/busy.*try again/) });
      const blueprint = await t.call('POST', '/api/blueprints', {
        body: {
          format: 'kv-blueprint/1',
          id: 'locked',
          nodes: [{ id: 'start', type: 'start', position: { x: 0, y: 0 }, data: {} }],
          edges: [],
        },
      });
      expect(blueprint.status).toBe(503);
      expect(errorOf(blueprint)).toMatchObject({ code: 'store', message: expect.stringMatching(/busy.*try again/) });
      expect(performance.now() - started).toBeLessThan(2500);
    } finally {
      holder.prepare('ROLLBACK').run();
      holder.close();
    }
    expect((await t.call('POST', '/api/kv', { body: { key: 'k', value: 1, scope: 'global' } })).status).toBe(201);
  });
});
