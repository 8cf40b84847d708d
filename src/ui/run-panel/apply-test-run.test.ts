import 'fake-indexeddb/auto';
import { openDB } from 'idb';
import { describe, expect, it, vi } from 'vitest';
import { runBlueprint } from '../../engine/runner';
import { makeDocument, makeNode } from '../../engine/blocks/test-kit';
import type { RunRecord } from '../../engine/types';
import { IndexedDbStore } from '../../kv/indexeddb';
import { MemoryStore } from '../../kv/memory';
import { applyTestRun } from './apply-test-run';

const counter = makeDocument(
  [
    makeNode('inc', 'kv', { action: 'increment', key: 'visits', scope: 'global' }),
    makeNode('save', 'kv', { action: 'save', key: 'last', value: '@{input.who}', scope: 'flow' }, { x: 200, y: 0 }),
  ],
  ['start.success>inc', 'inc.success>save'],
  { id: 'bp-visits', sampleInput: { who: 'Ada' } },
);

/** Every object store of an IndexedDB database, as raw records (ciphertexts and all). */
async function dump(dbName: string): Promise<Record<string, unknown[]>> {
  const db = await openDB(dbName);
  const out: Record<string, unknown[]> = {};
  for (const name of [...db.objectStoreNames].sort()) out[name] = await db.getAll(name);
  db.close();
  return out;
}

async function visits(store: { batch: MemoryStore['batch'] }): Promise<unknown> {
  const [result] = await store.batch('default', [{ op: 'get', key: 'visits', scope: 'global' }]);
  return result?.op === 'get' ? (result.entry?.value ?? null) : undefined;
}

describe('a test run in the browser store', () => {
  it('leaves IndexedDB unchanged, record for record, while its record lists the changes', async () => {
    const dbName = `kvb-sandbox-${globalThis.crypto.randomUUID()}`;
    const store = await IndexedDbStore.open({ dbName });
    await store.batch('default', [{ op: 'set', key: 'visits', value: 7, scope: 'global' }]);
    const before = await dump(dbName);

    const record = await runBlueprint(counter, { store, sandbox: true });
    expect(record.status).toBe('succeeded');
    expect(record.changes?.map((c) => [c.key, c.change])).toEqual([
      ['last', 'created'],
      ['visits', 'updated'],
    ]);
    expect(await dump(dbName)).toEqual(before);

    // Apply changes then writes them, once.
    expect(await applyTestRun(record, { choice: 'browser', store, companyId: 'default' })).toEqual({ ok: true });
    expect(await visits(store)).toBe(8);
    const again = await applyTestRun(record, { choice: 'browser', store, companyId: 'default' });
    expect(again).toMatchObject({ ok: false, conflict: true });
    await store.close();
  });
});

describe('applyTestRun', () => {
  async function testRun(store: MemoryStore): Promise<RunRecord> {
    return runBlueprint(counter, { store, sandbox: true });
  }

  it('is refused with the moved keys named when another writer got there first', async () => {
    const store = new MemoryStore();
    const record = await testRun(store);
    await store.batch('default', [{ op: 'increment', key: 'visits', scope: 'global' }]);
    const outcome = await applyTestRun(record, { choice: 'browser', store, companyId: 'default' });
    expect(outcome).toMatchObject({ ok: false, conflict: true });
    expect(!outcome.ok && outcome.message).toContain('global:visits (was absent, now version 1)');
    expect(await visits(store)).toBe(1);
  });

  it('asks the server for Server storage, and reports its 409 with the keys', async () => {
    const store = new MemoryStore();
    const record = await testRun(store);
    const fetch = vi.fn(async () =>
      Response.json(
        { error: { code: 'conflict', message: 'Keys moved since the run', keys: [{ scope: 'global', scopeKey: '', key: 'visits' }] } },
        { status: 409 },
      ),
    );
    const outcome = await applyTestRun(record, { choice: 'server', store, companyId: 'default', baseUrl: 'http://x', token: 't', fetch });
    expect(fetch).toHaveBeenCalledWith(`http://x/api/runs/${record.runId}/apply`, expect.objectContaining({ method: 'POST' }));
    expect(outcome).toEqual({ ok: false, conflict: true, message: 'Keys moved since the run (global:visits)' });
    expect(await visits(store)).toBeNull();
  });

  it("reads the server's keys as text too, and does not repeat keys its message names", async () => {
    const store = new MemoryStore();
    const record = await testRun(store);
    const answer = (message: string) =>
      vi.fn(async () => Response.json({ error: { code: 'conflict', message, keys: ['global:visits'] } }, { status: 409 }));
    expect(await applyTestRun(record, { choice: 'server', store, companyId: 'default', fetch: answer('Moved') })).toMatchObject({
      message: 'Moved (global:visits)',
    });
    expect(
      await applyTestRun(record, {
        choice: 'server',
        store,
        companyId: 'default',
        fetch: answer('Nothing was applied: global:visits moved'),
      }),
    ).toMatchObject({ message: 'Nothing was applied: global:visits moved' });
  });

  it('applies through the store when the server does not hold the run (404)', async () => {
    const store = new MemoryStore();
    const record = await testRun(store);
    const fetch = vi.fn(async () => Response.json({ error: { code: 'not_found', message: 'No run' } }, { status: 404 }));
    expect(await applyTestRun(record, { choice: 'server', store, companyId: 'default', fetch })).toEqual({ ok: true });
    expect(await visits(store)).toBe(1);
  });

  it('refuses a live run', async () => {
    const store = new MemoryStore();
    const record = await runBlueprint(counter, { store });
    expect(await applyTestRun(record, { choice: 'browser', store, companyId: 'default' })).toMatchObject({ ok: false, conflict: false });
  });
});
