/**
 * The HTTP API's request and response shapes (docs/http-api.md), shared by the server (which
 * validates every request with them) and the HTTP store (which builds requests from the same
 * types). Portable: zod and the store types only, no Node module.
 *
 * Policy for unknown fields: rejected. A misspelt field (`scopekey`) is a 400 that names it,
 * never silently ignored.
 */
import { z } from 'zod';
import type { ErrorCode } from './errors';
import { IMPORT_MODES, type ImportSummary } from './transfer';
import {
  DELETED_MAX_LIMIT,
  JSON_MAX_DEPTH,
  LIST_MAX_LIMIT,
  SAVE_MODES,
  SCOPES,
  VALUE_TYPES,
  type DeletedKey,
  type Entry,
  type HistoryVersion,
  type JsonValue,
  type KvOp,
  type KvOpResult,
} from './types';

/** Request body limit of the server; larger bodies are refused with 413. */
export const API_BODY_LIMIT_BYTES = 2 * 1024 * 1024;
/**
 * Deepest nesting of a request body: a value's `JSON_MAX_DEPTH` levels plus room for the
 * envelope around it (`{ "ops": [{ "value": … }] }`). Deeper bodies are refused unparsed.
 */
export const API_BODY_MAX_DEPTH = JSON_MAX_DEPTH + 4;
/** Most ops one `POST /api/kv/ops` batch may carry (the 2 MiB body limit usually binds first). */
export const API_MAX_OPS = 10_000;
/** Default and largest page of `GET /api/blueprints/:id/runs`. */
export const RUNS_DEFAULT_LIMIT = 20;
export const RUNS_MAX_LIMIT = 200;

/**
 * Every error code the API answers with is a key of `ERROR_CODES` (`errors.ts`), which also
 * gives its status. The body of every error is `{ error: { code, message } }` (`ApiErrorBody`).
 */
export type ApiErrorCode = ErrorCode;

export interface ApiProblem {
  path: string;
  message: string;
}

export interface ApiErrorBody {
  error: {
    code: ApiErrorCode;
    message: string;
    /** Index of the failing op of a batch. */
    opIndex?: number;
    /** Problems of an invalid blueprint document. */
    problems?: ApiProblem[];
  };
}

export const apiErrorBodySchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    opIndex: z.number().int().optional(),
    problems: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  }),
});

/** Any JSON value. The body is already parsed JSON, so "present" is the only thing to check. */
const jsonValue = z.custom<JsonValue>((value) => value !== undefined, { message: 'is required' });

const scope = z.enum(SCOPES);
/** A string that UTF-8 can carry: no lone UTF-16 surrogate (it would be stored as another text). */
const wholeText = () =>
  z
    .string()
    .refine((text) => !/\p{Cs}/u.test(text), { message: 'has a lone UTF-16 surrogate (half of a character); send whole characters' });
const scopeKey = wholeText().optional();
const companyId = wholeText().min(1).max(256).optional();
// Only the type: a non-positive TTL is the store's `invalid_value`, as in every backend.
const ttlSeconds = z.number().nullable().optional();

/**
 * The fields each op may carry. The op batch is checked only for its envelope and for unknown
 * fields here; everything else (keys, scopes, values, modes, limits) is checked by the store
 * with the shared op semantics (`operations.ts`), so every backend reports the same codes.
 */
export const KV_OP_FIELDS: Readonly<Record<KvOp['op'], readonly string[]>> = {
  get: ['op', 'key', 'scope', 'scopeKey'],
  set: ['op', 'key', 'value', 'valueType', 'mode', 'ttlSeconds', 'expiresAt', 'expectedVersion', 'scope', 'scopeKey'],
  delete: ['op', 'key', 'expectedVersion', 'scope', 'scopeKey'],
  list: ['op', 'prefix', 'limit', 'cursor', 'scope', 'scopeKey'],
  keys: ['op', 'prefix', 'contains', 'limit', 'cursor', 'scope', 'scopeKey'],
  append: ['op', 'key', 'value', 'valueType', 'scope', 'scopeKey'],
  increment: ['op', 'key', 'by', 'scope', 'scopeKey'],
  listAdd: ['op', 'key', 'value', 'valueType', 'scope', 'scopeKey'],
  listRemove: ['op', 'key', 'value', 'scope', 'scopeKey'],
  history: ['op', 'key', 'scope', 'scopeKey'],
  restore: ['op', 'key', 'version', 'scope', 'scopeKey'],
  deleted: ['op', 'prefix', 'limit', 'scope', 'scopeKey'],
};

