import { describe, expect, it } from 'vitest';
import { KvError } from './errors';
import {
  assertStorableValue,
  assertValidKey,
  describeKey,
  executeBatch,
  isExpired,
  jsonByteLength,
  pageOfNames,
  parseDecimal,
  renderText,
  resolveScopeKey,
  validateOp,
  type BatchReader,
} from './operations';
import type { Entry, KvOp } from './types';

function kvErrorOf(action: () => unknown): KvError {
  try {
    action();
  } catch (error) {
    if (error instanceof KvError) return error;
    throw error;
  }
  throw new Error('expected a KvError, nothing was thrown');
}

const emptyReader: BatchReader = { read: () => null, list: () => [], keys: () => ({ keys: [], total: 0 }) };

function entry(key: string, fields: Partial<Entry> = {}): Entry {
  return {
    id: `id-${key}`,
    companyId: 'c',
    scope: 'global',
    scopeKey: '',
    key,
    value: key,
    valueType: 'text',
    version: 1,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    expiresAt: null,
    ...fields,
  };
}

describe('assertValidKey', () => {
  it('names an empty key as empty and states the rule', () => {
    const error = kvErrorOf(() => assertValidKey(''));
    expect(error.code).toBe('invalid_key');
    expect(error.message).toBe('Key is empty: give a key of 1–256 characters (A–Z a–z 0–9 _ -)');
  });

  it('treats a non-string key as empty rather than crashing', () => {
    expect(kvErrorOf(() => assertValidKey(42)).code).toBe('invalid_key');
    expect(kvErrorOf(() => assertValidKey(undefined)).code).toBe('invalid_key');
  });

  it('shows a too-long key shortened, with its length', () => {
    const key = 'x'.repeat(300);
    const error = kvErrorOf(() => assertValidKey(key));
    expect(error.message).toBe(`Key '${'x'.repeat(60)}…' (300 characters) is too long: at most 256 characters`);
  });

  it('names the first bad character and calls a space a space', () => {
    expect(kvErrorOf(() => assertValidKey('user.name')).message).toBe("Key 'user.name' has '.': keys may only use A–Z a–z 0–9 _ -");
    expect(kvErrorOf(() => assertValidKey('my key')).message).toBe("Key 'my key' has a space: keys may only use A–Z a–z 0–9 _ -");
    expect(kvErrorOf(() => assertValidKey('a/b.c')).message).toContain("has '/'");
  });

  it('reports an astral character whole, not half a surrogate pair', () => {
    expect(kvErrorOf(() => assertValidKey('smile😀')).message).toContain("has '😀'");
  });

  it('accepts exactly 256 allowed characters', () => {
    expect(() => assertValidKey('aZ09_-'.repeat(42) + 'abcd')).not.toThrow();
  });
});

describe('describeKey', () => {
  it('quotes a short key whole and a key over 60 characters shortened', () => {
    expect(describeKey('abc')).toBe("'abc'");
    expect(describeKey('k'.repeat(60))).toBe(`'${'k'.repeat(60)}'`);
    expect(describeKey('k'.repeat(61))).toBe(`'${'k'.repeat(60)}…' (61 characters)`);
  });
});

describe('resolveScopeKey', () => {
  it('normalises global to an empty scopeKey whatever was given', () => {
    expect(resolveScopeKey({ scope: 'global' })).toBe('');
    expect(resolveScopeKey({ scope: 'global', scopeKey: 'bp-1' })).toBe('');
  });

  it('returns the scopeKey of flow and flow_group as given', () => {
    expect(resolveScopeKey({ scope: 'flow', scopeKey: 'bp-1' })).toBe('bp-1');
    expect(resolveScopeKey({ scope: 'flow_group', scopeKey: 'analytics' })).toBe('analytics');
  });

  it('says which id is missing for flow and flow_group', () => {
    expect(kvErrorOf(() => resolveScopeKey({ scope: 'flow' })).message).toBe("Scope 'flow' needs a scopeKey (the blueprint id)");
    expect(kvErrorOf(() => resolveScopeKey({ scope: 'flow_group', scopeKey: '' })).message).toBe(
      "Scope 'flow_group' needs a scopeKey (the group id)",
    );
  });

  it('refuses an unknown scope with invalid_scope, naming it', () => {
    const error = kvErrorOf(() => resolveScopeKey({ scope: 'team' } as unknown as { scope: 'global' }));
    expect(error.code).toBe('invalid_scope');
    expect(error.message).toBe("Unknown scope 'team': expected flow, flow_group or global");
  });
});

