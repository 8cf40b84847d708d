import { describe, expect, it } from 'vitest';
import { evaluateField, scanPlaceholders, type ExpressionContext } from './expressions';
import { FUNCTION_NAMES } from './functions';
import type { JsonValue } from './types';

const roots: ExpressionContext['roots'] = {
  input: {
    name: '  Ada Lovelace ',
    tags: ['x', 'y', 'z'],
    n: 7,
    price: '12.50',
    when: '2024-02-29T13:05:09.045Z',
    csv: 'a,b,,c',
    raw: '{"a":[1,2]}',
  },
  result: { total: 10, tasks: [{ id: 1 }, { id: 2 }], count: '3', user: { name: 'Ada', admin: false } },
  state: {},
};
const ctx = (): ExpressionContext => ({
  roots,
  readKv: async (_root, key) => (key === 'invoiceCounter' ? 41 : undefined),
});

const evaluate = (text: string) => evaluateField(text, 'text', ctx());
async function failure(text: string): Promise<{ code: string; message: string }> {
  try {
    await evaluate(text);
  } catch (error) {
    return { code: (error as { code: string }).code, message: (error as Error).message };
  }
  throw new Error(`${text} did not fail`);
}

// One row per function: good calls with what they give, bad calls with the message's key part.
const CASES: Record<string, { good: Array<[string, JsonValue]>; bad: Array<[string, string]> }> = {
  add: {
    good: [
      ['@{add(result.total, 5)}', 15],
      ['@{add(kv.invoiceCounter, 1)}', 42],
      ['@{add(1, 2, 3.5)}', 6.5],
    ],
    bad: [
      ['@{add(result.total, "x")}', '@{add(result.total, "x")}: add expects numbers, argument 2 is the text "x"'],
      ['@{add(1)}', 'add takes at least 2 arguments, got 1: add(a, b, …)'],
      ['@{add(result.count, 1)}', 'argument 1 is the text "3"'],
    ],
  },
  subtract: {
    good: [['@{subtract(result.total, 3)}', 7]],
    bad: [
      ['@{subtract(1, 2, 3)}', 'subtract takes 2 arguments, got 3'],
      ['@{subtract(null, 1)}', 'subtract expects numbers, argument 1 is null'],
    ],
  },
  multiply: {
    good: [['@{multiply(2, 3, 4)}', 24]],
    bad: [['@{multiply(2, result.tasks)}', 'multiply expects numbers, argument 2 is an array of 2 items']],
  },
  divide: {
    good: [['@{divide(result.total, 4)}', 2.5]],
    bad: [
      ['@{divide(1, 0)}', 'divide cannot divide by zero: argument 2 is 0'],
      ['@{divide(true, 1)}', 'divide expects numbers, argument 1 is the boolean true'],
    ],
  },
  round: {
    good: [
      ['@{round(2.5)}', 3],
      ['@{round(-2.5)}', -3],
      ['@{round(1.005, 2)}', 1.01],
      ['@{round(divide(10, 3), 2)}', 3.33],
    ],
    bad: [
      ['@{round("2")}', 'round expects a number, argument 1 is the text "2"'],
      ['@{round(1, 1.5)}', 'round expects a whole number of digits from 0 to 15, argument 2 is the number 1.5'],
    ],
  },
  length: {
    good: [
      ['@{length(result.tasks)}', 2],
      ['@{length(input.name)}', 15],
      ['@{length(result.user)}', 2],
      ['@{length("héllo👋")}', 6],
    ],
    bad: [['@{length(input.n)}', 'length expects a text, an array or an object, argument 1 is the number 7']],
  },
  lower: {
    good: [['@{lower(result.user.name)}', 'ada']],
    bad: [['@{lower(result.tasks)}', 'lower expects text, argument 1 is an array of 2 items']],
  },
  upper: {
    good: [['@{upper(trim(input.name))}', 'ADA LOVELACE']],
    bad: [['@{upper(1)}', 'upper expects text, argument 1 is the number 1']],
  },
  trim: { good: [['@{trim(input.name)}', 'Ada Lovelace']], bad: [['@{trim(result.user)}', 'trim expects text, argument 1 is an object']] },
  join: {
    good: [
      ['@{join(input.tags)}', 'x,y,z'],
      ['@{join(input.tags, " | ")}', 'x | y | z'],
      ['@{join(split(input.csv, ","), "-")}', 'a-b--c'],
    ],
    bad: [
      ['@{join(result.tasks)}', 'join expects an array of texts, numbers or booleans, item 0 of argument 1 is an object'],
      ['@{join("abc")}', 'join expects an array, argument 1 is the text "abc"'],
    ],
  },
  split: {
    good: [
      ['@{split(input.csv, ",")}', ['a', 'b', '', 'c']],
      ['@{split("ab", "")}', ['a', 'b']],
    ],
    bad: [
      ['@{split(input.csv)}', 'split takes 2 arguments, got 1: split(text, separator)'],
      ['@{split(input.csv, 1)}', 'split expects a text separator, argument 2 is the number 1'],
    ],
  },
  keys: {
    good: [['@{keys(result.user)}', ['name', 'admin']]],
    bad: [['@{keys(input.tags)}', 'keys expects an object, argument 1 is an array of 3 items']],
  },
  values: {
    good: [['@{values(result.user)}', ['Ada', false]]],
    bad: [['@{values("x")}', 'values expects an object, argument 1 is the text "x"']],
  },
  contains: {
    good: [
      ['@{contains(input.tags, "y")}', true],
      ['@{contains(result.tasks, json("{\\"id\\":2}"))}', true],
      ['@{contains(input.name, "Love")}', true],
      ['@{contains(result.user, "admin")}', true],
      ['@{contains(result.user, "__proto__")}', false],
    ],
    bad: [
      ['@{contains(input.n, 7)}', 'contains expects a text, an array or an object, argument 1 is the number 7'],
      ['@{contains(input.name, 1)}', 'contains expects a text to look for in a text, argument 2 is the number 1'],
    ],
  },
  toNumber: {
    good: [
      ['@{toNumber(input.price)}', 12.5],
      ['@{add(toNumber(result.count), 1)}', 4],
      ['@{toNumber(7)}', 7],
    ],
    bad: [
      ['@{toNumber("12abc")}', 'toNumber expects a number or a text that is a number, argument 1 is the text "12abc"'],
      ['@{toNumber("")}', 'argument 1 is the text ""'],
    ],
  },
  toText: {
    good: [
      ['@{toText(input.n)}', '7'],
      ['@{toText(result.user)}', '{"name":"Ada","admin":false}'],
      ['@{toText(null)}', 'null'],
    ],
    bad: [['@{toText()}', 'toText takes 1 argument, got 0: toText(value)']],
  },
  json: {
    good: [
      ['@{json(input.raw)}', { a: [1, 2] }],
      ['@{json("3")}', 3],
    ],
    bad: [
      ['@{json("{a:1}")}', 'json expects a JSON text, argument 1 does not parse: the text "{a:1}"'],
      ['@{json(result.user)}', 'json expects a JSON text, argument 1 is an object'],
    ],
  },
  formatDate: {
    good: [
      ['@{formatDate(input.when, "YYYY-MM-DD HH:mm:ss.SSS")}', '2024-02-29 13:05:09.045'],
      ['@{formatDate(0)}', '1970-01-01T00:00:00.000Z'],
      ['@{formatDate("2024-03-01", "DD/MM/YYYY")}', '01/03/2024'],
      ['@{formatDate("2030-01-01T10:00:00.000Z", "HH:mm")}', '10:00'],
    ],
    bad: [
      ['@{formatDate("yesterday")}', 'formatDate expects an ISO date text or epoch milliseconds, argument 1 is the text "yesterday"'],
      ['@{formatDate(input.when, 5)}', 'argument 2 is the number 5'],
    ],
  },
};

