import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunRecord } from '../../engine/types';
import type { Entry } from '../../kv/types';
import { errorOf, startTestServer, type TestServer } from './test-support';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t.stop();
});

function counterBlueprint(id: string) {
  return {
    format: 'kv-blueprint/1',
    id,
    name: `Counter ${id}`,
    groupId: 'tests',
    nodes: [
      { id: 'start', type: 'start', position: { x: 0, y: 0 }, data: { sampleInput: {} } },
      { id: 'inc', type: 'kv', position: { x: 240, y: 0 }, data: { action: 'increment', key: 'runs', scope: 'global' } },
      { id: 'out', type: 'output', position: { x: 480, y: 0 }, data: { valueType: 'text', value: '@{result}' } },
    ],
    edges: [
      { id: 'e1', source: 'start', sourceHandle: 'success', target: 'inc' },
      { id: 'e2', source: 'inc', sourceHandle: 'success', target: 'out' },
    ],
  };
}

describe('blueprint CRUD', () => {
  it('creates, lists, reads, replaces and deletes a blueprint', async () => {
    const created = await t.call('POST', '/api/blueprints', { body: counterBlueprint('crud') });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: 'crud', name: 'Counter crud', settings: { kvInherit: false } });

    const list = await t.call('GET', '/api/blueprints');
    expect((list.body as { blueprints: unknown[] }).blueprints).toContainEqual({
      id: 'crud',
      name: 'Counter crud',
      groupId: 'tests',
      updatedAt: expect.any(String),
      revision: 1,
    });
    expect((await t.call('GET', '/api/blueprints/crud')).body).toEqual(created.body);

    const renamed = { ...counterBlueprint('crud'), name: 'Renamed' };
    const replaced = await t.call('PUT', '/api/blueprints/crud', { body: renamed });
    expect(replaced.status).toBe(200);
    expect(((await t.call('GET', '/api/blueprints/crud')).body as { name: string }).name).toBe('Renamed');

    const fresh = await t.call('PUT', '/api/blueprints/brand-new', { body: counterBlueprint('brand-new') });
    expect(fresh.status).toBe(201);

    expect((await t.call('DELETE', '/api/blueprints/crud')).status).toBe(204);
    expect((await t.call('GET', '/api/blueprints/crud')).status).toBe(404);
    expect((await t.call('DELETE', '/api/blueprints/crud')).status).toBe(404);
  });

  it('answers 409 when creating an id that exists', async () => {
    await t.call('POST', '/api/blueprints', { body: counterBlueprint('twice') });
    const again = await t.call('POST', '/api/blueprints', { body: counterBlueprint('twice') });
    expect(again.status).toBe(409);
    expect(errorOf(again)).toMatchObject({ code: 'already_exists', message: expect.stringContaining('twice') });
  });

  it('refuses an invalid document with 422 and the list of problems', async () => {
    const broken = counterBlueprint('broken');
    (broken.nodes[1]!.data as Record<string, unknown>).action = 'explode';
    broken.edges.push({ id: 'e3', source: 'inc', sourceHandle: 'success', target: 'nowhere' });
    const response = await t.call('POST', '/api/blueprints', { body: broken });
    expect(response.status).toBe(422);
    const error = errorOf(response);
    expect(error.code).toBe('invalid_blueprint');
    expect(error.problems?.map((p) => p.path)).toEqual(expect.arrayContaining(['nodes[1].data.action']));
    expect(error.problems!.length).toBeGreaterThanOrEqual(2);
    expect((await t.call('GET', '/api/blueprints/broken')).status).toBe(404);
  });

  it('refuses a PUT whose document id differs from the URL, and bodies that are not documents', async () => {
    const mismatch = await t.call('PUT', '/api/blueprints/one', { body: counterBlueprint('other') });
    expect(mismatch.status).toBe(422);
    expect(errorOf(mismatch).problems).toEqual([{ path: 'id', message: "is 'other', but the URL names blueprint 'one'" }]);
    expect((await t.call('POST', '/api/blueprints', { body: [1] })).status).toBe(422);
    expect((await t.call('POST', '/api/blueprints', { rawBody: 'nope', headers: { 'content-type': 'application/json' } })).status).toBe(
      400,
    );
  });
});

