/**
 * JSON as it enters from a person or a request: one parser that says where a text fails
 * (`Invalid JSON at line 3, column 7: …`, the same in every engine) and refuses nesting past
 * `JSON_MAX_DEPTH`, and one check of the nesting of a value already in memory. Both walk
 * iteratively, so no nesting, however deep, can overflow the call stack.
 */
import { JSON_MAX_DEPTH, type JsonValue } from './types';

/** Where a JSON text fails: an offset into the text and the reason, in words. */
export interface JsonSyntaxError {
  offset: number;
  reason: string;
  /** Set when the text parses but nests past the limit. */
  tooDeep?: true;
}

export type ParsedJson = { ok: true; value: JsonValue } | { ok: false; problem: JsonSyntaxError; message: string };

export const JSON_NUMBER_PATTERN = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/** The reason given for nesting past the limit, in every message that reports it. */
function tooDeepReason(maxDepth = JSON_MAX_DEPTH): string {
  return `it nests arrays and objects more than ${maxDepth} levels deep (the limit is ${maxDepth})`;
}

/**
 * Parses `text` as JSON, with nesting up to `maxDepth` levels. A failure carries the located
 * problem and its message (`describeJsonProblem`).
 */
export function parseJson(text: string, maxDepth = JSON_MAX_DEPTH): ParsedJson {
  const problem = findJsonSyntaxError(text, maxDepth);
  if (problem) return { ok: false, problem, message: describeJsonProblem(text, problem) };
  return { ok: true, value: JSON.parse(text) as JsonValue };
}

/**
 * The one wording of a located JSON problem: `Invalid JSON at line X, column Y: reason`, or
 * with `subject`, `<subject> is not valid JSON at line X, column Y: reason`. Line and column
 * are 1-based, as a person counts them; `suffix` follows the reason (an excerpt, say).
 */
export function describeJsonProblem(text: string, problem: JsonSyntaxError, options: { subject?: string; suffix?: string } = {}): string {
  const { line, column } = lineAndColumn(text, problem.offset);
  const where = `at line ${line}, column ${column}: ${problem.reason}${options.suffix ?? ''}`;
  return options.subject === undefined ? `Invalid JSON ${where}` : `${options.subject} is not valid JSON ${where}`;
}

