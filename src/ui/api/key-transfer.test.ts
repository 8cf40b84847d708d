import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../kv/memory';
import type { KeyValueStore } from '../../kv/types';
import { exportScope, ImportLineError, importIntoStore, parseImport } from './key-transfer';

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

describe('export and import of stored keys as NDJSON', () => {
  it('an export imported into an empty store reproduces every entry, across pages, with its type and expiry', async () => {
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
    expect(JSON.parse(text.split('\n').find((line) => line.includes('"note"'))!)).toEqual({
      scope: 'flow',
      scopeKey: 'bp-1',
      key: 'note',
      value: 'plain text',
      valueType: 'text',
      expiresAt: null,
    });

    const target = new MemoryStore();
    expect(await importIntoStore(target, COMPANY, parseImport(text), 'upsert')).toEqual({ created: 1502, updated: 0, skipped: 0 });
    const [before, after] = [await entries(source), await entries(target)];
    const session = (list: typeof before) => list.find((entry) => entry.key === 'session')!;
    expect(Math.abs(Date.parse(session(after).expiresAt!) - Date.parse(session(before).expiresAt!))).toBeLessThan(5000);
    const withoutExpiry = (list: typeof before) => list.map((entry) => ({ ...entry, expiresAt: entry.expiresAt === null }));
    expect(withoutExpiry(after)).toEqual(withoutExpiry(before));
  });

  it('a bad line is refused with its line number and nothing is written', async () => {
    const store = new MemoryStore();
    const text = [
      JSON.stringify({ scope: 'flow', scopeKey: 'bp-1', key: 'a', value: 1, valueType: 'json', expiresAt: null }),
      '',
      JSON.stringify({ scope: 'flow', scopeKey: 'bp-1', key: 'bad key', value: 1, valueType: 'json', expiresAt: null }),
    ].join('\n');
    const failure = (() => {
      try {
        return parseImport(text);
      } catch (error) {
        return error;
      }
    })();
    expect(failure).toBeInstanceOf(ImportLineError);
    expect(failure).toMatchObject({ line: 3, message: expect.stringMatching(/^Line 3: Key 'bad key' has a space/) });
    expect(() => parseImport('{"scope":"flow",')).toThrow(/^Line 1: Invalid JSON at column 17/);
    expect(() => parseImport('[1]')).toThrow(/^Line 1: expected an object/);
    expect(() => parseImport('{"scope":"flow","key":"a","value":1}')).toThrow(/^Line 1: Scope 'flow' needs a scopeKey/);
    expect(await entries(store)).toEqual([]);
  });

  it('a line the store refuses names its line, and the lines before it are not written either', async () => {
    const inner = new MemoryStore();
    await inner.batch(COMPANY, [{ op: 'set', ...FLOW, key: 'b', value: 'there first' }]);
    // Key b is written by someone else between the import's check and its write.
    const racing: KeyValueStore = {
      kind: 'memory',
      batch: async (companyId, ops) =>
        ops.every((op) => op.op === 'get') ? ops.map(() => ({ op: 'get' as const, entry: null })) : inner.batch(companyId, ops),
      getById: (companyId, id) => inner.getById(companyId, id),
      deleteById: (companyId, id) => inner.deleteById(companyId, id),
      close: () => inner.close(),
    };
    const lines = parseImport(
      [
        JSON.stringify({ scope: 'flow', scopeKey: 'bp-1', key: 'a', value: 1 }),
        JSON.stringify({ scope: 'flow', scopeKey: 'bp-1', key: 'b', value: 2 }),
      ].join('\n'),
    );
    await expect(importIntoStore(racing, COMPANY, lines, 'create')).rejects.toMatchObject({
      line: 2,
      message: expect.stringContaining('nothing was imported'),
    });
    expect(await entries(inner)).toEqual([{ key: 'b', value: 'there first', valueType: 'text', expiresAt: null }]);
  });

  it('create mode leaves existing keys alone; expired lines and repeated keys are skipped', async () => {
    const store = new MemoryStore();
    await store.batch(COMPANY, [{ op: 'set', ...FLOW, key: 'kept', value: 'old' }]);
    const line = (key: string, value: number, expiresAt: string | null = null) =>
      JSON.stringify({ scope: 'flow', scopeKey: 'bp-1', key, value, valueType: 'json', expiresAt });
    const text = [line('kept', 1), line('new', 1), line('new', 2), line('gone', 1, '2000-01-01T00:00:00.000Z')].join('\n');
    expect(await importIntoStore(store, COMPANY, parseImport(text), 'create')).toEqual({ created: 1, updated: 0, skipped: 3 });
    expect(await entries(store)).toEqual([
      { key: 'kept', value: 'old', valueType: 'text', expiresAt: null },
      { key: 'new', value: 2, valueType: 'json', expiresAt: null },
    ]);
    expect(await importIntoStore(store, COMPANY, parseImport(line('kept', 5)), 'upsert')).toEqual({ created: 0, updated: 1, skipped: 0 });
  });
});
