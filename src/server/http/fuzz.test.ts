/**
 * Property-based fuzzing of a real `kvb serve` process (with API tokens, so the token check is
 * in play): generated requests — malformed and deeply nested JSON, odd and encoded characters,
 * huge and truncated bodies, wrong methods, types and content types, encoded and absolute-form
 * paths — and three rules every answer must keep:
 *
 * 1. no 5xx;
 * 2. an error answer changed nothing (SQLite's `PRAGMA data_version`, read from a second
 *    connection after each request, moves only when another connection committed);
 * 3. no internal text in a body (stack frames, engine or driver messages, Fastify codes),
 *    and every JSON error is `{ error: { code, message } }`;
 *
 * plus: a request without a valid token never gets API data.
 *
 * `npm test` runs it with a fixed seed and 10,000 requests; `npm run fuzz` runs it longer with a
 * random seed (KVB_FUZZ_RUNS, KVB_FUZZ_SEED override both). A failure prints the seed and the
 * request, so it can be replayed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnServe, type SpawnedServer } from './test-support';

const RUNS = Number(process.env.KVB_FUZZ_RUNS ?? 10_000);
const SEED = process.env.KVB_FUZZ_SEED === 'random' ? Math.floor(Math.random() * 2 ** 31) : Number(process.env.KVB_FUZZ_SEED ?? 20261130);
const TOKEN_ACME = 'fuzz-token-acme-0123456789abcdef';
const TOKEN_GLOBEX = 'fuzz-token-globex-0123456789abcdef';

interface FuzzRequest {
  method: string;
  path: string;
  token: string | null;
  contentType: string | null;
  body: string | Buffer | null;
  origin: string | null;
}

interface FuzzResponse {
  status: number;
  contentType: string;
  body: string;
}

// --- generators ----------------------------------------------------------------------------

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const hasLoneSurrogate = (text: string) => LONE_SURROGATE.test(text);

const keyPool = fc.constantFrom(
  'a',
  'b',
  'ctr',
  'list-1',
  'x_y',
  'k'.repeat(256),
  'k'.repeat(257),
  '',
  'bad key',
  'ü',
  '\u{1F600}',
  '__proto__',
  'constructor',
);
const oddText = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.constantFrom('\uD800', 'a\uDC00b', '\u0000', '../..', '%00', '\u202E', '" OR 1=1 --', '<script>', 'acme', 'globex', 'default'),
);
const scopeValue = fc.oneof(fc.constantFrom('global', 'flow', 'flow_group'), oddText);
const shallowJson = fc.jsonValue({ maxDepth: 3 });

/** A JSON value nested `depth` levels, as text: arrays, objects or a mix. */
const deepJsonText = fc
  .record({ depth: fc.integer({ min: 2, max: 6_000 }), kind: fc.constantFrom('array', 'object', 'mixed') })
  .map(({ depth, kind }) => {
    if (kind === 'array') return '['.repeat(depth) + '1' + ']'.repeat(depth);
    if (kind === 'object') return '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
    let open = '';
    let close = '';
    for (let i = 0; i < depth; i += 1) {
      if (i % 2 === 0) {
        open += '[';
        close = ']' + close;
      } else {
        open += '{"k":';
        close = '}' + close;
      }
    }
    return open + 'null' + close;
  });

const kvOp = fc.record(
  {
    op: fc.oneof(fc.constantFrom('get', 'set', 'delete', 'list', 'keys', 'append', 'increment'), oddText),
    key: fc.oneof(keyPool, oddText),
    scope: scopeValue,
    scopeKey: fc.option(oddText, { nil: undefined }),
    value: fc.option(shallowJson, { nil: undefined }),
    valueType: fc.option(fc.constantFrom('text', 'json', 'number', 1), { nil: undefined }),
    by: fc.option(fc.oneof(fc.integer(), fc.double(), fc.constant('1')), { nil: undefined }),
    mode: fc.option(fc.constantFrom('upsert', 'create', 'update', 'merge'), { nil: undefined }),
    ttlSeconds: fc.option(fc.oneof(fc.constantFrom(-1, 0, 3600, 1e12, 1.5), fc.constant('60')), { nil: undefined }),
    prefix: fc.option(oddText, { nil: undefined }),
    limit: fc.option(fc.oneof(fc.integer({ min: -5, max: 5_000 }), fc.constant('10')), { nil: undefined }),
  },
  { requiredKeys: ['op'] },
);