export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text[i] === '\n') {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/**
 * How a value nests, checked without recursion: null when it stays within `maxDepth` levels,
 * else the path of the first container past the limit (`value[0][0]…`, shortened). A cycle
 * counts as too deep.
 */
export function findTooDeep(value: unknown, maxDepth = JSON_MAX_DEPTH, path = 'value'): string | null {
  // Each container remembers its parent and the step to it; the path is spelled out only for the
  // one that is too deep, so a large document does not build a string per container.
  interface Visit {
    value: object;
    depth: number;
    parent: Visit | null;
    step: string | number;
  }
  const pending: Visit[] = [];
  const visit = (current: unknown, depth: number, parent: Visit | null, step: string | number): void => {
    if (typeof current === 'object' && current !== null) pending.push({ value: current, depth, parent, step });
  };
  visit(value, 0, null, '');
  for (let item = pending.pop(); item !== undefined; item = pending.pop()) {
    const { value: current, depth } = item;
    if (depth + 1 > maxDepth) {
      const full = pathOf(item, path);
      return full.length > 80 ? `${full.slice(0, 80)}…` : full;
    }
    if (Array.isArray(current)) {
      for (let i = 0; i < current.length; i++) visit(current[i], depth + 1, item, i);
    } else {
      for (const key of Object.keys(current)) visit((current as Record<string, unknown>)[key], depth + 1, item, key);
    }
  }
  return null;
}

/** The path to a visited container, grown step by step until it passes 80 characters. */
function pathOf(item: { parent: unknown; step: string | number }, root: string): string {
  const steps: Array<string | number> = [];
  for (let at = item as { parent: unknown; step: string | number } | null; at?.parent; at = at.parent as typeof at) steps.push(at.step);
  let built = root;
  for (let k = steps.length - 1; k >= 0; k--) {
    if (built.length > 80) break;
    const step = steps[k]!;
    built += typeof step === 'number' ? `[${step}]` : `.${step}`;
  }
  return built;
}

/**
 * The first syntax error of `json`, or null when it parses with nesting up to `maxDepth`.
 * JSON.parse's own messages differ between engines and some give no position, so the first
 * error is found here, the same everywhere. A loop with an explicit stack of open containers.
 */
export function findJsonSyntaxError(json: string, maxDepth = JSON_MAX_DEPTH): JsonSyntaxError | null {
  let i = 0;
  const open: ('{' | '[')[] = [];
  const describe = (at: number): string => {
    const char = json[at];
    if (char === undefined) return 'the end of the text';
    if (char === "'") return "''' (JSON strings use double quotes)";
    if (/\s/.test(char)) return 'a space';
    return `'${char}'`;
  };
  const fail = (reason: string, at = i): JsonSyntaxError => ({ offset: at, reason });
  const skipSpaces = (): void => {
    while (i < json.length && (json[i] === ' ' || json[i] === '\t' || json[i] === '\n' || json[i] === '\r')) i++;
  };
  /** Reads a string at `i`; returns a problem or null. */
  const readString = (): JsonSyntaxError | null => {
    const openedAt = i;
    i++;
    for (;;) {
      const char = json[i];
      if (char === undefined) return fail('a string is not closed', openedAt);
      if (char === '"') {
        i++;
        return null;
      }
      if (char === '\\') {
        const escaped = json[i + 1];
        if (escaped !== undefined && '"\\/bfnrt'.includes(escaped)) i += 2;
        else if (escaped === 'u' && /^[0-9a-fA-F]{4}$/.test(json.slice(i + 2, i + 6))) i += 6;
        else return fail(`invalid escape '\\${escaped ?? ''}' in a string`);
      } else if ((char as string) < ' ') {
        return fail(char === '\n' ? 'a line break inside a string (write \\n)' : 'a control character inside a string');
      } else {
        i++;
      }
    }
  };
  /** Reads `"key":` inside an object, leaving `i` at the value. */
  const readKey = (): JsonSyntaxError | null => {
    skipSpaces();
    if (json[i] !== '"')
      return fail(json[i] === '}' ? 'a trailing comma before }' : `expected a key in double quotes, found ${describe(i)}`);
    const problem = readString();
    if (problem) return problem;
    skipSpaces();
    if (json[i] !== ':') return fail(`expected ':' after the key, found ${describe(i)}`);
    i++;
    return null;
  };

  for (;;) {
    // A value starts here.
    skipSpaces();
    const char = json[i];
    if (char === '{' || char === '[') {
      if (open.length >= maxDepth) return { ...fail(tooDeepReason(maxDepth)), tooDeep: true };
      open.push(char);
      i++;
      skipSpaces();
      const close = char === '{' ? '}' : ']';
      if (json[i] !== close) {
        if (char === '{') {
          const problem = readKey();
          if (problem) return problem;
        }
        continue;
      }
      i++;
      open.pop();
    } else if (char === '"') {
      const problem = readString();
      if (problem) return problem;
    } else {
      const word = ['true', 'false', 'null'].find((candidate) => json.startsWith(candidate, i));
      if (word) i += word.length;
      else {
        JSON_NUMBER_PATTERN.lastIndex = i;
        const number = JSON_NUMBER_PATTERN.exec(json);
        if (!number) return fail(char === undefined ? 'the value is missing' : `unexpected ${describe(i)}`);
        i += number[0].length;
      }
    }
    // A value ended: close containers until one continues with a comma, or the text ends.
    let next = false;
    while (!next) {
      skipSpaces();
      const container = open.at(-1);
      if (container === undefined) {
        return i < json.length ? fail(`unexpected ${describe(i)} after the end of the value`) : null;
      }
      if (json[i] === ',') {
        i++;
        if (container === '{') {
          const problem = readKey();
          if (problem) return problem;
        } else {
          skipSpaces();
          if (json[i] === ']') return fail('a trailing comma before ]');
        }
        next = true;
      } else if (json[i] === (container === '{' ? '}' : ']')) {
        i++;
        open.pop();
      } else {
        return fail(`expected ${container === '{' ? "',' or '}'" : "',' or ']'"}, found ${describe(i)}`);
      }
    }
  }
}

/**
 * True when `text` opens more than `maxDepth` arrays or objects inside one another. A quick
 * scan for request bodies, before any parser walks them; syntax is left to the parser.
 */
export function nestsDeeperThan(text: string, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const char = text.charCodeAt(i);
    if (inString) {
      if (char === 0x5c)
        i++; // backslash: skip the escaped character
      else if (char === 0x22) inString = false;
    } else if (char === 0x22) {
      inString = true;
    } else if (char === 0x5b || char === 0x7b) {
      if (++depth > maxDepth) return true;
    } else if (char === 0x5d || char === 0x7d) {
      depth--;
    }
  }
  return false;
}
