/**
 * The API's OpenAPI 3.1 document, built from one table of routes (`API_ROUTES`) and the zod
 * schemas the routes validate with (`kv/api-schema.ts`) and answer with (`openapi-schemas.ts`),
 * and a readable reference page made from the document. `GET /api/openapi.json` and
 * `GET /api/docs` serve them; a test checks every registered route is in the table and every
 * answer of the integration suites matches it.
 */
import { z } from 'zod';
import { NAMED_SCHEMAS, QUERY_SCHEMAS, type SchemaName } from './openapi-schemas';

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

interface ResponseDoc {
  description: string;
  /** JSON body of this shape; none for 204. */
  schema?: SchemaName;
  /** A server-sent event stream, its events described in words. */
  stream?: true;
  /** NDJSON text, one entry a line. */
  ndjson?: true;
  headers?: Record<string, string>;
}

export interface RouteDoc {
  method: Method;
  /** OpenAPI form: `/api/blueprints/{id}`. */
  path: string;
  tag: 'Keys' | 'Blueprints' | 'Runs' | 'Events' | 'Reference';
  summary: string;
  description?: string;
  query?: keyof typeof QUERY_SCHEMAS;
  body?: SchemaName;
  /** The body is NDJSON text, one entry a line, instead of JSON. */
  ndjsonBody?: true;
  /** Request headers the route reads, by name. */
  headers?: Record<string, string>;
  responses: Record<number, ResponseDoc>;
  /** Served without a token. */
  public?: true;
}

const error = (description: string): ResponseDoc => ({ description, schema: 'Error' });
const ETAG = { ETag: 'the blueprint\'s revision, quoted: "3"' };

