/**
 * Autocomplete for `@{…}` placeholders: given the text before the cursor and sample values
 * (the run input, state, earlier results, stored keys), what may come next. Pure: the editor
 * replaces the text from `from` to the cursor with the chosen item's `insert`.
 */
import { EXPRESSION_ROOTS, FORBIDDEN_SEGMENTS, scanPlaceholders, type ExpressionRoot, type KvRoot } from './expressions';
import { EXPRESSION_FUNCTIONS, type ExpressionFunction } from './functions';
import type { JsonValue } from './types';

export interface StoredSample {
  keys?: string[];
  values?: Record<string, JsonValue>;
}

export interface CompletionSources {
  input?: JsonValue;
  state?: JsonValue;
  /** Sample of `result`, the result of the block that passes control here. */
  result?: JsonValue;
  /** Latest results by node id or ref. */
  results?: Record<string, JsonValue | undefined>;
  /** Ids and refs of blocks that run before this one, offered after `results.`. */
  resultIds?: string[];
  /** Stored keys of the flow scope, offered after `kv.`. */
  storedKeys?: string[];
  /** Known stored values by key, to offer paths into them (`kv.profile.name`). */
  storedValues?: Record<string, JsonValue>;
  /** Stored keys of the other scopes, offered after `kvGroup.` and `kvGlobal.`. */
  otherScopes?: Partial<Record<Exclude<KvRoot, 'kv'>, StoredSample>>;
  /** Whether the block can be reached along an error out, which makes `error` meaningful. */
  hasError?: boolean;
}

export interface CompletionItem {
  /** What the list shows: a root, a key or an index. */
  label: string;
  /** What replaces the text from `from` to the cursor. */
  insert: string;
  detail?: string;
}

export interface Completions {
  /** Offset in the text where the replacement starts. */
  from: number;
  items: CompletionItem[];
}

const MAX_ITEMS = 100;
const MAX_INDICES = 50;

const ROOT_DETAILS: Record<ExpressionRoot, string> = {
  input: 'the run input',
  state: 'the run state',
  result: 'result of the block that passed control here',
  results: 'results of earlier blocks, by id or ref',
  error: 'the error that sent control here: code, message, nodeId',
  kv: 'a stored key, flow scope',
  kvGroup: 'a stored key, flow group scope',
  kvGlobal: 'a stored key, global scope',
  run: 'this run: id, startedAt',
  blueprint: 'this blueprint: id, name, groupId',
  now: 'ISO time of evaluation',
};

/** Fixed shapes of the roots whose fields are known in advance. */
const KNOWN_SHAPES: Partial<Record<ExpressionRoot, Record<string, string>>> = {
  error: { code: 'error code, e.g. not_found', message: 'what went wrong', nodeId: 'the block that failed' },
  run: { id: 'run id', startedAt: 'ISO time the run started' },
  blueprint: { id: 'blueprint id', name: 'blueprint name', groupId: 'flow group id' },
};

