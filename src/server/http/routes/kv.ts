/**
 * The KV routes of docs/http-api.md: the seed-compatible list / save / delete-by-id, get-by-id, and
 * the atomic op batch the HTTP store speaks.
 */
import type { FastifyInstance } from 'fastify';
import {
  companyQuerySchema,
  kvListQuerySchema,
  kvOpsRequestSchema,
  kvSetRequestSchema,
  type KvListResponse,
  type KvOpsResponse,
  unknownOpField,
} from '../../../kv/api-schema';
import { describeJsonProblem, parseJson } from '../../../kv/json';
import { describeKey, nestingProblem } from '../../../kv/operations';
import { isKvError, KvError } from '../../../kv/errors';
import type { JsonValue, KeyValueStore, KvOp, KvOpResult, ListResult, SetResult } from '../../../kv/types';
import { ApiError, notFound } from '../api-error';
import type { ApiContext } from '../app';
import { registerKvDataRoutes } from './kv-data';
import { paramOf, parseBody, parseQuery } from './parse';

/** `valueType: json` with a string value: the string is the JSON text. */
function parseJsonText(text: string, key: string): JsonValue {
  const parsed = parseJson(text);
  if (parsed.ok) return parsed.value;
  throw new ApiError(
    'invalid_value',
    describeJsonProblem(text, parsed.problem, { subject: `Value for key ${describeKey(key)}` }),
    {},
    parsed.problem.tooDeep === true,
  );
}

/**
 * A value nesting past the limit is a 422 `invalid_value` here, before the store: the store
 * refuses it too (every backend, as 400), but the API names it as unprocessable content.
 */
function assertNesting(value: unknown, key: unknown, opIndex?: number): void {
  const problem = nestingProblem(value, typeof key === 'string' ? key : '');
  if (problem) throw new ApiError('invalid_value', problem, opIndex === undefined ? {} : { opIndex }, true);
}

/**
 * One op through the store's batch, for the routes that are not batches: the store's error
 * carries `opIndex: 0`, which means nothing to a caller of `/api/kv`, so it is dropped.
 */
async function runSingleOp(store: KeyValueStore, companyId: string, op: KvOp): Promise<KvOpResult> {
  try {
    const [result] = await store.batch(companyId, [op]);
    return result!;
  } catch (error) {
    if (isKvError(error) && error.opIndex !== undefined) throw new KvError(error.code, error.message);
    throw error;
  }
}

export function registerKvRoutes(app: FastifyInstance, context: ApiContext): void {
  const { store } = context;

  app.get('/api/kv', async (request): Promise<KvListResponse> => {
    const query = parseQuery(kvListQuerySchema, request.query);
    const companyId = context.companyFor(request, query.companyId);
    const result = await runSingleOp(store, companyId, {
      op: 'list',
      scope: query.scope,
      scopeKey: query.scopeKey,
      prefix: query.prefix,
      limit: query.limit,
      cursor: query.cursor ?? null,
    });
    const list = result as ListResult;
    if (list.damaged) {
      request.log.warn(
        { scope: query.scope, damaged: list.damaged, keys: list.damagedKeys },
        'list skipped stored values that failed to decrypt (damaged or tampered)',
      );
      return { entries: list.entries, nextCursor: list.nextCursor, damaged: list.damaged, damagedKeys: list.damagedKeys ?? [] };
    }
    return { entries: list.entries, nextCursor: list.nextCursor };
  });

  app.post('/api/kv', async (request, reply) => {
    const body = parseBody(kvSetRequestSchema, request.body);
    const companyId = context.companyFor(request, body.companyId);
    assertNesting(body.value, body.key);
    let value: JsonValue = body.value;
    if (body.valueType === 'json' && typeof value === 'string') value = parseJsonText(value, body.key);
    if (body.valueType === 'text' && typeof value !== 'string') {
      throw new ApiError('invalid_value', `Value for key ${describeKey(body.key)} must be a string when valueType is text`);
    }
    const op: KvOp = {
      op: 'set',
      key: body.key,
      value,
      scope: body.scope,
      scopeKey: body.scopeKey,
      mode: body.mode,
      ttlSeconds: body.ttlSeconds,
    };
    const result = await runSingleOp(store, companyId, op);
    const saved = result as SetResult;
    return reply.code(saved.created ? 201 : 200).send(saved.entry);
  });

  app.get('/api/kv/:id', async (request) => {
    const { companyId: requested } = parseQuery(companyQuerySchema, request.query);
    const id = paramOf(request.params, 'id');
    const entry = await store.getById(await context.companyForEntryId(request, requested, id), id);
    if (!entry) throw notFound(`No entry with id '${id}'`);
    return entry;
  });

  app.delete('/api/kv/:id', async (request, reply) => {
    const { companyId: requested } = parseQuery(companyQuerySchema, request.query);
    const id = paramOf(request.params, 'id');
    const deleted = await store.deleteById(await context.companyForEntryId(request, requested, id), id);
    if (!deleted) throw notFound(`No entry with id '${id}'`);
    return reply.code(204).send();
  });

  app.post('/api/kv/ops', async (request): Promise<KvOpsResponse> => {
    const body = parseBody(kvOpsRequestSchema, request.body);
    body.ops.forEach((op, index) => {
      const field = unknownOpField(op);
      if (field !== null)
        throw new ApiError('invalid_request', `ops[${index}]: unknown field '${field}' for op '${String(op.op)}'`, { opIndex: index });
      if (op.op === 'set' || op.op === 'append' || op.op === 'listAdd' || op.op === 'listRemove') assertNesting(op.value, op.key, index);
    });
    const companyId = context.companyFor(request, body.companyId);
    // The ops' contents are checked by the store itself, with the codes every backend uses.
    const results = await store.batch(companyId, body.ops as unknown as KvOp[]);
    const damagedKeys = results.flatMap((result) => (result.op === 'list' ? (result.damagedKeys ?? []) : []));
    if (damagedKeys.length > 0)
      request.log.warn(
        { damaged: damagedKeys.length, keys: damagedKeys },
        'list skipped stored values that failed to decrypt (damaged or tampered)',
      );
    return { results };
  });

  registerKvDataRoutes(app, context);
}
