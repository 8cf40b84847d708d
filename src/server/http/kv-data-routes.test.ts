import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Entry, HistoryVersion } from '../../kv/types';
import { errorOf, startTestServer, type TestServer } from './test-support';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t.stop();
});

const flow = (companyId: string) => `scope=flow&scopeKey=bp-1&companyId=${companyId}`;

async function ops(companyId: string, list: unknown[]) {
  const response = await t.call('POST', '/api/kv/ops', { body: { companyId, ops: list } });
  expect(response.status).toBe(200);
  return response.body as { results: unknown[] };
}

async function ndjson(path: string, body: string, contentType = 'application/x-ndjson') {
  return t.call('POST', path, { rawBody: body, headers: { 'content-type': contentType } });
}

describe('GET /api/kv/history and POST /api/kv/restore', () => {
  it('lists the replaced versions newest first, and restore writes one back as a new version', async () => {
    const set = (value: unknown) => ({ op: 'set', key: 'profile', value, scope: 'flow', scopeKey: 'bp-1' });
    await ops('hist-co', [set({ name: 'Ada' })]);
    await ops('hist-co', [set({ name: 'Ada L.' })]);
    await ops('hist-co', [{ op: 'delete', key: 'profile', scope: 'flow', scopeKey: 'bp-1' }]);

    const history = await t.call('GET', `/api/kv/history?${flow('hist-co')}&key=profile`);
    expect(history.status).toBe(200);
    const versions = (history.body as { versions: HistoryVersion[] }).versions;
    expect(versions.map((v) => [v.version, v.value, v.valueType, v.deleted])).toEqual([
      [2, { name: 'Ada L.' }, 'json', true],
      [1, { name: 'Ada' }, 'json', false],
    ]);
    expect(Object.keys(versions[0]!).sort()).toEqual(['deleted', 'replacedAt', 'updatedAt', 'value', 'valueType', 'version']);

    const deleted = await t.call('GET', `/api/kv/deleted?${flow('hist-co')}`);
    expect(deleted.status).toBe(200);
    expect(deleted.body).toEqual({ keys: [{ key: 'profile', version: 2, deletedAt: versions[0]!.replacedAt }] });

    const restored = await t.call('POST', '/api/kv/restore', {
      body: { scope: 'flow', scopeKey: 'bp-1', key: 'profile', version: 1, companyId: 'hist-co' },
    });
    expect(restored.status).toBe(200);
    const { entry, created } = restored.body as { entry: Entry; created: boolean };
    expect(created).toBe(true);
    expect(entry).toMatchObject({ key: 'profile', value: { name: 'Ada' }, version: 1, companyId: 'hist-co' });
    expect((await t.call('GET', `/api/kv/deleted?${flow('hist-co')}`)).body).toEqual({ keys: [] });
  });

  it('answers an empty history for a key never written, and not_found for a version not kept', async () => {
    const empty = await t.call('GET', '/api/kv/history?scope=global&key=nothing_here');
    expect(empty.status).toBe(200);
    expect(empty.body).toEqual({ versions: [] });
    await ops('default', [{ op: 'set', key: 'once', value: 1, scope: 'global' }]);
    const missing = await t.call('POST', '/api/kv/restore', { body: { scope: 'global', key: 'once', version: 3 } });
    expect(missing.status).toBe(404);
    expect(errorOf(missing)).toMatchObject({ code: 'not_found' });
    expect(errorOf(missing).message).toContain('no kept version 3');
    expect(errorOf(missing)).not.toHaveProperty('opIndex');
  });

  it.each([
    ['/api/kv/history?scope=global', 400, 'invalid_request', 'key: is required'],
    ['/api/kv/history?scope=flow&key=k', 400, 'invalid_scope', 'needs a scopeKey'],
    ['/api/kv/history?scope=planet&key=k', 400, 'invalid_scope', 'scope: expected one of'],
    ['/api/kv/history?scope=global&key=bad%20key', 400, 'invalid_key', "'bad key'"],
    ['/api/kv/history?scope=global&key=k&extra=1', 400, 'invalid_request', "unknown field 'extra'"],
    ['/api/kv/deleted?scope=global&limit=0', 400, 'invalid_request', 'limit: must be at least 1'],
    ['/api/kv/deleted?scope=global&limit=many', 400, 'invalid_request', 'limit'],
  ])('GET %s answers %i %s', async (path, status, code, text) => {
    const response = await t.call('GET', path);
    expect(response.status).toBe(status);
    expect(errorOf(response).code).toBe(code);
    expect(errorOf(response).message).toContain(text);
  });

  it.each([
    [{ scope: 'global', key: 'k' }, 'version: is required'],
    [{ scope: 'global', key: 'k', version: 0 }, 'version: must be at least 1'],
    [{ scope: 'global', key: 'k', version: '1' }, 'version: expected number'],
    [{ scope: 'global', key: 'k', version: 1.5 }, 'version'],
    [{ scope: 'global', key: 'k', version: 1, value: 2 }, "unknown field 'value'"],
  ])('POST /api/kv/restore with %j answers 400 naming the field', async (body, text) => {
    const response = await t.call('POST', '/api/kv/restore', { body });
    expect(response.status).toBe(400);
    expect(errorOf(response).code).toBe('invalid_request');
    expect(errorOf(response).message).toContain(text);
  });
});

