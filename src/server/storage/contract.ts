/**
 * What every server storage backend must do beyond the KV store contract (which the shared
 * conformance suite checks): blueprints, run records and the entry lookup, per companyId.
 * A backend's test file calls `describeServerStorageContract` with an opener for a fresh one.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { BlueprintDocument, RunRecord } from '../../engine/types';
import { isKvError } from '../../kv/errors';
import { boundedRecord, RUN_RECORD_MAX_BYTES, RUNS_KEPT_PER_BLUEPRINT } from './run-records';
import type { ServerStorage } from './types';

function blueprint(id: string, name = `Blueprint ${id}`): BlueprintDocument {
  return {
    format: 'kv-blueprint/1',
    id,
    name,
    nodes: [{ id: 'start', type: 'start', position: { x: 0, y: 0 }, data: { sampleInput: { secret: 'sealed' } } }],
    edges: [],
  } as BlueprintDocument;
}

function run(blueprintId: string, runId: string, result: unknown = 1): RunRecord {
  const at = new Date(0).toISOString();
  return {
    runId,
    blueprintId,
    status: 'succeeded',
    startedAt: at,
    finishedAt: at,
    input: {},
    steps: [
      { nodeId: 'start', type: 'start', outcome: 'success', startedAt: at, durationMs: 0, result, error: null, reads: [], writes: [] },
    ],
    outputs: [],
    state: {},
    error: null,
  } as RunRecord;
}

export function describeServerStorageContract(name: string, open: () => Promise<ServerStorage>): void {
  describe(`${name} server storage contract`, () => {
    const opened: ServerStorage[] = [];
    const fresh = async () => {
      const storage = await open();
      opened.push(storage);
      return storage;
    };
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((storage) => storage.close()));
    });

    it('saves, lists by name, reads and deletes blueprints per company', async () => {
      const { blueprints } = await fresh();
      expect(await blueprints.save('acme', blueprint('b', 'Beta'), 'create')).toMatchObject({
        created: true,
        summary: { id: 'b', name: 'Beta', groupId: null },
      });
      await blueprints.save('acme', blueprint('a', 'Alpha'), 'create');
      await blueprints.save('globex', blueprint('a', 'Other'), 'create');
      expect((await blueprints.list('acme')).map((summary) => summary.name)).toEqual(['Alpha', 'Beta']);
      expect(await blueprints.get('acme', 'a')).toEqual(blueprint('a', 'Alpha'));
      expect(await blueprints.get('globex', 'b')).toBeNull();
      expect(await blueprints.delete('acme', 'a')).toBe(true);
      expect(await blueprints.delete('acme', 'a')).toBe(false);
      expect((await blueprints.get('globex', 'a'))?.name).toBe('Other');
    });

    it('create refuses an existing id with already_exists; upsert replaces it', async () => {
      const { blueprints } = await fresh();
      await blueprints.save('acme', blueprint('a', 'First'), 'create');
      const refused = await blueprints.save('acme', blueprint('a', 'Again'), 'create').catch((error: unknown) => error);
      expect(isKvError(refused) && refused.code).toBe('already_exists');
      expect(await blueprints.save('acme', blueprint('a', 'Second'), 'upsert')).toMatchObject({ created: false });
      expect((await blueprints.get('acme', 'a'))?.name).toBe('Second');
    });

    it('keeps run records per company and blueprint, newest first, and deletes them with their blueprint', async () => {
      const { blueprints, runs } = await fresh();
      await blueprints.save('acme', blueprint('a'), 'create');
      for (const id of ['r1', 'r2', 'r3']) await runs.add('acme', run('a', id));
      await runs.add('globex', run('a', 'g1'));
      expect((await runs.list('acme', 'a', 2)).runs.map((record) => record.runId)).toEqual(['r3', 'r2']);
      expect(await runs.get('acme', 'a', 'r1')).toEqual(run('a', 'r1'));
      expect(await runs.get('globex', 'a', 'r1')).toBeNull();
      expect(await runs.delete('acme', 'a', 'r2')).toBe(true);
      expect(await runs.delete('acme', 'a', 'r2')).toBe(false);
      await blueprints.delete('acme', 'a');
      expect((await runs.list('acme', 'a', 10)).runs).toEqual([]);
      expect((await runs.list('globex', 'a', 10)).runs).toHaveLength(1);
    });

    it(`stores a record within ${RUN_RECORD_MAX_BYTES} bytes and keeps the last ${RUNS_KEPT_PER_BLUEPRINT} runs`, async () => {
      const { runs } = await fresh();
      const huge = run('a', 'big', 'x'.repeat(RUN_RECORD_MAX_BYTES + 10));
      const stored = await runs.add('acme', huge);
      expect(stored).toEqual(boundedRecord(huge));
      expect(await runs.get('acme', 'a', 'big')).toEqual(stored);
      for (let i = 0; i < RUNS_KEPT_PER_BLUEPRINT; i++) await runs.add('acme', run('a', `r${i}`));
      const kept = await runs.list('acme', 'a', RUNS_KEPT_PER_BLUEPRINT + 10);
      expect(kept.runs).toHaveLength(RUNS_KEPT_PER_BLUEPRINT);
      expect(kept.runs.some((record) => record.runId === 'big')).toBe(false);
    });

    it('finds the company of an entry by its id, and null for an unknown id', async () => {
      const { store, companyOfEntryId } = await fresh();
      const [result] = await store.batch('acme', [{ op: 'set', key: 'k', value: 1, scope: 'global' }]);
      const id = (result as { entry: { id: string } }).entry.id;
      expect(await companyOfEntryId(id)).toBe('acme');
      expect(await companyOfEntryId('no-such-id')).toBeNull();
    });
  });
}