const kvSetBody = fc.record(
  {
    key: fc.oneof(keyPool, oddText),
    value: fc.oneof(shallowJson, fc.string()),
    valueType: fc.option(fc.constantFrom('text', 'json', 'other'), { nil: undefined }),
    scope: scopeValue,
    scopeKey: fc.option(oddText, { nil: undefined }),
    companyId: fc.option(fc.oneof(fc.constantFrom('acme', 'globex', 'default'), oddText), { nil: undefined }),
    ttlSeconds: fc.option(fc.constantFrom(-1, 0, 3600, 1e12, null), { nil: undefined }),
    mode: fc.option(fc.constantFrom('upsert', 'create', 'update', 7), { nil: undefined }),
    extra: fc.option(fc.constant(true), { nil: undefined }),
  },
  { requiredKeys: ['key', 'scope'] },
);

const blueprintBody = fc.record(
  {
    format: fc.constantFrom('kv-blueprint/1', 'kv-blueprint/2', 1),
    id: fc.oneof(fc.constantFrom('bp-1', 'counter', 'loop'), oddText),
    name: fc.oneof(fc.string({ maxLength: 30 }), fc.constant(7)),
    nodes: fc.oneof(
      fc.constant([
        { id: 'start', type: 'start', position: { x: 0, y: 0 }, data: {} },
        { id: 'inc', type: 'kv', position: { x: 240, y: 0 }, data: { action: 'increment', key: 'ctr', scope: 'global' } },
      ]),
      fc.array(
        fc.record({
          id: oddText,
          type: fc.constantFrom('start', 'kv', 'output', 'nope'),
          position: fc.record({ x: fc.integer(), y: fc.integer() }),
          data: fc.dictionary(fc.string({ maxLength: 8 }), shallowJson, { maxKeys: 4 }),
        }),
        { maxLength: 4 },
      ),
    ),
    edges: fc.oneof(
      fc.constant([{ id: 'e1', source: 'start', sourceHandle: 'success', target: 'inc' }]),
      fc.array(fc.record({ id: oddText, source: oddText, sourceHandle: fc.constantFrom('success', 'error', 'nope'), target: oddText }), {
        maxLength: 3,
      }),
    ),
  },
  { requiredKeys: ['format', 'id', 'nodes', 'edges'] },
);

const jsonBodyText = fc.oneof(
  kvSetBody.map((body) => JSON.stringify(body)),
  fc.array(kvOp, { maxLength: 6 }).map((ops) => JSON.stringify({ ops })),
  blueprintBody.map((body) => JSON.stringify(body)),
  fc
    .record({ input: fc.option(shallowJson, { nil: undefined }), wait: fc.option(fc.boolean(), { nil: undefined }) })
    .map((body) => JSON.stringify(body)),
  deepJsonText.map((value) => `{"key":"deep","scope":"global","value":${value}}`),
  deepJsonText.map((value) => `{"ops":[{"op":"set","key":"deep","scope":"global","value":${value}}]}`),
  deepJsonText.map((value) => `{"format":"kv-blueprint/1","id":"deep","name":"d","nodes":${value},"edges":[]}`),
  deepJsonText,
  fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.stringify(value)),
  fc.constantFrom(
    '',
    ' ',
    'null',
    '{',
    '{"key":',
    '{"__proto__":{"x":1}}',
    '{"constructor":{"prototype":{}}}',
    '[]',
    '"text"',
    '1e999',
    '{"key":"a","scope":"global","value":1}garbage',
  ),
);