/** Characters a dot segment may hold; other keys need `["…"]`. Mirrors the expression parser. */
const DOT_SEGMENT = /^[^\s.[\]{}"'?\\@]+$/;

/** Where the cursor is inside an open placeholder, and what is already typed. */
interface OpenPath {
  root: string;
  /** Complete segments between the root and the one being typed. */
  segments: Array<string | number>;
  /** The text being completed: a partial root or a partial segment. */
  partial: string;
  /** Where the replacement starts: the root's first character, or the segment's `.` or `[`. */
  from: number;
  completing: 'root' | 'dot' | 'bracket' | 'next';
}

const EMPTY = (from: number): Completions => ({ from, items: [] });

export function suggestCompletions(textBeforeCursor: string, sources: CompletionSources): Completions {
  const open = findOpenPath(textBeforeCursor);
  if (!open) return EMPTY(textBeforeCursor.length);
  if (open.completing === 'root') {
    const roots = EXPRESSION_ROOTS.filter((root) => root !== 'error' || sources.hasError === true);
    const items = roots.map((root) => ({ label: root, insert: root, detail: ROOT_DETAILS[root] }));
    // Functions come after the roots: `@{` is mostly followed by a path.
    const functions = [...EXPRESSION_FUNCTIONS.values()].map((fn) => ({
      label: fn.name,
      insert: `${fn.name}(`,
      detail: `${fn.signature}: ${fn.summary}`,
    }));
    return { from: open.from, items: filterByPartial([...items, ...functions], open.partial) };
  }
  if (!(EXPRESSION_ROOTS as readonly string[]).includes(open.root)) return EMPTY(open.from);
  const candidates = childCandidates(open.root as ExpressionRoot, open.segments, sources);
  const items = candidates
    .filter((candidate) => typeof candidate.key === 'number' || !FORBIDDEN_SEGMENTS.includes(candidate.key))
    .map((candidate) => ({ label: String(candidate.key), insert: segmentText(candidate.key, open.completing), detail: candidate.detail }));
  return { from: open.from, items: filterByPartial(items, open.partial) };
}

interface Candidate {
  key: string | number;
  detail?: string;
}

function childCandidates(root: ExpressionRoot, segments: Array<string | number>, sources: CompletionSources): Candidate[] {
  const shape = KNOWN_SHAPES[root];
  if (shape) return segments.length === 0 ? Object.entries(shape).map(([key, detail]) => ({ key, detail })) : [];
  switch (root) {
    case 'input':
      return childrenOf(follow(sources.input, segments));
    case 'state':
      return childrenOf(follow(sources.state, segments));
    case 'result':
      return childrenOf(follow(sources.result, segments));
    case 'now':
      return [];
    case 'results': {
      const results = sources.results ?? {};
      if (segments.length === 0) {
        const ids = unique([...(sources.resultIds ?? []), ...Object.keys(results)]);
        return ids.map((id) => ({
          key: id,
          detail: Object.hasOwn(results, id) && results[id] !== undefined ? describeSample(results[id] as JsonValue) : 'result of block',
        }));
      }
      const [id, ...rest] = segments;
      const sample = Object.hasOwn(results, String(id)) ? results[String(id)] : undefined;
      return childrenOf(follow(sample, rest));
    }
    default: {
      const stored: StoredSample =
        root === 'kv'
          ? { keys: sources.storedKeys, values: sources.storedValues }
          : (sources.otherScopes?.[root as Exclude<KvRoot, 'kv'>] ?? {});
      const values = stored.values ?? {};
      if (segments.length === 0) {
        const keys = unique([...(stored.keys ?? []), ...Object.keys(values)]);
        return keys.map((key) => ({ key, detail: Object.hasOwn(values, key) ? describeSample(values[key] as JsonValue) : 'stored key' }));
      }
      const [key, ...rest] = segments;
      const sample = Object.hasOwn(values, String(key)) ? values[String(key)] : undefined;
      return childrenOf(follow(sample, rest));
    }
  }
}

/** Walks a sample value like the expression language does (own keys only); undefined when the path leaves it. */
function follow(value: JsonValue | undefined, segments: Array<string | number>): JsonValue | undefined {
  let current = value;
  for (const segment of segments) {
    if (current === undefined || current === null || typeof current !== 'object') return undefined;
    if (typeof segment === 'string' && FORBIDDEN_SEGMENTS.includes(segment)) return undefined;
    if (Array.isArray(current)) {
      const index = Number(segment);
      current = Number.isInteger(index) && index >= 0 && index < current.length ? current[index] : undefined;
    } else {
      const key = String(segment);
      current = Object.hasOwn(current, key) ? current[key] : undefined;
    }
  }
  return current;
}

function childrenOf(value: JsonValue | undefined): Candidate[] {
  if (Array.isArray(value)) {
    return value.slice(0, MAX_INDICES).map((item, index) => ({ key: index, detail: describeSample(item) }));
  }
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).map(([key, child]) => ({ key, detail: describeSample(child) }));
  }
  return [];
}

/** A short description of a sample value for the list: its type and a preview. */
export function describeSample(value: JsonValue): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `array, ${value.length} item${value.length === 1 ? '' : 's'}`;
  if (typeof value === 'object') {
    const keys = Object.keys(value);
    if (keys.length === 0) return 'object, empty';
    return `object: ${keys.slice(0, 3).join(', ')}${keys.length > 3 ? ', …' : ''}`;
  }
  if (typeof value === 'string') return `string ${JSON.stringify(value.length > 30 ? `${value.slice(0, 30)}…` : value)}`;
  return `${typeof value} ${String(value)}`;
}

function segmentText(key: string | number, completing: OpenPath['completing']): string {
  if (typeof key === 'number') return completing === 'bracket' ? `[${key}]` : `.${key}`;
  if (completing !== 'bracket' && DOT_SEGMENT.test(key)) return `.${key}`;
  return `[${JSON.stringify(key)}]`;
}

