/**
 * The API answers every error with the status of its code in the one error table
 * (`ERROR_CODES`), whichever route or hook raised it: no route picks a status by hand.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES, isErrorCode } from '../../kv/errors';
import { ApiError } from './api-error';
import { errorOf, rawRequest, startTestServer, type TestResponse, type TestServer } from './test-support';

let open: TestServer;
let guarded: TestServer;
beforeAll(async () => {
  open = await startTestServer();
  guarded = await startTestServer({ env: { KVB_TOKENS: 'token-for-acme-0123456789:acme' } });
});
afterAll(async () => {
  await Promise.all([open.stop(), guarded.stop()]);
});

function expectTableStatus(response: TestResponse, code: string): void {
  const error = errorOf(response);
  expect(error.code).toBe(code);
  expect(isErrorCode(error.code), `${error.code} is in the table`).toBe(true);
  if (isErrorCode(error.code)) expect(response.status, error.code).toBe(ERROR_CODES[error.code].status);
  expect(error.message.length).toBeGreaterThan(0);
}

const blueprint = (id: string) => ({
  format: 'kv-blueprint/1',
  id,
  name: id,
  nodes: [{ id: 'start', type: 'start', position: { x: 0, y: 0 }, data: {} }],
  edges: [],
});

describe('ApiError', () => {
  it('takes its status from the code, and a code outside the table does not typecheck', () => {
    expect(new ApiError('too_many_runs', 'busy').status).toBe(429);
    expect(new ApiError('invalid_blueprint', 'bad').status).toBe(422);
    type Code = ConstructorParameters<typeof ApiError>[0];
    // @ts-expect-error a misspelt code is not a key of ERROR_CODES
    const misspelt: Code = 'not_fuond';
    // @ts-expect-error routes name a code, never a status
    const status: Code = 404;
    expect([misspelt, status]).toEqual(['not_fuond', 404]);
  });
});

describe('error answers carry the status of their code in ERROR_CODES', () => {
  it('for blueprint routes: missing, duplicate and invalid documents', async () => {
    expectTableStatus(await open.call('GET', '/api/blueprints/no-such-blueprint'), 'not_found');
    await open.call('POST', '/api/blueprints', { body: blueprint('twice') });
    expectTableStatus(await open.call('POST', '/api/blueprints', { body: blueprint('twice') }), 'already_exists');
    const invalid = await open.call('POST', '/api/blueprints', { body: { ...blueprint('broken'), nodes: [] } });
    expectTableStatus(invalid, 'invalid_blueprint');
    expect(invalid.status).toBe(422);
  });

  it('for store routes: bad key, bad scope, wrong type, bad value', async () => {
    expectTableStatus(await open.call('POST', '/api/kv', { body: { key: 'has space', value: 'x', scope: 'global' } }), 'invalid_key');
    expectTableStatus(await open.call('GET', '/api/kv?scope=planet'), 'invalid_scope');
    expectTableStatus(
      await open.call('POST', '/api/kv', { body: { key: 'j', value: '{"a":', valueType: 'json', scope: 'global' } }),
      'invalid_value',
    );
    await open.call('POST', '/api/kv', { body: { key: 'obj', value: '{"a":1}', valueType: 'json', scope: 'global' } });
    const mismatch = await open.call('POST', '/api/kv/ops', { body: { ops: [{ op: 'increment', key: 'obj', scope: 'global' }] } });
    expectTableStatus(mismatch, 'type_mismatch');
    expect(errorOf(mismatch).opIndex).toBe(0);
  });

  it('for the request hooks: malformed JSON, oversized body, unknown route', async () => {
    expectTableStatus(
      await open.call('POST', '/api/kv', { rawBody: '{"key":', headers: { 'content-type': 'application/json' } }),
      'invalid_request',
    );
    const huge = JSON.stringify({ key: 'big', value: 'x'.repeat(3 * 1024 * 1024), scope: 'global' });
    expectTableStatus(await open.call('POST', '/api/kv', { rawBody: huge, headers: { 'content-type': 'application/json' } }), 'too_large');
    expectTableStatus(await open.call('GET', '/api/nothing-here'), 'not_found');
  });

  it('for the guards: a missing token and a foreign Host', async () => {
    expectTableStatus(await guarded.call('GET', '/api/blueprints'), 'unauthorized');
    const port = open.server.port;
    const foreign = await rawRequest(port, { path: '/api/blueprints', headers: { host: `evil.example:${port}` } });
    const body = JSON.parse(foreign.body) as { error: { code: string } };
    expect(body.error.code).toBe('forbidden');
    expect(foreign.status).toBe(ERROR_CODES.forbidden.status);
  });
});
