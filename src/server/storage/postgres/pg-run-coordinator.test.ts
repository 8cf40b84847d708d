import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunEvent, RunRecord, StepRecord } from '../../../engine/types';
import { openPostgres, type PostgresStorage } from './index';
import { fitted } from './pg-run-coordinator';
import { useTestPostgres } from './test-postgres';

const postgres = useTestPostgres();
const env = { KVB_MASTER_KEY: randomBytes(32).toString('hex') };
const opened: PostgresStorage[] = [];
afterAll(async () => {
  await Promise.all(opened.splice(0).map((storage) => storage.close()));
});

async function instance(url: string): Promise<PostgresStorage> {
  const storage = openPostgres({ url, env, relayEvents: true });
  opened.push(storage);
  await storage.ready;
  return storage;
}

const at = new Date(0).toISOString();
function step(nodeId: string, result: StepRecord['result'] = 1): StepRecord {
  return {
    nodeId,
    type: 'output',
    outcome: 'success',
    startedAt: at,
    durationMs: 1,
    result,
    error: null,
    reads: [],
    writes: [],
  } as StepRecord;
}

async function until(check: () => boolean, what: string, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 10));
  }
}

describe('PostgreSQL run coordinator across instances', () => {
  it('lets another instance snapshot, follow (replay, then live, then the end) and cancel a run', async () => {
    const url = await postgres.freshDatabase();
    const [a, b] = await Promise.all([instance(url), instance(url)]);
    const runId = 'run-1';
    let cancelled = 0;
    const handle = await a.runCoordinator.begin(
      'acme',
      { runId, blueprintId: 'bp', startedAt: at, input: { n: 1 }, sandbox: false },
      5,
      () => cancelled++,
    );
    handle.publish({ type: 'run-started', runId, blueprintId: 'bp', startedAt: at });
    handle.publish({ type: 'step-started', runId, nodeId: 'first', startedAt: at });
    handle.publish({ type: 'step-finished', runId, step: step('first'), edgesTaken: [] });

    const snapshot = await b.runCoordinator.snapshot('acme', runId);
    expect(snapshot).toMatchObject({ runId, status: 'running', input: { n: 1 }, steps: [{ nodeId: 'first' }] });
    expect(await b.runCoordinator.snapshot('globex', runId)).toBeNull();

    const seen: RunEvent[] = [];
    let ended = false;
    const follow = await b.runCoordinator.follow(
      'acme',
      runId,
      (event) => seen.push(event),
      () => (ended = true),
    );
    expect(follow).not.toBeNull();
    await until(() => seen.length === 3, 'the replay');
    expect(seen.map((event) => event.type)).toEqual(['run-started', 'step-started', 'step-finished']);

    handle.publish({ type: 'step-started', runId, nodeId: 'second', startedAt: at });
    handle.publish({ type: 'step-finished', runId, step: step('second', 'x'.repeat(20_000)), edgesTaken: [] });
    await until(() => seen.length === 5, 'the live steps');
    const big = seen[4] as Extract<RunEvent, { type: 'step-finished' }>;
    expect(big.step.result).toMatch(/bytes left out between instances/);

    expect(await b.runCoordinator.cancel('acme', runId)).toBe(true);
    await until(() => cancelled === 1, 'the cancel to reach the owner');

    const record = {
      runId,
      blueprintId: 'bp',
      status: 'cancelled',
      startedAt: at,
      finishedAt: at,
      input: { n: 1 },
      steps: [step('first'), step('second', 'x'.repeat(20_000))],
      outputs: [],
      state: {},
      error: null,
    } as unknown as RunRecord;
    await a.runs.add('acme', record);
    await handle.finish(record);
    await until(() => ended, 'the end of the follow');
    const last = seen.at(-1) as Extract<RunEvent, { type: 'run-finished' }>;
    expect(last.type).toBe('run-finished');
    expect(last.record.steps[1]!.result).toBe('x'.repeat(20_000));
    expect(seen).toHaveLength(6);
    expect(await b.runCoordinator.cancel('acme', runId)).toBe(false);
    expect(
      await b.runCoordinator.follow(
        'acme',
        runId,
        () => undefined,
        () => undefined,
      ),
    ).toBeNull();
  });

  it('drops the run of an instance that is gone instead of waiting on it', async () => {
    const url = await postgres.freshDatabase();
    const [a, b] = await Promise.all([instance(url), instance(url)]);
    await a.runCoordinator.begin(
      'acme',
      { runId: 'orphan', blueprintId: 'bp', startedAt: at, input: null, sandbox: false },
      5,
      () => undefined,
    );
    expect(await b.runCoordinator.cancel('acme', 'orphan')).toBe(true);
    await a.close();
    expect(await b.runCoordinator.cancel('acme', 'orphan')).toBe(false);
    expect(await b.runCoordinator.snapshot('acme', 'orphan')).toBeNull();
  });

  it('fits a step too large for one message by leaving its result out', () => {
    const event: RunEvent = { type: 'step-finished', runId: 'r', step: step('s', 'y'.repeat(50_000)), edgesTaken: [] };
    expect(Buffer.byteLength(JSON.stringify(fitted(event)))).toBeLessThan(8000);
  });
});
