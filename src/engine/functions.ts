/**
 * The functions of the expression language (docs/expressions.md): `@{add(kv.counter, 1)}`,
 * `@{length(result.tasks)}`. Each is strict and typed: an argument of the wrong type fails
 * with a message that names the function and the argument, never a silent conversion. They
 * are plain TypeScript over JSON values: no eval, and keys are always own keys.
 */
import type { JsonValue } from './types';

/** A function called with the wrong arguments; the evaluator prefixes the placeholder. */
export class FunctionCallError extends Error {
  override readonly name = 'FunctionCallError';
}

export interface ExpressionFunction {
  readonly name: string;
  /** How it is called, shown as the signature hint: `add(a, b, …)`. */
  readonly signature: string;
  /** One line on what it gives. */
  readonly summary: string;
  readonly minArgs: number;
  /** `Infinity` for a variable count. */
  readonly maxArgs: number;
  apply(args: readonly JsonValue[]): JsonValue;
}

/** How a value is named in messages: `the text "x"`, `the number 5`, `an array`. */
export function describeValue(value: JsonValue): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length} item${value.length === 1 ? '' : 's'}`;
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') {
    const shown = value.length > 40 ? `${value.slice(0, 39)}…` : value;
    return `the text ${JSON.stringify(shown)}`;
  }
  return `the ${typeof value} ${String(value)}`;
}

type JsonObject = { [key: string]: JsonValue };

function isObject(value: JsonValue): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Readers that check one argument's type; `index` is 0-based, messages count from 1. */
function wrong(name: string, expects: string, index: number, value: JsonValue): never {
  throw new FunctionCallError(`${name} expects ${expects}, argument ${index + 1} is ${describeValue(value)}`);
}

function numberArg(name: string, args: readonly JsonValue[], index: number, expects = 'numbers'): number {
  const value = args[index] as JsonValue;
  if (typeof value !== 'number') wrong(name, expects, index, value);
  return value as number;
}

function textArg(name: string, args: readonly JsonValue[], index: number, expects = 'text'): string {
  const value = args[index] as JsonValue;
  if (typeof value !== 'string') wrong(name, expects, index, value);
  return value as string;
}

function finite(name: string, result: number): number {
  if (!Number.isFinite(result)) throw new FunctionCallError(`${name} gives ${result}, which is not a number JSON can hold`);
  return result;
}

function deepEqual(a: JsonValue, b: JsonValue): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, i) => deepEqual(item, b[i] as JsonValue));
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    return (
      keys.length === Object.keys(b).length &&
      keys.every((key) => Object.hasOwn(b, key) && deepEqual(a[key] as JsonValue, b[key] as JsonValue))
    );
  }
  return false;
}

const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/** `YYYY-MM-DD HH:mm:ss.SSS` tokens of `formatDate`, in UTC. */
const DATE_TOKENS = /YYYY|MM|DD|HH|mm|ss|SSS/g;

function pad(value: number, width = 2): string {
  return String(value).padStart(width, '0');
}

function arithmetic(name: string, summary: string, operator: (a: number, b: number) => number, variadic: boolean): ExpressionFunction {
  return {
    name,
    signature: variadic ? `${name}(a, b, …)` : `${name}(a, b)`,
    summary,
    minArgs: 2,
    maxArgs: variadic ? Infinity : 2,
    apply(args) {
      let total = numberArg(name, args, 0);
      for (let i = 1; i < args.length; i++) total = operator(total, numberArg(name, args, i));
      return finite(name, total);
    },
  };
}

const FUNCTION_LIST: readonly ExpressionFunction[] = [
  arithmetic('add', 'the sum of numbers', (a, b) => a + b, true),
  arithmetic('subtract', 'a minus b', (a, b) => a - b, false),
  arithmetic('multiply', 'the product of numbers', (a, b) => a * b, true),
  {
    name: 'divide',
    signature: 'divide(a, b)',
    summary: 'a divided by b (b must not be 0)',
    minArgs: 2,
    maxArgs: 2,
    apply(args) {
      const a = numberArg('divide', args, 0);
      const b = numberArg('divide', args, 1);
      if (b === 0) throw new FunctionCallError('divide cannot divide by zero: argument 2 is 0');
      return finite('divide', a / b);
    },
  },
  {
    name: 'round',
    signature: 'round(number, digits?)',
    summary: 'rounds to a number of decimal digits (0 by default), halves away from zero',
    minArgs: 1,
    maxArgs: 2,
    apply(args) {
      const value = numberArg('round', args, 0, 'a number');
      const digits = args.length > 1 ? numberArg('round', args, 1, 'a whole number of digits from 0 to 15') : 0;
      if (!Number.isInteger(digits) || digits < 0 || digits > 15) wrong('round', 'a whole number of digits from 0 to 15', 1, digits);
      // Shifting by exponent text keeps 1.005 at 1.005 (1.005 * 100 is 100.49999…).
      const magnitude = Math.abs(value);
      const shifted = String(magnitude).includes('e')
        ? Math.round(magnitude * 10 ** digits) / 10 ** digits
        : Number(`${Math.round(Number(`${magnitude}e${digits}`))}e-${digits}`);
      const rounded = Math.sign(value) * shifted;
      return Object.is(rounded, -0) ? 0 : finite('round', rounded);
    },
  },
  {
    name: 'length',
    signature: 'length(value)',
    summary: 'characters of a text, items of an array, keys of an object',
    minArgs: 1,
    maxArgs: 1,
    apply([value]) {
      if (typeof value === 'string') return [...value].length;
      if (Array.isArray(value)) return value.length;
      if (isObject(value as JsonValue)) return Object.keys(value as JsonObject).length;
      return wrong('length', 'a text, an array or an object', 0, value as JsonValue);
    },
  },
  {
    name: 'lower',
    signature: 'lower(text)',
    summary: 'the text in lower case',
    minArgs: 1,
    maxArgs: 1,
    apply: (args) => textArg('lower', args, 0).toLowerCase(),
  },
  {
    name: 'upper',
    signature: 'upper(text)',
    summary: 'the text in upper case',
    minArgs: 1,
    maxArgs: 1,
    apply: (args) => textArg('upper', args, 0).toUpperCase(),
  },
  {
    name: 'trim',
    signature: 'trim(text)',
    summary: 'the text without spaces and line breaks at both ends',
    minArgs: 1,
    maxArgs: 1,
    apply: (args) => textArg('trim', args, 0).trim(),
  },
  {
    name: 'join',
    signature: 'join(array, separator?)',
    summary: 'the items of an array as one text, separated by "," or the separator',
    minArgs: 1,
    maxArgs: 2,
    apply(args) {
      const items = args[0] as JsonValue;
      if (!Array.isArray(items)) return wrong('join', 'an array', 0, items);
      const separator = args.length > 1 ? textArg('join', args, 1, 'a text separator') : ',';
      return items
        .map((item, i) => {
          if (typeof item === 'string') return item;
          if (typeof item === 'number' || typeof item === 'boolean') return String(item);
          throw new FunctionCallError(
            `join expects an array of texts, numbers or booleans, item ${i} of argument 1 is ${describeValue(item)}`,
          );
        })
        .join(separator);
    },
  },
  {
    name: 'split',
    signature: 'split(text, separator)',
    summary: 'the parts of a text between separators, as an array ("" splits into characters)',
    minArgs: 2,
    maxArgs: 2,
    apply(args) {
      const text = textArg('split', args, 0);
      const separator = textArg('split', args, 1, 'a text separator');
      return separator === '' ? [...text] : text.split(separator);
    },
  },
  {
    name: 'keys',
    signature: 'keys(object)',
    summary: 'the keys of an object, in order',
    minArgs: 1,
    maxArgs: 1,
    apply([value]) {
      if (!isObject(value as JsonValue)) return wrong('keys', 'an object', 0, value as JsonValue);
      return Object.keys(value as JsonObject);
    },
  },
  {
    name: 'values',
    signature: 'values(object)',
    summary: 'the values of an object, in key order',
    minArgs: 1,
    maxArgs: 1,
    apply([value]) {
      if (!isObject(value as JsonValue)) return wrong('values', 'an object', 0, value as JsonValue);
      return Object.values(value as JsonObject);
    },
  },
  {
    name: 'contains',
    signature: 'contains(haystack, needle)',
    summary: 'whether a text holds a text, an array an equal item, or an object a key',
    minArgs: 2,
    maxArgs: 2,
    apply(args) {
      const haystack = args[0] as JsonValue;
      const needle = args[1] as JsonValue;
      if (typeof haystack === 'string') return haystack.includes(textArg('contains', args, 1, 'a text to look for in a text'));
      if (Array.isArray(haystack)) return haystack.some((item) => deepEqual(item, needle));
      if (isObject(haystack)) return Object.hasOwn(haystack, textArg('contains', args, 1, 'a key (text) to look for in an object'));
      return wrong('contains', 'a text, an array or an object', 0, haystack);
    },
  },
  {
    name: 'toNumber',
    signature: 'toNumber(value)',
    summary: 'a number, or a text that is one ("42", "-1.5")',
    minArgs: 1,
    maxArgs: 1,
    apply([value]) {
      if (typeof value === 'number') return value;
      if (typeof value === 'string' && JSON_NUMBER.test(value.trim())) return finite('toNumber', Number(value.trim()));
      return wrong('toNumber', 'a number or a text that is a number', 0, value as JsonValue);
    },
  },
  {
    name: 'toText',
    signature: 'toText(value)',
    summary: 'the value as text: texts as they are, numbers as written, the rest as JSON',
    minArgs: 1,
    maxArgs: 1,
    apply([value]) {
      if (typeof value === 'string') return value;
      if (typeof value === 'number' || typeof value === 'boolean') return String(value);
      return JSON.stringify(value);
    },
  },
  {
    name: 'json',
    signature: 'json(text)',
    summary: 'the value a JSON text holds',
    minArgs: 1,
    maxArgs: 1,
    apply(args) {
      const text = textArg('json', args, 0, 'a JSON text');
      try {
        return JSON.parse(text) as JsonValue;
      } catch {
        throw new FunctionCallError(`json expects a JSON text, argument 1 does not parse: ${describeValue(text)}`);
      }
    },
  },
  {
    name: 'formatDate',
    signature: 'formatDate(date, format?)',
    summary: 'an ISO time or epoch milliseconds as text in UTC; format tokens YYYY MM DD HH mm ss SSS',
    minArgs: 1,
    maxArgs: 2,
    apply(args) {
      const input = args[0] as JsonValue;
      const expects = 'an ISO date text or epoch milliseconds';
      if (typeof input !== 'string' && typeof input !== 'number') return wrong('formatDate', expects, 0, input);
      // ISO 8601 only: Date.parse would also take free-form texts whose meaning varies by engine.
      if (
        typeof input === 'string' &&
        !/^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/.test(input)
      ) {
        return wrong('formatDate', expects, 0, input);
      }
      const date = new Date(input);
      if (Number.isNaN(date.getTime())) return wrong('formatDate', expects, 0, input);
      if (args.length < 2) return date.toISOString();
      const format = textArg('formatDate', args, 1, 'a format text such as "YYYY-MM-DD"');
      const parts: Record<string, string> = {
        YYYY: pad(date.getUTCFullYear(), 4),
        MM: pad(date.getUTCMonth() + 1),
        DD: pad(date.getUTCDate()),
        HH: pad(date.getUTCHours()),
        mm: pad(date.getUTCMinutes()),
        ss: pad(date.getUTCSeconds()),
        SSS: pad(date.getUTCMilliseconds(), 3),
      };
      return format.replace(DATE_TOKENS, (token) => parts[token] ?? token);
    },
  },
];

/** The functions by name. A Map, so no name can reach an object's prototype. */
export const EXPRESSION_FUNCTIONS: ReadonlyMap<string, ExpressionFunction> = new Map(FUNCTION_LIST.map((fn) => [fn.name, fn]));
export const FUNCTION_NAMES: readonly string[] = FUNCTION_LIST.map((fn) => fn.name);

/** Calls a function by name after checking the argument count; throws FunctionCallError. */
export function callFunction(name: string, args: readonly JsonValue[]): JsonValue {
  const fn = EXPRESSION_FUNCTIONS.get(name);
  if (!fn) throw new FunctionCallError(`unknown function '${name}': use one of ${FUNCTION_NAMES.join(', ')}`);
  if (args.length < fn.minArgs || args.length > fn.maxArgs) {
    const wanted =
      fn.minArgs === fn.maxArgs ? `${fn.minArgs}` : fn.maxArgs === Infinity ? `at least ${fn.minArgs}` : `${fn.minArgs} or ${fn.maxArgs}`;
    throw new FunctionCallError(`${name} takes ${wanted} argument${wanted === '1' ? '' : 's'}, got ${args.length}: ${fn.signature}`);
  }
  return fn.apply(args);
}
