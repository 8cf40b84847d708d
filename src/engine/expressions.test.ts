import { describe, expect, it } from 'vitest';
import { KvError, isKvError } from '../kv/errors';
import { findJsonSyntaxError } from '../kv/json';
import { ExpressionError, InvalidJsonError, evaluateField, resolvePath, scanPlaceholders, type ExpressionContext } from './expressions';
import type { JsonValue } from './types';

const stored: Record<string, Record<string, JsonValue>> = {
  kv: { profile: { name: 'Ada', langs: ['en', 'fr'] }, counter: 3, nothing: null },
  kvGroup: { shared: 'group value' },
  kvGlobal: { config: { mode: 'dark' } },
};

function context(overrides: Partial<ExpressionContext['roots']> = {}): ExpressionContext & { kvReads: string[] } {
  const kvReads: string[] = [];
  return {
    kvReads,
    roots: {
      input: { name: 'Ada', quote: 'say "hi"\\ {ok} @{input.name}\nbye', n: 42, flag: true, tags: ['a', 'b'] },
      state: { user: { name: 'Ada', email: 'ada@example.com' }, tags: ['x', 'y'], empty: null, 'odd key': { 'a"b': 7 } },
      result: { tasks: [{ title: 'first' }, { title: 'second' }], count: 2, nested: { deep: [[1, 2], [3]] } },
      results: { get_profile: { id: 1 }, profile: { id: 1 } },
      run: { id: 'run-1', startedAt: '2024-01-01T00:00:00.000Z' },
      blueprint: { id: 'bp', name: 'Demo', groupId: 'g' },
      now: '2024-01-01T00:00:01.000Z',
      ...overrides,
    },
    readKv: async (root, key) => {
      kvReads.push(`${root}:${key}`);
      const scope = stored[root] ?? {};
      return Object.hasOwn(scope, key) ? scope[key] : undefined;
    },
  };
}

async function expressionMessage(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ExpressionError);
    expect((error as ExpressionError).code).toBe('expression');
    return (error as Error).message;
  }
  throw new Error('expected an ExpressionError, but the field evaluated');
}

describe('placeholders in text', () => {
  it('fills placeholders in text, rendering strings as is, numbers and booleans as written', async () => {
    expect(await evaluateField('Hi @{input.name}, n=@{input.n}, flag=@{input.flag}!', 'text', context())).toBe('Hi Ada, n=42, flag=true!');
  });

  it('renders null as null and objects and arrays as JSON inside text', async () => {
    expect(await evaluateField('e=@{state.empty} u=@{state.user} t=@{state.tags}', 'text', context())).toBe(
      'e=null u={"name":"Ada","email":"ada@example.com"} t=["x","y"]',
    );
  });

  it('treats \\@{ as a literal @{', async () => {
    expect(await evaluateField('write \\@{input.name} to get @{input.name}', 'text', context())).toBe('write @{input.name} to get Ada');
  });

  it('leaves text without placeholders untouched, including lone @ and braces', async () => {
    expect(await evaluateField('mail me @ home {x}', 'text', context())).toBe('mail me @ home {x}');
  });

  it('allows spaces inside the braces', async () => {
    expect(await evaluateField('[@{ input.name }]', 'text', context())).toBe('[Ada]');
  });

  it('does not re-evaluate placeholder syntax that arrives inside a value', async () => {
    expect(await evaluateField('q: @{input.quote}', 'text', context())).toBe('q: say "hi"\\ {ok} @{input.name}\nbye');
  });
});

describe('a field that is exactly one placeholder', () => {
  it('yields the raw object for a text field', async () => {
    expect(await evaluateField('@{state.user}', 'text', context())).toEqual({ name: 'Ada', email: 'ada@example.com' });
  });

  it('yields the raw number, boolean and null', async () => {
    expect(await evaluateField('@{input.n}', 'text', context())).toBe(42);
    expect(await evaluateField('@{input.flag}', 'json', context())).toBe(true);
    expect(await evaluateField('@{state.empty}', 'text', context())).toBeNull();
  });

  it('ignores whitespace around the single placeholder', async () => {
    expect(await evaluateField('  @{state.tags}\n', 'text', context())).toEqual(['x', 'y']);
  });

  it('renders as text once anything else is in the field', async () => {
    expect(await evaluateField('@{state.tags}!', 'text', context())).toBe('["x","y"]!');
    expect(await evaluateField('@{input.n}@{input.n}', 'text', context())).toBe('4242');
  });
});

