/**
 * Export and import of stored entries as NDJSON, one entry a line:
 * `{ "scope", "scopeKey", "key", "value", "valueType", "expiresAt" }`. The server's
 * `/api/kv/export` and `/api/kv/import` and `kvb kv export|import` use these, over any
 * `KeyValueStore`. Portable: no Node module.
 *
 * Export reads a scope page by page (`list`, 1000 entries at a time), so memory stays flat
 * however large the scope. Import is atomic: it checks every line first, then writes every
 * entry in one batch, so a bad line or a refused write changes nothing.
 */
import { KvError, isKvError } from './errors';
import { parseJson } from './json';
import { describeKey, resolveScopeKey } from './operations';
import {
  LIST_MAX_LIMIT,
  SCOPES,
  VALUE_TYPES,
  type Entry,
  type JsonValue,
  type KeyValueStore,
  type KvOp,
  type Scope,
  type ScopeRef,
  type ValueType,
} from './types';

export const IMPORT_MODES = ['upsert', 'create'] as const;
export type ImportMode = (typeof IMPORT_MODES)[number];

/** Most entries one import may carry (every one is written in one atomic batch). */
export const IMPORT_MAX_LINES = 100_000;

/** One line of an export, and of an import. */
export interface TransferLine {
  scope: Scope;
  scopeKey: string;
  key: string;
  value: JsonValue;
  valueType: ValueType;
  expiresAt: string | null;
}

export interface ImportSummary {
  /** Keys that were absent and are now written. */
  created: number;
  /** Keys that were present and were overwritten (mode upsert). */
  updated: number;
  /** Lines not written: already expired, or (mode create) the key is present. */
  skipped: number;
}

/** A problem with one line of an import; `line` counts from 1. */
export class ImportLineError extends KvError {
  constructor(
    code: KvError['code'],
    readonly line: number,
    detail: string,
  ) {
    super(code, `Line ${line}: ${detail}`);
  }
}

export function lineOf(entry: Entry): TransferLine {
  return {
    scope: entry.scope,
    scopeKey: entry.scopeKey,
    key: entry.key,
    value: entry.value,
    valueType: entry.valueType,
    expiresAt: entry.expiresAt,
  };
}

export interface ExportPage {
  lines: TransferLine[];
  /** Keys in this page whose value could not be opened (damaged): left out. */
  damagedKeys: string[];
}

/** The live entries of one scope that start with `prefix`, a page (of at most 1000) at a time. */
export async function* exportPages(store: KeyValueStore, companyId: string, ref: ScopeRef, prefix = ''): AsyncGenerator<ExportPage> {
  let cursor: string | null = null;
  do {
    const [result] = await store.batch(companyId, [{ op: 'list', ...ref, prefix, limit: LIST_MAX_LIMIT, cursor }]);
    if (result?.op !== 'list') throw new KvError('store', 'The store answered a list with another kind of result');
    yield { lines: result.entries.map(lineOf), damagedKeys: result.damagedKeys ?? [] };
    cursor = result.nextCursor;
  } while (cursor !== null);
}

/** `line` as NDJSON text, newline included. */
export function ndjsonLine(line: TransferLine): string {
  return `${JSON.stringify(line)}\n`;
}

const LINE_FIELDS = ['scope', 'scopeKey', 'key', 'value', 'valueType', 'expiresAt'];
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/**
 * Every entry of an NDJSON text, checked line by line; the first bad line throws an
 * `ImportLineError` naming its number. Blank lines are skipped. Keys, values and sizes are
 * checked again by the store when the batch runs (and reported with the line number too).
 */
export function parseImport(text: string): Array<TransferLine & { line: number }> {
  const entries: Array<TransferLine & { line: number }> = [];
  const rows = text.split('\n');
  for (let index = 0; index < rows.length; index++) {
    const line = index + 1;
    const row = rows[index]!.replace(/\r$/, '');
    if (row.trim() === '') continue;
    if (entries.length >= IMPORT_MAX_LINES) {
      throw new ImportLineError('too_large', line, `an import holds at most ${IMPORT_MAX_LINES} entries; split the file`);
    }
    const parsed = parseJson(row);
    if (!parsed.ok)
      throw new ImportLineError('invalid_value', line, `not JSON at column ${parsed.problem.offset + 1}: ${parsed.problem.reason}`);
    entries.push({ ...checkLine(parsed.value, line), line });
  }
  return entries;
}

