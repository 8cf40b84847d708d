/**
 * The server as a shared workspace, against a real `kvb serve` process with two tokens on two
 * companies: blueprint revisions (ETag, If-Match, 412, kept revisions) and runs (202 and
 * Location, the record so far, the SSE stream, cancel, 429, other companies' 404).
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunEvent, RunRecord } from '../../engine/types';
import { checkAgainstOpenApi } from './openapi-check';
import {
  apiClient,
  errorOf,
  loopingBlueprint,
  readEvents,
  spawnServe,
  temporaryDataDir,
  type ApiClient,
  type RecordedExchange,
  type SpawnedServer,
} from './test-support';

const ACME = 'acme-token-0123456789abcdef';
const GLOBEX = 'globex-token-0123456789abcdef';

/** Every answer of this suite; the OpenAPI suite checks them against the document. */
export const recorded: RecordedExchange[] = [];

let server: SpawnedServer;
let dataDir: string;
let acme: ApiClient;
let globex: ApiClient;

beforeAll(async () => {
  dataDir = temporaryDataDir();
  server = await spawnServe(dataDir, { KVB_TOKENS: `${ACME}:acme,${GLOBEX}:globex`, KVB_MAX_RUNS: '2', KVB_MAX_STEPS: '2000000' });
  acme = apiClient(server.url, ACME, recorded);
  globex = apiClient(server.url, GLOBEX, recorded);
}, 60_000);

afterAll(async () => {
  server.child.kill('SIGTERM');
  await server.exited;
  rmSync(dataDir, { recursive: true, force: true });
});

function counter(id: string, name = `Counter ${id}`) {
  return {
    format: 'kv-blueprint/1',
    id,
    name,
    nodes: [
      { id: 'start', type: 'start', position: { x: 0, y: 0 }, data: { sampleInput: { from: 'sample' } } },
      { id: 'inc', type: 'kv', position: { x: 240, y: 0 }, data: { action: 'increment', key: 'count', scope: 'flow' } },
      { id: 'out', type: 'output', position: { x: 480, y: 0 }, data: { valueType: 'text', value: '@{result}' } },
    ],
    edges: [
      { id: 'e1', source: 'start', sourceHandle: 'success', target: 'inc' },
      { id: 'e2', source: 'inc', sourceHandle: 'success', target: 'out' },
    ],
  };
}

