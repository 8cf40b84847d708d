/**
 * What every server storage backend must do beyond the KV store contract (which the shared
 * conformance suite checks): blueprints with their revisions, run records, the run coordinator
 * and the entry lookup, per companyId.
 * A backend's test file calls `describeServerStorageContract` with an opener for a fresh one.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { BlueprintDocument, RunRecord } from '../../engine/types';
import { isKvError } from '../../kv/errors';
import { boundedRecord, RUN_RECORD_MAX_BYTES, RUNS_KEPT_PER_BLUEPRINT } from './run-records';
import { RevisionConflictError, REVISIONS_KEPT_PER_BLUEPRINT, TooManyRunsError, type ServerStorage } from './types';

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
      expect((await blueprints.get('acme', 'a'))?.document).toEqual(blueprint('a', 'Alpha'));
      expect(await blueprints.get('globex', 'b')).toBeNull();
      expect(await blueprints.delete('acme', 'a')).toBe(true);
      expect(await blueprints.delete('acme', 'a')).toBe(false);
      expect((await blueprints.get('globex', 'a'))?.document.name).toBe('Other');
    });

    it('create refuses an existing id with already_exists; upsert replaces it', async () => {
      const { blueprints } = await fresh();
      await blueprints.save('acme', blueprint('a', 'First'), 'create');
      const refused = await blueprints.save('acme', blueprint('a', 'Again'), 'create').catch((error: unknown) => error);
      expect(isKvError(refused) && refused.code).toBe('already_exists');
      expect(await blueprints.save('acme', blueprint('a', 'Second'), 'upsert')).toMatchObject({ created: false });
      expect((await blueprints.get('acme', 'a'))?.document.name).toBe('Second');
    });

    it('numbers revisions 1 on create and +1 on every save, in the summary, the list and get', async () => {
      const { blueprints } = await fresh();
      expect((await blueprints.save('acme', blueprint('a', 'One'), 'create')).summary.revision).toBe(1);
      expect((await blueprints.save('acme', blueprint('a', 'Two'), 'upsert')).summary.revision).toBe(2);
      expect((await blueprints.save('globex', blueprint('a', 'Theirs'), 'upsert')).summary).toMatchObject({ revision: 1 });
      expect(await blueprints.get('acme', 'a')).toMatchObject({ revision: 2, document: { name: 'Two' } });
      expect((await blueprints.list('acme'))[0]).toMatchObject({ id: 'a', name: 'Two', revision: 2 });
    });

    it('saves with ifRevision only over that revision; otherwise RevisionConflictError and nothing changes', async () => {
      const { blueprints } = await fresh();
      await blueprints.save('acme', blueprint('a', 'One'), 'create');
      await blueprints.save('acme', blueprint('a', 'Two'), 'upsert', { ifRevision: 1 });
      const stale = await blueprints.save('acme', blueprint('a', 'Stale'), 'upsert', { ifRevision: 1 }).catch((error: unknown) => error);
      expect(stale).toBeInstanceOf(RevisionConflictError);
      expect(stale).toMatchObject({ code: 'conflict', currentRevision: 2 });
      expect(await blueprints.get('acme', 'a')).toMatchObject({ revision: 2, document: { name: 'Two' } });
      expect((await blueprints.revisions('acme', 'a'))?.map((kept) => kept.revision)).toEqual([2, 1]);
      const gone = await blueprints.save('acme', blueprint('z'), 'upsert', { ifRevision: 3 }).catch((error: unknown) => error);
      expect(gone).toMatchObject({ code: 'conflict', currentRevision: 0 });
      expect(await blueprints.get('acme', 'z')).toBeNull();
    });

    it(`keeps the last ${REVISIONS_KEPT_PER_BLUEPRINT} revisions, newest first, each readable; delete drops them`, async () => {
      const { blueprints } = await fresh();
      const saves = REVISIONS_KEPT_PER_BLUEPRINT + 3;
      for (let n = 1; n <= saves; n++) await blueprints.save('acme', blueprint('a', `Name ${n}`), 'upsert');
      const kept = await blueprints.revisions('acme', 'a');
      expect(kept).toHaveLength(REVISIONS_KEPT_PER_BLUEPRINT);
      expect(kept?.[0]).toMatchObject({ revision: saves, name: `Name ${saves}` });
      expect(kept?.at(-1)?.revision).toBe(4);
      expect(typeof kept?.[0]?.savedAt).toBe('string');
      expect((await blueprints.revision('acme', 'a', 10))?.name).toBe('Name 10');
      expect(await blueprints.revision('acme', 'a', 3)).toBeNull();
      expect(await blueprints.revision('globex', 'a', 10)).toBeNull();
      expect(await blueprints.revisions('globex', 'a')).toBeNull();
      await blueprints.delete('acme', 'a');
      expect(await blueprints.revisions('acme', 'a')).toBeNull();
      await blueprints.save('acme', blueprint('a', 'Fresh'), 'create');
      expect(await blueprints.revisions('acme', 'a')).toMatchObject([{ revision: 1, name: 'Fresh' }]);
      expect(await blueprints.revision('acme', 'a', 10)).toBeNull();
    });

    it('keeps run records per company and blueprint, newest first, and deletes them with their blueprint', async () => {
      const { blueprints, runs } = await fresh();
      await blueprints.save('acme', blueprint('a'), 'create');
      for (const id of ['r1', 'r2', 'r3']) await runs.add('acme', run('a', id));
      await runs.add('globex', run('a', 'g1'));
      expect((await runs.list('acme', 'a', 2)).runs.map((record) => record.runId)).toEqual(['r3', 'r2']);
      expect(await runs.get('acme', 'a', 'r1')).toEqual(run('a', 'r1'));
      expect(await runs.get('globex', 'a', 'r1')).toBeNull();
      expect(await runs.find('acme', 'r1')).toEqual({ record: run('a', 'r1'), appliedAt: null });
      expect(await runs.find('globex', 'r1')).toBeNull();
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

    it('marks a run applied once: of two marks one wins, and clearing lets it be marked again', async () => {
      const { runs } = await fresh();
      await runs.add('acme', run('a', 'r1'));
      const at = new Date(0).toISOString();
      expect(await runs.markApplied('globex', 'r1', at)).toBe(false);
      expect(await runs.markApplied('acme', 'missing', at)).toBe(false);
      const marks = await Promise.all([runs.markApplied('acme', 'r1', at), runs.markApplied('acme', 'r1', at)]);
      expect(marks.filter(Boolean)).toHaveLength(1);
      expect((await runs.find('acme', 'r1'))?.appliedAt).toBe(at);
      expect(await runs.markApplied('acme', 'r1', null)).toBe(true);
      expect(await runs.markApplied('acme', 'r1', null)).toBe(false);
      expect((await runs.find('acme', 'r1'))?.appliedAt).toBeNull();
    });

    it('coordinates executing runs: slots per company, replay then live events, cancel, snapshot', async () => {
      const { runCoordinator } = await fresh();
      const start = (runId: string) => ({ runId, blueprintId: 'a', startedAt: new Date(0).toISOString(), input: { n: 1 }, sandbox: false });
      let cancels = 0;
      const handle = await runCoordinator.begin('acme', start('r1'), 1, () => cancels++);
      await expect(runCoordinator.begin('acme', start('r2'), 1, () => {})).rejects.toBeInstanceOf(TooManyRunsError);
      const other = await runCoordinator.begin('globex', start('g1'), 1, () => {});
      const step = run('a', 'r1').steps[0]!;
      handle.publish({ type: 'run-started', runId: 'r1', blueprintId: 'a', startedAt: step.startedAt });
      handle.publish({ type: 'step-started', runId: 'r1', nodeId: 'start', startedAt: step.startedAt });
      handle.publish({ type: 'step-finished', runId: 'r1', step, edgesTaken: [] });
      expect(await runCoordinator.snapshot('acme', 'r1')).toMatchObject({
        status: 'running',
        input: { n: 1 },
        steps: [step],
        finishedAt: null,
      });
      expect(await runCoordinator.snapshot('globex', 'r1')).toBeNull();

      const seen: string[] = [];
      let ended = false;
      const follow = await runCoordinator.follow(
        'acme',
        'r1',
        (event) => seen.push(event.type),
        () => (ended = true),
      );
      expect(follow).not.toBeNull();
      expect(seen).toEqual(['run-started', 'step-started', 'step-finished']);
      expect(
        await runCoordinator.follow(
          'globex',
          'r1',
          () => {},
          () => {},
        ),
      ).toBeNull();

      expect(await runCoordinator.cancel('globex', 'r1')).toBe(false);
      expect(await runCoordinator.cancel('acme', 'r1')).toBe(true);
      expect(await runCoordinator.cancel('acme', 'r1')).toBe(true);
      expect(cancels).toBe(1);

      handle.publish({ type: 'step-started', runId: 'r1', nodeId: 'next', startedAt: step.startedAt });
      await handle.finish({ ...run('a', 'r1'), status: 'cancelled' });
      expect(seen).toEqual(['run-started', 'step-started', 'step-finished', 'step-started', 'run-finished']);
      expect(ended).toBe(true);
      expect(await runCoordinator.snapshot('acme', 'r1')).toBeNull();
      expect(await runCoordinator.cancel('acme', 'r1')).toBe(false);
      // The slot came back.
      const again = await runCoordinator.begin('acme', start('r2'), 1, () => {});
      await again.finish(run('a', 'r2'));
      await other.finish(run('a', 'g1'));
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
