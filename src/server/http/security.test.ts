import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ServerEvent } from '../../kv/api-schema';
import { subscribeToServerEvents } from '../../kv/http-store';
import type { Entry } from '../../kv/types';
import { ServerStartError, startServer } from './serve';
import { checkHost, checkOrigin, hostPolicyFor, isLoopbackHost } from './security';
import { errorOf, rawRequest, startTestServer, temporaryDataDir, type TestServer } from './test-support';
import { parseTokensVariable, TokenConfigError } from './tokens';

const running: TestServer[] = [];
async function serverWith(options: Parameters<typeof startTestServer>[0] = {}): Promise<TestServer> {
  const server = await startTestServer(options);
  running.push(server);
  return server;
}
afterEach(async () => {
  await Promise.all(running.splice(0).map((server) => server.stop()));
});

const TOKEN_A = 'token-for-acme-0123456789';
const TOKEN_B = 'token-for-globex-987654321';
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('Host header (DNS rebinding)', () => {
  it('accepts the loopback names on the server port and refuses any other Host with 403', async () => {
    const t = await serverWith();
    const port = t.server.port;
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]) {
      expect((await rawRequest(port, { path: '/api/blueprints', headers: { host } })).status).toBe(200);
    }
    for (const host of [`evil.example:${port}`, 'localhost', `localhost:${port + 1}`, `127.0.0.1.evil.example:${port}`]) {
      const response = await rawRequest(port, { path: '/api/blueprints', headers: { host } });
      expect(response.status).toBe(403);
      expect(JSON.parse(response.body)).toMatchObject({
        error: { code: 'forbidden', message: expect.stringContaining('is not a name of this server') },
      });
    }
  });

  it('also guards the web app pages, and accepts names listed in KVB_ALLOWED_HOSTS', async () => {
    const t = await serverWith({ env: { KVB_ALLOWED_HOSTS: 'kv.example.com' } });
    expect((await rawRequest(t.server.port, { path: '/', headers: { host: 'attacker.example' } })).status).toBe(403);
    expect((await rawRequest(t.server.port, { path: '/', headers: { host: 'kv.example.com' } })).status).toBe(200);
  });

  it('checkHost wants the exact port for built-in names', () => {
    const policy = hostPolicyFor('127.0.0.1');
    expect(checkHost('127.0.0.1:8787', 8787, policy)).toBeNull();
    expect(checkHost('127.0.0.1', 8787, policy)).toMatch(/not a name/);
    expect(checkHost(undefined, 8787, policy)).toMatch(/no Host/);
  });
});

describe('cross-origin writes', () => {
  it('refuses a write whose Origin is another site, and allows the same origin and non-browser clients', async () => {
    const t = await serverWith();
    const body = { key: 'k', value: 1, scope: 'global' };
    const foreign = await t.call('POST', '/api/kv', { body, headers: { origin: 'http://evil.example' } });
    expect(foreign.status).toBe(403);
    expect(errorOf(foreign)).toMatchObject({ code: 'forbidden', message: expect.stringContaining('http://evil.example') });
    const nullOrigin = await t.call('DELETE', '/api/kv/some-id', { headers: { origin: 'null' } });
    expect(nullOrigin.status).toBe(403);
    const sameOrigin = await t.call('POST', '/api/kv', { body, headers: { origin: t.url } });
    expect(sameOrigin.status).toBe(201);
    const noOrigin = await t.call('POST', '/api/kv', { body });
    expect(noOrigin.status).toBe(200);
    // Nothing was written by the refused request: the first success created the key.
    expect((sameOrigin.body as Entry).version).toBe(1);
  });

  it('lets reads through from any origin (the browser keeps the answer from the page)', () => {
    expect(checkOrigin('GET', '127.0.0.1:1', 'http://evil.example', 'cross-site')).toBeNull();
    expect(checkOrigin('PUT', '127.0.0.1:1', undefined, 'cross-site')).toMatch(/Sec-Fetch-Site/);
  });
});

