/**
 * Export and import of a scope's keys as NDJSON, one live entry a line:
 * `{ scope, scopeKey, key, value, valueType, expiresAt }`, the format of the server's
 * `/api/kv/export` and `/api/kv/import` and of `kvb kv export|import`, so a file from one
 * store imports into any other. These functions run over the store API itself, which is how
 * the Browser store exports and imports (the server has routes of its own).
 */
import { parseJson } from '../../kv/json';
import { assertStorableValue, assertValidKey, resolveScopeKey } from '../../kv/operations';
import { isKvError } from '../../kv/errors';
import {
  LIST_MAX_LIMIT,
  SCOPES,
  VALUE_TYPES,
  type Entry,
  type JsonValue,
  type KeyValueStore,
  type KvOp,
  type Scope,
  type ValueType,
} from '../../kv/types';
import type { ScopeAddress } from './keys';

export interface TransferLine {
  scope: Scope;
  scopeKey: string;
  key: string;
  value: JsonValue;
  valueType: ValueType;
  expiresAt: string | null;
}

export type ImportMode = 'upsert' | 'create';

/** What an import did: lines written as new keys, lines that replaced a key, lines left out. */
export interface ImportSummary {
  created: number;
  updated: number;
  skipped: number;
}

/** A line of an import file that cannot be imported; nothing was written. */
export class ImportLineError extends Error {
  override readonly name = 'ImportLineError';
  constructor(
    /** 1-based, as an editor shows it. */
    readonly line: number,
    message: string,
  ) {
    super(`Line ${line}: ${message}`);
  }
}

/** How far an export has come: entries written out of `total` (the scope's count when it started). */
export type ExportProgress = (done: number, total: number) => void;

export function entryLine(entry: Entry): string {
  const line: TransferLine = {
    scope: entry.scope,
    scopeKey: entry.scopeKey,
    key: entry.key,
    value: entry.value,
    valueType: entry.valueType,
    expiresAt: entry.expiresAt,
  };
  return `${JSON.stringify(line)}\n`;
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new DOMException('The export was cancelled', 'AbortError');
}

/**
 * Every live entry of a scope as NDJSON text chunks, one `list` page (1,000 entries, one read)
 * a chunk, so memory holds one page of values at a time besides the text. `total` is the
 * scope's count when the export starts, for the progress; entries that do not decrypt are
 * left out, as `list` leaves them.
 */
export async function exportScope(
  store: KeyValueStore,
  companyId: string,
  address: ScopeAddress,
  total: number,
  onProgress: ExportProgress = () => undefined,
  signal?: AbortSignal,
): Promise<string[]> {
  const chunks: string[] = [];
  let cursor: string | null = null;
  let done = 0;
  do {
    throwIfAborted(signal);
    const [page] = await store.batch(companyId, [
      { op: 'list', scope: address.scope, scopeKey: address.scopeKey, limit: LIST_MAX_LIMIT, cursor },
    ]);
    if (page?.op !== 'list') throw new Error(`The ${store.kind} store answered a list op with ${page?.op ?? 'nothing'}`);
    let chunk = '';
    for (const entry of page.entries) chunk += entryLine(entry);
    chunks.push(chunk);
    done += page.entries.length;
    onProgress(done, Math.max(done, total));
    cursor = page.nextCursor;
  } while (cursor !== null);
  return chunks;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** One line of an import file as a `TransferLine`, or the reason it is not one. */
function parseLine(text: string, line: number): TransferLine {
  const parsed = parseJson(text);
  if (!parsed.ok) throw new ImportLineError(line, parsed.message.replace(/ at line 1, /, ' at '));
  const record = parsed.value;
  if (!isObject(record)) throw new ImportLineError(line, 'expected an object { scope, scopeKey, key, value, valueType, expiresAt }');
  try {
    const { scope, key, value } = record;
    if (typeof scope !== 'string' || !(SCOPES as readonly string[]).includes(scope)) {
      throw new ImportLineError(line, `scope must be one of ${SCOPES.join(', ')}, got ${JSON.stringify(scope ?? null)}`);
    }
    if (record.scopeKey !== undefined && typeof record.scopeKey !== 'string') throw new ImportLineError(line, 'scopeKey must be a string');
    const scopeKey = resolveScopeKey({ scope: scope as Scope, scopeKey: (record.scopeKey as string | undefined) ?? '' });
    assertValidKey(key);
    if (!('value' in record)) throw new ImportLineError(line, `key '${key}' has no value`);
    assertStorableValue(value, key);
    const valueType = record.valueType ?? 'json';
    if (typeof valueType !== 'string' || !(VALUE_TYPES as readonly string[]).includes(valueType)) {
      throw new ImportLineError(line, `valueType must be one of ${VALUE_TYPES.join(', ')}, got ${JSON.stringify(valueType)}`);
    }
    const expiresAt = record.expiresAt ?? null;
    if (expiresAt !== null && (typeof expiresAt !== 'string' || Number.isNaN(Date.parse(expiresAt)))) {
      throw new ImportLineError(line, `expiresAt must be an ISO time or null, got ${JSON.stringify(expiresAt)}`);
    }
    return { scope: scope as Scope, scopeKey, key, value, valueType: valueType as ValueType, expiresAt };
  } catch (error) {
    if (error instanceof ImportLineError) throw error;
    if (isKvError(error)) throw new ImportLineError(line, error.message);
    throw error;
  }
}

/** Every line of an NDJSON file (blank lines are allowed and skipped); the first bad line throws. */
export function parseImport(text: string): Array<{ line: number; entry: TransferLine }> {
  const lines: Array<{ line: number; entry: TransferLine }> = [];
  const rows = text.split('\n');
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!.replace(/\r$/, '');
    if (row.trim() === '') continue;
    lines.push({ line: i + 1, entry: parseLine(row, i + 1) });
  }
  return lines;
}