async function waitFor<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('blueprint revisions', () => {
  it('numbers revisions, sends them as ETag and in the list, and saves with If-Match only over the current one', async () => {
    const created = await acme.call('POST', '/api/blueprints', { body: counter('shared', 'First') });
    expect(created.status).toBe(201);
    expect(created.headers.get('etag')).toBe('"1"');
    const read = await acme.call('GET', '/api/blueprints/shared');
    expect(read.headers.get('etag')).toBe('"1"');

    const saved = await acme.call('PUT', '/api/blueprints/shared', { body: counter('shared', 'Second'), headers: { 'if-match': '"1"' } });
    expect(saved.status).toBe(200);
    expect(saved.headers.get('etag')).toBe('"2"');

    // A second editor still on revision 1 is refused, and nothing changes.
    const stale = await acme.call('PUT', '/api/blueprints/shared', { body: counter('shared', 'Stale'), headers: { 'if-match': '"1"' } });
    expect(stale.status).toBe(412);
    expect(errorOf(stale)).toMatchObject({ code: 'conflict', currentRevision: 2 });
    expect(errorOf(stale).message).toMatch(/revision 2, not 1/);
    expect(((await acme.call('GET', '/api/blueprints/shared')).body as { name: string }).name).toBe('Second');

    // Without If-Match (scripts) the save goes through.
    const forced = await acme.call('PUT', '/api/blueprints/shared', { body: counter('shared', 'Third') });
    expect(forced.headers.get('etag')).toBe('"3"');
    const list = (await acme.call('GET', '/api/blueprints')).body as { blueprints: Array<{ id: string; revision: number }> };
    expect(list.blueprints.find((entry) => entry.id === 'shared')).toMatchObject({ revision: 3, name: 'Third' });

    // If-Match on a blueprint that is not there: 412 with revision 0.
    const missing = await acme.call('PUT', '/api/blueprints/nowhere', { body: counter('nowhere'), headers: { 'if-match': '"4"' } });
    expect(missing.status).toBe(412);
    expect(errorOf(missing).currentRevision).toBe(0);
    expect((await acme.call('GET', '/api/blueprints/nowhere')).status).toBe(404);
  });

  it('refuses an If-Match that is not one revision ETag, naming the header', async () => {
    for (const value of ['*', '"abc"', '"1", "2"', '"0"']) {
      const answer = await acme.call('PUT', '/api/blueprints/shared', { body: counter('shared'), headers: { 'if-match': value } });
      expect(answer.status, value).toBe(400);
      expect(errorOf(answer)).toMatchObject({ code: 'invalid_request', message: expect.stringMatching(/^If-Match: /) });
    }
  });

  it('lists the kept revisions newest first and returns each document', async () => {
    await acme.call('POST', '/api/blueprints', { body: counter('history', 'v1') });
    for (const name of ['v2', 'v3']) await acme.call('PUT', '/api/blueprints/history', { body: counter('history', name) });
    const listed = await acme.call('GET', '/api/blueprints/history/revisions');
    expect(listed.status).toBe(200);
    expect((listed.body as { revisions: unknown[] }).revisions).toEqual([
      { revision: 3, savedAt: expect.any(String), name: 'v3' },
      { revision: 2, savedAt: expect.any(String), name: 'v2' },
      { revision: 1, savedAt: expect.any(String), name: 'v1' },
    ]);
    const first = await acme.call('GET', '/api/blueprints/history/revisions/1');
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ id: 'history', name: 'v1' });

    expect((await acme.call('GET', '/api/blueprints/history/revisions/9')).status).toBe(404);
    expect(errorOf(await acme.call('GET', '/api/blueprints/history/revisions/9')).message).toMatch(/not kept: it is at revision 3/);
    const bad = await acme.call('GET', '/api/blueprints/history/revisions/first');
    expect(bad.status).toBe(400);
    expect(errorOf(bad).message).toMatch(/^revision: expected a whole number/);
    expect((await acme.call('GET', '/api/blueprints/absent/revisions')).status).toBe(404);
    // Another company sees none of it.
    expect((await globex.call('GET', '/api/blueprints/history/revisions')).status).toBe(404);
    expect((await globex.call('GET', '/api/blueprints/history/revisions/1')).status).toBe(404);
    // Deleting the blueprint drops its revisions; the same id starts again at 1.
    expect((await acme.call('DELETE', '/api/blueprints/history')).status).toBe(204);
    expect((await acme.call('GET', '/api/blueprints/history/revisions')).status).toBe(404);
    expect((await acme.call('POST', '/api/blueprints', { body: counter('history', 'again') })).headers.get('etag')).toBe('"1"');
  });
});

