import { afterEach, describe, expect, it } from 'vitest';
import type { RunRecord } from '../../engine/types';
import { DEFAULT_LIMITS, serverLimitsFrom } from './limits';
import { RUN_RECORD_MAX_BYTES } from '../storage/run-records';
import { errorOf, loopingBlueprint, startTestServer, type TestServer } from './test-support';

const running: TestServer[] = [];
async function serverWith(env: Record<string, string> = {}): Promise<TestServer> {
  const server = await startTestServer({ env });
  running.push(server);
  return server;
}
afterEach(async () => {
  await Promise.all(running.splice(0).map((server) => server.stop()));
});

async function saveLoop(t: TestServer, maxSteps: number, query = ''): Promise<void> {
  expect((await t.call('POST', `/api/blueprints${query}`, { body: loopingBlueprint('loop', maxSteps, 'Endless loop') })).status).toBe(201);
}

describe('server-side runs are bounded', () => {
  it('answers other requests while a long run executes', async () => {
    // ~2 s of steps: long enough that a loop-holding run would delay the list past the bound.
    const t = await serverWith({ KVB_MAX_STEPS: '400000' });
    await saveLoop(t, 400_000);
    let finished = false;
    const run = t.call('POST', '/api/blueprints/loop/runs', { body: {} }).finally(() => {
      finished = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 150));
    const began = performance.now();
    const list = await t.call('GET', '/api/blueprints');
    const latencyMs = performance.now() - began;
    expect(list.status).toBe(200);
    expect(finished).toBe(false);
    expect(latencyMs).toBeLessThan(1_000);
    expect((await run).status).toBe(201);
  }, 60_000);

  it('answers other requests while a Code block computes (its code runs in a worker thread)', async () => {
    const t = await serverWith();
    const busy = {
      format: 'kv-blueprint/1',
      id: 'busy',
      name: 'Busy code',
      nodes: [
        { id: 'start', type: 'start', position: { x: 0, y: 0 }, data: {} },
        { id: 'spin', type: 'code', position: { x: 300, y: 0 }, data: { source: 'for (;;) {}', timeoutMs: 3000 } },
      ],
      edges: [{ id: 'e1', source: 'start', sourceHandle: 'success', target: 'spin' }],
    };
    expect((await t.call('POST', '/api/blueprints', { body: busy })).status).toBe(201);
    let finished = false;
    const run = t.call('POST', '/api/blueprints/busy/runs', { body: {} }).finally(() => {
      finished = true;
    });
    // Past the sandbox's first load, well inside the 3 s the code spins for.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const began = performance.now();
    const list = await t.call('GET', '/api/blueprints');
    const latencyMs = performance.now() - began;
    expect(list.status).toBe(200);
    expect(finished).toBe(false);
    expect(latencyMs).toBeLessThan(500);
    const record = (await run).body as RunRecord;
    expect(record.status).toBe('failed');
    expect(record.error).toMatchObject({ code: 'code_error', message: expect.stringContaining('timed out after 3000 ms') });
  }, 60_000);

  it('stops a run at KVB_MAX_STEPS (default 100,000) whatever the document allows', async () => {
    const t = await serverWith();
    await saveLoop(t, 1_000_000);
    const record = (await t.call('POST', '/api/blueprints/loop/runs', { body: {} })).body as RunRecord;
    expect(record.status).toBe('failed');
    expect(record.steps.length + (record.stepsOmitted ?? 0)).toBe(DEFAULT_LIMITS.maxSteps);
    expect(record.error).toMatchObject({
      code: 'limit',
      message: expect.stringContaining('limit of 100000 steps this host allows per run'),
    });
  }, 60_000);

  it('stores the first and last 100 steps of a long run and counts the rest', async () => {
    const t = await serverWith({ KVB_MAX_STEPS: '5000' });
    await saveLoop(t, 1_000_000);
    const answer = await t.call('POST', '/api/blueprints/loop/runs', { body: {} });
    const record = answer.body as RunRecord;
    expect(record.steps).toHaveLength(200);
    expect(record.stepsOmitted).toBe(4_800);
    expect(record.steps.slice(0, 3).map((step) => step.nodeId)).toEqual(['start', 'a', 'b']);
    // 5,000 steps of ~180 bytes each would be ~0.9 MB; the record stays small.
    expect(answer.text.length).toBeLessThan(60_000);
    const stored = await t.call('GET', `/api/blueprints/loop/runs/${record.runId}`);
    expect(stored.body).toEqual(record);
  }, 60_000);

  it('keeps a run record of large values within its byte limit, with notes where values were left out', async () => {
    const t = await serverWith({ KVB_MAX_STEPS: '21' });
    const echo = loopingBlueprint('loop', 1_000, 'Endless loop');
    echo.nodes[1] = { id: 'a', type: 'output', position: { x: 300, y: 0 }, data: { value: '@{input}' } };
    echo.nodes[2] = { id: 'b', type: 'output', position: { x: 600, y: 0 }, data: { value: '@{input}' } };
    expect((await t.call('POST', '/api/blueprints', { body: echo })).status).toBe(201);
    // 1 MB of input, echoed by 20 output steps: ~41 MB of record without the limit.
    const answer = await t.call('POST', '/api/blueprints/loop/runs', { body: { input: 'x'.repeat(1_000_000) } });
    expect(answer.status).toBe(201);
    expect(Buffer.byteLength(answer.text)).toBeLessThanOrEqual(RUN_RECORD_MAX_BYTES);
    const record = answer.body as RunRecord;
    expect(record.steps).toHaveLength(21);
    expect(record.outputs).toHaveLength(20);
    expect(record.outputs).toContain(`[1000002 bytes left out: a stored run record keeps at most ${RUN_RECORD_MAX_BYTES} bytes]`);
    const stored = await t.call('GET', `/api/blueprints/loop/runs/${record.runId}`);
    expect(stored.body).toEqual(record);
  }, 60_000);

  it("refuses the 9th concurrent run of a company with 429 too_many_runs, not another company's", async () => {
    const t = await serverWith();
    await saveLoop(t, 60_000);
    await saveLoop(t, 10, '?companyId=other');
    // Nine at once: each run takes seconds while sharing the loop, so all nine overlap, and
    // whichever arrives last finds the eight slots taken.
    const nine = Array.from({ length: 9 }, () => t.call('POST', '/api/blueprints/loop/runs', { body: {} }));
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect((await t.call('POST', '/api/blueprints/loop/runs?companyId=other', { body: {} })).status).toBe(201);
    const answers = await Promise.all(nine);
    expect(answers.map((answer) => answer.status).sort()).toEqual([...Array(8).fill(201), 429]);
    const refused = answers.find((answer) => answer.status === 429)!;
    expect(errorOf(refused)).toMatchObject({ code: 'too_many_runs', message: expect.stringContaining('KVB_MAX_RUNS=8') });
    // The slots are given back when the runs end.
    expect((await t.call('POST', '/api/blueprints/loop/runs', { body: {} })).status).toBe(201);
  }, 120_000);
});

describe('limit settings', () => {
  it('reads the variables and refuses a value that is not a whole number, naming it', async () => {
    expect(serverLimitsFrom({ KVB_MAX_RUNS: '3' }).maxRunsPerCompany).toBe(3);
    expect(() => serverLimitsFrom({ KVB_MAX_STEPS: '10k' })).toThrow(/KVB_MAX_STEPS is '10k': expected a whole number/);
    expect(() => serverLimitsFrom({ KVB_HEADERS_TIMEOUT_MS: '5000', KVB_REQUEST_TIMEOUT_MS: '1000' })).toThrow(/KVB_HEADERS_TIMEOUT_MS/);
    const failure = await startTestServer({ env: { KVB_MAX_CONNECTIONS: '0' } }).catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: 'invalid_limits', message: expect.stringContaining('KVB_MAX_CONNECTIONS') });
  });
});
