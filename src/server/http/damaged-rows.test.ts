/**
 * One damaged row (a flipped byte in its ciphertext on disk) no longer blocks its scope or its
 * blueprint's run history, and can be removed.
 */
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunRecord } from '../../engine/types';
import type { Entry } from '../../kv/types';
import { DATABASE_FILE } from '../storage/sqlite/database';
import { errorOf, startTestServer, type TestServer } from './test-support';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t.stop();
});

function flipByte(table: 'kv_entries' | 'runs', column: string, where: string, id: string): void {
  const raw = new BetterSqlite3(join(t.dataDir, DATABASE_FILE));
  const blob = raw.prepare(`SELECT ${column} FROM ${table} WHERE ${where} = ?`).pluck().get(id) as Buffer;
  blob[20] = blob[20]! ^ 0x80;
  raw.prepare(`UPDATE ${table} SET ${column} = ? WHERE ${where} = ?`).run(blob, id);
  raw.close();
}

const blueprint = {
  format: 'kv-blueprint/1',
  id: 'history',
  name: 'history',
  nodes: [
    { id: 'start', type: 'start', position: { x: 0, y: 0 }, data: { sampleInput: {} } },
    { id: 'out', type: 'output', position: { x: 240, y: 0 }, data: { valueType: 'text', value: 'done' } },
  ],
  edges: [{ id: 'e1', source: 'start', sourceHandle: 'success', target: 'out' }],
};

describe('a damaged KV row', () => {
  it('is left out of GET /api/kv and of a batch list, counted as damaged', async () => {
    const saved: Entry[] = [];
    for (const key of ['one', 'two', 'three']) {
      saved.push((await t.call('POST', '/api/kv', { body: { key, value: key, scope: 'flow', scopeKey: 'dmg' } })).body as Entry);
    }
    flipByte('kv_entries', 'value_ciphertext', 'id', saved[1]!.id);
    const listed = await t.call('GET', '/api/kv?scope=flow&scopeKey=dmg');
    expect(listed.status).toBe(200);
    expect(listed.body).toMatchObject({ entries: [{ key: 'one' }, { key: 'three' }], nextCursor: null, damaged: 1, damagedKeys: ['two'] });
    const batch = await t.call('POST', '/api/kv/ops', { body: { ops: [{ op: 'list', scope: 'flow', scopeKey: 'dmg' }] } });
    expect(batch.status).toBe(200);
    expect(batch.body).toMatchObject({
      results: [{ op: 'list', entries: [{ key: 'one' }, { key: 'three' }], damaged: 1, damagedKeys: ['two'] }],
    });
    // Reading the damaged row itself still says so.
    const read = await t.call('GET', `/api/kv/${saved[1]!.id}`);
    expect(read.status).toBe(503);
    expect(errorOf(read).code).toBe('integrity');
  });

  it('is deleted by id and by key without decrypting it', async () => {
    const byId = (await t.call('POST', '/api/kv', { body: { key: 'gone1', value: 1, scope: 'flow', scopeKey: 'dmgdel' } })).body as Entry;
    const byKey = (await t.call('POST', '/api/kv', { body: { key: 'gone2', value: 2, scope: 'flow', scopeKey: 'dmgdel' } })).body as Entry;
    flipByte('kv_entries', 'value_ciphertext', 'id', byId.id);
    flipByte('kv_entries', 'value_ciphertext', 'id', byKey.id);
    expect((await t.call('DELETE', `/api/kv/${byId.id}`)).status).toBe(204);
    const deleted = await t.call('POST', '/api/kv/ops', {
      body: { ops: [{ op: 'delete', key: 'gone2', scope: 'flow', scopeKey: 'dmgdel' }] },
    });
    expect(deleted.body).toEqual({ results: [{ op: 'delete', deleted: true }] });
    expect((await t.call('GET', '/api/kv?scope=flow&scopeKey=dmgdel')).body).toEqual({ entries: [], nextCursor: null });
  });
});

describe('a damaged run record', () => {
  it('is left out of the run history, counted, and can be deleted; deletes are company-isolated', async () => {
    expect((await t.call('POST', '/api/blueprints', { body: blueprint })).status).toBe(201);
    const runs: RunRecord[] = [];
    for (let i = 0; i < 3; i++) runs.push((await t.call('POST', '/api/blueprints/history/runs', { body: {} })).body as RunRecord);
    flipByte('runs', 'record_ciphertext', 'run_id', runs[1]!.runId);

    const history = await t.call('GET', '/api/blueprints/history/runs');
    expect(history.status).toBe(200);
    const body = history.body as { runs: RunRecord[]; damaged: number };
    expect(body.runs.map((run) => run.runId)).toEqual([runs[2]!.runId, runs[0]!.runId]);
    expect(body.damaged).toBe(1);

    const otherCompany = await t.call('DELETE', `/api/blueprints/history/runs/${runs[1]!.runId}?companyId=someone-else`);
    expect(otherCompany.status).toBe(404);
    expect((await t.call('DELETE', `/api/blueprints/history/runs/${runs[1]!.runId}`)).status).toBe(204);
    expect((await t.call('DELETE', `/api/blueprints/history/runs/${runs[1]!.runId}`)).status).toBe(404);
    const after = await t.call('GET', '/api/blueprints/history/runs');
    expect(after.body).toEqual({ runs: [runs[2], runs[0]] });
  });
});