/** Every API route. A route missing here fails the OpenAPI suite. */
export const API_ROUTES: readonly RouteDoc[] = [
  {
    method: 'GET',
    path: '/api/kv',
    tag: 'Keys',
    summary: 'List the keys of a scope',
    description: 'Sorted by key, pages of at most 1,000 (`nextCursor`). Rows that fail to decrypt are left out and counted in `damaged`.',
    query: 'kvList',
    responses: { 200: { description: 'A page of entries', schema: 'KvList' } },
  },
  {
    method: 'POST',
    path: '/api/kv',
    tag: 'Keys',
    summary: 'Write a key',
    body: 'KvSetRequest',
    responses: {
      200: { description: 'Updated', schema: 'Entry' },
      201: { description: 'Created', schema: 'Entry' },
      409: error('`already_exists` (mode create), `not_found` (mode update)'),
      413: error('The body or the value is too large'),
      422: error('The value nests too deeply'),
    },
  },
  {
    method: 'GET',
    path: '/api/kv/{id}',
    tag: 'Keys',
    summary: 'Read an entry by id',
    query: 'company',
    responses: { 200: { description: 'The entry', schema: 'Entry' }, 404: error('No such entry') },
  },
  {
    method: 'DELETE',
    path: '/api/kv/{id}',
    tag: 'Keys',
    summary: 'Delete an entry by id',
    query: 'company',
    responses: { 204: { description: 'Deleted' }, 404: error('No such entry') },
  },
  {
    method: 'POST',
    path: '/api/kv/ops',
    tag: 'Keys',
    summary: 'Apply a batch of store operations atomically',
    description:
      'get, set, delete, list, keys, append, increment… One failing op fails the batch (its index in `opIndex`) and changes nothing.',
    body: 'KvOpsRequest',
    responses: {
      200: { description: 'One result per op', schema: 'KvOpsResponse' },
      404: error('`not_found` of an op'),
      409: error('`already_exists` or `version_conflict` of an op'),
      413: error('The body or a value is too large'),
      422: error('`type_mismatch` of an op, or a value nesting too deeply'),
    },
  },
  {
    method: 'GET',
    path: '/api/kv/history',
    tag: 'Keys',
    summary: "A key's earlier versions, newest first (the last 20)",
    query: 'kvHistory',
    responses: { 200: { description: 'The versions writes to the key replaced', schema: 'KvHistory' } },
  },
  {
    method: 'POST',
    path: '/api/kv/restore',
    tag: 'Keys',
    summary: 'Write a kept version again, as a new version',
    description: 'A deleted key comes back.',
    body: 'KvRestoreRequest',
    responses: { 200: { description: 'The key as restored', schema: 'KvRestore' }, 404: error('No such version kept') },
  },
  {
    method: 'GET',
    path: '/api/kv/deleted',
    tag: 'Keys',
    summary: 'Recently deleted keys of a scope',
    query: 'kvDeleted',
    responses: { 200: { description: 'Most recently deleted first', schema: 'KvDeleted' } },
  },
  {
    method: 'GET',
    path: '/api/kv/export',
    tag: 'Keys',
    summary: 'Export the live keys of a scope as NDJSON',
    description: 'One entry a line: `{ scope, scopeKey, key, value, valueType, expiresAt }`, streamed.',
    query: 'kvExport',
    responses: { 200: { description: 'NDJSON, one entry a line', ndjson: true } },
  },
  {
    method: 'POST',
    path: '/api/kv/import',
    tag: 'Keys',
    summary: 'Import NDJSON entries atomically',
    description: 'Every line applies or none. Send `Content-Type: application/x-ndjson`; at most 32 MiB.',
    query: 'kvImport',
    ndjsonBody: true,
    responses: {
      200: { description: 'What the import did', schema: 'KvImport' },
      413: error('The body is larger than 32 MiB'),
      422: error('A line that cannot be taken, named by its number'),
    },
  },
  {
    method: 'GET',
    path: '/api/blueprints',
    tag: 'Blueprints',
    summary: 'List the blueprints',
    query: 'company',
    responses: { 200: { description: 'Summaries with their revision, sorted by name', schema: 'BlueprintList' } },
  },
  {
    method: 'POST',
    path: '/api/blueprints',
    tag: 'Blueprints',
    summary: 'Create a blueprint',
    query: 'company',
    body: 'BlueprintDocument',
    responses: {
      201: { description: 'Created at revision 1', schema: 'BlueprintDocument', headers: ETAG },
      409: error('`already_exists`: PUT replaces it'),
      413: error('The body is too large'),
      422: error('`invalid_blueprint`, with every problem in `problems`'),
    },
  },
  {
    method: 'GET',
    path: '/api/blueprints/{id}',
    tag: 'Blueprints',
    summary: 'Read a blueprint',
    query: 'company',
    responses: { 200: { description: 'The document', schema: 'BlueprintDocument', headers: ETAG }, 404: error('No such blueprint') },
  },
  {
    method: 'PUT',
    path: '/api/blueprints/{id}',
    tag: 'Blueprints',
    summary: 'Save a blueprint (a new revision)',
    description:
      'With `If-Match: "<revision>"` the save happens only if that is still the stored revision; otherwise 412 `conflict` with `currentRevision` (0: the blueprint is gone) and nothing changes. Without it the save always happens.',
    query: 'company',
    headers: { 'If-Match': 'the ETag of the revision the edit started from' },
    body: 'BlueprintDocument',
    responses: {
      200: { description: 'Saved', schema: 'BlueprintDocument', headers: ETAG },
      201: { description: 'Created at revision 1', schema: 'BlueprintDocument', headers: ETAG },
      412: error('`conflict`: another revision is stored now (`currentRevision`)'),
      413: error('The body is too large'),
      422: error('`invalid_blueprint`, with every problem in `problems`'),
    },
  },
  {
    method: 'DELETE',
    path: '/api/blueprints/{id}',
    tag: 'Blueprints',
    summary: 'Delete a blueprint, its revisions and its runs',
    query: 'company',
    responses: { 204: { description: 'Deleted' }, 404: error('No such blueprint') },
  },
  {
    method: 'GET',
    path: '/api/blueprints/{id}/revisions',
    tag: 'Blueprints',
    summary: 'List the kept revisions (the last 50), newest first',
    query: 'company',
    responses: { 200: { description: 'The revisions', schema: 'BlueprintRevisions' }, 404: error('No such blueprint') },
  },
  {
    method: 'GET',
    path: '/api/blueprints/{id}/revisions/{revision}',
    tag: 'Blueprints',
    summary: 'Read a kept revision',
    query: 'company',
    responses: {
      200: { description: 'The document as saved then', schema: 'BlueprintDocument' },
      404: error('No such blueprint, or the revision is not kept'),
    },
  },
  {
    method: 'POST',
    path: '/api/blueprints/{id}/runs',
    tag: 'Runs',
    summary: 'Run a blueprint on the server',
    description:
      '`wait` (default true): 201 with the finished record. `wait: false`: 202 at once; follow `Location`. `sandbox: true`: writes go to an overlay only this run sees; the record lists them as `changes`, applied with POST /api/runs/{runId}/apply.',
    query: 'company',
    body: 'RunRequest',
    responses: {
      201: { description: 'The finished run', schema: 'RunRecord', headers: { Location: '/api/runs/{runId}' } },
      202: { description: 'Started', schema: 'RunAccepted', headers: { Location: '/api/runs/{runId}' } },
      404: error('No such blueprint'),
      429: error('`too_many_runs`: the company already has KVB_MAX_RUNS runs executing'),
    },
  },
  {
    method: 'GET',
    path: '/api/blueprints/{id}/runs',
    tag: 'Runs',
    summary: "A blueprint's latest runs, newest first",
    query: 'runs',
    responses: { 200: { description: 'The run history', schema: 'RunHistory' }, 404: error('No such blueprint') },
  },
  {
    method: 'GET',
    path: '/api/blueprints/{id}/runs/{runId}',
    tag: 'Runs',
    summary: 'Read a run of a blueprint',
    query: 'company',
    responses: { 200: { description: 'The run record', schema: 'RunRecord' }, 404: error('No such run') },
  },
  {
    method: 'DELETE',
    path: '/api/blueprints/{id}/runs/{runId}',
    tag: 'Runs',
    summary: 'Delete a run record',
    query: 'company',
    responses: { 204: { description: 'Deleted' }, 404: error('No such run') },
  },
  {
    method: 'GET',
    path: '/api/runs/{runId}',
    tag: 'Runs',
    summary: 'Read a run, finished or still running',
    description: 'While it runs: status `running` with the steps finished so far.',
    query: 'company',
    responses: {
      200: { description: 'The record (so far)', schema: 'RunNow' },
      404: error('No such run in this company'),
    },
  },
  {
    method: 'GET',
    path: '/api/runs/{runId}/events',
    tag: 'Runs',
    summary: "Follow a run's events (server-sent events)",
    description:
      "Events `run-started`, `step-started`, `step-finished` and `run-finished`, each `event:` named so with the engine's JSON as `data:`. A late subscriber first gets every event so far (the first and last 100 steps of a long run); the stream ends after `run-finished`.",
    query: 'company',
    responses: { 200: { description: 'The event stream', stream: true }, 404: error('No such run in this company') },
  },
  {
    method: 'POST',
    path: '/api/runs/{runId}/cancel',
    tag: 'Runs',
    summary: 'Cancel a running run',
    description: 'The run ends `cancelled` after the block in flight.',
    query: 'company',
    responses: {
      202: { description: 'Cancelling', schema: 'RunCancelling' },
      404: error('No such run in this company'),
      409: error('`conflict`: the run has already finished'),
    },
  },
  {
    method: 'POST',
    path: '/api/runs/{runId}/apply',
    tag: 'Runs',
    summary: "Write a sandbox run's changes",
    description:
      'Atomically, and only if every key still has the version the run saw (absent where it was absent); otherwise 409 `conflict` naming the keys that moved in `keys`, and nothing is written. A second apply is 409 too.',
    query: 'company',
    responses: {
      200: { description: 'The changes written', schema: 'RunApplied' },
      400: error('`invalid_request`: a live run, or a record too large to hold every change'),
      404: error('No such run in this company'),
      409: error('`conflict`: keys moved since the run (`keys`), already applied, or still running'),
    },
  },
  {
    method: 'GET',
    path: '/api/events',
    tag: 'Events',
    summary: "Server-sent events of the caller's company",
    description: '`kv` when keys change, `run` when a run finishes, `blueprint` when one is saved (with its `revision`) or deleted.',
    query: 'company',
    responses: { 200: { description: 'The event stream', stream: true } },
  },
  {
    method: 'GET',
    path: '/api/openapi.json',
    tag: 'Reference',
    summary: 'This document',
    public: true,
    responses: { 200: { description: 'OpenAPI 3.1' } },
  },
  {
    method: 'GET',
    path: '/api/docs',
    tag: 'Reference',
    summary: 'The API reference page, made from this document',
    public: true,
    responses: { 200: { description: 'HTML' } },
  },
];

