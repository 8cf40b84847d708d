import { describe, expect, it } from 'vitest';
import { BLOCK_MANIFESTS, BLOCK_TYPES, PALETTE, appearanceOf, defaultTitleOf, outsOf } from './index';
import { MemoryStore } from '../../kv/memory';
import { runBlueprint } from '../runner';
import { makeDocument, makeNode, runSingle } from './test-kit';
import type { ConditionOperator } from '../types';

describe('block registry', () => {
  it('lists the palette entries in the stable order with kv actions preset', () => {
    expect(PALETTE.map((entry) => entry.label)).toEqual([
      'Start',
      'Save key',
      'Get key',
      'Delete key',
      'List keys',
      'Append to key',
      'Increment key',
      'Add to list',
      'Remove from list',
      'Code',
      'Set state',
      'Transform',
      'Condition',
      'Output',
    ]);
    const kvEntries = PALETTE.filter((entry) => entry.type === 'kv').map((entry) => entry.data.action);
    expect(kvEntries).toEqual(['save', 'get', 'delete', 'list', 'append', 'increment', 'listAdd', 'listRemove']);
    expect(PALETTE.map((entry) => entry.group)).toEqual([
      'Flow',
      ...Array(8).fill('Key-Value Storage'),
      'Logic',
      'Logic',
      'Logic',
      'Logic',
      'Logic',
    ]);
  });

  it('lists the block types in the order of the manifest list', () => {
    expect(BLOCK_TYPES).toEqual(['start', 'kv', 'code', 'setState', 'transform', 'condition', 'output']);
  });

  it('every palette preset is data its block schema accepts', () => {
    for (const entry of PALETTE) {
      expect(BLOCK_MANIFESTS[entry.type].schema.safeParse(entry.data).success, entry.label).toBe(true);
    }
  });

  it('names and draws a block like the palette preset it matches', () => {
    expect(defaultTitleOf('kv', { action: 'increment' })).toBe('Increment key');
    expect(defaultTitleOf('kv', { action: 'nonsense' })).toBe('Key-Value Storage');
    expect(defaultTitleOf('condition', { left: 'x', operator: 'exists' })).toBe('Condition');
    expect(appearanceOf('kv', { action: 'save' })).toEqual({ glyph: '⤓', color: '#0ea5e9' });
    expect(appearanceOf('kv', { action: 'delete' })).toEqual({ glyph: '✕', color: '#0ea5e9' });
    // A kv block without a known action is drawn as a read, as before presets carried icons.
    expect(appearanceOf('kv', {})).toEqual({ glyph: '⤒', color: '#0ea5e9' });
    expect(appearanceOf('start', {})).toEqual({ glyph: '▶', color: '#6366f1' });
    expect(appearanceOf('condition', {})).toEqual({ glyph: '◇', color: '#f59e0b' });
  });

  it('gives each block type the outs of docs/blocks.md', () => {
    expect(outsOf('start')).toEqual(['success']);
    expect(outsOf('kv')).toEqual(['success', 'error']);
    expect(outsOf('setState')).toEqual(['success', 'error']);
    expect(outsOf('transform')).toEqual(['success', 'error']);
    expect(outsOf('condition')).toEqual(['true', 'false', 'error']);
    expect(outsOf('output')).toEqual(['success']);
  });

  it('labels the kv inspector fields with the stable names', () => {
    expect(BLOCK_MANIFESTS.kv.fields.map((field) => field.label)).toEqual([
      'Action',
      'Key',
      'Value type',
      'Value',
      'Scope',
      'Mode',
      'TTL (seconds)',
      'Expected version',
      'Default',
      'Prefix',
      'Limit',
      'By',
    ]);
    expect(BLOCK_MANIFESTS.condition.fields.map((field) => field.label)).toEqual(['Left', 'Operator', 'Right']);
    expect(BLOCK_MANIFESTS.setState.fields.map((field) => field.label)).toEqual(['Path', 'Value type', 'Value']);
    expect(BLOCK_MANIFESTS.start.fields.map((field) => field.label)).toEqual(['Sample input']);
  });

  it('shows each kv field only for the actions that use it', () => {
    const visibleFor = (action: string) =>
      BLOCK_MANIFESTS.kv.fields.filter((field) => !field.visible || field.visible({ action })).map((field) => field.label);
    expect(visibleFor('save')).toEqual(['Action', 'Key', 'Value type', 'Value', 'Scope', 'Mode', 'TTL (seconds)', 'Expected version']);
    expect(visibleFor('get')).toEqual(['Action', 'Key', 'Scope', 'Default']);
    expect(visibleFor('delete')).toEqual(['Action', 'Key', 'Scope']);
    expect(visibleFor('list')).toEqual(['Action', 'Scope', 'Prefix', 'Limit']);
    expect(visibleFor('append')).toEqual(['Action', 'Key', 'Value type', 'Value', 'Scope']);
    expect(visibleFor('increment')).toEqual(['Action', 'Key', 'Scope', 'By']);
    expect(visibleFor('listAdd')).toEqual(['Action', 'Key', 'Value type', 'Value', 'Scope']);
    expect(visibleFor('listRemove')).toEqual(['Action', 'Key', 'Value type', 'Value', 'Scope']);
  });

  it('hides Right for exists and truthy', () => {
    const right = BLOCK_MANIFESTS.condition.fields.find((field) => field.name === 'right')!;
    expect(right.visible!({ operator: 'exists' })).toBe(false);
    expect(right.visible!({ operator: 'truthy' })).toBe(false);
    expect(right.visible!({ operator: 'equals' })).toBe(true);
  });

  it('summarises a block in one line', () => {
    expect(BLOCK_MANIFESTS.kv.summary({ action: 'get', key: 'analysis_result' })).toBe('get analysis_result');
    expect(BLOCK_MANIFESTS.kv.summary({ action: 'save', key: 'app_config', valueType: 'json' })).toBe('save app_config (json)');
    expect(BLOCK_MANIFESTS.kv.summary({ action: 'increment', key: 'visits', by: 1 })).toBe('increment visits by 1');
    expect(BLOCK_MANIFESTS.kv.summary({ action: 'listAdd', key: 'seen' })).toBe('add to list seen');
    expect(BLOCK_MANIFESTS.kv.summary({ action: 'listRemove', key: 'seen', scope: 'global' })).toBe('remove from list seen in global');
    expect(BLOCK_MANIFESTS.kv.summary({ action: 'get', key: 'seen', default: '[]' })).toBe('get seen or []');
    expect(BLOCK_MANIFESTS.kv.summary({ action: 'save', key: 'tok', mode: 'create', scope: 'global' })).toBe(
      'save tok (text, create) in global',
    );
    expect(BLOCK_MANIFESTS.kv.summary({ action: 'list', prefix: 'user_' })).toBe('list keys user_*');
    expect(BLOCK_MANIFESTS.condition.summary({ left: '@{result.n}', operator: 'greaterThan', right: '3' })).toBe('@{result.n} > 3');
    expect(BLOCK_MANIFESTS.setState.summary({ path: 'user.name', value: '@{input.name}' })).toBe('state.user.name = @{input.name}');
  });
});