const bodyArb: fc.Arbitrary<string | Buffer | null> = fc.oneof(
  { weight: 20, arbitrary: fc.constant(null) },
  { weight: 100, arbitrary: jsonBodyText },
  // A valid body cut short.
  {
    weight: 20,
    arbitrary: fc.tuple(jsonBodyText, fc.nat()).map(([text, cut]) => text.slice(0, text.length === 0 ? 0 : cut % text.length)),
  },
  // Bytes that are not UTF-8.
  {
    weight: 5,
    arbitrary: fc
      .uint8Array({ maxLength: 64 })
      .map((bytes) => Buffer.concat([Buffer.from('{"key":"'), Buffer.from(bytes), Buffer.from('","scope":"global","value":1}')])),
  },
  // Over the 2 MiB body limit, rarely.
  { weight: 1, arbitrary: fc.constantFrom(2, 3).map((mib) => `{"key":"big","scope":"global","value":"${'x'.repeat(mib * 1024 * 1024)}"}`) },
  // A value just over the 1 MiB value limit.
  { weight: 1, arbitrary: fc.constant(`{"key":"big","scope":"global","value":"${'y'.repeat(1024 * 1024 + 8)}"}`) },
);

const idSegment = fc.oneof(
  fc.constantFrom('counter', 'bp-1', 'missing', 'run-1', '00000000-0000-0000-0000-000000000000'),
  oddText.map((text) => encodeURIComponent(hasLoneSurrogate(text) ? 'x' : text)),
  fc.constantFrom('%ED%A0%80', '%2F', '%2e%2e', '..', '%00', 'a%ZZ'),
);
const queryArb = fc
  .array(
    fc.tuple(
      fc.constantFrom('scope', 'scopeKey', 'companyId', 'prefix', 'limit', 'cursor', 'key', 'nope'),
      fc.oneof(scopeValue, fc.integer({ min: -10, max: 5_000 }).map(String), fc.constantFrom('%ED%A0%80', '%', '', 'acme', 'globex')),
    ),
    { maxLength: 5 },
  )
  .map((pairs) =>
    pairs.length === 0
      ? ''
      : '?' +
        pairs
          .map(
            ([name, value]) =>
              `${name}=${/%/.test(value) || hasLoneSurrogate(value) ? value.replace(/[\uD800-\uDFFF]/g, '%ED%A0%80') : encodeURIComponent(value)}`,
          )
          .join('&'),
  );

const routePath = fc.oneof(
  fc.constant('/api/kv'),
  idSegment.map((id) => `/api/kv/${id}`),
  fc.constant('/api/kv/ops'),
  fc.constant('/api/blueprints'),
  idSegment.map((id) => `/api/blueprints/${id}`),
  idSegment.map((id) => `/api/blueprints/${id}/runs`),
  fc.tuple(idSegment, idSegment).map(([id, runId]) => `/api/blueprints/${id}/runs/${runId}`),
  idSegment.map((id) => `/api/runs/${id}`),
  fc.constant('/api/events'),
  fc.constantFrom('/api', '/api/', '/api/nope', '/', '/index.html', '/assets/x.js', '/favicon.ico'),
);

/** Ways to write the same path that a router may normalise: percent-encoding, case, dots, slashes. */
function disguise(path: string, how: number, at: number): string {
  switch (how) {
    case 0:
      return path;
    case 1: {
      // percent-encode one character of the path
      const i = at % path.length;
      return path.slice(0, i) + '%' + path.charCodeAt(i).toString(16).padStart(2, '0') + path.slice(i + 1);
    }
    case 2:
      return path.replace(/[a-z]/g, (c) => `%${c.charCodeAt(0).toString(16)}`);
    case 3:
      return path.toUpperCase();
    case 4:
      return path.replace('/api/', '/api//');
    case 5:
      return path.replace('/api/', '/api/./');
    case 6:
      return '/x/..' + path;
    case 7:
      return path + '/';
    case 8:
      return '/' + path;
    case 9:
      return path.replace('/api/', '/%2Fapi/');
    default:
      return path.replace('/api/', '/api%2F');
  }
}

/** What Node's client refuses to send (spaces, controls, non-ASCII) as UTF-8 escapes; a lone surrogate as its 3 bytes. */
function escapeUnsafe(target: string): string {
  return target.replace(/[^\x21-\x7e]/gu, (c) => (/[\uD800-\uDFFF]/.test(c) && c.length === 1 ? '%ED%A0%80' : encodeURIComponent(c)));
}