function checkLine(value: JsonValue, line: number): TransferLine {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ImportLineError('invalid_value', line, 'expected an object { scope, scopeKey, key, value, valueType, expiresAt }');
  }
  const unknown = Object.keys(value).find((field) => !LINE_FIELDS.includes(field));
  if (unknown !== undefined) throw new ImportLineError('invalid_value', line, `unknown field '${unknown}'`);
  const { scope, scopeKey, key, valueType, expiresAt } = value;
  if (typeof scope !== 'string' || !(SCOPES as readonly string[]).includes(scope)) {
    throw new ImportLineError('invalid_scope', line, `scope must be one of ${SCOPES.join(', ')}, got ${JSON.stringify(scope ?? null)}`);
  }
  if (scopeKey !== undefined && typeof scopeKey !== 'string') throw new ImportLineError('invalid_scope', line, 'scopeKey must be text');
  if (typeof key !== 'string') throw new ImportLineError('invalid_key', line, 'key must be text');
  if (!('value' in value)) throw new ImportLineError('invalid_value', line, `the entry ${describeKey(key)} has no value`);
  if (valueType !== undefined && (typeof valueType !== 'string' || !(VALUE_TYPES as readonly string[]).includes(valueType))) {
    throw new ImportLineError('invalid_value', line, `valueType must be text or json, got ${JSON.stringify(valueType)}`);
  }
  const stored = value.value!;
  if (valueType === 'text' && typeof stored !== 'string') {
    throw new ImportLineError('invalid_value', line, `the value of ${describeKey(key)} must be text when valueType is text`);
  }
  if (expiresAt !== undefined && expiresAt !== null && (typeof expiresAt !== 'string' || !ISO_TIME.test(expiresAt))) {
    throw new ImportLineError('invalid_value', line, `expiresAt must be null or an ISO time such as 2030-01-01T00:00:00.000Z`);
  }
  const ref = { scope: scope as Scope, scopeKey: typeof scopeKey === 'string' ? scopeKey : '' };
  try {
    ref.scopeKey = resolveScopeKey(ref);
  } catch (error) {
    if (error instanceof KvError) throw new ImportLineError(error.code, line, error.message);
    throw error;
  }
  return {
    ...ref,
    key,
    value: stored,
    valueType: typeof stored === 'string' ? 'text' : 'json',
    expiresAt: typeof expiresAt === 'string' ? expiresAt : null,
  };
}

function rowId(line: TransferLine): string {
  return `${line.scope}\u0000${line.scopeKey}\u0000${line.key}`;
}

/**
 * Writes the parsed entries in one atomic batch. An entry already expired is skipped; with
 * mode `create`, so is an entry whose key is present (read first; if another writer creates
 * one of the keys in between, the write fails as a whole and is tried again on fresh reads).
 * The last line for a key wins when a file names it twice.
 */
export async function applyImport(
  store: KeyValueStore,
  companyId: string,
  parsed: ReadonlyArray<TransferLine & { line: number }>,
  mode: ImportMode,
  now: () => Date = () => new Date(),
): Promise<ImportSummary> {
  const last = new Map<string, TransferLine & { line: number }>();
  for (const entry of parsed) last.set(rowId(entry), entry);
  for (let attempt = 1; ; attempt++) {
    const at = now();
    const live = [...last.values()].filter((entry) => entry.expiresAt === null || Date.parse(entry.expiresAt) > at.getTime());
    const reads = await store
      .batch(
        companyId,
        live.map((entry): KvOp => ({ op: 'get', scope: entry.scope, scopeKey: entry.scopeKey, key: entry.key })),
      )
      .catch((error: unknown) => {
        throw onLine(error, live);
      });
    const present = reads.map((result) => result.op === 'get' && result.entry !== null);
    const toWrite = live.filter((_, i) => mode === 'upsert' || !present[i]);
    const ops = toWrite.map((entry): KvOp => ({
      op: 'set',
      scope: entry.scope,
      scopeKey: entry.scopeKey,
      key: entry.key,
      value: entry.value,
      mode: mode === 'create' ? 'create' : 'upsert',
      ...(entry.expiresAt === null ? {} : { expiresAt: entry.expiresAt }),
    }));
    try {
      const results = ops.length === 0 ? [] : await store.batch(companyId, ops);
      const created = results.filter((result) => result.op === 'set' && result.created).length;
      // A line not written: expired, present under mode create, or named again by a later line.
      return { created, updated: results.length - created, skipped: parsed.length - toWrite.length };
    } catch (error) {
      if (isKvError(error) && error.code === 'already_exists' && mode === 'create' && attempt < 5) continue;
      throw onLine(error, toWrite);
    }
  }
}

/** A store error of the op at `opIndex`, said of the line that op came from. */
function onLine(error: unknown, entries: ReadonlyArray<{ line: number }>): unknown {
  if (!isKvError(error) || error.opIndex === undefined) return error;
  const entry = entries[error.opIndex];
  return entry ? new ImportLineError(error.code, entry.line, error.message) : error;
}
