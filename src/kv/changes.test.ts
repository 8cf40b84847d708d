import { describe, expect, it } from 'vitest';
import { ChangeRecorder, ChangesConflictError, applyChanges, type KeyChange } from './changes';
import { KvError } from './errors';
import { MemoryStore } from './memory';
import { OverlayStore } from './overlay';
import type { Entry, KvOp } from './types';

const C = 'acme';
const G = { scope: 'global' } as const;
const F = { scope: 'flow', scopeKey: 'bp-1' } as const;

async function seed(store: MemoryStore, values: Record<string, unknown>): Promise<void> {
  await store.batch(
    C,
    Object.entries(values).map(([key, value]): KvOp => ({ op: 'set', key, value: value as never, ...G })),
  );
}

async function all(store: MemoryStore): Promise<Array<Pick<Entry, 'key' | 'value' | 'version'>>> {
  const [result] = await store.batch(C, [{ op: 'list', ...G }]);
  return result?.op === 'list' ? result.entries.map(({ key, value, version }) => ({ key, value, version })) : [];
}

describe('ChangeRecorder', () => {
  it('lists one change per key written, sorted by scope, scopeKey and key, with before and after', async () => {
    const real = new MemoryStore();
    await seed(real, { counter: 5, gone: 'bye', same: 1 });
    const recorder = new ChangeRecorder(real);
    await recorder.batch(C, [{ op: 'increment', key: 'counter', ...G }]);
    await recorder.batch(C, [{ op: 'increment', key: 'counter', by: 2, ...G }]);
    await recorder.batch(C, [
      { op: 'delete', key: 'gone', ...G },
      { op: 'set', key: 'note', value: 'hi', ttlSeconds: 60, ...F },
      { op: 'get', key: 'same', ...G },
    ]);
    await recorder.batch(C, [
      { op: 'set', key: 'temp', value: 1, ...G },
      { op: 'delete', key: 'temp', ...G },
    ]);

    const changes = recorder.changes(C);
    expect(changes.map((c) => [c.scope, c.key, c.change])).toEqual([
      ['flow', 'note', 'created'],
      ['global', 'counter', 'updated'],
      ['global', 'gone', 'deleted'],
    ]);
    expect(changes[1]).toEqual({
      scope: 'global',
      scopeKey: '',
      key: 'counter',
      change: 'updated',
      before: { value: 5, valueType: 'json', version: 1 },
      after: { value: 8, valueType: 'json', expiresAt: null },
    });
    expect(changes[0]!.after).toMatchObject({ value: 'hi', valueType: 'text' });
    expect(changes[0]!.after!.expiresAt).toMatch(/^\d{4}-/);
    expect(changes[2]!.after).toBeNull();
  });

  it('gives results and error op indexes as if it were not there', async () => {
    const recorder = new ChangeRecorder(new MemoryStore());
    const results = await recorder.batch(C, [
      { op: 'get', key: 'a', ...G },
      { op: 'set', key: 'a', value: 1, ...G },
    ]);
    expect(results.map((r) => r.op)).toEqual(['get', 'set']);
    const failure = await recorder
      .batch(C, [
        { op: 'set', key: 'b', value: 1, ...G },
        { op: 'append', key: 'a', value: 2, ...G },
      ])
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(KvError);
    expect((failure as KvError).code).toBe('type_mismatch');
    expect((failure as KvError).opIndex).toBe(1);
    // The failed batch changed nothing, so b is not a change.
    expect(recorder.changes(C).map((c) => c.key)).toEqual(['a']);
  });

  it('over an overlay, records the sandbox changes while the real store stays as it was', async () => {
    const real = new MemoryStore();
    await seed(real, { counter: 1 });
    const before = await all(real);
    const recorder = new ChangeRecorder(new OverlayStore(real));
    await recorder.batch(C, [{ op: 'increment', key: 'counter', ...G }]);
    await recorder.batch(C, [{ op: 'listAdd', key: 'seen', value: 'id-1', ...G }]);
    expect(recorder.changes(C).map((c) => [c.key, c.change, c.after?.value])).toEqual([
      ['counter', 'updated', 2],
      ['seen', 'created', ['id-1']],
    ]);
    expect(await all(real)).toEqual(before);
  });
});

async function sandboxChanges(real: MemoryStore, ops: KvOp[]): Promise<KeyChange[]> {
  const recorder = new ChangeRecorder(new OverlayStore(real));
  await recorder.batch(C, ops);
  return recorder.changes(C);
}

describe('applyChanges', () => {
  it('writes created, updated and deleted keys as the sandbox left them', async () => {
    const real = new MemoryStore();
    await seed(real, { counter: 1, old: true });
    const changes = await sandboxChanges(real, [
      { op: 'increment', key: 'counter', by: 10, ...G },
      { op: 'delete', key: 'old', ...G },
      { op: 'set', key: 'fresh', value: { a: 1 }, ...G },
    ]);
    await applyChanges(real, C, changes);
    expect(await all(real)).toEqual([
      { key: 'counter', value: 11, version: 2 },
      { key: 'fresh', value: { a: 1 }, version: 1 },
    ]);
  });

  it('keeps a TTL the run gave', async () => {
    const real = new MemoryStore();
    const changes = await sandboxChanges(real, [{ op: 'set', key: 'cached', value: 'v', ttlSeconds: 3600, ...G }]);
    await applyChanges(real, C, changes);
    const [got] = await real.batch(C, [{ op: 'get', key: 'cached', ...G }]);
    const expiresAt = got?.op === 'get' ? got.entry?.expiresAt : null;
    expect(Date.parse(expiresAt!) - Date.now()).toBeGreaterThan(3590_000);
  });

  it('refuses with conflict, naming every key that moved, and writes nothing', async () => {
    const real = new MemoryStore();
    await seed(real, { counter: 1, config: 'a', untouched: 0 });
    const changes = await sandboxChanges(real, [
      { op: 'increment', key: 'counter', ...G },
      { op: 'set', key: 'config', value: 'b', ...G },
      { op: 'set', key: 'brand_new', value: 1, ...G },
      { op: 'set', key: 'untouched', value: 9, ...G },
    ]);
    // Another writer moves counter and creates brand_new meanwhile.
    await real.batch(C, [
      { op: 'increment', key: 'counter', ...G },
      { op: 'set', key: 'brand_new', value: 'theirs', ...G },
    ]);
    const moved = await all(real);

    const error = await applyChanges(real, C, changes).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChangesConflictError);
    expect((error as ChangesConflictError).code).toBe('conflict');
    expect((error as ChangesConflictError).moved.map((m) => [m.key, m.expectedVersion, m.currentVersion])).toEqual([
      ['brand_new', 0, 1],
      ['counter', 1, 2],
    ]);
    expect((error as Error).message).toContain('global:counter (was version 1, now version 2)');
    expect((error as Error).message).toContain('global:brand_new (was absent, now version 1)');
    expect(await all(real)).toEqual(moved);
  });

  it('a second apply of the same changes is a conflict', async () => {
    const real = new MemoryStore();
    const changes = await sandboxChanges(real, [{ op: 'set', key: 'k', value: 1, ...G }]);
    await applyChanges(real, C, changes);
    await expect(applyChanges(real, C, changes)).rejects.toMatchObject({ code: 'conflict' });
  });
});