const requestArb: fc.Arbitrary<FuzzRequest> = fc.record({
  method: fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE') },
    { weight: 1, arbitrary: fc.constantFrom('PATCH', 'HEAD', 'OPTIONS', 'TRACE', 'PROPFIND') },
  ),
  path: fc.tuple(routePath, queryArb, fc.integer({ min: 0, max: 14 }), fc.nat(), fc.boolean()).map(([path, query, how, at, absolute]) => {
    const disguised = disguise(path, how > 10 ? 0 : how, at) + query;
    return escapeUnsafe(absolute ? `ABSOLUTE${disguised}` : disguised);
  }),
  token: fc.oneof(
    { weight: 4, arbitrary: fc.constant(TOKEN_ACME) },
    { weight: 2, arbitrary: fc.constant(TOKEN_GLOBEX) },
    { weight: 2, arbitrary: fc.constant(null) },
    { weight: 1, arbitrary: fc.constantFrom('wrong-token-0123456789', '', 'a b') },
  ),
  contentType: fc.oneof(
    { weight: 8, arbitrary: fc.constant('application/json') },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        null,
        'text/plain',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'application/json; charset=latin1',
        'APPLICATION/JSON',
      ),
    },
  ),
  body: bodyArb,
  origin: fc.oneof({ weight: 8, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.constantFrom('http://evil.example', 'null') }),
});

// --- the server and the client -------------------------------------------------------------

let server: SpawnedServer | undefined;
let port = 0;
let dataDir = '';
let db: Database.Database;
const agent = new Agent({ keepAlive: true, maxSockets: 1 });

/** Sends one request; a kept-alive socket the server had closed meanwhile is retried once (Node's advice). */
async function send(request: FuzzRequest): Promise<FuzzResponse> {
  try {
    return await sendOnce(request);
  } catch (error) {
    if ((error as { retryable?: boolean }).retryable) return sendOnce(request);
    throw error;
  }
}

function sendOnce(request: FuzzRequest): Promise<FuzzResponse> {
  const path = request.path.startsWith('ABSOLUTE') ? `http://127.0.0.1:${port}${request.path.slice('ABSOLUTE'.length)}` : request.path;
  const headers: Record<string, string | number> = { host: `127.0.0.1:${port}` };
  if (request.token !== null) headers.authorization = `Bearer ${request.token}`;
  if (request.origin !== null) headers.origin = request.origin;
  if (request.body !== null) {
    if (request.contentType !== null) headers['content-type'] = request.contentType;
    headers['content-length'] = Buffer.byteLength(request.body);
  }
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method: request.method, path, headers, agent }, (res) => {
      const contentType = String(res.headers['content-type'] ?? '');
      if (contentType.startsWith('text/event-stream')) {
        // The event stream stays open by design: its headers are the answer.
        res.destroy();
        resolve({ status: res.statusCode ?? 0, contentType, body: '' });
        return;
      }
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    // The server may refuse a body over its limit and close before reading it all: that is an
    // answer (status 0 here), allowed only for such bodies and checked like any error.
    const large = request.body !== null && Buffer.byteLength(request.body) > 1024 * 1024;
    req.setTimeout(10_000, () => req.destroy(new Error('no answer within 10 s')));
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (large && (error.code === 'EPIPE' || error.code === 'ECONNRESET')) resolve({ status: 0, contentType: '', body: '' });
      else reject(Object.assign(error, { retryable: req.reusedSocket && error.code === 'ECONNRESET' }));
    });
    if (request.body !== null) req.write(request.body);
    req.end();
  });
}

function dataVersion(): number {
  return db.pragma('data_version', { simple: true }) as number;
}

const INTERNAL_TEXT = [
  /\n\s+at /,
  /node_modules/,
  /\/src\//,
  /Maximum call stack/i,
  /SQLITE_/,
  /sqlite/i,
  /Cannot read propert/,
  /is not a function/,
  /undefined is not/,
  /\bFST_[A-Z_]+/,
  /TypeError|RangeError|ReferenceError|SyntaxError/,
  /ZodError/,
  /better-sqlite3/,
];