/** Statuses every token-guarded route may answer, besides its own. */
const COMMON_ERRORS: Record<number, ResponseDoc> = {
  400: error('`invalid_request` (the message names the field) or `invalid_scope`'),
  401: error('`unauthorized`: no token, or an unknown one'),
  403: error("`forbidden`: another company's companyId, a foreign Host or a cross-origin write"),
  503: error('`store`: the database is busy or full; try again'),
};

type JsonSchema = Record<string, unknown>;

const SCHEMA_OPTIONS = { unrepresentable: 'any', io: 'input' } as const;

function componentSchemas(): Record<string, JsonSchema> {
  const registry = z.registry<{ id: string }>();
  for (const [name, schema] of Object.entries(NAMED_SCHEMAS)) registry.add(schema, { id: name });
  const { schemas } = z.toJSONSchema(registry, { ...SCHEMA_OPTIONS, uri: (id) => `#/components/schemas/${id}` });
  return Object.fromEntries(
    Object.entries(schemas).map(([name, schema]) => {
      const { $schema: _schema, $id: _id, ...rest } = schema as JsonSchema;
      return [name, rest];
    }),
  );
}

function queryParameters(query: keyof typeof QUERY_SCHEMAS): JsonSchema[] {
  const schema = z.toJSONSchema(QUERY_SCHEMAS[query], SCHEMA_OPTIONS) as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(schema.properties ?? {}).map(([name, property]) => ({
    name,
    in: 'query',
    required: schema.required?.includes(name) ?? false,
    schema: property,
  }));
}