describe('paths', () => {
  it('indexes arrays with numeric segments', async () => {
    expect(await evaluateField('@{result.tasks.1.title}', 'text', context())).toBe('second');
    expect(await evaluateField('@{result.nested.deep.0.1}', 'text', context())).toBe(2);
  });

  it('reaches keys with other characters through ["…"] brackets with escaped quotes', async () => {
    expect(await evaluateField('@{state["odd key"]["a\\"b"]}', 'text', context())).toBe(7);
  });

  it('accepts [n] as an array index', async () => {
    expect(await evaluateField('@{result.tasks[0].title}', 'text', context())).toBe('first');
  });

  it('reads results by node id and by ref', async () => {
    expect(await evaluateField('@{results.get_profile.id}-@{results.profile.id}', 'text', context())).toBe('1-1');
  });

  it('reads run, blueprint and now from the roots the caller gives', async () => {
    expect(await evaluateField('@{run.id} @{blueprint.name} @{now}', 'text', context())).toBe('run-1 Demo 2024-01-01T00:00:01.000Z');
  });

  it('reads the error root on an error path', async () => {
    const ctx = context({ error: { code: 'not_found', message: 'Key missing', nodeId: 'get' } });
    expect(await evaluateField('@{error.code} from @{error.nodeId}', 'text', ctx)).toBe('not_found from get');
  });

  it('resolvePath is usable on its own and labels messages with the given name', () => {
    expect(resolvePath({ a: [{ b: 1 }] }, ['a', 0, 'b'], 'state')).toBe(1);
    expect(() => resolvePath({ a: {} }, ['a', 'b'], 'state')).toThrow("no key 'b' in state.a (it has no keys)");
    expect(() => resolvePath(undefined, ['a'], 'state')).toThrow(ExpressionError);
  });
});

describe('strict resolution', () => {
  it('says which index is out of range and how many items there are', async () => {
    expect(await expressionMessage(evaluateField('@{result.tasks.5.title}', 'text', context()))).toBe(
      '@{result.tasks.5.title}: index 5 out of range, tasks has 2 items',
    );
  });

  it('says which key is missing and lists the keys that are there', async () => {
    expect(await expressionMessage(evaluateField('Hi @{state.user.nmae}', 'text', context()))).toBe(
      "@{state.user.nmae}: no key 'nmae' in state.user (keys: name, email)",
    );
  });

  it('says when a path goes through a value that is not an object', async () => {
    expect(await expressionMessage(evaluateField('@{result.count.x}', 'text', context()))).toBe(
      '@{result.count.x}: result.count is a number, not an object',
    );
    expect(await expressionMessage(evaluateField('@{state.empty.x}', 'text', context()))).toBe(
      '@{state.empty.x}: state.empty is null, not an object',
    );
  });

  it('says when a key is used on an array', async () => {
    expect(await expressionMessage(evaluateField('@{result.tasks.title}', 'text', context()))).toBe(
      "@{result.tasks.title}: result.tasks is an array: use a number index, not 'title'",
    );
  });

  it('fails on a missing root instead of rendering an empty string', async () => {
    const ctx = context({ error: undefined });
    expect(await expressionMessage(evaluateField('code: @{error.code}', 'text', ctx))).toMatch(
      /^@\{error\.code\}: error is set only on an error path/,
    );
  });

  it('names the missing stored key and its scope', async () => {
    expect(await expressionMessage(evaluateField('@{kv.missing_key}', 'text', context()))).toBe(
      "@{kv.missing_key}: key 'missing_key' not found in flow scope",
    );
    expect(await expressionMessage(evaluateField('@{kvGlobal.nope}', 'text', context()))).toBe(
      "@{kvGlobal.nope}: key 'nope' not found in global scope",
    );
  });

  it('lists the valid roots for an unknown root', async () => {
    const message = await expressionMessage(evaluateField('@{inputs.name}', 'text', context()));
    expect(message).toContain("unknown root 'inputs'");
    for (const root of ['input', 'state', 'result', 'results', 'error', 'kv', 'kvGroup', 'kvGlobal', 'run', 'blueprint', 'now']) {
      expect(message).toContain(root);
    }
  });

  it('reports an unclosed placeholder instead of treating it as text', async () => {
    const message = await expressionMessage(evaluateField('Hello @{input.name', 'text', context()));
    expect(message).toContain("not closed: add '}'");
    expect(message).toContain('column 7');
  });
});

