import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Entry } from '../../kv/types';
import { errorOf, startTestServer, type TestServer } from './test-support';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t.stop();
});

describe('the seed API, called exactly as the reference writes it', () => {
  it('sets, lists and deletes featureEnabled for company 65abc000', async () => {
    const saved = await t.call('POST', '/api/kv', {
      body: { key: 'featureEnabled', value: 'true', scope: 'global', companyId: '65abc000' },
    });
    expect(saved.status).toBe(201);
    const entry = saved.body as Entry;
    expect(entry).toMatchObject({
      key: 'featureEnabled',
      value: 'true',
      valueType: 'text',
      scope: 'global',
      scopeKey: '',
      companyId: '65abc000',
      version: 1,
    });

    const listed = await t.call('GET', '/api/kv?scope=global&companyId=65abc000');
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual({ entries: [entry], nextCursor: null });

    const deleted = await t.call('DELETE', `/api/kv/${entry.id}`);
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe('');
    const after = await t.call('GET', '/api/kv?scope=global&companyId=65abc000');
    expect(after.body).toEqual({ entries: [], nextCursor: null });
  });
});

describe('POST /api/kv', () => {
  it('answers 201 on creation and 200 with the next version on update', async () => {
    const first = await t.call('POST', '/api/kv', { body: { key: 'greeting', value: 'hi', scope: 'flow', scopeKey: 'bp1' } });
    expect(first.status).toBe(201);
    const second = await t.call('POST', '/api/kv', { body: { key: 'greeting', value: 'hello', scope: 'flow', scopeKey: 'bp1' } });
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ value: 'hello', version: 2, companyId: 'default', id: (first.body as Entry).id });
  });

  it('parses a string value as JSON when valueType is json', async () => {
    const saved = await t.call('POST', '/api/kv', {
      body: { key: 'profile', value: '{"name":"Ada","tags":[1,2]}', valueType: 'json', scope: 'global' },
    });
    expect(saved.status).toBe(201);
    expect(saved.body).toMatchObject({ value: { name: 'Ada', tags: [1, 2] }, valueType: 'json' });
  });

  it('refuses JSON text that does not parse with invalid_value saying where', async () => {
    const response = await t.call('POST', '/api/kv', { body: { key: 'broken', value: '{"a": 1,', valueType: 'json', scope: 'global' } });
    expect(response.status).toBe(400);
    expect(errorOf(response).code).toBe('invalid_value');
    expect(errorOf(response).message).toMatch(/broken.*not valid JSON.*(position|end)/i);
  });

  it('honours mode create and mode update', async () => {
    await t.call('POST', '/api/kv', { body: { key: 'once', value: 1, scope: 'global' } });
    const again = await t.call('POST', '/api/kv', { body: { key: 'once', value: 2, scope: 'global', mode: 'create' } });
    expect(again.status).toBe(409);
    expect(errorOf(again).code).toBe('already_exists');
    const missing = await t.call('POST', '/api/kv', { body: { key: 'never', value: 2, scope: 'global', mode: 'update' } });
    expect(missing.status).toBe(404);
    expect(errorOf(missing).code).toBe('not_found');
  });

  it('stores an expiry with ttlSeconds', async () => {
    const saved = await t.call('POST', '/api/kv', { body: { key: 'short', value: 'x', scope: 'global', ttlSeconds: 60 } });
    const expiresAt = Date.parse((saved.body as Entry).expiresAt ?? '');
    expect(expiresAt - Date.now()).toBeGreaterThan(50_000);
    expect(expiresAt - Date.now()).toBeLessThanOrEqual(60_000);
  });

  it.each([
    [{ value: 'x', scope: 'global' }, 400, 'invalid_request', /key: is required/],
    [{ key: 'k', scope: 'global' }, 400, 'invalid_request', /value: is required/],
    [{ key: 'k', value: 'x', scope: 'planet' }, 400, 'invalid_scope', /scope: expected one of flow\|flow_group\|global/],
    [{ key: 'k', value: 'x', scope: 'flow' }, 400, 'invalid_scope', /scopeKey/],
    [{ key: 'bad key!', value: 'x', scope: 'global' }, 400, 'invalid_key', /bad key!/],
    [{ key: 'k'.repeat(257), value: 'x', scope: 'global' }, 400, 'invalid_key', /too long/],
    [{ key: 'k', value: 'x', scope: 'global', scopekey: 'typo' }, 400, 'invalid_request', /unknown field 'scopekey'/],
    [{ key: 'k', value: 'x', scope: 'global', ttlSeconds: -5 }, 400, 'invalid_value', /ttlSeconds/],
    [{ key: 'k', value: 'x', scope: 'global', mode: 'replace' }, 400, 'invalid_request', /mode: expected one of upsert\|create\|update/],
    [{ key: 'k', value: 5, valueType: 'text', scope: 'global' }, 400, 'invalid_value', /must be a string/],
    [{ key: 7, value: 'x', scope: 'global' }, 400, 'invalid_request', /key: expected string/],
  ])('refuses %j with %i %s naming the field', async (body, status, code, message) => {
    const response = await t.call('POST', '/api/kv', { body });
    expect(response.status).toBe(status);
    expect(errorOf(response).code).toBe(code);
    expect(errorOf(response).message).toMatch(message);
  });

  it('refuses a value over 1 MiB with 413 too_large', async () => {
    const response = await t.call('POST', '/api/kv', { body: { key: 'big', value: 'a'.repeat(1024 * 1024), scope: 'global' } });
    expect(response.status).toBe(413);
    expect(errorOf(response).code).toBe('too_large');
    expect(errorOf(response).message).toContain('big');
  });

  it('refuses a body over 2 MiB with 413 before reading it', async () => {
    const response = await t.call('POST', '/api/kv', {
      rawBody: JSON.stringify({ key: 'huge', value: 'a'.repeat(2 * 1024 * 1024 + 10), scope: 'global' }),
      headers: { 'content-type': 'application/json' },
    });
    expect(response.status).toBe(413);
    expect(errorOf(response)).toMatchObject({ code: 'too_large', message: expect.stringContaining('2 MiB') });
  });

  it('refuses a body that is not JSON, or not declared as JSON, with 400', async () => {
    const broken = await t.call('POST', '/api/kv', { rawBody: '{"key": ', headers: { 'content-type': 'application/json' } });
    expect(broken.status).toBe(400);
    expect(errorOf(broken)).toMatchObject({ code: 'invalid_request', message: expect.stringMatching(/not valid JSON.*(position|end)/i) });
    const empty = await t.call('POST', '/api/kv', { rawBody: '', headers: { 'content-type': 'application/json' } });
    expect(errorOf(empty)).toMatchObject({ code: 'invalid_request', message: expect.stringContaining('empty') });
    const text = await t.call('POST', '/api/kv', { rawBody: 'key=k&value=v', headers: { 'content-type': 'text/plain' } });
    expect(text.status).toBe(400);
    expect(errorOf(text).message).toContain('application/json');
    const form = await t.call('POST', '/api/kv', { rawBody: 'key=k', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(form.status).toBe(400);
    const array = await t.call('POST', '/api/kv', { body: [1, 2] });
    expect(array.status).toBe(400);
  });

  it('reports store errors of the single-entry routes without a batch opIndex', async () => {
    const badKey = await t.call('POST', '/api/kv', { body: { key: 'a b', value: 1, scope: 'global' } });
    expect(errorOf(badKey)).toEqual({ code: 'invalid_key', message: expect.stringContaining("'a b'") });
    const tooBig = await t.call('POST', '/api/kv', { body: { key: 'big', value: 'a'.repeat(1024 * 1024), scope: 'global' } });
    expect(errorOf(tooBig)).toEqual({ code: 'too_large', message: expect.stringContaining('big') });
    const noScopeKey = await t.call('GET', '/api/kv?scope=flow');
    expect(errorOf(noScopeKey)).toEqual({ code: 'invalid_scope', message: expect.stringContaining('scopeKey') });
  });

  it('answers a TTL too long for a date with 400 invalid_value, not a store failure', async () => {
    const response = await t.call('POST', '/api/kv', { body: { key: 'forever', value: 1, scope: 'global', ttlSeconds: 1e300 } });
    expect(response.status).toBe(400);
    expect(errorOf(response)).toEqual({ code: 'invalid_value', message: expect.stringContaining('ttlSeconds must be at most') });
  });

  it("words range problems of fields plainly, not in Zod's type notation", async () => {
    const limit = await t.call('GET', '/api/kv?scope=global&limit=0');
    expect(errorOf(limit)).toEqual({ code: 'invalid_request', message: 'limit: must be at least 1' });
    const company = await t.call('POST', '/api/kv', { body: { key: 'k', value: 1, scope: 'global', companyId: '' } });
    expect(errorOf(company)).toEqual({ code: 'invalid_request', message: 'companyId: must not be empty' });
    const fraction = await t.call('GET', '/api/kv?scope=global&limit=1.5');
    expect(errorOf(fraction)).toEqual({ code: 'invalid_request', message: 'limit: expected a whole number' });
    const ops = Array.from({ length: 10_001 }, () => ({ op: 'get', key: 'k', scope: 'global' }));
    const tooMany = await t.call('POST', '/api/kv/ops', { body: { ops } });
    expect(errorOf(tooMany)).toEqual({ code: 'invalid_request', message: 'ops: must have at most 10000 items' });
  });

  it('refuses a body nested too deeply to parse with a message that says so', async () => {
    const depth = 200_000;
    const rawBody = `{"key":"deep","scope":"global","value":${'['.repeat(depth)}${']'.repeat(depth)}}`;
    const response = await t.call('POST', '/api/kv', { rawBody, headers: { 'content-type': 'application/json' } });
    expect(response.status).toBe(400);
    expect(errorOf(response)).toMatchObject({
      code: 'invalid_request',
      message: expect.stringContaining('values may nest at most 64 levels'),
    });
  });

  it('never answers bad input with a stack trace', async () => {
    const response = await t.call('POST', '/api/kv', {
      rawBody: '{"__proto__": {"x": 1}, "key": "k"}',
      headers: { 'content-type': 'application/json' },
    });
    expect(response.status).toBe(400);
    expect(errorOf(response).message).toContain('__proto__');
    expect(response.text).not.toMatch(/\bat \S+ \(|node_modules|\.ts:\d+/);
  });
});

describe('prototype keys in bodies', () => {
  it('refuses constructor.prototype but keeps an ordinary constructor field in a value', async () => {
    const poisoned = await t.call('POST', '/api/kv', {
      rawBody: '{"key": "k", "scope": "global", "value": {"constructor": {"prototype": {"x": 1}}}}',
      headers: { 'content-type': 'application/json' },
    });
    expect(poisoned.status).toBe(400);
    const fine = await t.call('POST', '/api/kv', {
      body: { key: 'ctor', scope: 'global', companyId: 'prototype-tests', value: { constructor: 'a name' } },
    });
    expect(fine.status).toBe(201);
    expect((fine.body as Entry).value).toEqual({ constructor: 'a name' });
  });
});

describe('GET /api/kv', () => {
  it('lists a scope sorted by key, filtered by prefix, in pages with cursors', async () => {
    for (const key of ['page_c', 'page_a', 'page_b', 'other']) {
      await t.call('POST', '/api/kv', { body: { key, value: key, scope: 'flow_group', scopeKey: 'g1' } });
    }
    const first = await t.call('GET', '/api/kv?scope=flow_group&scopeKey=g1&prefix=page_&limit=2');
    const page = first.body as { entries: Entry[]; nextCursor: string | null };
    expect(page.entries.map((e) => e.key)).toEqual(['page_a', 'page_b']);
    expect(page.nextCursor).toBe('page_b');
    const second = await t.call('GET', `/api/kv?scope=flow_group&scopeKey=g1&prefix=page_&limit=2&cursor=${page.nextCursor}`);
    expect((second.body as { entries: Entry[] }).entries.map((e) => e.key)).toEqual(['page_c']);
    expect((second.body as { nextCursor: string | null }).nextCursor).toBeNull();
  });

  it.each([
    ['', 'invalid_scope', /scope: is required/],
    ['?scope=galaxy', 'invalid_scope', /scope/],
    ['?scope=global&limit=1001', 'invalid_request', /limit/],
    ['?scope=global&limit=0', 'invalid_request', /limit/],
    ['?scope=global&limit=ten', 'invalid_request', /limit/],
    ['?scope=global&colour=red', 'invalid_request', /unknown field 'colour'/],
  ])('refuses the query %s with 400 %s', async (query, code, message) => {
    const response = await t.call('GET', `/api/kv${query}`);
    expect(response.status).toBe(400);
    expect(errorOf(response).code).toBe(code);
    expect(errorOf(response).message).toMatch(message);
  });
});

describe('GET and DELETE /api/kv/:id', () => {
  it('reads an entry by id and answers 404 once it is deleted', async () => {
    const saved = (await t.call('POST', '/api/kv', { body: { key: 'by_id', value: [1], scope: 'global', companyId: 'acme' } }))
      .body as Entry;
    const read = await t.call('GET', `/api/kv/${saved.id}?companyId=acme`);
    expect(read.status).toBe(200);
    expect(read.body).toEqual(saved);
    expect((await t.call('GET', `/api/kv/${saved.id}?companyId=someone-else`)).status).toBe(404);
    expect((await t.call('DELETE', `/api/kv/${saved.id}?companyId=acme`)).status).toBe(204);
    const gone = await t.call('GET', `/api/kv/${saved.id}?companyId=acme`);
    expect(gone.status).toBe(404);
    expect(errorOf(gone)).toEqual({ code: 'not_found', message: `No entry with id '${saved.id}'` });
    expect((await t.call('DELETE', `/api/kv/${saved.id}`)).status).toBe(404);
  });
});

describe('POST /api/kv/ops', () => {
  it('applies a batch in order and returns one result per op', async () => {
    const response = await t.call('POST', '/api/kv/ops', {
      body: {
        ops: [
          { op: 'increment', key: 'ctr', scope: 'global', by: 2 },
          { op: 'increment', key: 'ctr', scope: 'global' },
          { op: 'append', key: 'log', value: 'a', scope: 'global' },
          { op: 'get', key: 'ctr', scope: 'global' },
          { op: 'list', scope: 'global', prefix: 'ct' },
          { op: 'delete', key: 'log', scope: 'global' },
        ],
      },
    });
    expect(response.status).toBe(200);
    const { results } = response.body as { results: Array<Record<string, unknown>> };
    expect(results.map((r) => r.op)).toEqual(['increment', 'increment', 'append', 'get', 'list', 'delete']);
    expect((results[3]!.entry as Entry).value).toBe(3);
    expect((results[4]!.entries as Entry[]).map((e) => e.key)).toEqual(['ctr']);
    expect(results[5]).toEqual({ op: 'delete', deleted: true });
  });

  it('changes nothing when one op fails, and names the failing op', async () => {
    await t.call('POST', '/api/kv', { body: { key: 'text_value', value: 'words', scope: 'global', companyId: 'atomic' } });
    const response = await t.call('POST', '/api/kv/ops', {
      body: {
        companyId: 'atomic',
        ops: [
          { op: 'set', key: 'first', value: 1, scope: 'global' },
          { op: 'increment', key: 'text_value', scope: 'global' },
        ],
      },
    });
    expect(response.status).toBe(422);
    expect(errorOf(response)).toMatchObject({ code: 'type_mismatch', opIndex: 1 });
    const listed = await t.call('GET', '/api/kv?scope=global&companyId=atomic');
    expect((listed.body as { entries: Entry[] }).entries.map((e) => e.key)).toEqual(['text_value']);
  });

  it('refuses a malformed op with 400 and its index', async () => {
    const response = await t.call('POST', '/api/kv/ops', {
      body: {
        ops: [
          { op: 'get', key: 'a', scope: 'global' },
          { op: 'frobnicate', key: 'a', scope: 'global' },
        ],
      },
    });
    expect(response.status).toBe(400);
    expect(errorOf(response)).toMatchObject({ code: 'invalid_request', opIndex: 1, message: expect.stringContaining('frobnicate') });
    const typo = await t.call('POST', '/api/kv/ops', { body: { ops: [{ op: 'increment', key: 'a', scope: 'global', step: 2 }] } });
    expect(typo.status).toBe(400);
    expect(errorOf(typo)).toMatchObject({
      code: 'invalid_request',
      opIndex: 0,
      message: "ops[0]: unknown field 'step' for op 'increment'",
    });
    const noOps = await t.call('POST', '/api/kv/ops', { body: {} });
    expect(errorOf(noOps).message).toMatch(/ops: is required/);
  });
});

describe('other paths', () => {
  it('answers unknown API routes with a JSON 404', async () => {
    const response = await t.call('GET', '/api/nothing-here');
    expect(response.status).toBe(404);
    expect(errorOf(response).code).toBe('not_found');
  });

  it('serves a page telling to build the web app when dist/ is missing', async () => {
    const response = await t.call('GET', '/some/editor/route');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/html');
    expect(response.text).toContain('npm run build');
  });
});

describe('POST /api/kv/ops: compare-and-set and list sets', () => {
  it('answers version_conflict as 409 naming the stored version, and takes listAdd and listRemove', async () => {
    const ops = (list: unknown[]) => t.call('POST', '/api/kv/ops', { body: { companyId: 'cas-co', ops: list } });
    expect((await ops([{ op: 'set', key: 'doc', value: 1, expectedVersion: 0, scope: 'global' }])).status).toBe(200);
    const conflict = await ops([{ op: 'set', key: 'doc', value: 2, expectedVersion: 0, scope: 'global' }]);
    expect(conflict.status).toBe(409);
    expect(errorOf(conflict)).toMatchObject({ code: 'version_conflict', opIndex: 0 });
    expect(errorOf(conflict).message).toContain('version 1');

    const added = await ops([
      { op: 'listAdd', key: 'seen', value: 'a', scope: 'flow', scopeKey: 'bp' },
      { op: 'listAdd', key: 'seen', value: 'b', valueType: 'text', scope: 'flow', scopeKey: 'bp' },
      { op: 'listRemove', key: 'seen', value: 'a', scope: 'flow', scopeKey: 'bp' },
    ]);
    expect(added.status).toBe(200);
    expect((added.body as { results: Array<{ op: string; entry: Entry }> }).results.map((r) => [r.op, r.entry.value])).toEqual([
      ['listAdd', ['a']],
      ['listAdd', ['a', 'b']],
      ['listRemove', ['b']],
    ]);
    const seenAgain = await ops([{ op: 'listAdd', key: 'seen', value: 'b', scope: 'flow', scopeKey: 'bp' }]);
    expect(seenAgain.status).toBe(409);
    expect(errorOf(seenAgain).code).toBe('already_exists');
  });

  it('refuses a field listRemove does not have, naming it', async () => {
    const response = await t.call('POST', '/api/kv/ops', {
      body: { ops: [{ op: 'listRemove', key: 'seen', value: 1, valueType: 'json', scope: 'global' }] },
    });
    expect(response.status).toBe(400);
    expect(errorOf(response)).toMatchObject({ code: 'invalid_request', opIndex: 0 });
    expect(errorOf(response).message).toContain("unknown field 'valueType'");
  });
});
