import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../kv/memory';
import type { Entry } from '../kv/types';
import { makeDocument, makeNode } from './blocks/test-kit';
import { runBlueprint } from './runner';

const C = 'default';

/** start → increment hits twice → delete old → save greeting → output of hits read back. */
const counterDocument = makeDocument(
  [
    makeNode('inc1', 'kv', { action: 'increment', key: 'hits', scope: 'global' }, { x: 0, y: 0 }),
    makeNode('inc2', 'kv', { action: 'increment', key: 'hits', scope: 'global' }, { x: 200, y: 0 }),
    makeNode('drop', 'kv', { action: 'delete', key: 'old', scope: 'global' }, { x: 400, y: 0 }),
    makeNode('save', 'kv', { action: 'save', key: 'greeting', value: 'hello', scope: 'flow' }, { x: 600, y: 0 }),
    makeNode('read', 'kv', { action: 'get', key: 'hits', scope: 'global' }, { x: 800, y: 0 }),
    makeNode('out', 'output', { value: '@{result}' }, { x: 1000, y: 0 }),
  ],
  ['start.success>inc1', 'inc1.success>inc2', 'inc2.success>drop', 'drop.success>save', 'save.success>read', 'read.success>out'],
  { id: 'bp-counter' },
);

async function seededStore(): Promise<MemoryStore> {
  const store = new MemoryStore();
  await store.batch(C, [
    { op: 'set', key: 'hits', value: 10, scope: 'global' },
    { op: 'set', key: 'old', value: 'x', scope: 'global' },
  ]);
  return store;
}

async function rows(store: MemoryStore): Promise<Entry[]> {
  const results = await store.batch(C, [
    { op: 'list', scope: 'global' },
    { op: 'list', scope: 'flow', scopeKey: 'bp-counter' },
  ]);
  return results.flatMap((r) => (r.op === 'list' ? r.entries : []));
}

describe('sandbox runs', () => {
  it('see their own writes, leave the store as it was and list the changes', async () => {
    const store = await seededStore();
    const before = await rows(store);
    const record = await runBlueprint(counterDocument, { store, sandbox: true });
    expect(record.status).toBe('succeeded');
    expect(record.outputs).toEqual([12]);
    expect(record.sandbox).toBe(true);
    expect(await rows(store)).toEqual(before);
    expect(record.changes?.map((c) => [c.scope, c.key, c.change, c.before?.value ?? null, c.after?.value ?? null])).toEqual([
      ['flow', 'greeting', 'created', null, 'hello'],
      ['global', 'hits', 'updated', 10, 12],
      ['global', 'old', 'deleted', 'x', null],
    ]);
  });

  it('two sandbox runs do not see each other', async () => {
    const store = await seededStore();
    await runBlueprint(counterDocument, { store, sandbox: true });
    const second = await runBlueprint(counterDocument, { store, sandbox: true });
    expect(second.outputs).toEqual([12]);
  });
});

describe('live runs', () => {
  it('write to the store and list the same changes, without sandbox', async () => {
    const store = await seededStore();
    const record = await runBlueprint(counterDocument, { store });
    expect(record.sandbox).toBeUndefined();
    expect(record.changes?.map((c) => [c.key, c.change, c.before?.version ?? 0])).toEqual([
      ['greeting', 'created', 0],
      ['hits', 'updated', 1],
      ['old', 'deleted', 1],
    ]);
    expect((await rows(store)).map((e) => [e.key, e.value])).toEqual([
      ['hits', 12],
      ['greeting', 'hello'],
    ]);
  });

  it('list no changes when they only read, and cut the list at maxChanges', async () => {
    const reader = makeDocument([makeNode('read', 'kv', { action: 'get', key: 'hits', scope: 'global' })], ['start.success>read']);
    expect((await runBlueprint(reader, { store: await seededStore() })).changes).toEqual([]);
    const record = await runBlueprint(counterDocument, { store: await seededStore(), maxChanges: 1 });
    expect(record.changes?.map((c) => c.key)).toEqual(['greeting']);
    expect(record.changesOmitted).toBe(2);
  });
});