describe('own properties only', () => {
  it.each(['__proto__', 'prototype', 'constructor'])('never follows %s, even with a fallback', async (name) => {
    const message = await expressionMessage(evaluateField(`@{state.${name} ?? "x"}`, 'text', context()));
    expect(message).toContain(`'${name}' is never followed`);
  });

  it('never follows forbidden names given in brackets', async () => {
    expect(await expressionMessage(evaluateField('@{state.user["constructor"].name}', 'text', context()))).toContain(
      "'constructor' is never followed",
    );
  });

  it('does not resolve inherited properties such as toString or length', async () => {
    expect(await expressionMessage(evaluateField('@{state.user.toString}', 'text', context()))).toContain(
      "no key 'toString' in state.user",
    );
    expect(await expressionMessage(evaluateField('@{input.name.length}', 'text', context()))).toBe(
      '@{input.name.length}: input.name is a string, not an object',
    );
  });

  it('resolvePath refuses __proto__ even when it is an own key', () => {
    const value = JSON.parse('{"__proto__": {"polluted": true}}') as JsonValue;
    expect(() => resolvePath(value, ['__proto__', 'polluted'], 'state')).toThrow("'__proto__' is never followed");
  });

  it('reaches an own key named like an Object.prototype method', async () => {
    const ctx = context({ state: JSON.parse('{"hasOwnProperty": "own", "valueOf": 1}') as JsonValue });
    expect(await evaluateField('@{state.hasOwnProperty}-@{state.valueOf}', 'text', ctx)).toBe('own-1');
  });
});

describe('fallbacks', () => {
  it('uses a string fallback when a key is missing', async () => {
    expect(await evaluateField('Hi @{state.user.nickname ?? "friend"}', 'text', context())).toBe('Hi friend');
  });

  it('uses number, boolean and null fallbacks as raw values', async () => {
    expect(await evaluateField('@{state.count ?? 0}', 'text', context())).toBe(0);
    expect(await evaluateField('@{state.count ?? -1.5e2}', 'text', context())).toBe(-150);
    expect(await evaluateField('@{state.flag ?? false}', 'text', context())).toBe(false);
    expect(await evaluateField('@{state.flag ?? null}', 'json', context())).toBeNull();
  });

  it('applies JSON escapes in a string fallback and allows } inside it', async () => {
    expect(await evaluateField('@{state.x ?? "a \\"q\\" }\\n"}', 'text', context())).toBe('a "q" }\n');
  });

  it('uses the fallback for any missing segment, an index out of range, a missing root or a missing stored key', async () => {
    expect(await evaluateField('@{state.a.b.c ?? "fb"}', 'text', context())).toBe('fb');
    expect(await evaluateField('@{result.tasks.9.title ?? "fb"}', 'text', context())).toBe('fb');
    expect(await evaluateField('@{error.message ?? "no error"}', 'text', context())).toBe('no error');
    expect(await evaluateField('@{kv.missing ?? 10}', 'text', context())).toBe(10);
  });

  it('keeps a null value instead of using the fallback', async () => {
    expect(await evaluateField('@{state.empty ?? "fb"}', 'text', context())).toBeNull();
    expect(await evaluateField('@{kv.nothing ?? "fb"}', 'text', context())).toBeNull();
  });

  it('reports a fallback that is not a literal', async () => {
    expect(await expressionMessage(evaluateField('@{state.a ?? state.b}', 'text', context()))).toContain("expected a fallback after '??'");
  });
});

describe('stored-key roots', () => {
  it('reads the stored key named by the first segment and follows the rest of the path into its value', async () => {
    const ctx = context();
    expect(await evaluateField('@{kv.profile.langs.1} @{kvGroup.shared} @{kvGlobal.config.mode}', 'text', ctx)).toBe('fr group value dark');
    expect(ctx.kvReads).toEqual(['kv:profile', 'kvGroup:shared', 'kvGlobal:config']);
  });

  it('labels paths into a stored value with the key', async () => {
    expect(await expressionMessage(evaluateField('@{kv.profile.age}', 'text', context()))).toBe(
      "@{kv.profile.age}: no key 'age' in kv.profile (keys: name, langs)",
    );
  });

  it('lets a store failure propagate unchanged', async () => {
    const ctx: ExpressionContext = {
      roots: {},
      readKv: async () => {
        throw new KvError('store', 'database is locked');
      },
    };
    await expect(evaluateField('@{kv.x}', 'text', ctx)).rejects.toMatchObject({ code: 'store', message: 'database is locked' });
  });

  it('needs a key after kv', async () => {
    expect(await expressionMessage(evaluateField('@{kv}', 'text', context()))).toContain('kv needs a stored key');
  });

  it('accepts a stored key named like a forbidden property, since it is a key, not a property', async () => {
    const ctx: ExpressionContext = { roots: {}, readKv: async (_root, key) => (key === 'constructor' ? 'stored' : undefined) };
    expect(await evaluateField('@{kv.constructor}', 'text', ctx)).toBe('stored');
  });
});