const addressOf = (entry: TransferLine) => `${entry.scope}\u0000${entry.scopeKey}\u0000${entry.key}`;

/**
 * Writes the lines in one atomic batch: all or nothing. `create` leaves keys that exist alone
 * (skipped), `upsert` replaces them; entries whose time ran out are skipped. A failure names
 * the line it came from.
 */
export async function importIntoStore(
  store: KeyValueStore,
  companyId: string,
  lines: ReadonlyArray<{ line: number; entry: TransferLine }>,
  mode: ImportMode,
  now = Date.now(),
): Promise<ImportSummary> {
  // The last line for a key wins, as it would if the lines were written one by one.
  const latest = new Map<string, { line: number; entry: TransferLine }>();
  for (const line of lines) latest.set(addressOf(line.entry), line);
  let skipped = lines.length - latest.size;
  const live = [...latest.values()].filter(({ entry }) => entry.expiresAt === null || Date.parse(entry.expiresAt) > now);
  skipped += latest.size - live.length;
  let writes = live;
  if (mode === 'create' && live.length > 0) {
    const found = await store.batch(
      companyId,
      live.map(({ entry }) => ({ op: 'get' as const, scope: entry.scope, scopeKey: entry.scopeKey, key: entry.key })),
    );
    writes = live.filter((_, i) => {
      const result = found[i];
      return !(result?.op === 'get' && result.entry);
    });
    skipped += live.length - writes.length;
  }
  const ops = writes.map(({ entry }): KvOp => {
    const ttlSeconds = entry.expiresAt === null ? null : (Date.parse(entry.expiresAt) - now) / 1000;
    return {
      op: 'set',
      scope: entry.scope,
      scopeKey: entry.scopeKey,
      key: entry.key,
      value: entry.value,
      valueType: entry.valueType,
      // In create mode a key written meanwhile fails the batch instead of being replaced.
      ...(mode === 'create' ? { mode: 'create' as const } : {}),
      ...(ttlSeconds === null ? {} : { ttlSeconds }),
    };
  });
  let results;
  try {
    results = ops.length === 0 ? [] : await store.batch(companyId, ops);
  } catch (error) {
    if (isKvError(error) && error.opIndex !== undefined && writes[error.opIndex]) {
      throw new ImportLineError(writes[error.opIndex]!.line, `${error.message}; nothing was imported`);
    }
    throw error;
  }
  let created = 0;
  for (const result of results) if (result.op === 'set' && result.created) created++;
  return { created, updated: results.length - created, skipped };
}

/** "Created 3, updated 1, skipped 0." */
export function importSummaryText(summary: ImportSummary): string {
  return `Created ${summary.created.toLocaleString('en-US')}, updated ${summary.updated.toLocaleString('en-US')}, skipped ${summary.skipped.toLocaleString('en-US')}.`;
}

/** The file name an export of `address` is offered under. */
export function exportFileName(address: ScopeAddress): string {
  const safe = address.scopeKey.replace(/[^A-Za-z0-9_-]+/g, '_');
  return `kv-${address.scope}${safe ? `-${safe}` : ''}.ndjson`;
}
