import { describe, expect, it } from 'vitest';
import { KvError, helpOf } from '../kv/errors';
import { toRunError, EngineError } from './errors';
import { ExpressionError } from './expressions';
import { summarizeBlock, validateNodeData } from './summary';
import type { BlueprintNode, RunError } from './types';

const kvNode = (data: Record<string, unknown>) => ({ type: 'kv', data }) as unknown as BlueprintNode;

describe('summarizeBlock', () => {
  it('summarises any node by its manifest', () => {
    expect(summarizeBlock(kvNode({ action: 'get', key: 'analysis_result' }))).toBe('get analysis_result');
    expect(summarizeBlock({ type: 'output', data: { value: '@{result}' } })).toBe('output @{result}');
    expect(summarizeBlock({ type: 'start', data: { sampleInput: { a: 1 } } })).toBe('input {"a":1}');
  });

  it('says so for an unknown type instead of throwing', () => {
    expect(summarizeBlock({ type: 'http', data: {} } as unknown as BlueprintNode)).toBe("unknown block type 'http'");
  });
});

describe('validateNodeData', () => {
  it('accepts a well-filled block', () => {
    expect(validateNodeData(kvNode({ action: 'save', key: 'app_config', valueType: 'json', value: '{"a": 1}', scope: 'flow' }))).toEqual(
      [],
    );
  });

  it('flags bad key characters when the key has no placeholder', () => {
    const problems = validateNodeData(kvNode({ action: 'get', key: 'my key' }));
    expect(problems).toEqual([{ field: 'key', message: expect.stringContaining("'my key'") }]);
    expect(validateNodeData(kvNode({ action: 'get', key: 'user-@{input.id}' }))).toEqual([]);
  });

  it('flags an empty key', () => {
    expect(validateNodeData(kvNode({ action: 'get', key: '' }))).toEqual([{ field: 'key', message: expect.stringContaining('empty') }]);
  });

  it('flags JSON that does not parse with its line and column, only for valueType json without placeholders', () => {
    expect(validateNodeData(kvNode({ action: 'save', key: 'k', valueType: 'json', value: '{\n  "a": 1,\n}' }))).toEqual([
      { field: 'value', message: expect.stringMatching(/^Invalid JSON at line 3, column 1: /) },
    ]);
    expect(validateNodeData(kvNode({ action: 'save', key: 'k', valueType: 'text', value: '{oops' }))).toEqual([]);
    expect(validateNodeData(kvNode({ action: 'save', key: 'k', valueType: 'json', value: '{"a": @{input.a}}' }))).toEqual([]);
  });

  it('flags unknown select values', () => {
    expect(validateNodeData(kvNode({ action: 'get', key: 'k', scope: 'team' }))).toEqual([
      { field: 'scope', message: 'Scope: expected one of flow|flow_group|global' },
    ]);
  });

  it('flags placeholder syntax problems with their position', () => {
    const problems = validateNodeData({ type: 'transform', data: { value: 'hi @{input.' } });
    expect(problems).toHaveLength(1);
    expect(problems[0]!.field).toBe('value');
    expect(problems[0]!.message).toMatch(/line 1, column \d+/);
  });

  it('checks only the fields visible for the action', () => {
    expect(validateNodeData(kvNode({ action: 'list', key: 'bad key', prefix: 'user_' }))).toEqual([]);
  });

  it('flags number fields that are not numbers or out of range', () => {
    expect(validateNodeData(kvNode({ action: 'list', limit: 5000 }))).toEqual([
      { field: 'limit', message: 'Limit must be a whole number from 1 to 1000' },
    ]);
    expect(validateNodeData(kvNode({ action: 'save', key: 'k', ttlSeconds: 'soon' }))).toEqual([
      { field: 'ttlSeconds', message: 'TTL (seconds) must be a number' },
    ]);
    expect(validateNodeData(kvNode({ action: 'increment', key: 'k', by: '@{input.step}' }))).toEqual([]);
  });

  it("leaves a Code block's source alone (JavaScript, not placeholders) and checks its timeout", () => {
    expect(validateNodeData({ type: 'code', data: { source: 'return "@{not a placeholder";' } })).toEqual([]);
    expect(validateNodeData({ type: 'code', data: { source: 'return 1', timeoutMs: 20000 } })).toEqual([
      { field: 'timeoutMs', message: 'Timeout (ms) must be a whole number from 1 to 10000' },
    ]);
    expect(validateNodeData({ type: 'code', data: { source: 'return 1', timeoutMs: '@{input.ms}' } })).toEqual([]);
  });

  it('flags a setState path that is empty or forbidden', () => {
    expect(validateNodeData({ type: 'setState', data: { path: '' } })).toEqual([
      { field: 'path', message: expect.stringContaining('required') },
    ]);
    expect(validateNodeData({ type: 'setState', data: { path: 'a.__proto__' } })).toEqual([
      { field: 'path', message: expect.stringContaining('__proto__') },
    ]);
  });

  it('flags scope flow_group when the blueprint has no group', () => {
    const node = kvNode({ action: 'get', key: 'k', scope: 'flow_group' });
    expect(validateNodeData(node, {})).toEqual([{ field: 'scope', message: expect.stringContaining('groupId') }]);
    expect(validateNodeData(node, { groupId: 'team' })).toEqual([]);
  });
});

describe('error codes', () => {
  it("has one help text per code, including the store's codes and the engine's own", () => {
    for (const code of [
      'invalid_key',
      'invalid_value',
      'too_large',
      'invalid_scope',
      'not_found',
      'already_exists',
      'type_mismatch',
      'expression',
      'store',
      'limit',
      'cancelled',
      'invalid_path',
      'invalid_blueprint',
      'internal',
    ]) {
      expect(helpOf(code), code).toEqual(expect.any(String));
    }
  });

  it('types run error codes as keys of the one table', () => {
    // @ts-expect-error a misspelt code is not a key of ERROR_CODES
    const misspelt: RunError = { code: 'limt', message: 'x', nodeId: null };
    // @ts-expect-error EngineError takes a code of the table too
    const thrown = new EngineError('expresion', 'x');
    expect([misspelt.code, thrown.code]).toEqual(['limt', 'expresion']);
  });

  it('turns thrown errors into run errors with stable codes', () => {
    expect(toRunError(new KvError('not_found', 'gone'), 'n')).toEqual({ code: 'not_found', message: 'gone', nodeId: 'n' });
    expect(toRunError(new ExpressionError('@{x}: bad'), 'n')).toEqual({ code: 'expression', message: '@{x}: bad', nodeId: 'n' });
    expect(toRunError(new EngineError('limit', 'too many'), null)).toEqual({ code: 'limit', message: 'too many', nodeId: null });
    expect(toRunError(new TypeError('x is undefined'), 'n')).toEqual({
      code: 'internal',
      message: 'Unexpected engine failure: x is undefined',
      nodeId: 'n',
    });
  });
});