describe('JSON fields', () => {
  it('inserts a value as JSON outside string literals', async () => {
    expect(
      await evaluateField('{"tags": @{state.tags}, "n": @{input.n}, "u": @{state.user}, "e": @{state.empty}}', 'json', context()),
    ).toEqual({
      tags: ['x', 'y'],
      n: 42,
      u: { name: 'Ada', email: 'ada@example.com' },
      e: null,
    });
  });

  it('inserts a value as escaped string content inside string literals', async () => {
    expect(await evaluateField('{"name": "Dear @{input.name}", "tags": "@{state.tags}"}', 'json', context())).toEqual({
      name: 'Dear Ada',
      tags: '["x","y"]',
    });
  });

  it('keeps quotes, backslashes, newlines and braces in a value from breaking or injecting into the document', async () => {
    const ctx = context({ input: { evil: '", "admin": true, "x": "\\\n}' } });
    const value = await evaluateField('{"name": "@{input.evil}", "admin": false}', 'json', ctx);
    expect(value).toEqual({ name: '", "admin": true, "x": "\\\n}', admin: false });
  });

  it('keeps a string value outside quotes a JSON string, not raw JSON text', async () => {
    const ctx = context({ input: { text: '1, "injected": 2' } });
    expect(await evaluateField('{"a": @{input.text}}', 'json', ctx)).toEqual({ a: '1, "injected": 2' });
  });

  it('tracks string literals across escaped quotes in the template', async () => {
    expect(await evaluateField('{"a": "x\\"y", "b": @{input.n}, "c": "\\\\"}', 'json', context())).toEqual({ a: 'x"y', b: 42, c: '\\' });
  });

  it('fills a placeholder whose brackets contain quotes inside a JSON string', async () => {
    expect(await evaluateField('{"v": "<@{state["odd key"]["a\\"b"]}>"}', 'json', context())).toEqual({ v: '<7>' });
  });

  it('treats \\@{ inside a JSON string as a literal @{', async () => {
    expect(await evaluateField('{"hint": "type \\@{input.name}"}', 'json', context())).toEqual({ hint: 'type @{input.name}' });
  });

  it('keeps two adjacent inserted values from merging into one number', async () => {
    await expect(evaluateField('[@{input.n}@{input.n}]', 'json', context())).rejects.toBeInstanceOf(InvalidJsonError);
  });

  it('parses JSON without placeholders', async () => {
    expect(await evaluateField(' [1, {"a": "b"}] ', 'json', context())).toEqual([1, { a: 'b' }]);
  });

  it('keeps __proto__ in parsed JSON as an own key without touching the prototype', async () => {
    const value = (await evaluateField('{"__proto__": {"polluted": true}, "k": 1}', 'json', context())) as Record<string, JsonValue>;
    expect(Object.hasOwn(value, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('invalid JSON', () => {
  async function invalidJson(text: string): Promise<InvalidJsonError> {
    try {
      await evaluateField(text, 'json', context());
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidJsonError);
      return error as InvalidJsonError;
    }
    throw new Error('expected invalid JSON');
  }

  it('is an invalid_value KvError', async () => {
    const error = await invalidJson('{nope}');
    expect(error.code).toBe('invalid_value');
    expect(isKvError(error)).toBe(true);
  });

  it('says the line and column and quotes the text there', async () => {
    const error = await invalidJson('{\n  "a": 1,\n  "b": }');
    expect(error.line).toBe(3);
    expect(error.column).toBe(8);
    expect(error.message).toBe('Invalid JSON at line 3, column 8: unexpected \'}\' (near: "b": })');
  });

  it('points at the position in the field as written, after filled placeholders', async () => {
    const error = await invalidJson('{"a": "@{input.quote}", "b": @{state.tags} "c": 1}');
    // The missing comma is before "c", at column 44 of the template, whatever was filled in.
    expect(error.column).toBe(44);
    expect(error.message).toContain("expected ',' or '}'");
  });

  it('points at the placeholder when the error starts in an inserted value', async () => {
    const error = await invalidJson('{"a": 1 @{input.n}}');
    expect(error.column).toBe(9);
  });

  it('explains single quotes, trailing commas, unclosed strings and empty fields', async () => {
    expect((await invalidJson("{'a': 1}")).message).toContain('JSON strings use double quotes');
    expect((await invalidJson('[1, 2, ]')).message).toContain('trailing comma');
    expect((await invalidJson('{"a": "b}')).message).toContain('a string is not closed');
    const empty = await invalidJson('  ');
    expect(empty.message).toContain('the value is missing');
    expect(empty.line).toBe(1);
  });

  it('finds no error in valid JSON', () => {
    for (const json of ['{}', '[]', '"s"', '-0.5e+3', 'null', '{"a": [true, false, {"b": "\\u00e9\\n"}]}']) {
      expect(findJsonSyntaxError(json)).toBeNull();
    }
  });
});

describe('scanPlaceholders', () => {
  it('gives every placeholder with its range, root, parsed segments and fallback', () => {
    const text = 'x @{result.tasks.0["my key"]} y @{kv.profile ?? null}';
    const { placeholders, problems } = scanPlaceholders(text);
    expect(problems).toEqual([]);
    expect(placeholders).toEqual([
      {
        start: 2,
        end: 29,
        source: '@{result.tasks.0["my key"]}',
        expression: { kind: 'path', root: 'result', segments: ['tasks', 0, 'my key'] },
      },
      {
        start: 32,
        end: 53,
        source: '@{kv.profile ?? null}',
        expression: { kind: 'path', root: 'kv', segments: ['profile'], fallback: null },
      },
    ]);
    expect(text.slice(2, 29)).toBe(placeholders[0]?.source);
  });

  it('skips escaped placeholders', () => {
    expect(scanPlaceholders('\\@{state.x} @{state.y}').placeholders.map((p) => p.source)).toEqual(['@{state.y}']);
  });

  it('reports syntax problems with their positions and keeps finding later placeholders', () => {
    const { placeholders, problems } = scanPlaceholders('@{state..x} @{bogus.y} @{state.ok} @{input.');
    expect(placeholders.map((p) => p.source)).toEqual(['@{state.ok}']);
    expect(problems.map((p) => p.start)).toEqual([8, 14, 35]);
    expect(problems[0]?.message).toContain("expected a key or an index after '.'");
    expect(problems[1]?.message).toContain("unknown root 'bogus'");
    expect(problems[2]?.message).toContain('not closed');
  });

  it('reports a bad bracket', () => {
    const { problems } = scanPlaceholders("@{state['x']}");
    expect(problems).toHaveLength(1);
    expect(problems[0]?.message).toContain('expected a quoted key');
  });

  it('reports forbidden segments while typing, before any run', () => {
    expect(scanPlaceholders('@{state.__proto__.x}').problems[0]?.message).toContain("'__proto__' is never followed");
  });
});

describe('a field evaluated again', () => {
  it('reads the values of each context, not those of an earlier evaluation of the same text', async () => {
    const text = 'Hello @{input.name}, @{kv.counter} @{state.tags.1 ?? "none"}';
    expect(await evaluateField(text, 'text', context())).toBe('Hello Ada, 3 y');
    expect(await evaluateField(text, 'text', context({ input: { name: 'Grace' }, state: { tags: ['only'] } }))).toBe('Hello Grace, 3 none');
  });

  it('reports the same problem each time, at the same place', async () => {
    const text = 'a\nb @{input.name';
    const first = await evaluateField(text, 'text', context()).catch((error: unknown) => error);
    const second = await evaluateField(text, 'text', context()).catch((error: unknown) => error);
    expect(first).toBeInstanceOf(ExpressionError);
    expect((second as Error).message).toBe((first as Error).message);
    expect((first as Error).message).toContain('(line 2, column 3)');
  });

  it('names the failing segment with its full path, however deep it is', async () => {
    await expect(evaluateField('@{result.nested.deep.0.5}', 'text', context())).rejects.toThrow(
      '@{result.nested.deep.0.5}: index 5 out of range, 0 has 2 items',
    );
    await expect(evaluateField('@{state["odd key"]["a\\"b"].x}', 'text', context())).rejects.toThrow(
      `state["odd key"]["a\\"b"] is a number, not an object`,
    );
  });
});