describe('tokens and tenancy', () => {
  it('answers 401 without a token or with an unknown one', async () => {
    const t = await serverWith({ env: { KVB_TOKENS: `${TOKEN_A}:acme` } });
    const none = await t.call('GET', '/api/kv?scope=global');
    expect(none.status).toBe(401);
    expect(errorOf(none).code).toBe('unauthorized');
    expect((await t.call('GET', '/api/kv?scope=global', { headers: bearer('not-a-real-token-at-all') })).status).toBe(401);
    expect((await t.call('GET', '/api/kv?scope=global', { headers: bearer(TOKEN_A) })).status).toBe(200);
  });

  it('keeps two companies apart: entries, lists, ids, blueprints, runs and events', async () => {
    const t = await serverWith({ env: { KVB_TOKENS: `${TOKEN_A}:acme,${TOKEN_B}:globex` } });
    const saved = await t.call('POST', '/api/kv', {
      body: { key: 'secret', value: 'acme only', scope: 'global' },
      headers: bearer(TOKEN_A),
    });
    expect(saved.body).toMatchObject({ companyId: 'acme' });
    const id = (saved.body as Entry).id;

    const theirList = await t.call('GET', '/api/kv?scope=global', { headers: bearer(TOKEN_B) });
    expect(theirList.body).toEqual({ entries: [], nextCursor: null });
    expect((await t.call('GET', `/api/kv/${id}`, { headers: bearer(TOKEN_B) })).status).toBe(404);
    expect((await t.call('DELETE', `/api/kv/${id}`, { headers: bearer(TOKEN_B) })).status).toBe(404);
    const theirGet = await t.call('POST', '/api/kv/ops', {
      body: { ops: [{ op: 'get', key: 'secret', scope: 'global' }] },
      headers: bearer(TOKEN_B),
    });
    expect(theirGet.body).toEqual({ results: [{ op: 'get', entry: null }] });

    // Naming the other company explicitly is refused without saying anything about its data.
    const named = await t.call('GET', '/api/kv?scope=global&companyId=acme', { headers: bearer(TOKEN_B) });
    expect(named.status).toBe(403);
    expect(errorOf(named).message).not.toContain('acme only');
    const namedWrite = await t.call('POST', '/api/kv', {
      body: { key: 'secret', value: 'overwritten', scope: 'global', companyId: 'acme' },
      headers: bearer(TOKEN_B),
    });
    expect(namedWrite.status).toBe(403);

    const blueprint = {
      format: 'kv-blueprint/1',
      id: 'private',
      name: 'Private',
      nodes: [{ id: 'start', type: 'start', position: { x: 0, y: 0 }, data: {} }],
      edges: [],
    };
    expect((await t.call('POST', '/api/blueprints', { body: blueprint, headers: bearer(TOKEN_A) })).status).toBe(201);
    expect((await t.call('POST', '/api/blueprints/private/runs', { body: {}, headers: bearer(TOKEN_A) })).status).toBe(201);
    expect((await t.call('GET', '/api/blueprints', { headers: bearer(TOKEN_B) })).body).toEqual({ blueprints: [] });
    expect((await t.call('GET', '/api/blueprints/private', { headers: bearer(TOKEN_B) })).status).toBe(404);
    expect((await t.call('GET', '/api/blueprints/private/runs', { headers: bearer(TOKEN_B) })).status).toBe(404);
    expect((await t.call('POST', '/api/blueprints/private/runs', { body: {}, headers: bearer(TOKEN_B) })).status).toBe(404);
    expect((await t.call('DELETE', '/api/blueprints/private', { headers: bearer(TOKEN_B) })).status).toBe(404);
    // The other company may use the same blueprint id for its own, separate blueprint.
    expect((await t.call('POST', '/api/blueprints', { body: blueprint, headers: bearer(TOKEN_B) })).status).toBe(201);
    expect((await t.call('GET', '/api/blueprints/private/runs', { headers: bearer(TOKEN_B) })).body).toEqual({ runs: [] });

    // Still all there for its owner.
    expect((await t.call('GET', `/api/kv/${id}`, { headers: bearer(TOKEN_A) })).body).toMatchObject({ value: 'acme only' });
    expect(
      ((await t.call('GET', '/api/blueprints/private/runs', { headers: bearer(TOKEN_A) })).body as { runs: unknown[] }).runs,
    ).toHaveLength(1);
  });

  it("streams each token only its own company's events", async () => {
    const t = await serverWith({ env: { KVB_TOKENS: `${TOKEN_A}:acme,${TOKEN_B}:globex` } });
    const heardByB: ServerEvent[] = [];
    let stop = () => {};
    const firstEvent = new Promise<void>((resolve) => {
      stop = subscribeToServerEvents(t.url, TOKEN_B, (event) => {
        heardByB.push(event);
        resolve();
      });
    });
    await new Promise((resolve) => setTimeout(resolve, 150));
    await t.call('POST', '/api/kv', { body: { key: 'acme_key', value: 1, scope: 'global' }, headers: bearer(TOKEN_A) });
    await t.call('POST', '/api/kv', { body: { key: 'globex_key', value: 1, scope: 'global' }, headers: bearer(TOKEN_B) });
    await firstEvent;
    stop();
    expect(heardByB).toEqual([
      { type: 'kv', data: { companyId: 'globex', changes: [{ scope: 'global', scopeKey: '', key: 'globex_key', change: 'set' }] } },
    ]);
    expect((await t.call('GET', '/api/events', { headers: bearer('unknown-token-0000000000') })).status).toBe(401);
  });

  it('reads tokens from tokens.json in the data directory', async () => {
    const dataDir = temporaryDataDir();
    writeFileSync(join(dataDir, 'tokens.json'), JSON.stringify({ [TOKEN_A]: 'acme' }));
    const t = await serverWith({ dataDir });
    expect((await t.call('GET', '/api/blueprints')).status).toBe(401);
    expect((await t.call('GET', '/api/blueprints', { headers: bearer(TOKEN_A) })).status).toBe(200);
  });

  it('refuses to listen on a non-loopback address without tokens', async () => {
    const dataDir = temporaryDataDir();
    const failure = await startServer({ host: '0.0.0.0', port: 0, dataDir, env: {} }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ServerStartError);
    expect(failure).toMatchObject({ code: 'tokens_required', message: expect.stringContaining('KVB_TOKENS') });
  });

  it('starts on a non-loopback address once tokens are configured', async () => {
    const t = await serverWith({ host: '0.0.0.0', env: { KVB_TOKENS: `${TOKEN_A}:acme` } });
    expect(
      (await rawRequest(t.server.port, { path: '/api/blueprints', headers: { host: `127.0.0.1:${t.server.port}`, ...bearer(TOKEN_A) } }))
        .status,
    ).toBe(200);
  });

  it('refuses weak or malformed token settings with a clear message', async () => {
    expect(() => parseTokensVariable('short:acme')).toThrow(TokenConfigError);
    expect(() => parseTokensVariable('no-company-separator-here')).toThrow(/not token:companyId/);
    expect(parseTokensVariable(`${TOKEN_A}:acme`).companyIdOf(TOKEN_A)).toBe('acme');
    const failure = await startServer({ host: '127.0.0.1', port: 0, dataDir: temporaryDataDir(), env: { KVB_TOKENS: 'tiny:acme' } }).catch(
      (error: unknown) => error,
    );
    expect(failure).toMatchObject({ code: 'invalid_tokens', message: expect.stringContaining('at least 16') });
  });

  it('knows the loopback names', () => {
    expect(['127.0.0.1', 'localhost', '::1', '127.1.2.3'].every(isLoopbackHost)).toBe(true);
    expect(['0.0.0.0', '192.168.1.2', 'example.com'].some(isLoopbackHost)).toBe(false);
  });
});
