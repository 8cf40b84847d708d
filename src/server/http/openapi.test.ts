import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkJsonSchema } from './json-schema-check';
import { API_ROUTES, fastifyPathOf, openApiDocument } from './openapi';
import { checkAgainstOpenApi } from './openapi-check';
import { apiClient, startTestServer, type RecordedExchange, type TestServer } from './test-support';

const TOKEN = 'reference-token-0123456789';
let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ env: { KVB_TOKENS: `${TOKEN}:acme` } });
});
afterAll(async () => {
  await t.stop();
});

describe('GET /api/openapi.json', () => {
  it('documents every registered API route, and only those', () => {
    const registered = new Set(
      t.server.routes
        .filter((route) => route.url.startsWith('/api') && route.method !== 'HEAD')
        .map((route) => `${route.method} ${route.url}`),
    );
    const documented = new Set(API_ROUTES.map((route) => `${route.method} ${fastifyPathOf(route.path)}`));
    expect(
      [...registered].filter((route) => !documented.has(route)),
      'registered but not in the OpenAPI document',
    ).toEqual([]);
    expect(
      [...documented].filter((route) => !registered.has(route)),
      'documented but not registered',
    ).toEqual([]);
  });

  it('serves an OpenAPI 3.1 document without a token, with every schema it references', async () => {
    const answer = await fetch(`${t.url}/api/openapi.json`);
    expect(answer.status).toBe(200);
    const document = (await answer.json()) as {
      openapi: string;
      paths: Record<string, unknown>;
      components: { schemas: Record<string, unknown> };
    };
    expect(document.openapi).toBe('3.1.0');
    expect(document).toEqual(JSON.parse(JSON.stringify(openApiDocument())));
    const refs = [...JSON.stringify(document).matchAll(/"\$ref":"#\/components\/schemas\/(\w+)"/g)].map((match) => match[1]!);
    expect(refs.length).toBeGreaterThan(10);
    for (const ref of refs) expect(document.components.schemas, ref).toHaveProperty(ref);
    // The request schemas are the routes' own: a strict body refuses unknown fields.
    expect(document.components.schemas.RunRequest).toMatchObject({
      additionalProperties: false,
      properties: { input: {}, sandbox: { type: 'boolean' }, wait: { type: 'boolean' } },
    });
  });

  it('serves a readable reference page at /api/docs that loads nothing from elsewhere', async () => {
    const answer = await fetch(`${t.url}/api/docs`);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toContain('text/html');
    expect(answer.headers.get('content-security-policy')).toContain("default-src 'none'");
    const page = await answer.text();
    for (const route of API_ROUTES) expect(page, route.path).toContain(route.path);
    expect(page).toContain('id="schema-RunRecord"');
    expect(page).not.toMatch(/<script|<link|src=|https?:\/\/(?!json-schema)/i);
  });
});

describe('answers match the document', () => {
  it('for the key routes, good and bad requests alike', async () => {
    const recorded: RecordedExchange[] = [];
    const client = apiClient(t.url, TOKEN, recorded);
    const created = await client.call('POST', '/api/kv', { body: { key: 'k', value: { a: 1 }, scope: 'global' } });
    const id = (created.body as { id: string }).id;
    await client.call('POST', '/api/kv', { body: { key: 'k', value: 2, scope: 'global' } });
    await client.call('GET', '/api/kv?scope=global');
    await client.call('GET', `/api/kv/${id}`);
    await client.call('POST', '/api/kv/ops', { body: { ops: [{ op: 'increment', key: 'n', scope: 'global' }] } });
    await client.call('POST', '/api/kv/ops', { body: { ops: [{ op: 'get', key: 'missing', scope: 'global' }] } });
    await client.call('POST', '/api/kv', { body: { key: 'bad key!', value: 1, scope: 'global' } });
    await client.call('GET', '/api/kv?scope=nowhere');
    await client.call('GET', '/api/kv/history?scope=global&key=k');
    await client.call('POST', '/api/kv/restore', { body: { scope: 'global', key: 'k', version: 1 } });
    await client.call('POST', '/api/kv/restore', { body: { scope: 'global', key: 'k', version: 99 } });
    await client.call('GET', '/api/kv/export?scope=global');
    await client.call('POST', '/api/kv/import', {
      rawBody: `${JSON.stringify({ scope: 'global', scopeKey: '', key: 'imported', value: 1, valueType: 'json', expiresAt: null })}\n`,
      headers: { 'content-type': 'application/x-ndjson' },
    });
    await client.call('POST', '/api/kv/import', { rawBody: '{oops\n', headers: { 'content-type': 'application/x-ndjson' } });
    await client.call('DELETE', `/api/kv/${id}`);
    await client.call('DELETE', `/api/kv/${id}`);
    await client.call('GET', '/api/kv/deleted?scope=global');
    await apiClient(t.url, undefined, recorded).call('GET', '/api/kv?scope=global');
    await client.call('GET', '/api/blueprints?companyId=other');
    expect(new Set(recorded.map((exchange) => exchange.status))).toEqual(new Set([200, 201, 204, 400, 401, 403, 404, 422]));
    const document = openApiDocument();
    expect(recorded.flatMap((exchange) => checkAgainstOpenApi(document, exchange))).toEqual([]);
  });

  it('and the check finds an answer that does not', () => {
    const document = openApiDocument();
    const entryLike = { method: 'GET', path: '/api/kv/x', status: 200, contentType: 'application/json' };
    expect(checkAgainstOpenApi(document, { ...entryLike, body: { id: 'x' } })).toEqual(
      expect.arrayContaining([expect.stringContaining('$.key: is required')]),
    );
    expect(checkAgainstOpenApi(document, { ...entryLike, status: 418, body: null })).toEqual([
      'GET /api/kv/x → 418: status 418 is not documented for GET /api/kv/{id}',
    ]);
    expect(checkAgainstOpenApi(document, { ...entryLike, path: '/api/nowhere', body: null })[0]).toMatch(/no operation/);
    expect(
      checkJsonSchema({ a: 'x' }, { type: 'object', properties: { a: { type: 'integer' } }, additionalProperties: false }, {}),
    ).toEqual(['$.a: expected integer, got "x"']);
    expect(checkJsonSchema({ b: 1 }, { type: 'object', properties: {}, additionalProperties: false }, {})).toEqual([
      '$.b: no value is allowed here',
    ]);
  });
});
