import { describe, expect, it } from 'vitest';
import { KvError } from '../../kv/errors';
import { MemoryStore } from '../../kv/memory';
import type { KeyValueStore, KvOp, KvOpResult, Scope } from '../../kv/types';
import { runBlueprint } from '../runner';
import type { KvData } from '../types';
import { makeDocument, makeNode, runSingle } from './test-kit';

async function stored(store: KeyValueStore, key: string, scope: Scope = 'flow', scopeKey = 'test-blueprint') {
  const [result] = await store.batch('default', [{ op: 'get', key, scope, scopeKey }]);
  return result?.op === 'get' ? result.entry : null;
}

async function seed(store: KeyValueStore, ops: KvOp[]) {
  await store.batch('default', ops);
}

function kv(data: KvData): KvData {
  return data;
}

describe('kv block: save', () => {
  it('writes a text value and returns { key, value, created, version }', async () => {
    const { step, store } = await runSingle('kv', kv({ action: 'save', key: 'greeting', value: 'hello @{input.name}' }), {
      input: { name: 'Ada' },
    });
    expect(step.outcome).toBe('success');
    expect(step.result).toEqual({ key: 'greeting', value: 'hello Ada', created: true, version: 1 });
    expect(step.writes).toEqual(['flow:greeting']);
    expect((await stored(store, 'greeting'))?.value).toBe('hello Ada');
  });

  it('parses a json value and stores its structure', async () => {
    const { step, store } = await runSingle(
      'kv',
      kv({ action: 'save', key: 'app_config', valueType: 'json', value: '{"features": {"darkMode": true}, "tags": @{input.tags}}' }),
      { input: { tags: ['a', 'b'] } },
    );
    expect(step.result).toEqual({
      key: 'app_config',
      value: { features: { darkMode: true }, tags: ['a', 'b'] },
      created: true,
      version: 1,
    });
    expect((await stored(store, 'app_config'))?.value).toEqual({ features: { darkMode: true }, tags: ['a', 'b'] });
  });

  it('a second upsert reports created false and the next version', async () => {
    const store = new MemoryStore();
    await runSingle('kv', kv({ action: 'save', key: 'k', value: 'one' }), { store });
    const { step } = await runSingle('kv', kv({ action: 'save', key: 'k', value: 'two' }), { store });
    expect(step.result).toEqual({ key: 'k', value: 'two', created: false, version: 2 });
  });

  it('mode create on an existing key takes the error out with already_exists', async () => {
    const store = new MemoryStore();
    await seed(store, [{ op: 'set', key: 'token', value: 'x', scope: 'flow', scopeKey: 'test-blueprint' }]);
    const { step } = await runSingle('kv', kv({ action: 'save', key: 'token', value: 'y', mode: 'create' }), { store });
    expect(step.outcome).toBe('error');
    expect(step.error?.code).toBe('already_exists');
    expect(step.writes).toEqual([]);
    expect((await stored(store, 'token'))?.value).toBe('x');
  });

  it('mode update on an absent key takes the error out with not_found', async () => {
    const { step, store } = await runSingle('kv', kv({ action: 'save', key: 'missing', value: 'y', mode: 'update' }));
    expect(step.error?.code).toBe('not_found');
    expect(await stored(store, 'missing')).toBeNull();
  });

  it('ttlSeconds (also as a placeholder) makes the key expire', async () => {
    let now = new Date('2030-01-01T00:00:00.000Z');
    const store = new MemoryStore({ now: () => now });
    const { step } = await runSingle('kv', kv({ action: 'save', key: 'session', value: 'x', ttlSeconds: '@{input.ttl}' }), {
      store,
      input: { ttl: 60 },
    });
    expect(step.outcome).toBe('success');
    expect((await stored(store, 'session'))?.expiresAt).toBe('2030-01-01T00:01:00.000Z');
    now = new Date('2030-01-01T00:01:01.000Z');
    const get = await runSingle('kv', kv({ action: 'get', key: 'session' }), { store });
    expect(get.step.error?.code).toBe('not_found');
  });

  it.each([['abc'], ['0'], [-5]])('a ttlSeconds of %j fails with invalid_value', async (ttlSeconds) => {
    const { step, store } = await runSingle('kv', kv({ action: 'save', key: 'k', value: 'x', ttlSeconds }));
    expect(step.error?.code).toBe('invalid_value');
    expect(step.error?.message).toContain('TTL (seconds)');
    expect(await stored(store, 'k')).toBeNull();
  });
});