describe('expression functions', () => {
  it('covers every function in the table', () => {
    expect(Object.keys(CASES).sort()).toEqual([...FUNCTION_NAMES].sort());
  });

  for (const [name, { good, bad }] of Object.entries(CASES)) {
    it(`${name} computes good arguments and names the bad one`, async () => {
      for (const [text, expected] of good) expect(await evaluate(text), text).toEqual(expected);
      for (const [text, message] of bad) {
        const error = await failure(text);
        expect(error.code, text).toBe('expression');
        expect(error.message, text).toContain(message);
        expect(error.message.startsWith(text), text).toBe(true);
      }
    });
  }

  it('takes paths with fallbacks, literals and nested calls as arguments, inside text and JSON', async () => {
    expect(await evaluate('@{add(result.missing ?? 0, 2)}')).toBe(2);
    expect(await evaluate('Invoice #@{add(kv.invoiceCounter, 1)} for @{upper(result.user.name)}')).toBe('Invoice #42 for ADA');
    expect(await evaluateField('{"n": @{length(result.tasks)}, "who": "@{lower(result.user.name)}"}', 'json', ctx())).toEqual({
      n: 2,
      who: 'ada',
    });
  });

  it('a missing path inside a call fails like any path, naming the placeholder', async () => {
    const error = await failure('@{length(result.todo)}');
    expect(error.message).toBe("@{length(result.todo)}: no key 'todo' in result (keys: total, tasks, count, user)");
  });

  it('reports an unknown function and malformed calls as syntax problems', () => {
    expect(scanPlaceholders('@{sum(1, 2)}').problems[0]?.message).toContain("unknown function 'sum': use one of add, subtract,");
    expect(scanPlaceholders('@{add(1 2)}').problems[0]?.message).toContain("expected ',' or ')' in the arguments of add, found '2'");
    expect(scanPlaceholders('@{add(1, )}').problems[0]?.message).toContain('expected an argument');
    expect(scanPlaceholders('@{add(result.__proto__, 1)}').problems[0]?.message).toContain("'__proto__' is never followed");
    expect(scanPlaceholders('@{upper(input.name').problems[0]?.message).toContain('the placeholder is not closed');
  });

  it('never reaches the prototype through a function: keys and values are own keys', async () => {
    const polluted = JSON.parse('{"__proto__": {"admin": true}, "a": 1}') as JsonValue;
    const context: ExpressionContext = { roots: { input: polluted } };
    expect(await evaluateField('@{keys(input)}', 'text', context)).toEqual(['__proto__', 'a']);
    expect(await evaluateField('@{contains(input, "toString")}', 'text', context)).toBe(false);
    expect(await evaluateField('@{contains(input, "hasOwnProperty")}', 'text', context)).toBe(false);
  });
});
