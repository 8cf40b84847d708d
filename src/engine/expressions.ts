/**
 * The expression language of blueprint fields (docs/expressions.md): `@{root.path ?? "fallback"}`
 * placeholders inside any text, filled in strictly (a path that does not resolve is an error,
 * never an empty string) and, for JSON fields, JSON-aware (a value can never break or inject
 * into the document). Pure TypeScript: no eval, no `new Function`, own properties only.
 */
import { KvError } from '../kv/errors';
import { describeJsonProblem, findJsonSyntaxError, JSON_NUMBER_PATTERN, lineAndColumn } from '../kv/json';
import { EXPRESSION_FUNCTIONS, FUNCTION_NAMES, FunctionCallError, callFunction } from './functions';
import type { JsonValue, ValueType } from './types';

// ---------------------------------------------------------------------------------------------
// Public types and errors

export const EXPRESSION_ROOTS = [
  'input',
  'state',
  'result',
  'results',
  'error',
  'kv',
  'kvGroup',
  'kvGlobal',
  'run',
  'blueprint',
  'now',
] as const;
export type ExpressionRoot = (typeof EXPRESSION_ROOTS)[number];

/** Roots whose first segment names a stored key, read through `ExpressionContext.readKv`. */
export const KV_ROOTS = ['kv', 'kvGroup', 'kvGlobal'] as const;
export type KvRoot = (typeof KV_ROOTS)[number];
export type SyncRoot = Exclude<ExpressionRoot, KvRoot>;

/** The scope each stored-key root reads, as named in messages. */
export const KV_ROOT_SCOPES: Record<KvRoot, 'flow' | 'flow_group' | 'global'> = { kv: 'flow', kvGroup: 'flow_group', kvGlobal: 'global' };

/** Property names a path never follows, whatever the value: they reach the prototype chain. */
export const FORBIDDEN_SEGMENTS: readonly string[] = ['__proto__', 'prototype', 'constructor'];

export interface ExpressionContext {
  /** Synchronous roots: result, results (object keyed by node id AND ref), state, input, error, run, blueprint, now. A root that is absent is undefined. */
  roots: Partial<Record<SyncRoot, JsonValue | undefined>>;
  /** Reads a stored key for the kv / kvGroup / kvGlobal roots; resolves undefined when the key is absent. May throw a KvError (store failure), let it propagate. */
  readKv?: (root: KvRoot, key: string) => Promise<JsonValue | undefined>;
}

/** A placeholder that cannot be parsed or does not resolve. The message is what a person reads. */
export class ExpressionError extends Error {
  override readonly name = 'ExpressionError';
  readonly code = 'expression';
}

/**
 * A `valueType: json` field that does not parse once its placeholders are filled in. It is a
 * `KvError` with code `invalid_value`, so the runner reports it like the store's own.
 * `line` and `column` are 1-based and point into the field as the person wrote it.
 */
export class InvalidJsonError extends KvError {
  declare readonly code: 'invalid_value';
  constructor(
    message: string,
    readonly line: number,
    readonly column: number,
  ) {
    super('invalid_value', message);
  }
}

export type PathSegment = string | number;

/** What a placeholder holds: a path, a function call, or (as an argument) a literal. */
export type Expression =
  | {
      kind: 'path';
      root: ExpressionRoot;
      /** For the stored-key roots, the first segment is the key. */
      segments: PathSegment[];
      /** Present when the path has `?? literal` (which may be `null`). */
      fallback?: JsonValue;
    }
  | { kind: 'call'; name: string; args: Expression[] }
  | { kind: 'literal'; value: JsonValue };

export type PathExpression = Extract<Expression, { kind: 'path' }>;

export interface Placeholder {
  /** Offset of `@` in the text. */
  start: number;
  /** Offset just after the closing `}`. */
  end: number;
  /** The placeholder as written, `@{…}`. */
  source: string;
  expression: Expression;
}

export interface PlaceholderProblem {
  /** Offset in the text where the problem is. */
  start: number;
  message: string;
}