describe('server-side runs', () => {
  it('runs a blueprint with the engine, stores the record, and lists runs latest first', async () => {
    await t.call('POST', '/api/blueprints', { body: counterBlueprint('history') });
    const first = await t.call('POST', '/api/blueprints/history/runs', { body: { input: { who: 'first' } } });
    expect(first.status).toBe(201);
    const record = first.body as RunRecord;
    expect(record).toMatchObject({ blueprintId: 'history', status: 'succeeded', input: { who: 'first' } });
    expect(record.steps.map((s) => s.nodeId)).toEqual(['start', 'inc', 'out']);
    const second = (await t.call('POST', '/api/blueprints/history/runs', { body: {} })).body as RunRecord;

    const listed = (await t.call('GET', '/api/blueprints/history/runs')).body as { runs: RunRecord[] };
    expect(listed.runs.map((r) => r.runId)).toEqual([second.runId, record.runId]);
    expect(((await t.call('GET', '/api/blueprints/history/runs?limit=1')).body as { runs: RunRecord[] }).runs).toHaveLength(1);
    expect((await t.call('GET', `/api/blueprints/history/runs/${record.runId}`)).body).toEqual(record);
    expect((await t.call('GET', '/api/blueprints/history/runs?limit=0')).status).toBe(400);
    expect((await t.call('POST', '/api/blueprints/history/runs', { body: { inptu: {} } })).status).toBe(400);
    expect((await t.call('POST', '/api/blueprints/missing/runs', { body: {} })).status).toBe(404);
  });

  it('ends exactly at 100 after 100 concurrent increment runs', async () => {
    await t.call('POST', '/api/blueprints', {
      body: {
        ...counterBlueprint('concurrent'),
        nodes: counterBlueprint('concurrent').nodes.map((n) =>
          n.id === 'inc' ? { ...n, data: { action: 'increment', key: 'concurrent_total', scope: 'global' } } : n,
        ),
      },
    });
    const responses = await Promise.all(Array.from({ length: 100 }, () => t.call('POST', '/api/blueprints/concurrent/runs', { body: {} })));
    expect(responses.every((r) => r.status === 201 && (r.body as RunRecord).status === 'succeeded')).toBe(true);
    const results = responses.map((r) => (r.body as RunRecord).steps.find((s) => s.nodeId === 'inc')!.result);
    // Every run saw a different count: the increments never overlapped.
    expect(new Set(results).size).toBe(100);
    const stored = await t.call('POST', '/api/kv/ops', { body: { ops: [{ op: 'get', key: 'concurrent_total', scope: 'global' }] } });
    expect((stored.body as { results: Array<{ entry: Entry }> }).results[0]!.entry.value).toBe(100);
  });
});

describe('GET /api/events', () => {
  it("streams kv changes and finished runs of the caller's company as server-sent events", async () => {
    await t.call('POST', '/api/blueprints', { body: counterBlueprint('evented') });
    const controller = new AbortController();
    const response = await fetch(`${t.url}/api/events`, { signal: controller.signal });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    const readUntil = async (pattern: RegExp) => {
      while (!pattern.test(text)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended before ${pattern}`);
        text += value;
      }
    };
    await readUntil(/event: ready/);
    await t.call('POST', '/api/kv', { body: { key: 'other_company', value: 1, scope: 'global', companyId: 'someone-else' } });
    const run = (await t.call('POST', '/api/blueprints/evented/runs', { body: {} })).body as RunRecord;
    await readUntil(/event: run\n/);
    controller.abort();
    expect(text).toContain(
      `event: kv\ndata: ${JSON.stringify({ companyId: 'default', changes: [{ scope: 'global', scopeKey: '', key: 'runs', change: 'set' }] })}`,
    );
    expect(text).toContain(`"runId":"${run.runId}"`);
    expect(text).not.toContain('other_company');
  });
});