/** The first field of `op` its op type does not know, or null (also for an unknown op type). */
export function unknownOpField(op: Record<string, unknown>): string | null {
  const allowed = Object.prototype.hasOwnProperty.call(KV_OP_FIELDS, String(op.op)) ? KV_OP_FIELDS[op.op as KvOp['op']] : null;
  if (!allowed) return null;
  return Object.keys(op).find((field) => !allowed.includes(field)) ?? null;
}

/** `POST /api/kv/ops` */
export const kvOpsRequestSchema = z.strictObject({
  companyId,
  ops: z.array(z.looseObject({})).max(API_MAX_OPS),
});
export interface KvOpsRequest {
  companyId?: string;
  ops: KvOp[];
}
export interface KvOpsResponse {
  results: KvOpResult[];
}

/** `GET /api/kv` query string. */
export const kvListQuerySchema = z.strictObject({
  scope,
  scopeKey,
  companyId,
  prefix: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(LIST_MAX_LIMIT).optional(),
  cursor: z.string().optional(),
});
export interface KvListResponse {
  entries: Entry[];
  nextCursor: string | null;
  /** Rows in range whose value failed to decrypt (damaged or tampered): left out of `entries`. Absent when none. */
  damaged?: number;
  /** Their keys (a delete removes one without decrypting it). Absent when none. */
  damagedKeys?: string[];
}

/** `POST /api/kv` — the seed's body, plus the store's options. */
export const kvSetRequestSchema = z.strictObject({
  key: wholeText(),
  value: jsonValue,
  /** `json` with a string value: the string is parsed as JSON first. */
  valueType: z.enum(VALUE_TYPES).optional(),
  scope,
  scopeKey,
  companyId,
  ttlSeconds,
  mode: z.enum(SAVE_MODES).optional(),
});
export type KvSetRequest = z.infer<typeof kvSetRequestSchema>;

/** `GET /api/kv/history` query string. */
export const kvHistoryQuerySchema = z.strictObject({ scope, scopeKey, companyId, key: wholeText() });
export interface KvHistoryResponse {
  /** Newest first, at most 20: the versions writes to the key replaced. */
  versions: HistoryVersion[];
}

/** `POST /api/kv/restore` */
export const kvRestoreRequestSchema = z.strictObject({
  scope,
  scopeKey,
  companyId,
  key: wholeText(),
  version: z.number().int().min(1),
});
export interface KvRestoreResponse {
  /** The key as the restore left it: the kept version's value, as a new version. */
  entry: Entry;
  /** True when the key was absent (deleted) and the restore brought it back. */
  created: boolean;
}

/** `GET /api/kv/deleted` query string. */
export const kvDeletedQuerySchema = z.strictObject({
  scope,
  scopeKey,
  companyId,
  prefix: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(DELETED_MAX_LIMIT).optional(),
});
export interface KvDeletedResponse {
  /** Most recently deleted first. */
  keys: DeletedKey[];
}

/** `GET /api/kv/export` query string. */
export const kvExportQuerySchema = z.strictObject({ scope, scopeKey, companyId, prefix: z.string().optional() });

/** `POST /api/kv/import` query string; the body is NDJSON (`Content-Type: application/x-ndjson`). */
export const kvImportQuerySchema = z.strictObject({ companyId, mode: z.enum(IMPORT_MODES).optional() });
export type KvImportResponse = ImportSummary;
/** Body limit of `POST /api/kv/import` (every line is written in one atomic batch, held in memory). */
export const IMPORT_BODY_LIMIT_BYTES = 32 * 1024 * 1024;
export const NDJSON_CONTENT_TYPE = 'application/x-ndjson';

/** `?companyId=` accepted by the id routes and the blueprint routes. */
export const companyQuerySchema = z.strictObject({ companyId });