export interface PlaceholderScan {
  placeholders: Placeholder[];
  problems: PlaceholderProblem[];
}

// ---------------------------------------------------------------------------------------------
// Scanning: the text split into literal runs, `\@{` escapes and placeholders

type TextPart =
  | { kind: 'literal'; start: number; text: string }
  /** `\@{` in the source, standing for a literal `@{`. */
  | { kind: 'escape'; start: number }
  | { kind: 'placeholder'; placeholder: Placeholder };

interface Tokenized {
  parts: TextPart[];
  problems: PlaceholderProblem[];
}

const ROOT_PATTERN = /[A-Za-z_$][A-Za-z0-9_$]*/y;
/** A dot segment: anything but separators, quotes, whitespace and the characters of `??` / `}`. */
const DOT_SEGMENT_PATTERN = /[^\s.[\]{}"'?\\@]+/y;
/** Inside a call's arguments a dot segment also stops at `,` and `)`. */
const ARGUMENT_DOT_SEGMENT_PATTERN = /[^\s.[\]{}"'?\\@,()]+/y;
const CANONICAL_INDEX = /^(?:0|[1-9]\d*)$/;

type ParseOutcome =
  | { ok: true; placeholder: Placeholder }
  /** `incomplete` when the text ended before the placeholder closed. */
  | { ok: false; at: number; message: string; incomplete: boolean };

class PlaceholderSyntaxError extends Error {
  constructor(
    readonly at: number,
    message: string,
    readonly incomplete: boolean,
  ) {
    super(message);
  }
}

/** How deep calls may nest inside one placeholder (`add(add(add(…)))`). */
const MAX_CALL_DEPTH = 32;

/** Parses the placeholder whose `@` is at `start` (the caller saw `@{` there). */
function parsePlaceholderAt(text: string, start: number): ParseOutcome {
  let i = start + 2;
  const fail = (message: string, at = i): never => {
    throw new PlaceholderSyntaxError(at, message, at >= text.length);
  };
  const skipSpaces = (): void => {
    while (i < text.length && /\s/.test(text[i] ?? '')) i++;
  };
  const readMatch = (pattern: RegExp): string | null => {
    pattern.lastIndex = i;
    const match = pattern.exec(text);
    if (!match) return null;
    i += match[0].length;
    return match[0];
  };
  /** A double-quoted string with JSON escapes; JSON.parse decodes it (a literal, not code). */
  const readQuotedString = (): string => {
    const quoteAt = i;
    i++;
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    if (i >= text.length) fail('the quoted string is not closed', text.length);
    i++;
    try {
      return JSON.parse(text.slice(quoteAt, i)) as string;
    } catch {
      return fail('the quoted string is not valid (use JSON escapes such as \\" and \\\\)', quoteAt);
    }
  };
  const describeHere = (): string => (i >= text.length ? 'the end of the text' : `'${text[i]}'`);
  /** A literal: "string", number, true, false or null; null when there is none here. */
  const readLiteral = (): { value: JsonValue } | null => {
    if (text[i] === '"') return { value: readQuotedString() };
    for (const [word, value] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (text.startsWith(word, i) && !/[A-Za-z0-9_$]/.test(text[i + word.length] ?? '')) {
        i += word.length;
        return { value };
      }
    }
    const number = readMatch(JSON_NUMBER_PATTERN);
    return number === null ? null : { value: Number(number) };
  };
  const readPath = (root: string, rootAt: number, asArgument: boolean): Expression => {
    if (!(EXPRESSION_ROOTS as readonly string[]).includes(root)) {
      fail(
        `unknown root '${root}': use one of ${EXPRESSION_ROOTS.join(', ')}, or call a function such as ${FUNCTION_NAMES.slice(0, 3).join(', ')}`,
        rootAt,
      );
    }
    const segments: PathSegment[] = [];
    for (;;) {
      const segmentAt = i;
      if (text[i] === '.') {
        i++;
        const name = readMatch(asArgument ? ARGUMENT_DOT_SEGMENT_PATTERN : DOT_SEGMENT_PATTERN);
        if (name === null) fail(`expected a key or an index after '.', found ${describeHere()}`);
        segments.push(CANONICAL_INDEX.test(name as string) ? Number(name) : (name as string));
      } else if (text[i] === '[') {
        i++;
        skipSpaces();
        if (text[i] === '"') {
          segments.push(readQuotedString());
        } else {
          const digits = readMatch(/\d+/y);
          if (digits === null || !CANONICAL_INDEX.test(digits))
            fail(`expected a quoted key ["…"] or an index [0] inside brackets, found ${describeHere()}`);
          segments.push(Number(digits));
        }
        skipSpaces();
        if (text[i] !== ']') fail(`expected ']', found ${describeHere()}`);
        i++;
      } else {
        break;
      }
      const segment = segments[segments.length - 1];
      const isStoredKey = segments.length === 1 && (KV_ROOTS as readonly string[]).includes(root);
      if (!isStoredKey && typeof segment === 'string' && FORBIDDEN_SEGMENTS.includes(segment)) {
        fail(`'${segment}' is never followed: only a value's own keys resolve`, segmentAt);
      }
    }
    if ((KV_ROOTS as readonly string[]).includes(root) && segments.length === 0) {
      fail(`${root} needs a stored key: write @{${root}.<key>}`);
    }
    const path: Expression = { kind: 'path', root: root as ExpressionRoot, segments };
    skipSpaces();
    if (text.startsWith('??', i)) {
      i += 2;
      skipSpaces();
      const literal = readLiteral();
      if (literal === null) fail(`expected a fallback after '??': a "string", a number, true, false or null; found ${describeHere()}`);
      path.fallback = (literal as { value: JsonValue }).value;
      skipSpaces();
    }
    return path;
  };
  const readCall = (name: string, nameAt: number, depth: number): Expression => {
    if (!EXPRESSION_FUNCTIONS.has(name)) fail(`unknown function '${name}': use one of ${FUNCTION_NAMES.join(', ')}`, nameAt);
    if (depth > MAX_CALL_DEPTH) fail(`calls nest more than ${MAX_CALL_DEPTH} deep`, nameAt);
    i++; // the '('
    const args: Expression[] = [];
    skipSpaces();
    if (text[i] === ')') {
      i++;
    } else {
      for (;;) {
        args.push(readExpression(true, depth + 1));
        skipSpaces();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ')') {
          i++;
          break;
        }
        fail(`expected ',' or ')' in the arguments of ${name}, found ${describeHere()}`);
      }
    }
    skipSpaces();
    return { kind: 'call', name, args };
  };
  /** A path, a call, or (as an argument) a literal. */
  const readExpression = (asArgument: boolean, depth: number): Expression => {
    skipSpaces();
    const at = i;
    const name = readMatch(ROOT_PATTERN);
    if (name !== null && !(asArgument && ['true', 'false', 'null'].includes(name))) {
      const afterName = i;
      skipSpaces();
      if (text[i] === '(') return readCall(name, at, depth);
      i = afterName;
      return readPath(name, at, asArgument);
    }
    i = at;
    if (asArgument) {
      const literal = readLiteral();
      if (literal !== null) {
        skipSpaces();
        return { kind: 'literal', value: literal.value };
      }
      return fail(`expected an argument (a path, a "string", a number, true, false, null or a call), found ${describeHere()}`);
    }
    return fail(`expected a root (${EXPRESSION_ROOTS.join(', ')}) or a function call, found ${describeHere()}`);
  };

  try {
    const expression = readExpression(false, 0);
    skipSpaces();
    if (i >= text.length) fail("the placeholder is not closed: add '}'");
    if (text[i] !== '}') {
      const expected = expression.kind === 'path' && !Object.hasOwn(expression, 'fallback') ? "'.', '[', '??' or '}'" : "'}'";
      fail(`expected ${expected}, found ${describeHere()}`);
    }
    i++;
    return { ok: true, placeholder: { start, end: i, source: text.slice(start, i), expression } };
  } catch (error) {
    if (error instanceof PlaceholderSyntaxError) return { ok: false, at: error.at, message: error.message, incomplete: error.incomplete };
    throw error;
  }
}

/** A short quote of the text from `start`, for messages about a placeholder that did not parse. */
function quoteFrom(text: string, start: number, until: number): string {
  const closing = text.indexOf('}', until);
  const end = Math.min(closing === -1 ? text.length : closing + 1, start + 60);
  return text.slice(start, end) + (end < text.length && end === start + 60 ? '…' : '');
}

function tokenize(text: string): Tokenized {
  const parts: TextPart[] = [];
  const problems: PlaceholderProblem[] = [];
  let literalStart = 0;
  const flushLiteral = (until: number): void => {
    if (until > literalStart) parts.push({ kind: 'literal', start: literalStart, text: text.slice(literalStart, until) });
  };
  let i = 0;
  while (i < text.length) {
    if (text.startsWith('\\@{', i)) {
      flushLiteral(i);
      parts.push({ kind: 'escape', start: i });
      i += 3;
      literalStart = i;
      continue;
    }
    if (!text.startsWith('@{', i)) {
      i++;
      continue;
    }
    const outcome = parsePlaceholderAt(text, i);
    if (outcome.ok) {
      flushLiteral(i);
      parts.push({ kind: 'placeholder', placeholder: outcome.placeholder });
      i = outcome.placeholder.end;
      literalStart = i;
      continue;
    }
    const quoted = quoteFrom(text, i, outcome.at);
    problems.push({
      start: outcome.incomplete ? i : outcome.at,
      // Running out of text mid-path (`@{input.`) is an unclosed placeholder, whatever was expected next.
      message: outcome.incomplete
        ? `${quoted}: the placeholder is not closed: add '}' (write \\@{ for a literal @{)`
        : `${quoted}: ${outcome.message}`,
    });
    // Carry on after the `@{`, so later placeholders are still found and checked.
    i += 2;
  }
  flushLiteral(text.length);
  return { parts, problems };
}

/** How many field texts keep their tokens between calls, and the longest text kept. */
const TOKEN_CACHE_SIZE = 512;
const TOKEN_CACHE_MAX_TEXT = 16_384;
const tokenCache = new Map<string, Tokenized>();

/**
 * `tokenize`, remembered by text: a run evaluates the same few fields again and again (a loop, a
 * chain of blocks), and their tokens never change. The parts are only read, never changed.
 */
function tokenizeCached(text: string): Tokenized {
  const cached = tokenCache.get(text);
  if (cached) return cached;
  const tokenized = tokenize(text);
  if (text.length <= TOKEN_CACHE_MAX_TEXT) {
    // Forgetting all at once when full keeps this cheap; the fields of a run refill it at once.
    if (tokenCache.size >= TOKEN_CACHE_SIZE) tokenCache.clear();
    tokenCache.set(text, tokenized);
  }
  return tokenized;
}

/** Every placeholder in a text with its source range and parsed path, plus syntax problems with positions. */
export function scanPlaceholders(text: string): PlaceholderScan {
  const { parts, problems } = tokenize(text);
  const placeholders: Placeholder[] = [];
  for (const part of parts) if (part.kind === 'placeholder') placeholders.push(part.placeholder);
  return { placeholders, problems };
}

// ---------------------------------------------------------------------------------------------
// Resolving paths

type Resolution =
  | { ok: true; value: JsonValue }
  /** `absent`: a segment is missing, so a `??` fallback applies; otherwise the path is forbidden. */
  | { ok: false; absent: boolean; reason: string };

const SIMPLE_KEY = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

function appendToLabel(label: string, segment: PathSegment): string {
  if (typeof segment === 'number' || SIMPLE_KEY.test(segment)) return `${label}.${segment}`;
  return `${label}[${JSON.stringify(segment)}]`;
}

function kindOf(value: JsonValue): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

function listKeys(keys: string[]): string {
  if (keys.length === 0) return 'it has no keys';
  const shown = keys.slice(0, 10).join(', ');
  return `keys: ${shown}${keys.length > 10 ? `, … ${keys.length - 10} more` : ''}`;
}

/** How messages name the value reached by the first `count` segments (built only for a message). */
function labelOf(label: string, segments: readonly PathSegment[], count: number): string {
  let built = label;
  for (let k = 0; k < count; k++) built = appendToLabel(built, segments[k]!);
  return built;
}

function followPath(value: JsonValue, segments: readonly PathSegment[], label: string): Resolution {
  let current: JsonValue = value;
  for (let index = 0; index < segments.length; index++) {
    const segment = segments[index]!;
    if (typeof segment === 'string' && FORBIDDEN_SEGMENTS.includes(segment)) {
      return { ok: false, absent: false, reason: `'${segment}' is never followed: only a value's own keys resolve` };
    }
    if (Array.isArray(current)) {
      const position = typeof segment === 'number' ? segment : CANONICAL_INDEX.test(segment) ? Number(segment) : null;
      if (position === null || !Number.isSafeInteger(position)) {
        return { ok: false, absent: true, reason: `${labelOf(label, segments, index)} is an array: use a number index, not '${segment}'` };
      }
      if (position >= current.length) {
        const items = current.length === 1 ? '1 item' : `${current.length} items`;
        const name = index === 0 ? label : String(segments[index - 1]);
        return { ok: false, absent: true, reason: `index ${position} out of range, ${name} has ${items}` };
      }
      current = current[position] as JsonValue;
    } else if (current !== null && typeof current === 'object') {
      const key = typeof segment === 'string' ? segment : String(segment);
      if (!Object.hasOwn(current, key)) {
        return {
          ok: false,
          absent: true,
          reason: `no key '${key}' in ${labelOf(label, segments, index)} (${listKeys(Object.keys(current))})`,
        };
      }
      current = current[key] as JsonValue;
    } else {
      const wanted = typeof segment === 'number' ? 'an array or an object' : 'an object';
      const what = current === null ? 'null' : kindOf(current);
      return { ok: false, absent: true, reason: `${labelOf(label, segments, index)} is ${what}, not ${wanted}` };
    }
  }
  return { ok: true, value: current };
}

/**
 * Follows a path over a value, own properties only; returns the value or throws an
 * ExpressionError whose message says which segment was missing and what was there.
 * `label` names the value in messages (`state`, `kv.profile`): `no key 'x' in state.user (keys: …)`.
 */
export function resolvePath(value: JsonValue | undefined, segments: Array<string | number>, label: string): JsonValue {
  if (value === undefined) throw new ExpressionError(`${label} is not set`);
  const resolution = followPath(value, segments, label);
  if (!resolution.ok) throw new ExpressionError(resolution.reason);
  return resolution.value;
}

const MISSING_ROOT_REASONS: Record<SyncRoot, string> = {
  result: 'there is no result here: no block passed control to this one',
  results: 'no block results are available here',
  state: 'state is not available here',
  input: 'the run input is not available here',
  error: 'error is set only on an error path, after a block took its error out',
  run: 'run is not available here',
  blueprint: 'blueprint is not available here',
  now: 'now is not available here',
};

function isKvRoot(root: ExpressionRoot): root is KvRoot {
  return root === 'kv' || root === 'kvGroup' || root === 'kvGlobal';
}

/** The outcome of a path once its base value is known: the value, the fallback, or the error. */
function finishPath(path: PathExpression, source: string, resolution: Resolution): JsonValue {
  if (resolution.ok) return resolution.value;
  if (resolution.absent && Object.hasOwn(path, 'fallback')) return path.fallback as JsonValue;
  throw new ExpressionError(`${source}: ${resolution.reason}`);
}

/** A path over one of the synchronous roots: no store read, so no promise. */
function resolveSyncPath(path: PathExpression & { root: SyncRoot }, source: string, ctx: ExpressionContext): JsonValue {
  const { root } = path;
  const base = Object.hasOwn(ctx.roots, root) ? ctx.roots[root] : undefined;
  const resolution: Resolution =
    base === undefined ? { ok: false, absent: true, reason: MISSING_ROOT_REASONS[root] } : followPath(base, path.segments, root);
  return finishPath(path, source, resolution);
}

async function resolvePathExpression(path: PathExpression, source: string, ctx: ExpressionContext): Promise<JsonValue> {
  const { root } = path;
  if (!isKvRoot(root)) return resolveSyncPath(path as PathExpression & { root: SyncRoot }, source, ctx);
  const key = String(path.segments[0]);
  const segments = path.segments.slice(1);
  const label = `${root}.${key}`;
  if (!ctx.readKv) throw new ExpressionError(`${source}: stored keys cannot be read here`);
  const base = await ctx.readKv(root, key);
  const missingReason = `key '${key}' not found in ${KV_ROOT_SCOPES[root]} scope`;
  const resolution: Resolution =
    base === undefined ? { ok: false, absent: true, reason: missingReason } : followPath(base, segments, label);
  return finishPath(path, source, resolution);
}

/** Evaluates an expression; `source` (the placeholder as written) starts every message. */
async function resolveExpression(expression: Expression, source: string, ctx: ExpressionContext): Promise<JsonValue> {
  if (expression.kind === 'literal') return expression.value;
  if (expression.kind === 'path') return resolvePathExpression(expression, source, ctx);
  const args: JsonValue[] = [];
  for (const arg of expression.args) args.push(await resolveExpression(arg, source, ctx));
  try {
    return callFunction(expression.name, args);
  } catch (error) {
    if (error instanceof FunctionCallError) throw new ExpressionError(`${source}: ${error.message}`);
    throw error;
  }
}

/**
 * A placeholder's value; a path over a synchronous root resolves (or throws) at once, so a field
 * of many such placeholders does not wait on a promise per placeholder.
 */
function resolvePlaceholder(placeholder: Placeholder, ctx: ExpressionContext): JsonValue | Promise<JsonValue> {
  const { expression } = placeholder;
  if (expression.kind === 'path' && !isKvRoot(expression.root)) {
    return resolveSyncPath(expression as PathExpression & { root: SyncRoot }, placeholder.source, ctx);
  }
  return resolveExpression(expression, placeholder.source, ctx);
}

// ---------------------------------------------------------------------------------------------
// Filling fields

/** How a value reads inside text: strings as is, numbers and booleans as written, null as `null`, the rest as JSON. */
export function renderAsText(value: JsonValue): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

function throwFirstProblem(text: string, problems: PlaceholderProblem[]): void {
  const first = problems[0];
  if (!first) return;
  const { line, column } = lineAndColumn(text, first.start);
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more problem${problems.length > 2 ? 's' : ''})` : '';
  throw new ExpressionError(`${first.message} (line ${line}, column ${column})${more}`);
}

/** The one placeholder a field consists of, ignoring surrounding whitespace; else null. */
function soleplaceholder(parts: TextPart[]): Placeholder | null {
  let found: Placeholder | null = null;
  for (const part of parts) {
    if (part.kind === 'escape') return null;
    if (part.kind === 'literal') {
      if (part.text.trim() !== '') return null;
    } else {
      if (found) return null;
      found = part.placeholder;
    }
  }
  return found;
}

/**
 * Fills a field. `text`: a string, placeholders rendered as text. `json`: placeholders filled
 * JSON-aware, then parsed. A field that is exactly one placeholder (surrounding whitespace
 * ignored) yields the raw value whatever the valueType. Throws ExpressionError, a KvError from
 * `readKv`, or InvalidJsonError (code `invalid_value`, with line and column).
 */
export async function evaluateField(text: string, valueType: ValueType, ctx: ExpressionContext): Promise<JsonValue> {
  const { parts, problems } = tokenizeCached(text);
  throwFirstProblem(text, problems);
  const sole = soleplaceholder(parts);
  if (sole) return resolvePlaceholder(sole, ctx);
  if (valueType === 'json') return fillJson(text, parts, ctx);
  let filled = '';
  for (const part of parts) {
    if (part.kind === 'literal') filled += part.text;
    else if (part.kind === 'escape') filled += '@{';
    else {
      const value = resolvePlaceholder(part.placeholder, ctx);
      filled += renderAsText(value instanceof Promise ? await value : value);
    }
  }
  return filled;
}

/** Where a run of the filled JSON came from, to report parse errors in the field as written. */
interface SourceSpan {
  filledStart: number;
  sourceStart: number;
  /** Literal text maps offset for offset; an inserted value maps to its placeholder's start. */
  literal: boolean;
}

async function fillJson(text: string, parts: TextPart[], ctx: ExpressionContext): Promise<JsonValue> {
  let filled = '';
  const spans: SourceSpan[] = [];
  let inString = false;
  let escapeNext = false;
  // Tracks whether the filled text is inside a JSON string literal, character by character.
  const appendLiteral = (chunk: string): void => {
    for (const char of chunk) {
      if (inString) {
        if (escapeNext) escapeNext = false;
        else if (char === '\\') escapeNext = true;
        else if (char === '"') inString = false;
      } else if (char === '"') {
        inString = true;
      }
    }
    filled += chunk;
  };
  for (const part of parts) {
    if (part.kind === 'literal') {
      spans.push({ filledStart: filled.length, sourceStart: part.start, literal: true });
      appendLiteral(part.text);
    } else if (part.kind === 'escape') {
      spans.push({ filledStart: filled.length, sourceStart: part.start, literal: false });
      appendLiteral('@{');
    } else {
      const pending = resolvePlaceholder(part.placeholder, ctx);
      const value = pending instanceof Promise ? await pending : pending;
      spans.push({ filledStart: filled.length, sourceStart: part.placeholder.start, literal: false });
      if (inString) {
        // As string content: JSON.stringify escapes quotes, backslashes and control characters.
        filled += JSON.stringify(renderAsText(value)).slice(1, -1);
        escapeNext = false;
      } else {
        // Spaces keep two adjacent values from merging into one token (`@{a}@{b}` → `1 2`, an error).
        filled += ` ${JSON.stringify(value)} `;
      }
    }
  }
  try {
    return JSON.parse(filled) as JsonValue;
  } catch {
    const syntax = findJsonSyntaxError(filled) ?? { offset: 0, reason: 'it does not parse' };
    const sourceOffset = toSourceOffset(syntax.offset, filled.length, spans, text.length);
    const { line, column } = lineAndColumn(text, sourceOffset);
    throw new InvalidJsonError(
      describeJsonProblem(text, { offset: sourceOffset, reason: syntax.reason }, { suffix: excerptAt(text, sourceOffset) }),
      line,
      column,
    );
  }
}

function toSourceOffset(filledOffset: number, filledLength: number, spans: SourceSpan[], sourceLength: number): number {
  if (filledOffset >= filledLength) return sourceLength;
  let span: SourceSpan | undefined;
  for (const candidate of spans) {
    if (candidate.filledStart > filledOffset) break;
    span = candidate;
  }
  if (!span) return 0;
  return span.literal ? span.sourceStart + (filledOffset - span.filledStart) : span.sourceStart;
}

function excerptAt(text: string, offset: number): string {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  const lineEndAt = text.indexOf('\n', offset);
  const lineEnd = lineEndAt === -1 ? text.length : lineEndAt;
  const from = Math.max(lineStart, offset - 30);
  const to = Math.min(lineEnd, offset + 30);
  const excerpt = text.slice(from, to).trim();
  if (excerpt === '') return '';
  return ` (near: ${from > lineStart ? '…' : ''}${excerpt}${to < lineEnd ? '…' : ''})`;
}
