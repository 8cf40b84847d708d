import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../kv/memory';
import type { JsonValue, KeyValueStore, KvOp, Scope } from '../kv/types';
import { makeDocument, makeNode } from './blocks/test-kit';
import { KvAccess, type KvTrace } from './kv-access';
import { runBlueprint } from './runner';
import type { BlueprintSettings, KvConflict } from './types';

const BLUEPRINT = { id: 'agent-1', groupId: 'team' };

function trace(): KvTrace {
  return { reads: [], writes: [] };
}

/** A store seeded with `key` in the given scopes of BLUEPRINT. */
async function seeded(values: Partial<Record<Scope, JsonValue>>, key = 'cfg'): Promise<MemoryStore> {
  const store = new MemoryStore();
  const scopeKeys: Record<Scope, string> = { flow: BLUEPRINT.id, flow_group: BLUEPRINT.groupId, global: '' };
  const ops = Object.entries(values).map(([scope, value]): KvOp => ({
    op: 'set',
    key,
    value: value!,
    scope: scope as Scope,
    scopeKey: scopeKeys[scope as Scope],
  }));
  await store.batch('default', ops);
  return store;
}

function access(
  store: KeyValueStore,
  settings: Partial<BlueprintSettings>,
  blueprint: { id: string; groupId?: string } = BLUEPRINT,
): KvAccess {
  return new KvAccess({ store, blueprint, settings: { kvInherit: false, kvConflict: 'child', ...settings } });
}

describe('KvAccess scope keys', () => {
  it('maps flow to the blueprint id, flow_group to the groupId and global to ""', () => {
    const kv = access(new MemoryStore(), {});
    expect(kv.scopeKeyOf('flow')).toBe('agent-1');
    expect(kv.scopeKeyOf('flow_group')).toBe('team');
    expect(kv.scopeKeyOf('global')).toBe('');
  });

  it('refuses flow_group without a groupId with invalid_scope', () => {
    const kv = access(new MemoryStore(), {}, { id: 'solo' });
    expect(() => kv.scopeKeyOf('flow_group')).toThrow(expect.objectContaining({ code: 'invalid_scope' }));
  });

  it('uses companyId default unless given one', () => {
    expect(access(new MemoryStore(), {}).companyId).toBe('default');
    expect(
      new KvAccess({
        store: new MemoryStore(),
        companyId: 'acme',
        blueprint: BLUEPRINT,
        settings: { kvInherit: false, kvConflict: 'child' },
      }).companyId,
    ).toBe('acme');
  });
});

describe('KvAccess reads without inheritance', () => {
  it("reads only the block's own scope", async () => {
    const store = await seeded({ flow_group: 'group', global: 'global' });
    const t = trace();
    expect(await access(store, { kvInherit: false }).read('flow', 'cfg', t)).toEqual({ found: false });
    expect(t.reads).toEqual(['flow:cfg']);
    expect(await access(store, { kvInherit: false }).read('flow_group', 'cfg', trace())).toEqual({ found: true, value: 'group' });
  });

  it("lists only the block's own scope", async () => {
    const store = await seeded({ flow: 1, global: 2 }, 'a');
    await store.batch('default', [{ op: 'set', key: 'b', value: 1, scope: 'global' }]);
    expect(await access(store, {}).list('flow', { prefix: '', limit: 1000 }, trace())).toEqual(['a']);
  });
});

