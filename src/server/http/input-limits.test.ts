/**
 * JSON entering through the API: nesting past JSON_MAX_DEPTH and strings with a lone UTF-16
 * surrogate are refused where they enter, and nothing is stored.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JSON_MAX_DEPTH } from '../../kv/types';
import { errorOf, startTestServer, type TestServer } from './test-support';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t.stop();
});

/** `levels` arrays inside one another around 1. */
function nested(levels: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < levels; i++) value = [value];
  return value;
}
const nestedText = (levels: number): string => `${'['.repeat(levels)}1${']'.repeat(levels)}`;

async function keysOf(scopeKey: string): Promise<string[]> {
  const listed = await t.call('GET', `/api/kv?scope=flow&scopeKey=${scopeKey}`);
  expect(listed.status).toBe(200);
  return (listed.body as { entries: Array<{ key: string }> }).entries.map((entry) => entry.key);
}

function blueprint(id: string, sampleInput: unknown = {}) {
  return {
    format: 'kv-blueprint/1',
    id,
    name: id,
    nodes: [{ id: 'start', type: 'start', position: { x: 0, y: 0 }, data: { sampleInput } }],
    edges: [],
  };
}

describe('nesting limit', () => {
  it(`stores a value nesting ${JSON_MAX_DEPTH} levels and refuses ${JSON_MAX_DEPTH + 1} with 422 naming the limit`, async () => {
    const ok = await t.call('POST', '/api/kv', { body: { key: 'deep64', value: nested(64), scope: 'flow', scopeKey: 'nest' } });
    expect(ok.status).toBe(201);
    const refused = await t.call('POST', '/api/kv', { body: { key: 'deep65', value: nested(65), scope: 'flow', scopeKey: 'nest' } });
    expect(refused.status).toBe(422);
    expect(errorOf(refused)).toMatchObject({ code: 'invalid_value', message: expect.stringContaining('the limit is 64 levels') });
    expect(await keysOf('nest')).toEqual(['deep64']);
  });

  it('refuses a too-deep value inside an op batch with 422 and its op index, storing no op of the batch', async () => {
    const ops = [
      { op: 'set', key: 'first', value: 1, scope: 'flow', scopeKey: 'nestops' },
      { op: 'append', key: 'second', value: nested(65), scope: 'flow', scopeKey: 'nestops' },
    ];
    const refused = await t.call('POST', '/api/kv/ops', { body: { ops } });
    expect(refused.status).toBe(422);
    expect(errorOf(refused)).toMatchObject({ code: 'invalid_value', opIndex: 1, message: expect.stringContaining('64') });
    expect(await keysOf('nestops')).toEqual([]);
  });

  it('refuses JSON text of valueType json nesting too deep with 422, saying where', async () => {
    const refused = await t.call('POST', '/api/kv', {
      body: { key: 'deeptext', value: nestedText(65), valueType: 'json', scope: 'flow', scopeKey: 'nesttext' },
    });
    expect(refused.status).toBe(422);
    expect(errorOf(refused)).toMatchObject({
      code: 'invalid_value',
      message: expect.stringMatching(/line 1, column 65: .*more than 64 levels/),
    });
    expect(await keysOf('nesttext')).toEqual([]);
  });

  for (const levels of [1_900, 2_300, 3_000, 100_000]) {
    it(`refuses a body nesting ${levels} levels with a 4xx, stores nothing, and the scope still lists`, async () => {
      const rawBody = `{"key":"k${levels}","scope":"flow","scopeKey":"nestbig","value":${nestedText(levels)}}`;
      const refused = await t.call('POST', '/api/kv', { rawBody, headers: { 'content-type': 'application/json' } });
      expect(refused.status).toBe(400);
      expect(errorOf(refused)).toMatchObject({ code: 'invalid_request', message: expect.stringContaining('at most 64 levels') });
      expect(await keysOf('nestbig')).toEqual([]);
    });
  }

  it('refuses a blueprint document nesting past the limit with 422 invalid_blueprint, saving nothing', async () => {
    const refused = await t.call('POST', '/api/blueprints', { body: blueprint('deepbp', nested(62)) });
    expect(refused.status).toBe(422);
    expect(errorOf(refused)).toMatchObject({ code: 'invalid_blueprint', message: expect.stringContaining('more than 64 levels') });
    expect((await t.call('GET', '/api/blueprints/deepbp')).status).toBe(404);
    expect((await t.call('POST', '/api/blueprints', { body: blueprint('shallowbp', nested(50)) })).status).toBe(201);
  });
});

describe('lone UTF-16 surrogates', () => {
  const lone = 'a\uD800b';

  it('refuses one in scopeKey, companyId or key of POST /api/kv with 400, storing nothing', async () => {
    for (const body of [
      { key: 'k', value: 1, scope: 'flow', scopeKey: lone },
      { key: 'k', value: 1, scope: 'flow', scopeKey: 'sur', companyId: lone },
      { key: lone, value: 1, scope: 'flow', scopeKey: 'sur' },
    ]) {
      const refused = await t.call('POST', '/api/kv', { body });
      expect(refused.status, JSON.stringify(body)).toBe(400);
      expect(errorOf(refused).message).toMatch(/surrogate|A–Z a–z 0–9/);
    }
    expect(await keysOf('sur')).toEqual([]);
  });

  it('refuses one in an op batch (scopeKey, companyId, key) with 400', async () => {
    const bodies = [
      { ops: [{ op: 'set', key: 'k', value: 1, scope: 'flow', scopeKey: lone }] },
      { companyId: lone, ops: [{ op: 'set', key: 'k', value: 1, scope: 'flow', scopeKey: 'surops' }] },
      { ops: [{ op: 'set', key: lone, value: 1, scope: 'flow', scopeKey: 'surops' }] },
    ];
    for (const body of bodies) {
      const refused = await t.call('POST', '/api/kv/ops', { body });
      expect(refused.status, JSON.stringify(body)).toBe(400);
    }
    expect(await keysOf('surops')).toEqual([]);
  });

  it('refuses one in a blueprint id with 422 invalid_blueprint (as every bad id), saving nothing', async () => {
    const refused = await t.call('POST', '/api/blueprints', { body: blueprint(lone) });
    expect(refused.status).toBe(422);
    expect(errorOf(refused)).toMatchObject({ code: 'invalid_blueprint', message: expect.stringContaining('surrogate') });
    const ids = (await t.call('GET', '/api/blueprints')).body as { blueprints: Array<{ id: string }> };
    expect(ids.blueprints.map((summary) => summary.id)).not.toContain(lone);
  });
});