/** `POST /api/blueprints/:id/runs` */
export const runRequestSchema = z.strictObject({ input: jsonValue.optional() });

/** `GET /api/blueprints/:id/runs` */
export const runsQuerySchema = z.strictObject({
  companyId,
  limit: z.coerce.number().int().min(1).max(RUNS_MAX_LIMIT).optional(),
});

export interface BlueprintSummary {
  id: string;
  name: string;
  groupId: string | null;
  updatedAt: string;
}
export interface BlueprintListResponse {
  blueprints: BlueprintSummary[];
}

/** Payloads of `GET /api/events` (server-sent events), by event name. */
export interface KvChange {
  scope: Entry['scope'];
  scopeKey: string;
  key: string;
  /** `set` for every write (set, append, increment), `delete` for removals. */
  change: 'set' | 'delete';
}
export interface ServerEvents {
  /** Keys of the caller's company changed (through the API or a server-side run). */
  kv: { companyId: string; changes: KvChange[] };
  /** A server-side run finished. */
  run: { companyId: string; blueprintId: string; runId: string; status: string; finishedAt: string };
  /** A blueprint was created, replaced or deleted. */
  blueprint: { companyId: string; blueprintId: string; change: 'set' | 'delete' };
}
export type ServerEventName = keyof ServerEvents;
export type ServerEvent = { [K in ServerEventName]: { type: K; data: ServerEvents[K] } }[ServerEventName];
export const SERVER_EVENT_NAMES: readonly ServerEventName[] = ['kv', 'run', 'blueprint'];

/**
 * One `{ code, message }` for a failed validation, naming the field: `scope: expected one of
 * flow|flow_group|global`. A bad scope is `invalid_scope`, anything else `invalid_request`.
 */
export function describeValidationFailure(issues: readonly z.core.$ZodIssue[], where: string): { code: ApiErrorCode; message: string } {
  const first = issues[0];
  if (!first) return { code: 'invalid_request', message: `The ${where} is not valid` };
  const field = first.path
    .map((segment, index) => (typeof segment === 'number' ? `[${segment}]` : `${index === 0 ? '' : '.'}${String(segment)}`))
    .join('');
  const detail = describeIssue(first);
  const lastSegment = first.path.at(-1);
  const code: ApiErrorCode = lastSegment === 'scope' ? 'invalid_scope' : 'invalid_request';
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more problem${issues.length > 2 ? 's' : ''})` : '';
  const subject = field === '' ? `The ${where}` : field;
  return { code, message: `${subject}: ${detail}${more}` };
}

function describeIssue(issue: z.core.$ZodIssue): string {
  // Parsed with `reportInput`, an issue about a missing field carries `input: undefined`.
  if (issue.code !== 'unrecognized_keys' && 'input' in issue && issue.input === undefined) return 'is required';
  switch (issue.code) {
    case 'unrecognized_keys':
      return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}`;
    case 'invalid_value':
      return `expected one of ${issue.values.map(String).join('|')}`;
    case 'invalid_union': {
      // A discriminated union (the ops) reports the allowed discriminator values.
      const options = (issue as { options?: unknown }).options;
      return Array.isArray(options) ? `expected one of ${options.map(String).join('|')}` : issue.message;
    }
    case 'invalid_type':
      if (/received undefined/.test(issue.message)) return 'is required';
      return issue.expected === 'int' ? 'expected a whole number' : `expected ${issue.expected}`;
    // Zod's own wording ("Too small: expected number to be >=1") reads like a type dump.
    case 'too_small':
      if (issue.origin === 'string')
        return Number(issue.minimum) === 1 ? 'must not be empty' : `must be at least ${String(issue.minimum)} characters`;
      return `must be ${issue.inclusive === false ? 'above' : 'at least'} ${String(issue.minimum)}`;
    case 'too_big':
      if (issue.origin === 'string') return `must be at most ${String(issue.maximum)} characters`;
      if (issue.origin === 'array') return `must have at most ${String(issue.maximum)} items`;
      return `must be ${issue.inclusive === false ? 'below' : 'at most'} ${String(issue.maximum)}`;
    default:
      return issue.message;
  }
}