describe('kv block: get', () => {
  it('returns the stored value with its structure intact', async () => {
    const store = new MemoryStore();
    const value = { tasks: [{ title: 'a', done: false }], meta: { n: 1 } };
    await seed(store, [{ op: 'set', key: 'plan', value, scope: 'flow', scopeKey: 'test-blueprint' }]);
    const { step } = await runSingle('kv', kv({ action: 'get', key: 'plan' }), { store });
    expect(step.outcome).toBe('success');
    expect(step.result).toEqual(value);
    expect(step.reads).toEqual(['flow:plan']);
    expect(step.writes).toEqual([]);
  });

  it('a missing key takes the error out with not_found naming the key and scope', async () => {
    const { step } = await runSingle('kv', kv({ action: 'get', key: 'analysis_result' }));
    expect(step.outcome).toBe('error');
    expect(step.result).toBeNull();
    expect(step.error).toEqual({ code: 'not_found', message: "Key 'analysis_result' not found in flow scope", nodeId: 'block' });
    expect(step.reads).toEqual(['flow:analysis_result']);
  });
});

describe('kv block: get with a default', () => {
  it('a missing key succeeds with the default, parsed as JSON with placeholders filled in', async () => {
    const { step } = await runSingle('kv', kv({ action: 'get', key: 'seen', default: '{"ids": [], "owner": @{input.who}}' }), {
      input: { who: 'ada' },
    });
    expect(step.outcome).toBe('success');
    expect(step.result).toEqual({ ids: [], owner: 'ada' });
    expect(step.writes).toEqual([]);
  });

  it('a present key gives the stored value, not the default', async () => {
    const store = new MemoryStore();
    await seed(store, [{ op: 'set', key: 'n', value: 5, scope: 'flow', scopeKey: 'test-blueprint' }]);
    expect((await runSingle('kv', kv({ action: 'get', key: 'n', default: '0' }), { store })).step.result).toBe(5);
  });

  it('an empty default is no default, and a default that does not parse fails with invalid_value', async () => {
    expect((await runSingle('kv', kv({ action: 'get', key: 'k', default: '  ' }))).step.error?.code).toBe('not_found');
    const { step } = await runSingle('kv', kv({ action: 'get', key: 'k', default: '{"a": ' }));
    expect(step.error?.code).toBe('invalid_value');
  });
});

describe('kv block: save with expectedVersion', () => {
  it('writes over the expected version and takes the error out with version_conflict otherwise', async () => {
    const store = new MemoryStore();
    const first = await runSingle('kv', kv({ action: 'save', key: 'doc', value: 'a', expectedVersion: 0 }), { store });
    expect(first.step.result).toEqual({ key: 'doc', value: 'a', created: true, version: 1 });
    const stale = await runSingle('kv', kv({ action: 'save', key: 'doc', value: 'b', expectedVersion: '@{input.v}' }), {
      store,
      input: { v: 0 },
    });
    expect(stale.step.error?.code).toBe('version_conflict');
    expect(stale.step.error?.message).toContain('version 1');
    expect(stale.step.writes).toEqual([]);
    const fresh = await runSingle('kv', kv({ action: 'save', key: 'doc', value: 'b', expectedVersion: 1 }), { store });
    expect(fresh.step.result).toEqual({ key: 'doc', value: 'b', created: false, version: 2 });
  });

  it.each([['-1'], ['1.5'], ['x']])('an expectedVersion of %j fails with invalid_value', async (expectedVersion) => {
    const { step, store } = await runSingle('kv', kv({ action: 'save', key: 'k', value: 'x', expectedVersion }));
    expect(step.error?.code).toBe('invalid_value');
    expect(step.error?.message).toContain('Expected version');
    expect(await stored(store, 'k')).toBeNull();
  });
});