/** Keeps items whose label starts with the partial text, then those containing it; case-insensitive. */
function filterByPartial(items: CompletionItem[], partial: string): CompletionItem[] {
  const wanted = partial.toLowerCase();
  const starting = items.filter((item) => item.label.toLowerCase().startsWith(wanted));
  const containing =
    wanted === '' ? [] : items.filter((item) => !item.label.toLowerCase().startsWith(wanted) && item.label.toLowerCase().includes(wanted));
  return [...starting, ...containing].slice(0, MAX_ITEMS);
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

/** The path typed so far when the text ends inside an unclosed `@{`; null otherwise. */
export function findOpenPath(text: string): OpenPath | null {
  const openAt = lastUnescapedOpening(text);
  if (openAt === -1) return null;
  // A placeholder that closes before the cursor means the cursor is outside it.
  if (scanPlaceholders(text).placeholders.some((placeholder) => placeholder.start === openAt)) return null;
  const calls = openCalls(text, openAt + 2);
  if (calls === null || calls.afterClosedCall) return null;
  let i = calls.expressionStart;
  while (i < text.length && /\s/.test(text[i] ?? '')) i++;
  const rootMatch = /^[A-Za-z_$][A-Za-z0-9_$]*/.exec(text.slice(i));
  const root = rootMatch?.[0] ?? '';
  if (i + root.length === text.length) return { root, segments: [], partial: root, from: i, completing: 'root' };
  if (root === '') return null;
  i += root.length;
  const segments: Array<string | number> = [];
  for (;;) {
    if (i === text.length) return { root, segments, partial: '', from: i, completing: 'next' };
    const separatorAt = i;
    if (text[i] === '.') {
      const name = /^[^\s.[\]{}"'?\\@]*/.exec(text.slice(i + 1))?.[0] ?? '';
      i += 1 + name.length;
      if (i === text.length) return { root, segments, partial: name, from: separatorAt, completing: 'dot' };
      if (name === '') return null;
      segments.push(/^(?:0|[1-9]\d*)$/.test(name) ? Number(name) : name);
    } else if (text[i] === '[') {
      i++;
      while (i < text.length && /\s/.test(text[i] ?? '')) i++;
      if (i === text.length) return { root, segments, partial: '', from: separatorAt, completing: 'bracket' };
      if (text[i] === '"') {
        const quoteAt = i;
        i++;
        while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
        if (i >= text.length)
          return { root, segments, partial: decodePartialString(text.slice(quoteAt + 1)), from: separatorAt, completing: 'bracket' };
        i++;
        try {
          segments.push(JSON.parse(text.slice(quoteAt, i)) as string);
        } catch {
          return null;
        }
      } else {
        const digits = /^\d*/.exec(text.slice(i))?.[0] ?? '';
        i += digits.length;
        if (i === text.length) return { root, segments, partial: digits, from: separatorAt, completing: 'bracket' };
        if (digits === '') return null;
        segments.push(Number(digits));
      }
      while (i < text.length && /\s/.test(text[i] ?? '')) i++;
      if (text[i] !== ']') return null;
      i++;
    } else {
      // Spaces, `??` or anything else: the path is finished, nothing to suggest.
      return null;
    }
  }
}

interface OpenCall {
  fn: ExpressionFunction;
  /** 0-based index of the argument being typed. */
  argIndex: number;
}

/**
 * The function calls still open at the end of `text` (scanned from `from`, inside a
 * placeholder), innermost last; where the expression being typed starts; and whether a call
 * closed just before the end (after which there is nothing to complete). Null after an
 * identifier that is no function is followed by `(`.
 */
function openCalls(text: string, from: number): { calls: OpenCall[]; expressionStart: number; afterClosedCall: boolean } | null {
  const calls: OpenCall[] = [];
  let expressionStart = from;
  let afterClosedCall = false;
  let i = from;
  while (i < text.length) {
    const char = text[i];
    if (char === '"') {
      i++;
      while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
      i++;
      continue;
    }
    if (char === '(') {
      const name = /([A-Za-z_$][A-Za-z0-9_$]*)\s*$/.exec(text.slice(expressionStart, i))?.[1];
      const fn = name === undefined ? undefined : EXPRESSION_FUNCTIONS.get(name);
      if (!fn) return null;
      calls.push({ fn, argIndex: 0 });
      expressionStart = i + 1;
      afterClosedCall = false;
    } else if (char === ',' && calls.length > 0) {
      calls[calls.length - 1]!.argIndex++;
      expressionStart = i + 1;
      afterClosedCall = false;
    } else if (char === ')' && calls.length > 0) {
      calls.pop();
      afterClosedCall = true;
    }
    i++;
  }
  return { calls, expressionStart, afterClosedCall };
}

/**
 * The innermost function call the cursor is in, for the signature hint: `@{add(result.total, `
 * gives add with argument index 1. Null outside a call or a placeholder.
 */
export function activeCall(textBeforeCursor: string): OpenCall | null {
  const openAt = lastUnescapedOpening(textBeforeCursor);
  if (openAt === -1) return null;
  if (scanPlaceholders(textBeforeCursor).placeholders.some((placeholder) => placeholder.start === openAt)) return null;
  return openCalls(textBeforeCursor, openAt + 2)?.calls.at(-1) ?? null;
}

function lastUnescapedOpening(text: string): number {
  let at = text.lastIndexOf('@{');
  while (at !== -1 && at > 0 && text[at - 1] === '\\') at = text.lastIndexOf('@{', at - 1);
  return at;
}

function decodePartialString(raw: string): string {
  // Drop a trailing lone backslash (an escape still being typed) before decoding.
  const complete = raw.endsWith('\\') && !raw.endsWith('\\\\') ? raw.slice(0, -1) : raw;
  try {
    return JSON.parse(`"${complete}"`) as string;
  } catch {
    return raw;
  }
}