function pathParameters(path: string): JsonSchema[] {
  return [...path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({
    name,
    in: 'path',
    required: true,
    schema: name === 'revision' ? { type: 'integer', minimum: 1 } : { type: 'string' },
  }));
}

function responseObject(response: ResponseDoc): JsonSchema {
  const content = response.stream
    ? { 'text/event-stream': { schema: { type: 'string' } } }
    : response.ndjson
      ? { 'application/x-ndjson': { schema: { type: 'string' } } }
      : response.schema
        ? { 'application/json': { schema: { $ref: `#/components/schemas/${response.schema}` } } }
        : undefined;
  return {
    description: response.description,
    ...(content ? { content } : {}),
    ...(response.headers
      ? {
          headers: Object.fromEntries(
            Object.entries(response.headers).map(([name, description]) => [name, { description, schema: { type: 'string' } }]),
          ),
        }
      : {}),
  };
}

function operationOf(route: RouteDoc): JsonSchema {
  const responses = { ...(route.public ? {} : COMMON_ERRORS), ...route.responses };
  return {
    tags: [route.tag],
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    operationId: `${route.method.toLowerCase()}${route.path.replace(/\{(\w+)\}/g, 'By_$1').replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase())}`,
    parameters: [
      ...pathParameters(route.path),
      ...(route.query ? queryParameters(route.query) : []),
      ...Object.entries(route.headers ?? {}).map(([name, description]) => ({
        name,
        in: 'header',
        required: false,
        description,
        schema: { type: 'string' },
      })),
    ],
    ...(route.ndjsonBody ? { requestBody: { required: true, content: { 'application/x-ndjson': { schema: { type: 'string' } } } } } : {}),
    ...(route.body
      ? { requestBody: { required: true, content: { 'application/json': { schema: { $ref: `#/components/schemas/${route.body}` } } } } }
      : {}),
    responses: Object.fromEntries(Object.entries(responses).map(([status, response]) => [status, responseObject(response)])),
    ...(route.public ? { security: [] } : {}),
  };
}

let built: JsonSchema | null = null;

/** The OpenAPI 3.1 document of `API_ROUTES` (built once). */
export function openApiDocument(): JsonSchema {
  if (built) return built;
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const route of API_ROUTES) {
    paths[route.path] ??= {};
    paths[route.path]![route.method.toLowerCase()] = operationOf(route);
  }
  built = {
    openapi: '3.1.0',
    info: {
      title: 'KV Blueprints API',
      version: '1',
      description:
        'The HTTP API of `kvb serve`. Errors are `{ "error": { "code", "message" } }`; the status is the code\'s (docs/http-api.md). With API tokens configured every request carries `Authorization: Bearer <token>` and acts for the token\'s company; without tokens (loopback only) for companyId `default`.',
    },
    security: [{ bearer: [] }],
    paths,
    components: { schemas: componentSchemas(), securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
  };
  return built;
}

/** The Fastify route url of an OpenAPI path: `{id}` → `:id`. */
export function fastifyPathOf(path: string): string {
  return path.replace(/\{(\w+)\}/g, ':$1');
}