function violations(request: FuzzRequest, response: FuzzResponse, changed: boolean): string[] {
  const found: string[] = [];
  if (response.status >= 500) found.push(`answered ${response.status}`);
  const refused = response.status >= 400 || response.status === 0;
  if (refused && changed) found.push(`changed data while answering ${response.status}`);
  for (const pattern of INTERNAL_TEXT) if (pattern.test(response.body)) found.push(`internal text ${pattern} in the body`);
  if (response.status >= 400 && response.contentType.startsWith('application/json') && request.method !== 'HEAD') {
    let body: unknown = null;
    try {
      body = JSON.parse(response.body);
    } catch {
      found.push('an error body that is not JSON');
    }
    const error = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
    if (body !== null && (typeof error?.code !== 'string' || typeof error.message !== 'string'))
      found.push('an error body without { error: { code, message } }');
  }
  const authorised = request.token === TOKEN_ACME || request.token === TOKEN_GLOBEX;
  if (!authorised && response.status < 400 && !response.contentType.startsWith('text/html') && response.body !== '') {
    found.push(`answered ${response.status} with ${response.contentType || 'no type'} to a request without a valid token`);
  }
  return found;
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'kvb-fuzz-'));
  server = await spawnServe(dataDir, { KVB_TOKENS: `${TOKEN_ACME}:acme,${TOKEN_GLOBEX}:globex`, KVB_LOG_LEVEL: 'silent' });
  const url = server.url;
  port = Number(new URL(url).port);
  db = new Database(join(dataDir, 'kvb.sqlite'), { readonly: true, fileMustExist: true });
  // Something to read, update and run: a blueprint and a few entries of each company.
  for (const token of [TOKEN_ACME, TOKEN_GLOBEX]) {
    const blueprint = JSON.stringify({
      format: 'kv-blueprint/1',
      id: 'counter',
      name: 'Counter',
      nodes: [
        { id: 'start', type: 'start', position: { x: 0, y: 0 }, data: {} },
        { id: 'inc', type: 'kv', position: { x: 240, y: 0 }, data: { action: 'increment', key: 'ctr', scope: 'global' } },
      ],
      edges: [{ id: 'e1', source: 'start', sourceHandle: 'success', target: 'inc' }],
    });
    expect(
      (await send({ method: 'POST', path: '/api/blueprints', token, contentType: 'application/json', body: blueprint, origin: null }))
        .status,
    ).toBe(201);
    expect(
      (
        await send({
          method: 'POST',
          path: '/api/kv',
          token,
          contentType: 'application/json',
          body: '{"key":"a","scope":"global","value":{"n":1}}',
          origin: null,
        })
      ).status,
    ).toBe(201);
  }
}, 60_000);

afterAll(async () => {
  agent.destroy();
  db?.close();
  if (server && server.child.exitCode === null) {
    server.child.kill('SIGTERM');
    await server.exited;
  }
  rmSync(dataDir, { recursive: true, force: true });
});

describe('fuzzing a real kvb serve', () => {
  it(
    `keeps every rule over ${RUNS} generated requests (seed ${SEED})`,
    async () => {
      let sent = 0;
      await fc.assert(
        fc.asyncProperty(requestArb, async (request) => {
          const before = dataVersion();
          const response = await send(request);
          sent += 1;
          const problems = violations(request, response, dataVersion() !== before);
          if (problems.length > 0) {
            const shown = { ...request, body: request.body === null ? null : String(request.body).slice(0, 300) };
            throw new Error(
              `${problems.join('; ')}\nrequest: ${JSON.stringify(shown)}\nanswer: ${response.status} ${response.body.slice(0, 300)}`,
            );
          }
        }),
        { numRuns: RUNS, seed: SEED, endOnFailure: true },
      );
      expect(sent).toBe(RUNS);
      // The server is still healthy afterwards.
      const health = await send({
        method: 'GET',
        path: '/api/kv?scope=global',
        token: TOKEN_ACME,
        contentType: null,
        body: null,
        origin: null,
      });
      expect(health.status).toBe(200);
    },
    Math.max(60_000, RUNS * 6),
  );
});