describe('jsonByteLength', () => {
  it('counts UTF-8 bytes of the JSON text, quotes and escapes included', () => {
    expect(jsonByteLength('abc')).toBe(5);
    expect(jsonByteLength('é')).toBe(4);
    expect(jsonByteLength('😀')).toBe(6);
    expect(jsonByteLength('a"b')).toBe(6);
    expect(jsonByteLength({ a: [1, null] })).toBe('{"a":[1,null]}'.length);
    expect(jsonByteLength(null)).toBe(4);
  });
});

describe('renderText', () => {
  it('keeps strings as they are and writes everything else as JSON', () => {
    expect(renderText('plain "text"')).toBe('plain "text"');
    expect(renderText(12.5)).toBe('12.5');
    expect(renderText(false)).toBe('false');
    expect(renderText(null)).toBe('null');
    expect(renderText({ a: ['x'] })).toBe('{"a":["x"]}');
  });
});

describe('parseDecimal', () => {
  it('reads decimal numbers, signs, fractions and exponents', () => {
    expect(parseDecimal('41')).toBe(41);
    expect(parseDecimal('-2.5')).toBe(-2.5);
    expect(parseDecimal('+.5')).toBe(0.5);
    expect(parseDecimal('1e3')).toBe(1000);
    expect(parseDecimal(' 7 ')).toBe(7);
  });

  it('refuses text that Number() would accept but is not a decimal number', () => {
    for (const text of ['', ' ', '0x10', '0b1', '0o7', 'Infinity', '-Infinity', 'NaN', '1_000', '12abc', '1e999', '.', '-']) {
      expect(parseDecimal(text), text).toBeNull();
    }
  });
});

describe('assertStorableValue', () => {
  it('says where in the value the non-JSON part is', () => {
    expect(kvErrorOf(() => assertStorableValue({ a: [1, NaN] }, 'k')).message).toBe(
      "Value for key 'k' is not JSON: value.a[1] is NaN, which JSON cannot hold",
    );
    expect(kvErrorOf(() => assertStorableValue({ when: new Date(0) }, 'k')).message).toContain('value.when is not a plain object');
    expect(kvErrorOf(() => assertStorableValue([() => 1], 'k')).message).toContain('value[0] is a function');
    expect(kvErrorOf(() => assertStorableValue(undefined, 'k')).message).toBe("Value for key 'k' is missing");
  });

  it('accepts objects without a prototype, as JSON.parse-like code may make them', () => {
    const bare = Object.assign(Object.create(null) as Record<string, number>, { a: 1 });
    expect(() => assertStorableValue(bare, 'k')).not.toThrow();
  });

  it('gives the size and the limit when a value is too large', () => {
    const error = kvErrorOf(() => assertStorableValue('a'.repeat(1024 * 1024 - 1), 'big'));
    expect(error.code).toBe('too_large');
    expect(error.message).toBe("Value for key 'big' is 1048577 bytes as JSON; the limit is 1048576 bytes (1 MiB)");
  });
});

describe('isExpired', () => {
  it('treats an entry as expired from the instant of expiresAt on', () => {
    const at = '2026-01-01T00:00:10.000Z';
    const expiring = entry('k', { expiresAt: at });
    expect(isExpired(expiring, '2026-01-01T00:00:09.999Z')).toBe(false);
    expect(isExpired(expiring, at)).toBe(true);
    expect(isExpired(expiring, new Date('2026-01-01T00:00:11.000Z'))).toBe(true);
    expect(isExpired(entry('k'), new Date('2999-01-01T00:00:00.000Z'))).toBe(false);
  });
});