describe('server runs', () => {
  it('waits by default: 201 with the finished record and its Location', async () => {
    await acme.call('POST', '/api/blueprints', { body: counter('waited') });
    const answer = await acme.call('POST', '/api/blueprints/waited/runs', { body: { input: { n: 1 } } });
    expect(answer.status).toBe(201);
    const record = answer.body as RunRecord;
    expect(record).toMatchObject({ status: 'succeeded', input: { n: 1 }, outputs: [1] });
    expect(answer.headers.get('location')).toBe(`/api/runs/${record.runId}`);
    expect((await acme.call('GET', `/api/runs/${record.runId}`)).body).toEqual(record);
  });

  it('answers 202 with Location for wait: false; the record, the events and the history follow', async () => {
    await acme.call('POST', '/api/blueprints', { body: counter('later') });
    const answer = await acme.call('POST', '/api/blueprints/later/runs', { body: { wait: false } });
    expect(answer.status).toBe(202);
    const { runId, status } = answer.body as { runId: string; status: string };
    expect(status).toBe('running');
    expect(answer.headers.get('location')).toBe(`/api/runs/${runId}`);

    const record = await waitFor('the run to finish', async () => {
      const body = (await acme.call('GET', `/api/runs/${runId}`)).body as RunRecord;
      return body.status === 'succeeded' ? body : null;
    });
    expect(record).toMatchObject({ runId, blueprintId: 'later', input: { from: 'sample' } });

    // A subscriber after the end gets the whole run, then the stream ends.
    const { status: streamStatus, events, ended } = await readEvents(server.url, `/api/runs/${runId}/events`, { token: ACME });
    expect(streamStatus).toBe(200);
    expect(ended).toBe(true);
    expect(events.map((event) => event.event)).toEqual([
      'run-started',
      ...['start', 'inc', 'out'].flatMap(() => ['step-started', 'step-finished']),
      'run-finished',
    ]);
    const finished = events.at(-1)!.data as Extract<RunEvent, { type: 'run-finished' }>;
    expect(finished).toMatchObject({ type: 'run-finished', runId, record: { status: 'succeeded' } });
    const history = (await acme.call('GET', '/api/blueprints/later/runs')).body as { runs: RunRecord[] };
    expect(history.runs.map((run) => run.runId)).toContain(runId);
  });

  it('streams a running run live: replay first, then each step, ending after run-finished; cancel stops it mid-way', async () => {
    await acme.call('POST', '/api/blueprints', { body: loopingBlueprint('long') });
    const { runId } = (await acme.call('POST', '/api/blueprints/long/runs', { body: { wait: false } })).body as { runId: string };

    // While it runs: status running, with the steps finished so far.
    const running = await waitFor('steps of the running run', async () => {
      const body = (await acme.call('GET', `/api/runs/${runId}`)).body as { status: string; steps: unknown[]; startedAt: string };
      return body.status === 'running' && body.steps.length > 0 ? body : null;
    });
    expect(running).toMatchObject({ runId, blueprintId: 'long', finishedAt: null, error: null });

    // Another company neither sees, follows nor cancels it.
    expect((await globex.call('GET', `/api/runs/${runId}`)).status).toBe(404);
    expect((await readEvents(server.url, `/api/runs/${runId}/events`, { token: GLOBEX })).status).toBe(404);
    expect((await globex.call('POST', `/api/runs/${runId}/cancel`)).status).toBe(404);

    let cancelled = false;
    const stream = readEvents(server.url, `/api/runs/${runId}/events`, {
      token: ACME,
      onEvent: (event) => {
        if (!cancelled && event.event === 'step-finished') {
          cancelled = true;
          void acme.call('POST', `/api/runs/${runId}/cancel`).then((answer) => expect(answer.status).toBe(202));
        }
      },
    });
    const { events, ended } = await stream;
    expect(ended).toBe(true);
    expect(events[0]).toMatchObject({ event: 'run-started', data: { type: 'run-started', runId, blueprintId: 'long' } });
    const last = events.at(-1)!;
    expect(last.event).toBe('run-finished');
    const record = (last.data as { record: RunRecord }).record;
    expect(record.status).toBe('cancelled');
    expect(record.startedAt).toBe((events[0]!.data as { startedAt: string }).startedAt);
    expect(record.startedAt).toBe(running.startedAt);
    expect(record.error?.code).toBe('cancelled');
    // It stopped mid-way, far before its 1,000,000 steps.
    expect(record.steps.length + (record.stepsOmitted ?? 0)).toBeLessThan(1_000_000);

    expect(((await acme.call('GET', `/api/runs/${runId}`)).body as RunRecord).status).toBe('cancelled');
    const again = await acme.call('POST', `/api/runs/${runId}/cancel`);
    expect(again.status).toBe(409);
    expect(errorOf(again)).toMatchObject({ code: 'conflict', message: expect.stringMatching(/already finished \(cancelled\)/) });
  }, 30_000);

  it(`refuses a company's run past KVB_MAX_RUNS with 429 too_many_runs, while another company still runs`, async () => {
    await acme.call('POST', '/api/blueprints', { body: loopingBlueprint('busy') });
    await globex.call('POST', '/api/blueprints', { body: counter('theirs') });
    const started = await Promise.all(
      [1, 2].map(
        async () => ((await acme.call('POST', '/api/blueprints/busy/runs', { body: { wait: false } })).body as { runId: string }).runId,
      ),
    );
    const refused = await acme.call('POST', '/api/blueprints/busy/runs', { body: { wait: false } });
    expect(refused.status).toBe(429);
    expect(errorOf(refused)).toMatchObject({ code: 'too_many_runs', message: expect.stringMatching(/KVB_MAX_RUNS=2/) });
    expect((await globex.call('POST', '/api/blueprints/theirs/runs', { body: {} })).status).toBe(201);
    for (const runId of started) expect((await acme.call('POST', `/api/runs/${runId}/cancel`)).status).toBe(202);
    await waitFor('the slots to come back', async () => {
      const answers = await Promise.all(started.map((runId) => acme.call('GET', `/api/runs/${runId}`)));
      return answers.every((answer) => (answer.body as RunRecord).status === 'cancelled');
    });
  }, 30_000);

  it('refuses bad run requests with a 400 naming the field, and unknown runs with 404', async () => {
    await acme.call('POST', '/api/blueprints', { body: counter('strict') });
    const wrongType = await acme.call('POST', '/api/blueprints/strict/runs', { body: { wait: 'no' } });
    expect(wrongType.status).toBe(400);
    expect(errorOf(wrongType).message).toMatch(/^wait: expected boolean/);
    const unknown = await acme.call('POST', '/api/blueprints/strict/runs', { body: { sandbox: false, waitt: true } });
    expect(unknown.status).toBe(400);
    expect(errorOf(unknown).message).toMatch(/'waitt'/);
    expect((await acme.call('POST', '/api/blueprints/nothing/runs', { body: {} })).status).toBe(404);
    expect((await globex.call('POST', '/api/blueprints/strict/runs', { body: {} })).status).toBe(404);
    for (const path of ['/api/runs/no-such-run', '/api/runs/no-such-run/events']) {
      const answer = await acme.call('GET', path);
      expect(answer.status, path).toBe(404);
      expect(errorOf(answer).code).toBe('not_found');
    }
    expect((await acme.call('POST', '/api/runs/no-such-run/cancel')).status).toBe(404);
  });

  it('needs a token on every run route', async () => {
    const anonymous = apiClient(server.url, undefined, recorded);
    for (const [method, path] of [
      ['GET', '/api/runs/x'],
      ['GET', '/api/runs/x/events'],
      ['POST', '/api/runs/x/cancel'],
      ['POST', '/api/runs/x/apply'],
      ['GET', '/api/blueprints/shared/revisions'],
      ['GET', '/api/blueprints/shared/revisions/1'],
    ] as const) {
      expect((await anonymous.call(method, path)).status, `${method} ${path}`).toBe(401);
    }
  });
});

