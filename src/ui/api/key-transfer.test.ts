import { afterEach, describe, expect, it, vi } from 'vitest';
import { HttpStore } from '../../kv/http-store';
import { MemoryStore } from '../../kv/memory';
import type { KeyValueStore } from '../../kv/types';
import { checkImportFile, exportScope, ImportLineError } from './key-transfer';
import { importKeys } from './server-transfer';

const COMPANY = 'default';
const FLOW = { scope: 'flow' as const, scopeKey: 'bp-1' };

async function entries(store: KeyValueStore) {
  const all = [];
  let cursor: string | null = null;
  do {
    const [page] = await store.batch(COMPANY, [{ op: 'list', ...FLOW, limit: 1000, cursor }]);
    if (page?.op !== 'list') throw new Error('not a list');
    all.push(...page.entries.map(({ key, value, valueType, expiresAt }) => ({ key, value, valueType, expiresAt })));
    cursor = page.nextCursor;
  } while (cursor !== null);
  return all;
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('export and import of stored keys from the panel', () => {
  it('an export imported into an empty Browser-like store reproduces every entry, across pages, reporting progress per page', async () => {
    const source = new MemoryStore();
    await source.batch(COMPANY, [
      ...Array.from({ length: 1500 }, (_, i) => ({ op: 'set' as const, ...FLOW, key: `k${String(i).padStart(4, '0')}`, value: { n: i } })),
      { op: 'set', ...FLOW, key: 'note', value: 'plain text', valueType: 'text' },
      { op: 'set', ...FLOW, key: 'session', value: [1, 2], ttlSeconds: 3600 },
    ]);
    const progress: Array<[number, number]> = [];
    const chunks = await exportScope(source, COMPANY, FLOW, 1502, (done, total) => progress.push([done, total]));
    expect(progress).toEqual([
      [1000, 1502],
      [1502, 1502],
    ]);
    const text = chunks.join('');
    expect(text.split('\n')).toHaveLength(1503);

    const target = new MemoryStore();
    expect(await importKeys(target, COMPANY, text, 'upsert')).toEqual({ created: 1502, updated: 0, skipped: 0 });
    expect(await entries(target)).toEqual(await entries(source));
  });

  it('a cancelled export stops at the next page', async () => {
    const store = new MemoryStore();
    await store.batch(
      COMPANY,
      Array.from({ length: 2500 }, (_, i) => ({ op: 'set' as const, ...FLOW, key: `k${i}`, value: i })),
    );
    const controller = new AbortController();
    const failure = await exportScope(store, COMPANY, FLOW, 2500, () => controller.abort(), controller.signal).catch(
      (error: unknown) => error,
    );
    expect(failure).toMatchObject({ name: 'AbortError' });
  });

  it('a picked file with a bad key name is refused with its line before anything is written', async () => {
    const store = new MemoryStore();
    const line = (key: string) => JSON.stringify({ scope: 'flow', scopeKey: 'bp-1', key, value: 1, valueType: 'json', expiresAt: null });
    const text = [line('fine'), '', line('not ok')].join('\n');
    expect(() => checkImportFile(text)).toThrow(ImportLineError);
    expect(() => checkImportFile(text)).toThrow(/^Line 3: Key 'not ok' has a space/);
    await expect(importKeys(store, COMPANY, text, 'upsert')).rejects.toMatchObject({ line: 3 });
    expect(await entries(store)).toEqual([]);
  });

  it('with Server storage the file goes to POST /api/kv/import in one request, and its 422 comes back naming the line', async () => {
    const requests: Array<{ url: string; init: RequestInit | undefined }> = [];
    vi.stubGlobal('location', { origin: 'http://127.0.0.1:8787' });
    vi.stubGlobal('fetch', async (url: string, init?: RequestInit) => {
      requests.push({ url, init });
      return new Response(JSON.stringify({ error: { code: 'too_large', message: 'Line 2: Value for key b is too large' } }), {
        status: 422,
        headers: { 'content-type': 'application/json' },
      });
    });
    const text = [JSON.stringify({ scope: 'global', key: 'a', value: 1 }), JSON.stringify({ scope: 'global', key: 'b', value: 2 })].join(
      '\n',
    );
    const failure = await importKeys(new HttpStore({ baseUrl: 'http://127.0.0.1:8787' }), COMPANY, text, 'create').catch(
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(ImportLineError);
    expect(failure).toMatchObject({ line: 2, code: 'too_large', message: 'Line 2: Value for key b is too large' });
    expect(requests).toHaveLength(1);
    expect(requests[0]!.url).toBe('http://127.0.0.1:8787/api/kv/import?mode=create');
    expect(requests[0]!.init).toMatchObject({ method: 'POST', body: text, headers: { 'content-type': 'application/x-ndjson' } });
  });
});
