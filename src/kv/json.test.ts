import { describe, expect, it } from 'vitest';
import { isKvError } from './errors';
import { describeJsonProblem, findJsonSyntaxError, findTooDeep, nestsDeeperThan, parseJson } from './json';
import { MemoryStore } from './memory';
import { JSON_MAX_DEPTH } from './types';

const nestedText = (levels: number): string => `${'['.repeat(levels)}1${']'.repeat(levels)}`;
function nested(levels: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < levels; i++) value = { a: value };
  return value;
}

describe('parseJson', () => {
  it(`parses ${JSON_MAX_DEPTH} levels and refuses ${JSON_MAX_DEPTH + 1}, naming the limit and where`, () => {
    expect(parseJson(nestedText(64))).toMatchObject({ ok: true });
    const refused = parseJson(nestedText(65));
    expect(refused.ok).toBe(false);
    if (!refused.ok)
      expect(refused.message).toBe(
        'Invalid JSON at line 1, column 65: it nests arrays and objects more than 64 levels deep (the limit is 64)',
      );
  });

  it('walks 100,000 levels without overflowing the stack', () => {
    expect(() => parseJson(nestedText(100_000))).not.toThrow();
    expect(parseJson(`{"a":${nestedText(100_000)}}`).ok).toBe(false);
    expect(findJsonSyntaxError(nestedText(100_000), 200_000)).toBeNull();
  });

  it('locates syntax errors across lines, one wording with or without a subject', () => {
    const text = '{\n  "a": [1,\n  2,]\n}';
    const problem = findJsonSyntaxError(text)!;
    expect(describeJsonProblem(text, problem)).toBe('Invalid JSON at line 3, column 5: a trailing comma before ]');
    expect(describeJsonProblem(text, problem, { subject: '--input' })).toBe(
      '--input is not valid JSON at line 3, column 5: a trailing comma before ]',
    );
    expect(findJsonSyntaxError('{"a": 1 "b": 2}')?.reason).toBe("expected ',' or '}', found '\"'");
    expect(findJsonSyntaxError('{"a" 1}')?.reason).toBe("expected ':' after the key, found '1'");
    expect(findJsonSyntaxError('[1] x')?.reason).toBe("unexpected 'x' after the end of the value");
  });
});

describe('findTooDeep and nestsDeeperThan', () => {
  it('measure nesting without recursion, cycles included', () => {
    expect(findTooDeep(nested(64))).toBeNull();
    expect(findTooDeep(nested(65))).toMatch(/^value\.a\.a/);
    expect(findTooDeep(nested(100_000))).not.toBeNull();
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(findTooDeep(cycle)).not.toBeNull();
    expect(nestsDeeperThan(nestedText(68), 68)).toBe(false);
    expect(nestsDeeperThan(nestedText(69), 68)).toBe(true);
    expect(nestsDeeperThan(`"${'['.repeat(100)}"`, 68)).toBe(false);
  });

  it('names the first container past the limit by its full path, cut after 80 characters', () => {
    expect(findTooDeep({ ok: [1], deep: [{ 'a b': [[{}]] }] }, 4, 'doc')).toBe('doc.deep[0].a b[0]');
    const long = findTooDeep({ list: [nested(70)] }, 64, '(document)');
    expect(long).toBe(`(document).list[0]${'.a'.repeat(31)}…`);
  });
});

describe('the store write path', () => {
  it('refuses a value nesting past the limit in set and append with invalid_value, writing nothing', async () => {
    const store = new MemoryStore();
    for (const op of [
      { op: 'set' as const, key: 'deep', value: nested(65) as never, scope: 'global' as const },
      { op: 'append' as const, key: 'deep', value: nested(100_000) as never, scope: 'global' as const },
    ]) {
      const error = await store.batch('c', [{ op: 'set', key: 'before', value: 1, scope: 'global' }, op]).catch((e: unknown) => e);
      expect(isKvError(error) && error.code).toBe('invalid_value');
      expect((error as Error).message).toContain('the limit is 64 levels');
    }
    const [list] = await store.batch('c', [{ op: 'list', scope: 'global' }]);
    expect(list).toEqual({ op: 'list', entries: [], nextCursor: null });
    const [saved] = await store.batch('c', [{ op: 'set', key: 'ok', value: nested(64) as never, scope: 'global' }]);
    expect(saved?.op).toBe('set');
  });
});