describe('validateOp', () => {
  it('returns the scopeKey the op resolves to', () => {
    expect(validateOp({ op: 'get', key: 'k', scope: 'flow', scopeKey: 'bp' })).toBe('bp');
    expect(validateOp({ op: 'list', scope: 'global', scopeKey: 'x' })).toBe('');
  });

  it('puts the given index on the error as opIndex', () => {
    const error = kvErrorOf(() => validateOp({ op: 'set', key: 'k', value: NaN, scope: 'global' }, 3));
    expect(error.code).toBe('invalid_value');
    expect(error.opIndex).toBe(3);
  });

  it('checks scope before key, so a bad op reports its first problem consistently', () => {
    expect(kvErrorOf(() => validateOp({ op: 'get', key: 'bad key', scope: 'flow' })).code).toBe('invalid_scope');
  });

  it('refuses a null op and an op without a name with invalid_request', () => {
    expect(kvErrorOf(() => validateOp(null as unknown as KvOp, 1)).message).toBe('ops[1] is not an object');
    expect(kvErrorOf(() => validateOp({ key: 'k', scope: 'global' } as unknown as KvOp)).code).toBe('invalid_request');
  });

  it('refuses a ttlSeconds or by of the wrong type', () => {
    expect(
      kvErrorOf(() => validateOp({ op: 'set', key: 'k', value: 1, scope: 'global', ttlSeconds: '10' as unknown as number })).code,
    ).toBe('invalid_value');
    expect(kvErrorOf(() => validateOp({ op: 'increment', key: 'k', scope: 'global', by: '2' as unknown as number })).message).toBe(
      'Increment \'by\' must be a finite number, got "2"',
    );
  });
});