describe('start block', () => {
  it('has the run input as its result', async () => {
    const { record } = await runSingle('output', { value: '@{result.n}' }, { input: { n: 5 } });
    expect(record.steps[0]).toMatchObject({ nodeId: 'start', outcome: 'success', result: { n: 5 } });
  });
});

describe('setState block', () => {
  it('sets a dot path in the run state, creating objects, and returns the value', async () => {
    const { step, record } = await runSingle('setState', { path: 'user.profile.name', value: '@{input.name}' }, { input: { name: 'Ada' } });
    expect(step.result).toBe('Ada');
    expect(record.state).toEqual({ user: { profile: { name: 'Ada' } } });
  });

  it('stores a whole object when the value is one placeholder, whatever the value type', async () => {
    const { record } = await runSingle('setState', { path: 'profile', valueType: 'text', value: '@{input}' }, { input: { a: [1, 2] } });
    expect(record.state).toEqual({ profile: { a: [1, 2] } });
  });

  it.each([[''], ['a..b'], ['__proto__.x']])('path %j fails with invalid_path', async (path) => {
    const { step } = await runSingle('setState', { path, value: 'x' });
    expect(step.error?.code).toBe('invalid_path');
  });

  it('refuses to set a path through a value that is not an object', async () => {
    const document = makeDocument(
      [
        makeNode('count', 'setState', { path: 'n', valueType: 'json', value: '5' }),
        makeNode('nested', 'setState', { path: 'n.inner', value: 'x' }, { x: 300, y: 0 }),
      ],
      ['start.success>count', 'count.success>nested'],
    );
    const record = await runBlueprint(document, { store: new MemoryStore() });
    expect(record.status).toBe('failed');
    expect(record.error).toMatchObject({ code: 'invalid_path', nodeId: 'nested' });
    expect(record.error?.message).toContain('state.n holds a number');
    expect(record.state).toEqual({ n: 5 });
  });
});