describe('kv block: listAdd and listRemove', () => {
  it('adds an item once: the same item again takes the error out with already_exists (seen before)', async () => {
    const store = new MemoryStore();
    const data = kv({ action: 'listAdd', key: 'processed', valueType: 'json', value: '@{input.id}' });
    const first = await runSingle('kv', data, { store, input: { id: 41 } });
    expect(first.step.outcome).toBe('success');
    expect(first.step.result).toEqual([41]);
    expect(first.step.writes).toEqual(['flow:processed']);
    expect((await runSingle('kv', data, { store, input: { id: 42 } })).step.result).toEqual([41, 42]);
    const again = await runSingle('kv', data, { store, input: { id: 41 } });
    expect(again.step.outcome).toBe('error');
    expect(again.step.error?.code).toBe('already_exists');
    expect(again.step.writes).toEqual([]);
    expect((await stored(store, 'processed'))?.value).toEqual([41, 42]);
  });

  it('removes every equal item, and an item not there takes the error out with not_found', async () => {
    const store = new MemoryStore();
    await seed(store, [{ op: 'set', key: 'tags', value: ['a', 'b', 'a'], scope: 'global', scopeKey: '' }]);
    const removed = await runSingle('kv', kv({ action: 'listRemove', key: 'tags', value: 'a', scope: 'global' }), { store });
    expect(removed.step.result).toEqual(['b']);
    expect(removed.step.writes).toEqual(['global:tags']);
    const missing = await runSingle('kv', kv({ action: 'listRemove', key: 'tags', value: 'a', scope: 'global' }), { store });
    expect(missing.step.error?.code).toBe('not_found');
  });

  it('a stored value that is not a list takes the error out with type_mismatch', async () => {
    const store = new MemoryStore();
    await seed(store, [{ op: 'set', key: 'n', value: 3, scope: 'flow', scopeKey: 'test-blueprint' }]);
    const { step } = await runSingle('kv', kv({ action: 'listAdd', key: 'n', value: 'x' }), { store });
    expect(step.error?.code).toBe('type_mismatch');
  });
});

describe('kv block: delete', () => {
  it('removes the key and returns { key, deleted: true }', async () => {
    const store = new MemoryStore();
    await seed(store, [{ op: 'set', key: 'old', value: 1, scope: 'flow', scopeKey: 'test-blueprint' }]);
    const { step } = await runSingle('kv', kv({ action: 'delete', key: 'old' }), { store });
    expect(step.result).toEqual({ key: 'old', deleted: true });
    expect(step.writes).toEqual(['flow:old']);
    expect(await stored(store, 'old')).toBeNull();
  });

  it('deleting an absent key takes the error out with not_found', async () => {
    const { step } = await runSingle('kv', kv({ action: 'delete', key: 'ghost' }));
    expect(step.error).toEqual({ code: 'not_found', message: "Key 'ghost' not found in flow scope", nodeId: 'block' });
  });
});

describe('kv block: list', () => {
  async function listStore(keys: string[]) {
    const store = new MemoryStore();
    await seed(
      store,
      keys.map((key): KvOp => ({ op: 'set', key, value: 1, scope: 'flow', scopeKey: 'test-blueprint' })),
    );
    return store;
  }

  it('returns the key names of the scope, sorted', async () => {
    const store = await listStore(['b', 'a', 'c']);
    await seed(store, [{ op: 'set', key: 'other', value: 1, scope: 'global' }]);
    const { step } = await runSingle('kv', kv({ action: 'list' }), { store });
    expect(step.result).toEqual(['a', 'b', 'c']);
    expect(step.reads).toEqual(['flow:*']);
  });

  it('filters by prefix (placeholders allowed) and stops at limit', async () => {
    const store = await listStore(['user_3', 'user_1', 'user_2', 'order_1']);
    const { step } = await runSingle('kv', kv({ action: 'list', prefix: '@{input.kind}_', limit: 2 }), { store, input: { kind: 'user' } });
    expect(step.result).toEqual(['user_1', 'user_2']);
  });

  it('returns at most 1000 keys by default', async () => {
    const keys = Array.from({ length: 1001 }, (_, i) => `k${String(i).padStart(4, '0')}`);
    const store = await listStore(keys);
    const { step } = await runSingle('kv', kv({ action: 'list' }), { store });
    expect(step.result).toEqual(keys.slice(0, 1000));
  });

  it.each([[0], [1001], ['many'], [2.5]])('a limit of %j fails with invalid_value', async (limit) => {
    const { step } = await runSingle('kv', kv({ action: 'list', limit }));
    expect(step.error?.code).toBe('invalid_value');
  });
});