describe('executeBatch', () => {
  it('stamps times from the injected clock and ids from the injected id maker', async () => {
    let tick = 0;
    const outcome = await executeBatch(
      'c1',
      [
        { op: 'set', key: 'a', value: 1, scope: 'global', ttlSeconds: 1.5 },
        { op: 'increment', key: 'a', scope: 'global' },
      ],
      emptyReader,
      {
        now: () => new Date(Date.UTC(2026, 0, 1, 0, 0, tick++)),
        newId: () => 'fixed-id',
      },
    );
    const [set, increment] = outcome.results;
    expect(set).toMatchObject({
      op: 'set',
      created: true,
      entry: { id: 'fixed-id', createdAt: '2026-01-01T00:00:00.000Z', expiresAt: '2026-01-01T00:00:01.500Z' },
    });
    expect(increment).toMatchObject({
      op: 'increment',
      entry: { id: 'fixed-id', value: 2, version: 2, createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:01.000Z' },
    });
  });

  it('returns one write per changed row, holding its final state', async () => {
    const outcome = await executeBatch(
      'c1',
      [
        { op: 'increment', key: 'n', scope: 'global' },
        { op: 'increment', key: 'n', scope: 'global' },
        { op: 'set', key: 'gone', value: 1, scope: 'flow', scopeKey: 'bp' },
        { op: 'delete', key: 'gone', scope: 'flow', scopeKey: 'bp' },
        { op: 'get', key: 'untouched', scope: 'global' },
      ],
      emptyReader,
    );
    expect(outcome.writes.map((w) => [w.scope, w.scopeKey, w.key, w.entry?.value ?? null])).toEqual([
      ['global', '', 'n', 2],
      ['flow', 'bp', 'gone', null],
    ]);
  });

  it('deletes an expired row it finds, so that it stops taking space, but reports deleted false', async () => {
    const expired = entry('old', { expiresAt: '2000-01-01T00:00:00.000Z' });
    const reader: BatchReader = {
      read: (_s, _k, key) => (key === 'old' ? expired : null),
      list: () => [],
      keys: () => ({ keys: [], total: 0 }),
    };
    const outcome = await executeBatch('c', [{ op: 'delete', key: 'old', scope: 'global' }], reader);
    expect(outcome.results).toEqual([{ op: 'delete', deleted: false }]);
    expect(outcome.writes).toEqual([{ scope: 'global', scopeKey: '', key: 'old', entry: null, replaced: [] }]);
  });

  it('hands the backend every version a batch replaced, oldest first, marking the one a delete ended', async () => {
    const stored = entry('doc', { value: 'v1', version: 1 });
    const reader: BatchReader = { read: () => stored, list: () => [], keys: () => ({ keys: [], total: 0 }) };
    const outcome = await executeBatch(
      'c',
      [
        { op: 'set', key: 'doc', value: 'v2', scope: 'global' },
        { op: 'delete', key: 'doc', scope: 'global' },
      ],
      reader,
      { now: () => new Date('2030-01-01T00:00:00.000Z') },
    );
    expect(outcome.writes).toHaveLength(1);
    expect(outcome.writes[0]!.entry).toBeNull();
    expect(outcome.writes[0]!.replaced.map((v) => [v.version, v.value, v.deleted, v.replacedAt])).toEqual([
      [1, 'v1', false, '2030-01-01T00:00:00.000Z'],
      [2, 'v2', true, '2030-01-01T00:00:00.000Z'],
    ]);
  });

  it('answers history, restore and deleted with invalid_request over a reader that keeps no history', async () => {
    const reader: BatchReader = { read: () => null, list: () => [], keys: () => ({ keys: [], total: 0 }) };
    for (const op of [
      { op: 'history', key: 'k', scope: 'global' },
      { op: 'restore', key: 'k', version: 1, scope: 'global' },
      { op: 'deleted', scope: 'global' },
    ] as const) {
      await expect(executeBatch('c', [op], reader)).rejects.toMatchObject({
        code: 'invalid_request',
        message: expect.stringContaining('no history'),
      });
    }
  });

  it('merges staged writes into a list even when the reader returns only the rows asked for', async () => {
    const stored = ['a', 'b', 'c', 'd', 'e'].map((key) => entry(key));
    const reader: BatchReader = {
      read: (_s, _k, key) => stored.find((e) => e.key === key) ?? null,
      list: (_s, _k, query) => stored.filter((e) => query.afterKey === null || e.key > query.afterKey).slice(0, query.limit),
      keys: (_s, _k, query) =>
        pageOfNames(
          stored.map((e) => e.key),
          query,
        ),
    };
    const outcome = await executeBatch(
      'c',
      [
        { op: 'delete', key: 'a', scope: 'global' },
        { op: 'delete', key: 'b', scope: 'global' },
        { op: 'set', key: 'bb', value: 'bb', scope: 'global' },
        { op: 'list', scope: 'global', limit: 2 },
        { op: 'keys', scope: 'global', limit: 2 },
      ],
      reader,
    );
    expect(outcome.results[3]).toMatchObject({ op: 'list', nextCursor: 'c' });
    const list = outcome.results[3];
    expect(list?.op === 'list' ? list.entries.map((e) => e.key) : null).toEqual(['bb', 'c']);
    // Five stored, two deleted, one created: the total counts the batch's own writes.
    expect(outcome.results[4]).toEqual({ op: 'keys', keys: ['bb', 'c'], total: 4, nextCursor: 'c' });
  });

  it('pageOfNames starts strictly after the cursor and counts every name', () => {
    const names = ['a', 'b', 'c', 'd'];
    expect(pageOfNames(names, { afterKey: null, limit: 2 })).toEqual({ keys: ['a', 'b'], total: 4 });
    expect(pageOfNames(names, { afterKey: 'b', limit: 5 })).toEqual({ keys: ['c', 'd'], total: 4 });
    expect(pageOfNames(names, { afterKey: 'bz', limit: 1 })).toEqual({ keys: ['c'], total: 4 });
    expect(pageOfNames(names, { afterKey: 'z', limit: 1 })).toEqual({ keys: [], total: 4 });
  });

  it('throws the first failure with its opIndex and nothing else', async () => {
    const failure = executeBatch(
      'c',
      [
        { op: 'set', key: 'a', value: 1, scope: 'global' },
        { op: 'append', key: 'a', value: 1, scope: 'global' },
        { op: 'get', key: 'bad key', scope: 'global' },
      ],
      emptyReader,
    );
    await expect(failure).rejects.toMatchObject({ name: 'KvError', code: 'type_mismatch', opIndex: 1 });
  });
});
