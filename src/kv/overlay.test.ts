import { describe, expect, it } from 'vitest';
import { MemoryStore } from './memory';
import { OverlayStore } from './overlay';
import type { Entry, KvOp, KvOpResult } from './types';

const C = 'acme';
const G = { scope: 'global' } as const;

async function seeded(keys: Record<string, unknown>): Promise<{ base: MemoryStore; overlay: OverlayStore }> {
  const base = new MemoryStore();
  const ops = Object.entries(keys).map(([key, value]): KvOp => ({ op: 'set', key, value: value as never, ...G }));
  if (ops.length > 0) await base.batch(C, ops);
  return { base, overlay: new OverlayStore(base) };
}

async function one(store: { batch(c: string, ops: KvOp[]): Promise<KvOpResult[]> }, op: KvOp): Promise<KvOpResult> {
  return (await store.batch(C, [op]))[0]!;
}

async function everything(store: MemoryStore): Promise<Entry[]> {
  const result = await one(store, { op: 'list', ...G });
  return result.op === 'list' ? result.entries : [];
}

describe('OverlayStore over a store that holds data', () => {
  it('reads the real rows and writes only into the overlay', async () => {
    const { base, overlay } = await seeded({ counter: 41, name: 'Ada', old: true });
    const before = await everything(base);

    const inc = await one(overlay, { op: 'increment', key: 'counter', ...G });
    expect(inc.op === 'increment' && inc.entry.value).toBe(42);
    expect(inc.op === 'increment' && inc.entry.version).toBe(2);
    await one(overlay, { op: 'append', key: 'name', value: ' Lovelace', ...G });
    await one(overlay, { op: 'delete', key: 'old', ...G });
    await one(overlay, { op: 'set', key: 'fresh', value: [1], ...G });

    const seen = await one(overlay, { op: 'list', ...G });
    expect(seen.op === 'list' && seen.entries.map((e) => [e.key, e.value])).toEqual([
      ['counter', 42],
      ['fresh', [1]],
      ['name', 'Ada Lovelace'],
    ]);
    expect(await everything(base)).toEqual(before);
  });

  it('sees its own delete as absent, and a create after it starts at version 1', async () => {
    const { overlay } = await seeded({ k: 'real' });
    await one(overlay, { op: 'delete', key: 'k', ...G });
    expect(await one(overlay, { op: 'get', key: 'k', ...G })).toEqual({ op: 'get', entry: null });
    const again = await one(overlay, { op: 'set', key: 'k', value: 'new', mode: 'create', ...G });
    expect(again.op === 'set' && [again.created, again.entry.version]).toEqual([true, 1]);
  });

  it('pages a list through real and overlay rows without gaps or repeats', async () => {
    const seed: Record<string, unknown> = {};
    for (let i = 0; i < 30; i += 2) seed[`k${String(i).padStart(2, '0')}`] = i;
    const { overlay } = await seeded(seed);
    const ops: KvOp[] = [];
    for (let i = 1; i < 30; i += 2) ops.push({ op: 'set', key: `k${String(i).padStart(2, '0')}`, value: i, ...G });
    ops.push({ op: 'delete', key: 'k00', ...G }, { op: 'delete', key: 'k02', ...G });
    await overlay.batch(C, ops);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await one(overlay, { op: 'list', limit: 4, cursor, ...G });
      if (page.op !== 'list') throw new Error('not a list');
      seen.push(...page.entries.map((e) => e.key));
      cursor = page.nextCursor;
    } while (cursor !== null);
    const expected = Array.from({ length: 30 }, (_, i) => `k${String(i).padStart(2, '0')}`).filter((k) => k !== 'k00' && k !== 'k02');
    expect(seen).toEqual(expected);
  });

  it('counts keys with the overlay laid over the real names', async () => {
    const { overlay } = await seeded({ a1: 1, a2: 2, a3: 3, b1: 4 });
    await overlay.batch(C, [
      { op: 'delete', key: 'a1', ...G },
      { op: 'set', key: 'a2', value: 'changed', ...G },
      { op: 'set', key: 'a4', value: 4, ...G },
      { op: 'delete', key: 'a9', ...G },
    ]);
    const keys = await one(overlay, { op: 'keys', prefix: 'a', limit: 2, ...G });
    expect(keys).toEqual({ op: 'keys', keys: ['a2', 'a3'], total: 3, nextCursor: 'a3' });
    const rest = await one(overlay, { op: 'keys', prefix: 'a', cursor: 'a3', ...G });
    expect(rest).toEqual({ op: 'keys', keys: ['a4'], total: 3, nextCursor: null });
  });

  it('hides a real row it deleted from getById and deleteById, and finds its own rows by id', async () => {
    const { base, overlay } = await seeded({ gone: 1, kept: 2 });
    const [gone, kept] = await everything(base);
    await one(overlay, { op: 'delete', key: 'gone', ...G });
    expect(await overlay.getById(C, gone!.id)).toBeNull();
    expect(await overlay.deleteById(C, gone!.id)).toBe(false);
    expect(await overlay.getById(C, kept!.id)).toEqual(kept);
    expect(await overlay.deleteById(C, kept!.id)).toBe(true);
    expect(await overlay.getById(C, kept!.id)).toBeNull();
    expect(await everything(base)).toHaveLength(2);
  });

  it('keeps each company apart and lists what it holds for one', async () => {
    const { overlay } = await seeded({});
    await overlay.batch(C, [{ op: 'set', key: 'x', value: 1, ...G }]);
    await overlay.batch('other', [{ op: 'set', key: 'y', value: 2, ...G }]);
    expect(overlay.rowsOf(C).map((row) => row.key)).toEqual(['x']);
    expect(await one(overlay, { op: 'get', key: 'y', ...G })).toEqual({ op: 'get', entry: null });
  });
});