describe('kv block: append', () => {
  it('concatenates to stored text', async () => {
    const store = new MemoryStore();
    await seed(store, [{ op: 'set', key: 'log', value: 'a', scope: 'flow', scopeKey: 'test-blueprint' }]);
    const { step } = await runSingle('kv', kv({ action: 'append', key: 'log', value: ',b' }), { store });
    expect(step.result).toBe('a,b');
  });

  it('pushes onto a stored array', async () => {
    const store = new MemoryStore();
    await seed(store, [{ op: 'set', key: 'items', value: [1], scope: 'flow', scopeKey: 'test-blueprint' }]);
    const { step } = await runSingle('kv', kv({ action: 'append', key: 'items', valueType: 'json', value: '{"n": 2}' }), { store });
    expect(step.result).toEqual([1, { n: 2 }]);
    expect(step.writes).toEqual(['flow:items']);
  });

  it('creates [value] for json and the text for text when the key is absent', async () => {
    const json = await runSingle('kv', kv({ action: 'append', key: 'items', valueType: 'json', value: '7' }));
    expect(json.step.result).toEqual([7]);
    const text = await runSingle('kv', kv({ action: 'append', key: 'log', valueType: 'text', value: 'first' }));
    expect(text.step.result).toBe('first');
  });

  it.each([[{ a: 1 }], [5]])('appending to a stored %j takes the error out with type_mismatch', async (value) => {
    const store = new MemoryStore();
    await seed(store, [{ op: 'set', key: 'x', value, scope: 'flow', scopeKey: 'test-blueprint' }]);
    const { step } = await runSingle('kv', kv({ action: 'append', key: 'x', value: 'y' }), { store });
    expect(step.error?.code).toBe('type_mismatch');
  });
});

describe('kv block: increment', () => {
  it('starts an absent key at 0 and adds 1 by default', async () => {
    const { step } = await runSingle('kv', kv({ action: 'increment', key: 'visits' }));
    expect(step.result).toBe(1);
    expect(step.writes).toEqual(['flow:visits']);
  });

  it('adds `by` (a number or a placeholder) to a stored number or numeric string', async () => {
    const store = new MemoryStore();
    await seed(store, [
      { op: 'set', key: 'n', value: 10, scope: 'flow', scopeKey: 'test-blueprint' },
      { op: 'set', key: 's', value: '4', scope: 'flow', scopeKey: 'test-blueprint' },
    ]);
    expect((await runSingle('kv', kv({ action: 'increment', key: 'n', by: -3 }), { store })).step.result).toBe(7);
    expect(
      (await runSingle('kv', kv({ action: 'increment', key: 's', by: '@{input.step}' }), { store, input: { step: 5 } })).step.result,
    ).toBe(9);
  });

  it('a non-numeric stored value takes the error out with type_mismatch', async () => {
    const store = new MemoryStore();
    await seed(store, [{ op: 'set', key: 'name', value: 'ada', scope: 'flow', scopeKey: 'test-blueprint' }]);
    const { step } = await runSingle('kv', kv({ action: 'increment', key: 'name' }), { store });
    expect(step.error?.code).toBe('type_mismatch');
  });

  it('a `by` that is not a number fails with invalid_value', async () => {
    const { step } = await runSingle('kv', kv({ action: 'increment', key: 'n', by: 'lots' }));
    expect(step.error?.code).toBe('invalid_value');
  });

  it('100 concurrent runs add exactly 100', async () => {
    const store = new MemoryStore();
    const document = makeDocument([makeNode('inc', 'kv', { action: 'increment', key: 'ctr' })], ['start.success>inc']);
    await Promise.all(Array.from({ length: 100 }, () => runBlueprint(document, { store })));
    expect((await stored(store, 'ctr'))?.value).toBe(100);
  });
});