describe('sandbox runs', () => {
  function writer(id: string) {
    return {
      format: 'kv-blueprint/1',
      id,
      name: 'Writer',
      nodes: [
        { id: 'start', type: 'start', position: { x: 0, y: 0 }, data: {} },
        { id: 'save', type: 'kv', position: { x: 240, y: 0 }, data: { action: 'save', key: 'greeting', value: 'hello', scope: 'flow' } },
        { id: 'inc', type: 'kv', position: { x: 480, y: 0 }, data: { action: 'increment', key: 'visits', scope: 'global' } },
      ],
      edges: [
        { id: 'e1', source: 'start', sourceHandle: 'success', target: 'save' },
        { id: 'e2', source: 'save', sourceHandle: 'success', target: 'inc' },
      ],
    };
  }
  const keysOf = async (client: ApiClient, query: string) =>
    ((await client.call('GET', `/api/kv?${query}`)).body as { entries: Array<{ key: string; value: unknown }> }).entries;

  it('writes nothing, lists its changes, and applies them once, atomically', async () => {
    await acme.call('POST', '/api/blueprints', { body: writer('tester') });
    const ran = await acme.call('POST', '/api/blueprints/tester/runs', { body: { sandbox: true } });
    expect(ran.status).toBe(201);
    const record = ran.body as RunRecord;
    expect(record).toMatchObject({ status: 'succeeded', sandbox: true });
    expect(record.changes?.map((change) => [change.scope, change.key, change.change])).toEqual([
      ['flow', 'greeting', 'created'],
      ['global', 'visits', 'created'],
    ]);
    expect(await keysOf(acme, 'scope=flow&scopeKey=tester')).toEqual([]);
    expect(await keysOf(acme, 'scope=global')).toEqual([]);
    expect((await acme.call('GET', `/api/runs/${record.runId}`)).body).toMatchObject({ sandbox: true, appliedAt: null });

    // Another company cannot apply it.
    expect((await globex.call('POST', `/api/runs/${record.runId}/apply`)).status).toBe(404);

    const applied = await acme.call('POST', `/api/runs/${record.runId}/apply`);
    expect(applied.status).toBe(200);
    expect(applied.body).toMatchObject({ runId: record.runId, appliedAt: expect.any(String), changes: record.changes });
    expect((await keysOf(acme, 'scope=flow&scopeKey=tester')).map((entry) => [entry.key, entry.value])).toEqual([['greeting', 'hello']]);
    expect((await keysOf(acme, 'scope=global')).map((entry) => [entry.key, entry.value])).toEqual([['visits', 1]]);
    expect(((await acme.call('GET', `/api/runs/${record.runId}`)).body as { appliedAt: unknown }).appliedAt).toEqual(expect.any(String));

    const twice = await acme.call('POST', `/api/runs/${record.runId}/apply`);
    expect(twice.status).toBe(409);
    expect(errorOf(twice)).toMatchObject({ code: 'conflict', message: expect.stringMatching(/already applied/) });
    expect((await keysOf(acme, 'scope=global')).map((entry) => entry.value)).toEqual([1]);
  });

  it('refuses to apply over keys that moved since the run, naming them, and writes nothing', async () => {
    await acme.call('POST', '/api/blueprints', { body: writer('mover') });
    const record = (await acme.call('POST', '/api/blueprints/mover/runs', { body: { sandbox: true } })).body as RunRecord;
    // Someone increments visits meanwhile.
    await acme.call('POST', '/api/kv/ops', { body: { ops: [{ op: 'increment', key: 'visits', scope: 'global', by: 10 }] } });
    const refused = await acme.call('POST', `/api/runs/${record.runId}/apply`);
    expect(refused.status).toBe(409);
    expect(errorOf(refused)).toMatchObject({ code: 'conflict', keys: ['global:visits'] });
    expect(errorOf(refused).message).toMatch(/Nothing was applied/);
    expect(await keysOf(acme, 'scope=flow&scopeKey=mover')).toEqual([]);
    // Not marked applied: after the refusal it stays refusable for the same reason, not "already applied".
    expect(errorOf(await acme.call('POST', `/api/runs/${record.runId}/apply`)).keys).toEqual(['global:visits']);
  });

  it('refuses to apply a live run', async () => {
    await acme.call('POST', '/api/blueprints', { body: writer('live') });
    const record = (await acme.call('POST', '/api/blueprints/live/runs', { body: {} })).body as RunRecord;
    expect(record.sandbox).toBeUndefined();
    const refused = await acme.call('POST', `/api/runs/${record.runId}/apply`);
    expect(refused.status).toBe(400);
    expect(errorOf(refused).message).toMatch(/was a live run/);
    expect((await acme.call('POST', '/api/runs/no-such-run/apply')).status).toBe(404);
  });
});

describe('the OpenAPI document', () => {
  it('describes every answer this suite received', async () => {
    const document = (await apiClient(server.url).call('GET', '/api/openapi.json')).body;
    expect(recorded.length).toBeGreaterThan(50);
    expect(new Set(recorded.map((exchange) => exchange.status))).toEqual(new Set([200, 201, 202, 204, 400, 401, 404, 409, 412, 429]));
    expect(recorded.flatMap((exchange) => checkAgainstOpenApi(document, exchange))).toEqual([]);
  });
});
