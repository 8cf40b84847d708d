import { describe, expect, it } from 'vitest';
import { ConformanceFailure, assertEqual, conformanceCases, expectKvError, findDifference, freshCompanyId } from './conformance';
import { describeConformance } from './conformance-vitest';
import { KvError } from './errors';
import { MemoryStore } from './memory';
import { OverlayStore } from './overlay';

describe('findDifference', () => {
  it('finds nothing between deeply equal values, whatever the key order', () => {
    expect(findDifference({ a: [1, { b: null }], c: 'x' }, { c: 'x', a: [1, { b: null }] })).toBeNull();
  });

  it('names the path of the first difference with both values', () => {
    expect(findDifference({ a: [1, { b: 2 }] }, { a: [1, { b: 3 }] })).toBe('.a[1].b: expected 3, got 2');
    expect(findDifference([1, 2], [1, 2, 3])).toBe('the value: expected 3 items, got 2 ([1,2])');
    expect(findDifference({ a: 1 }, { a: 1, b: 2 })).toBe('.b: missing, expected 2');
    expect(findDifference({ a: 1, extra: true }, { a: 1 })).toBe('.extra: unexpected, got true');
    expect(findDifference({ a: {} }, { a: [] })).toBe('.a: expected an array [], got {}');
  });

  it('tells null, undefined, 0 and "" apart', () => {
    expect(findDifference(null, undefined)).toBe('the value: expected undefined, got null');
    expect(findDifference(0, '')).toBe('the value: expected "", got 0');
    expect(findDifference({ a: undefined }, {})).toBe('.a: unexpected, got undefined');
  });

  it('shortens long values in its message', () => {
    const message = findDifference('x'.repeat(500), 'y');
    expect(message).toContain('… (502 characters)');
    expect(message!.length).toBeLessThan(250);
  });
});

describe('assertEqual', () => {
  it('throws a ConformanceFailure prefixed with what was compared', () => {
    expect(() => assertEqual(1, 2, 'count')).toThrow(new ConformanceFailure('count: the value: expected 2, got 1'));
  });
});

describe('expectKvError', () => {
  it('returns the error when code, opIndex and message match', async () => {
    const error = await expectKvError(Promise.reject(new KvError('invalid_key', "Key 'a b' has a space", 2)), 'invalid_key', {
      opIndex: 2,
      messageIncludes: 'a b',
    });
    expect(error.code).toBe('invalid_key');
  });

  it('fails when the promise succeeds, with what it gave', async () => {
    await expect(expectKvError(Promise.resolve({ ok: 1 }), 'not_found')).rejects.toThrow(
      'expected KvError \'not_found\', but it succeeded with {"ok":1}',
    );
  });

  it('fails on another code, another opIndex, a missing text or a plain error', async () => {
    await expect(expectKvError(Promise.reject(new KvError('store', 'down')), 'not_found')).rejects.toThrow(
      "expected KvError 'not_found', got 'store': down",
    );
    await expect(expectKvError(Promise.reject(new KvError('not_found', 'gone', 1)), 'not_found', { opIndex: 0 })).rejects.toThrow(
      'should point at op 0, it has opIndex 1',
    );
    await expect(expectKvError(Promise.reject(new KvError('not_found', 'gone')), 'not_found', { messageIncludes: 'key' })).rejects.toThrow(
      'message should mention "key"',
    );
    await expect(expectKvError(Promise.reject(new TypeError('boom')), 'not_found')).rejects.toThrow(
      "expected a KvError 'not_found', got TypeError: boom",
    );
  });

  it('accepts an error rebuilt from the network with the KvError name and a code', async () => {
    const rebuilt = Object.assign(new Error('exists'), { name: 'KvError', code: 'already_exists' });
    await expect(expectKvError(Promise.reject(rebuilt), 'already_exists')).resolves.toBe(rebuilt);
  });
});

describe('the case list', () => {
  it('has unique case names, since runners report and compare cases by name', () => {
    const names = conformanceCases.map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names.length).toBeGreaterThan(40);
  });

  it('gives each case a different companyId', () => {
    const ids = new Set(Array.from({ length: 100 }, () => freshCompanyId()));
    expect(ids.size).toBe(100);
    for (const id of ids) expect(id).toMatch(/^c-[0-9a-z-]+$/);
  });
});

// The sandbox overlay is a backend like the others: over an empty real store, every case holds.
describeConformance('overlay (over memory)', async (clock) => new OverlayStore(new MemoryStore({ now: clock.now }), { now: clock.now }), {
  injectsClock: true,
});