describe('GET /api/kv/export and POST /api/kv/import', () => {
  it('exports a scope as NDJSON, one entry a line, and imports it into another company unchanged', async () => {
    const writes = Array.from({ length: 1205 }, (_, i) => ({
      op: 'set',
      key: `item_${String(i).padStart(4, '0')}`,
      value: i % 2 === 0 ? { i, tags: ['a'] } : `text ${i}`,
      scope: 'flow',
      scopeKey: 'bp-1',
    }));
    await ops('export-co', writes);
    await ops('export-co', [{ op: 'set', key: 'short_lived', value: 'x', ttlSeconds: 3600, scope: 'flow', scopeKey: 'bp-1' }]);
    const exported = await t.call('GET', `/api/kv/export?${flow('export-co')}`);
    expect(exported.status).toBe(200);
    expect(exported.headers.get('content-type')).toContain('application/x-ndjson');
    expect(exported.headers.get('content-disposition')).toBe('attachment; filename="kv-flow-bp-1.ndjson"');
    const lines = exported.text.trimEnd().split('\n');
    expect(lines).toHaveLength(1206);
    expect(JSON.parse(lines[0]!)).toEqual({
      scope: 'flow',
      scopeKey: 'bp-1',
      key: 'item_0000',
      value: { i: 0, tags: ['a'] },
      valueType: 'json',
      expiresAt: null,
    });
    expect(JSON.parse(lines[1205]!)).toMatchObject({ key: 'short_lived', expiresAt: expect.any(String) });

    const imported = await ndjson('/api/kv/import?companyId=import-co', exported.text);
    expect(imported.status).toBe(200);
    expect(imported.body).toEqual({ created: 1206, updated: 0, skipped: 0 });
    const again = await t.call('GET', `/api/kv/export?${flow('import-co')}`);
    expect(again.text).toBe(exported.text);

    const upserted = await ndjson('/api/kv/import?companyId=import-co&mode=upsert', lines.slice(0, 3).join('\n'));
    expect(upserted.body).toEqual({ created: 0, updated: 3, skipped: 0 });
    const created = await ndjson(
      '/api/kv/import?companyId=import-co&mode=create',
      `${lines[0]}\n${JSON.stringify({ scope: 'global', scopeKey: '', key: 'fresh', value: 1, valueType: 'json', expiresAt: null })}\n`,
    );
    expect(created.body).toEqual({ created: 1, updated: 0, skipped: 1 });
  });

  it('export with a prefix gives only those keys; an empty scope gives an empty body', async () => {
    await ops('prefix-co', [
      { op: 'set', key: 'a_1', value: 1, scope: 'global' },
      { op: 'set', key: 'b_1', value: 2, scope: 'global' },
    ]);
    const some = await t.call('GET', '/api/kv/export?scope=global&prefix=b_&companyId=prefix-co');
    expect(some.text).toBe('{"scope":"global","scopeKey":"","key":"b_1","value":2,"valueType":"json","expiresAt":null}\n');
    const none = await t.call('GET', '/api/kv/export?scope=global&companyId=nobody-co');
    expect(none.status).toBe(200);
    expect(none.text).toBe('');
    const bad = await t.call('GET', '/api/kv/export?scope=flow');
    expect(bad.status).toBe(400);
    expect(errorOf(bad).code).toBe('invalid_scope');
  });

  it('refuses a bad line with 422 naming its line number, and writes none of the other lines', async () => {
    const good = (key: string) => JSON.stringify({ scope: 'global', key, value: key, valueType: 'text', expiresAt: null });
    const cases: Array<[string, string, string]> = [
      [`${good('ok_1')}\n{"scope":"global","key":"x",`, 'invalid_value', 'Line 2: not JSON'],
      [`${good('ok_1')}\n\n${good('ok_2')}\n[1,2]`, 'invalid_value', 'Line 4: expected an object'],
      [`${good('ok_1')}\n{"scope":"global","key":"bad key","value":1}`, 'invalid_key', "Line 2: Key 'bad key' has a space"],
      [`${good('ok_1')}\n{"scope":"flow","key":"k","value":1}`, 'invalid_scope', 'Line 2: Scope'],
      [`{"scope":"global","key":"k","value":1,"colour":"red"}`, 'invalid_value', "Line 1: unknown field 'colour'"],
      [`{"scope":"global","key":"k"}`, 'invalid_value', 'Line 1: the entry'],
      [`{"scope":"global","key":"k","value":1,"expiresAt":"tomorrow"}`, 'invalid_value', 'Line 1: expiresAt'],
      [`{"scope":"global","key":"k","value":1,"valueType":"text"}`, 'invalid_value', 'Line 1: the value'],
    ];
    for (const [body, code, text] of cases) {
      const response = await ndjson('/api/kv/import?companyId=bad-import-co', body);
      expect(response.status, body).toBe(422);
      expect(errorOf(response).code, body).toBe(code);
      expect(errorOf(response).message, body).toContain(text);
    }
    const listed = await t.call('GET', '/api/kv?scope=global&companyId=bad-import-co');
    expect(listed.body).toEqual({ entries: [], nextCursor: null });
  });

  it('skips lines already expired, and keeps the last line of a key named twice', async () => {
    const past = new Date(Date.now() - 60_000).toISOString();
    const body = [
      { scope: 'global', key: 'gone', value: 1, expiresAt: past },
      { scope: 'global', key: 'twice', value: 'first' },
      { scope: 'global', key: 'twice', value: 'second' },
    ]
      .map((line) => JSON.stringify(line))
      .join('\r\n');
    const response = await ndjson('/api/kv/import?companyId=skip-co', body);
    expect(response.body).toEqual({ created: 1, updated: 0, skipped: 2 });
    const listed = (await t.call('GET', '/api/kv?scope=global&companyId=skip-co')).body as { entries: Entry[] };
    expect(listed.entries.map((e) => [e.key, e.value])).toEqual([['twice', 'second']]);
  });

  it('needs an NDJSON body and a known mode', async () => {
    const json = await t.call('POST', '/api/kv/import', { body: { scope: 'global' } });
    expect(json.status).toBe(400);
    expect(errorOf(json).message).toContain('application/x-ndjson');
    const mode = await ndjson('/api/kv/import?mode=replace', '');
    expect(mode.status).toBe(400);
    expect(errorOf(mode).message).toContain('mode: expected one of upsert|create');
    const empty = await ndjson('/api/kv/import', '');
    expect(empty.body).toEqual({ created: 0, updated: 0, skipped: 0 });
  });

  it('takes a body over the 2 MiB API limit, and refuses one over 32 MiB with too_large', async () => {
    const value = 'v'.repeat(500_000);
    const body = Array.from({ length: 6 }, (_, i) => JSON.stringify({ scope: 'global', key: `big_${i}`, value })).join('\n');
    const taken = await ndjson('/api/kv/import?companyId=big-co', body);
    expect(taken.status).toBe(200);
    expect(taken.body).toEqual({ created: 6, updated: 0, skipped: 0 });
    const huge = await ndjson('/api/kv/import?companyId=big-co', 'x'.repeat(32 * 1024 * 1024 + 1));
    expect(huge.status).toBe(413);
    expect(errorOf(huge)).toMatchObject({ code: 'too_large' });
    expect(errorOf(huge).message).toContain('32 MiB');
  });
});