describe('KvAccess reads with inheritance', () => {
  const read = async (values: Partial<Record<Scope, JsonValue>>, kvConflict: KvConflict, scope: Scope = 'flow', blueprint = BLUEPRINT) =>
    access(await seeded(values), { kvInherit: true, kvConflict }, blueprint).read(scope, 'cfg', trace());

  it('falls back from flow to flow_group to global', async () => {
    expect(await read({ flow_group: 'group', global: 'global' }, 'child')).toEqual({ found: true, value: 'group' });
    expect(await read({ global: 'global' }, 'child')).toEqual({ found: true, value: 'global' });
    expect(await read({}, 'child')).toEqual({ found: false });
  });

  it('child: the most specific scope wins', async () => {
    expect(await read({ flow: 'flow', flow_group: 'group', global: 'global' }, 'child')).toEqual({ found: true, value: 'flow' });
  });

  it('parent: the least specific scope wins', async () => {
    expect(await read({ flow: 'flow', flow_group: 'group', global: 'global' }, 'parent')).toEqual({ found: true, value: 'global' });
    expect(await read({ flow: 'flow', flow_group: 'group' }, 'parent')).toEqual({ found: true, value: 'group' });
  });

  it('merge: deep-merges objects from global down to flow, the more specific winning leaf by leaf', async () => {
    const value = await read(
      {
        global: { theme: { name: 'light', accent: 'blue' }, limits: { max: 10 }, only: 'global' },
        flow_group: { theme: { accent: 'green' }, limits: { max: 20, min: 1 } },
        flow: { theme: { name: 'dark' }, limits: 5 },
      },
      'merge',
    );
    expect(value).toEqual({ found: true, value: { theme: { name: 'dark', accent: 'green' }, limits: 5, only: 'global' } });
  });

  it('merge: when any of the values is not an object, the most specific wins', async () => {
    expect(await read({ flow: [1, 2], global: { a: 1 } }, 'merge')).toEqual({ found: true, value: [1, 2] });
    expect(await read({ flow: { a: 1 }, global: 'text' }, 'merge')).toEqual({ found: true, value: { a: 1 } });
  });

  it('merge keeps a "__proto__" key as a plain key', async () => {
    const parsed = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as JsonValue;
    const result = await read({ flow: parsed, global: { b: 2 } }, 'merge');
    expect(result.found && Object.keys(result.value as object).sort()).toEqual(['__proto__', 'a', 'b']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('a flow_group read climbs to global only', async () => {
    expect(await read({ flow: 'flow', global: 'global' }, 'child', 'flow_group')).toEqual({ found: true, value: 'global' });
  });

  it('a global read has no parents', async () => {
    expect(await read({ flow: 'flow' }, 'child', 'global')).toEqual({ found: false });
  });

  it('a flow read in a blueprint without a group climbs straight to global', async () => {
    const store = await seeded({ global: 'global' });
    const t = trace();
    expect(await access(store, { kvInherit: true }, { id: 'agent-1' }).read('flow', 'cfg', t)).toEqual({ found: true, value: 'global' });
    expect(t.reads).toEqual(['flow:cfg', 'global:cfg']);
  });

  it('records every scope it consulted, and reads them all in one store batch', async () => {
    const store = await seeded({ global: 1 });
    let batches = 0;
    const counting: KeyValueStore = {
      kind: 'counting',
      batch: (companyId, ops) => {
        batches++;
        return store.batch(companyId, ops);
      },
      getById: (companyId, id) => store.getById(companyId, id),
      deleteById: (companyId, id) => store.deleteById(companyId, id),
      close: () => store.close(),
    };
    const t = trace();
    await access(counting, { kvInherit: true }).read('flow', 'cfg', t);
    expect(batches).toBe(1);
    expect(t.reads).toEqual(['flow:cfg', 'flow_group:cfg', 'global:cfg']);
    await access(counting, { kvInherit: true }).list('flow', { prefix: '', limit: 10 }, t);
    expect(batches).toBe(2);
  });

  it('list returns the sorted union of keys, up to the limit', async () => {
    const store = new MemoryStore();
    await store.batch('default', [
      { op: 'set', key: 'b', value: 1, scope: 'flow', scopeKey: 'agent-1' },
      { op: 'set', key: 'd', value: 1, scope: 'flow', scopeKey: 'agent-1' },
      { op: 'set', key: 'a', value: 1, scope: 'flow_group', scopeKey: 'team' },
      { op: 'set', key: 'b', value: 1, scope: 'global' },
      { op: 'set', key: 'c', value: 1, scope: 'global' },
      { op: 'set', key: 'x', value: 1, scope: 'flow', scopeKey: 'other-agent' },
    ]);
    const kv = access(store, { kvInherit: true });
    expect(await kv.list('flow', { prefix: '', limit: 1000 }, trace())).toEqual(['a', 'b', 'c', 'd']);
    expect(await kv.list('flow', { prefix: '', limit: 2 }, trace())).toEqual(['a', 'b']);
  });
});

describe("writes touch only the block's own scope", () => {
  it('a save at flow with inheritance on leaves the parent scopes alone', async () => {
    const store = await seeded({ global: 'global' });
    const kv = access(store, { kvInherit: true });
    await kv.save('flow', 'cfg', 'flow', { valueType: 'text', mode: 'upsert', ttlSeconds: null }, trace());
    const [global] = await store.batch('default', [{ op: 'get', key: 'cfg', scope: 'global' }]);
    expect(global?.op === 'get' && global.entry?.value).toBe('global');
  });

  it('a delete at flow does not reach an inherited key, and reports it absent', async () => {
    const store = await seeded({ global: 'global' });
    const kv = access(store, { kvInherit: true });
    expect(await kv.remove('flow', 'cfg', trace())).toBe(false);
    expect(await kv.read('flow', 'cfg', trace())).toEqual({ found: true, value: 'global' });
  });
});

describe('inheritance through blocks and expressions', () => {
  it('a get block follows kvInherit and names the parent scopes when nothing is found', async () => {
    const store = new MemoryStore();
    const document = makeDocument([makeNode('get', 'kv', { action: 'get', key: 'cfg' })], ['start.success>get'], {
      id: 'agent-1',
      groupId: 'team',
      settings: { kvInherit: true },
    });
    const missing = await runBlueprint(document, { store });
    expect(missing.error).toEqual({
      code: 'not_found',
      message: "Key 'cfg' not found in flow scope, nor in its parent scopes (flow_group, global)",
      nodeId: 'get',
    });
    await store.batch('default', [{ op: 'set', key: 'cfg', value: { from: 'group' }, scope: 'flow_group', scopeKey: 'team' }]);
    const found = await runBlueprint(document, { store });
    expect(found.steps[1]).toMatchObject({
      outcome: 'success',
      result: { from: 'group' },
      reads: ['flow:cfg', 'flow_group:cfg', 'global:cfg'],
    });
  });

  it('@{kv.*} follows inheritance; @{kvGroup.*} and @{kvGlobal.*} read their scopes', async () => {
    const store = await seeded({ flow_group: { v: 'group' }, global: { v: 'global', w: 'only-global' } });
    const document = makeDocument(
      [makeNode('out', 'output', { value: '@{kv.cfg.v} @{kv.cfg.w} @{kvGroup.cfg.v} @{kvGlobal.cfg.v}' })],
      ['start.success>out'],
      { id: 'agent-1', groupId: 'team', settings: { kvInherit: true, kvConflict: 'merge' } },
    );
    const record = await runBlueprint(document, { store });
    expect(record.outputs).toEqual(['group only-global group global']);
    expect(record.steps[1]!.reads).toContain('flow:cfg');
    expect(record.steps[1]!.reads).toContain('global:cfg');
  });

  it('@{kv.*} without inheritance does not see a global key', async () => {
    const store = await seeded({ global: 'global' });
    const document = makeDocument([makeNode('out', 'output', { value: '@{kv.cfg}' })], ['start.success>out'], { id: 'agent-1' });
    const record = await runBlueprint(document, { store });
    expect(record.error).toMatchObject({ code: 'expression', nodeId: 'out' });
  });

  it('@{kvGroup.*} in a blueprint without a group fails with invalid_scope', async () => {
    const document = makeDocument([makeNode('t', 'transform', { value: '@{kvGroup.cfg}' })], ['start.success>t'], { id: 'agent-1' });
    const record = await runBlueprint(document, { store: new MemoryStore() });
    expect(record.error).toMatchObject({ code: 'invalid_scope', nodeId: 't' });
  });
});