describe('kv block: common errors', () => {
  it('checks the key after placeholders are filled, and the message shows the key', async () => {
    const { step } = await runSingle('kv', kv({ action: 'get', key: 'user @{input.name}' }), { input: { name: 'ada' } });
    expect(step.error?.code).toBe('invalid_key');
    expect(step.error?.message).toContain("'user ada'");
    expect(step.reads).toEqual([]);
  });

  it('a key built from placeholders is fine when the filled key is valid', async () => {
    const { step } = await runSingle('kv', kv({ action: 'save', key: 'processed-@{input.id}', value: 'x' }), { input: { id: 42 } });
    expect(step.result).toMatchObject({ key: 'processed-42' });
  });

  it.each([[''], ['a'.repeat(257)], ['a/b']])('key %j fails with invalid_key', async (key) => {
    const { step } = await runSingle('kv', kv({ action: 'save', key, value: 'x' }));
    expect(step.error?.code).toBe('invalid_key');
  });

  it('a bad key is the error reported even when the value is also wrong', async () => {
    const badJson = await runSingle('kv', kv({ action: 'save', key: 'my key', valueType: 'json', value: '{"a":' }));
    expect(badJson.step.error).toMatchObject({ code: 'invalid_key', message: expect.stringContaining("'my key'") });
    const tooLarge = await runSingle('kv', kv({ action: 'append', key: 'a/b', value: '@{input.blob}' }), {
      input: { blob: 'x'.repeat(1024 * 1024) },
    });
    expect(tooLarge.step.error?.code).toBe('invalid_key');
  });

  it('a key placeholder that gives an object fails with invalid_key', async () => {
    const { step } = await runSingle('kv', kv({ action: 'get', key: '@{input}' }), { input: { a: 1 } });
    expect(step.error?.code).toBe('invalid_key');
  });

  it('json that does not parse fails with invalid_value saying where', async () => {
    const { step, store } = await runSingle('kv', kv({ action: 'save', key: 'k', valueType: 'json', value: '{\n  "a": 1,\n}' }));
    expect(step.error?.code).toBe('invalid_value');
    expect(step.error?.message).toMatch(/line 3, column 1/);
    expect(await stored(store, 'k')).toBeNull();
  });

  it('a value over 1 MiB as JSON fails with too_large', async () => {
    const { step } = await runSingle('kv', kv({ action: 'save', key: 'big', value: '@{input.blob}' }), {
      input: { blob: 'x'.repeat(1024 * 1024) },
    });
    expect(step.error?.code).toBe('too_large');
  });

  it('a placeholder that does not resolve fails with expression', async () => {
    const { step } = await runSingle('kv', kv({ action: 'get', key: '@{input.missing}' }), { input: {} });
    expect(step.error?.code).toBe('expression');
    expect(step.error?.message).toContain('missing');
  });

  it('flow_group in a blueprint without groupId is a run-time invalid_scope error of the block', async () => {
    const store = new MemoryStore();
    const document = makeDocument(
      [
        makeNode('save', 'kv', { action: 'save', key: 'k', value: 'x', scope: 'flow_group' }),
        makeNode('fallback', 'output', { value: '@{error.code}' }),
      ],
      ['start.success>save', 'save.error>fallback'],
    );
    const record = await runBlueprint(document, { store });
    expect(record.status).toBe('succeeded');
    expect(record.steps[1]?.error?.code).toBe('invalid_scope');
    expect(record.outputs).toEqual(['invalid_scope']);
  });

  it('writes flow_group under the groupId and global under the empty scope key', async () => {
    const store = new MemoryStore();
    await runSingle('kv', kv({ action: 'save', key: 'g', value: 'group', scope: 'flow_group' }), { store, groupId: 'analytics' });
    await runSingle('kv', kv({ action: 'save', key: 'w', value: 'world', scope: 'global' }), { store });
    expect((await stored(store, 'g', 'flow_group', 'analytics'))?.value).toBe('group');
    expect((await stored(store, 'w', 'global', ''))?.value).toBe('world');
    expect(await stored(store, 'g')).toBeNull();
  });

  it('a store that throws something other than a KvError gives code store', async () => {
    const broken: KeyValueStore = {
      kind: 'broken',
      batch: async () => {
        throw new Error('connection refused');
      },
      getById: async () => null,
      deleteById: async () => false,
      close: async () => {},
    };
    const { step } = await runSingle('kv', kv({ action: 'get', key: 'k' }), { store: broken });
    expect(step.error?.code).toBe('store');
    expect(step.error?.message).toContain('connection refused');
  });

  it('a KvError from the store keeps its code', async () => {
    const full: KeyValueStore = {
      kind: 'full',
      batch: async (): Promise<KvOpResult[]> => {
        throw new KvError('quota', 'The storage quota is full');
      },
      getById: async () => null,
      deleteById: async () => false,
      close: async () => {},
    };
    const { step } = await runSingle('kv', kv({ action: 'save', key: 'k', value: 'v' }), { store: full });
    expect(step.error).toEqual({ code: 'quota', message: 'The storage quota is full', nodeId: 'block' });
  });

  it('acts for companyId default unless told otherwise', async () => {
    const store = new MemoryStore();
    await runSingle('kv', kv({ action: 'save', key: 'k', value: 'mine' }), { store, companyId: 'acme' });
    expect(await stored(store, 'k')).toBeNull();
    const [acme] = await store.batch('acme', [{ op: 'get', key: 'k', scope: 'flow', scopeKey: 'test-blueprint' }]);
    expect(acme?.op === 'get' && acme.entry?.value).toBe('mine');
    await runSingle('kv', kv({ action: 'save', key: 'k', value: 'default' }), { store });
    expect((await stored(store, 'k'))?.value).toBe('default');
  });
});