describe('transform block', () => {
  it('returns the evaluated text', async () => {
    const { step } = await runSingle(
      'transform',
      { value: 'Hello @{input.name}, you are @{input.age}' },
      { input: { name: 'Ada', age: 36 } },
    );
    expect(step.result).toBe('Hello Ada, you are 36');
  });

  it('returns parsed JSON with placeholders filled JSON-aware', async () => {
    const { step } = await runSingle(
      'transform',
      { valueType: 'json', value: '{"name": "@{input.name}", "tags": @{input.tags}}' },
      { input: { name: 'say "hi"', tags: ['x'] } },
    );
    expect(step.result).toEqual({ name: 'say "hi"', tags: ['x'] });
  });

  it('a path that does not resolve takes the error out with expression', async () => {
    const { step } = await runSingle('transform', { value: '@{input.tasks.5.title}' }, { input: { tasks: [{}, {}] } });
    expect(step.outcome).toBe('error');
    expect(step.error?.code).toBe('expression');
    expect(step.error?.message).toContain('index 5 out of range');
  });
});

describe('output block', () => {
  it('appends the value to the run outputs and returns it', async () => {
    const { step, record } = await runSingle('output', { valueType: 'json', value: '{"ok": true}' });
    expect(step.result).toEqual({ ok: true });
    expect(record.outputs).toEqual([{ ok: true }]);
  });
});

describe('condition block', () => {
  const cases: Array<[ConditionOperator, string, string | undefined, Record<string, unknown>, boolean]> = [
    ['equals', '@{input.s}', 'abc', { s: 'abc' }, true],
    ['equals', '@{input.s}', 'abd', { s: 'abc' }, false],
    ['equals', '@{input.n}', '3', { n: 3 }, true],
    ['equals', '@{input.n}', '3.0', { n: 3 }, true],
    ['equals', '@{input.b}', 'true', { b: true }, true],
    ['equals', '@{input.o}', '{"a": [1]}', { o: { a: [1] } }, true],
    ['notEquals', '@{input.n}', '4', { n: 3 }, true],
    ['notEquals', '@{input.n}', '3', { n: 3 }, false],
    ['contains', '@{input.s}', 'ell', { s: 'hello' }, true],
    ['contains', '@{input.s}', 'xyz', { s: 'hello' }, false],
    ['contains', '@{input.list}', '2', { list: [1, 2, 3] }, true],
    ['contains', '@{input.list}', 'b', { list: ['a', 'c'] }, false],
    ['greaterThan', '@{input.n}', '9', { n: 10 }, true],
    ['greaterThan', '@{input.n}', '10', { n: 10 }, false],
    ['greaterThan', '@{input.s}', '9', { s: '10' }, true],
    ['lessThan', '@{input.n}', '9', { n: 10 }, false],
    ['lessThan', '@{input.d}', '2030-01-02', { d: '2030-01-01' }, true],
    ['exists', '@{input.a}', undefined, { a: 0 }, true],
    ['exists', '@{input.missing}', 'ignored', { a: 0 }, false],
    ['exists', '@{input.nothing}', undefined, { nothing: null }, false],
    ['truthy', '@{input.v}', 'ignored', { v: 'yes' }, true],
    ['truthy', '@{input.v}', undefined, { v: 0 }, false],
    ['truthy', '@{input.v}', undefined, { v: '' }, false],
    ['truthy', '@{input.v}', undefined, { v: [] }, false],
    ['truthy', '@{input.v}', undefined, { v: 'false' }, false],
  ];

  it.each(cases)('%s: %s vs %j with %j is %s', async (operator, left, right, input, expected) => {
    const { step } = await runSingle('condition', { left, operator, ...(right === undefined ? {} : { right }) }, { input: input as never });
    expect(step.error).toBeNull();
    expect(step.result).toBe(expected);
    expect(step.outcome).toBe(expected ? 'true' : 'false');
  });

  it('a placeholder that does not resolve takes the error out', async () => {
    const { step } = await runSingle('condition', { left: '@{input.missing}', operator: 'equals', right: 'x' }, { input: {} });
    expect(step.outcome).toBe('error');
    expect(step.error?.code).toBe('expression');
  });

  it('exists still fails on a placeholder written wrongly', async () => {
    const { step } = await runSingle('condition', { left: '@{input.', operator: 'exists' });
    expect(step.outcome).toBe('error');
    expect(step.error?.code).toBe('expression');
  });

  it('comparing an object with greaterThan takes the error out with type_mismatch', async () => {
    const { step } = await runSingle('condition', { left: '@{input}', operator: 'greaterThan', right: '3' }, { input: { a: 1 } });
    expect(step.error?.code).toBe('type_mismatch');
  });

  it('contains on a number takes the error out with type_mismatch', async () => {
    const { step } = await runSingle('condition', { left: '@{input.n}', operator: 'contains', right: '3' }, { input: { n: 3 } });
    expect(step.error?.code).toBe('type_mismatch');
  });
});
