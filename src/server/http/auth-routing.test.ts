import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { routedPath } from './app';
import { socketRequest, startTestServer, temporaryDataDir, type TestServer } from './test-support';

const TOKEN = 'token-for-acme-0123456789';

const running: TestServer[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((server) => server.stop()));
});

/** A server with tokens and a (tiny) built web app, so the static routes exist too. */
async function serverWithTokens(): Promise<TestServer> {
  const dataDir = temporaryDataDir();
  const staticDir = join(dataDir, 'dist');
  mkdirSync(staticDir, { recursive: true });
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>KV Blueprints app</title>');
  const server = await startTestServer({ dataDir, staticDir, env: { KVB_TOKENS: `${TOKEN}:acme` } });
  running.push(server);
  return server;
}

/** A concrete path for a route pattern: every `:param` becomes `x`, a wildcard `app.js`. */
function concretePath(pattern: string): string {
  return pattern.replace(/:[A-Za-z]+/g, 'x').replace(/\*$/, 'app.js');
}

const percentEncoded = (path: string): string => path.replace(/^\/api/, '/%61pi');

describe('authentication is decided on the routed path', () => {
  it('answers 401 without a token on every non-public route, however the target is spelt', async () => {
    const t = await serverWithTokens();
    const port = t.server.port;
    const host = `127.0.0.1:${port}`;
    const guarded = t.server.routes.filter((route) => !route.public);
    // The app's API routes are all here, so a route added later is covered without editing this test.
    expect(guarded.map((route) => `${route.method} ${route.url}`)).toEqual(
      expect.arrayContaining([
        'GET /api/kv',
        'POST /api/kv',
        'GET /api/kv/:id',
        'DELETE /api/kv/:id',
        'POST /api/kv/ops',
        'GET /api/blueprints',
        'POST /api/blueprints/:id/runs',
        'GET /api/events',
        'HEAD /api/events',
      ]),
    );
    for (const route of guarded) {
      const path = `${concretePath(route.url)}?scope=global&companyId=acme`;
      const body = route.method === 'GET' || route.method === 'HEAD' || route.method === 'DELETE' ? '' : '{}';
      const type = body === '' ? '' : '\r\nContent-Type: application/json';
      for (const target of [path, percentEncoded(path), `http://${host}${path}`, `http://${host}${percentEncoded(path)}`]) {
        const answer = await socketRequest(port, `${route.method} ${target} HTTP/1.1\r\nHost: ${host}${type}`, body);
        expect({ target, status: answer.status }).toEqual({ target, status: 401 });
        if (route.method !== 'HEAD') expect(JSON.parse(answer.body)).toMatchObject({ error: { code: 'unauthorized' } });
      }
    }
  });

  it('still serves the same targets with a valid token', async () => {
    const t = await serverWithTokens();
    const port = t.server.port;
    const host = `127.0.0.1:${port}`;
    const auth = `\r\nAuthorization: Bearer ${TOKEN}`;
    for (const target of ['/%61pi/kv?scope=global', `http://${host}/api/kv?scope=global`, `http://${host}/%61pi/blueprints`]) {
      const answer = await socketRequest(port, `GET ${target} HTTP/1.1\r\nHost: ${host}${auth}`);
      expect({ target, status: answer.status }).toEqual({ target, status: 200 });
    }
    // Every route gets past the token check (its answer is the route's own: 200, 400, 404…).
    // GET /api/events would stream forever; its HEAD stands for it.
    for (const route of t.server.routes.filter((r) => !r.public && !(r.method === 'GET' && r.url === '/api/events'))) {
      const path = `${concretePath(route.url)}?scope=global`;
      const body = route.method === 'GET' || route.method === 'HEAD' || route.method === 'DELETE' ? '' : '{}';
      const type = body === '' ? '' : '\r\nContent-Type: application/json';
      for (const target of [percentEncoded(path), `http://${host}${path}`]) {
        const answer = await socketRequest(port, `${route.method} ${target} HTTP/1.1\r\nHost: ${host}${auth}${type}`, body);
        expect({
          route: `${route.method} ${target}`,
          authenticated: answer.status !== 401 && answer.status !== 403 && answer.status > 0,
        }).toEqual({ route: `${route.method} ${target}`, authenticated: true });
      }
    }
  });

  it('keeps the web app public and unknown API paths behind the token', async () => {
    const t = await serverWithTokens();
    const port = t.server.port;
    const host = `127.0.0.1:${port}`;
    expect((await t.call('GET', '/')).text).toContain('KV Blueprints app');
    expect((await t.call('GET', '/blueprints/some-page')).text).toContain('KV Blueprints app');
    for (const target of ['/api/nothing-here', '/%61pi/nothing-here', `http://${host}/%61pi/kv/x/y`, '/API/kv', '//api/kv']) {
      const answer = await socketRequest(port, `GET ${target} HTTP/1.1\r\nHost: ${host}`);
      // Never the index page (no API data either way), and an API path says nothing before the token.
      expect(answer.body).not.toContain('KV Blueprints app');
      expect({ target, status: answer.status }).toEqual({ target, status: routedPath(target).startsWith('/api') ? 401 : 404 });
    }
    const withToken = await t.call('GET', '/api/nothing-here', { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(withToken.status).toBe(404);
    // A write to a page path is not public either.
    expect((await socketRequest(port, `POST /some-page HTTP/1.1\r\nHost: ${host}`)).status).toBe(401);
  });

  it('routedPath reads a target the way the router does', () => {
    expect(routedPath('/%61pi/kv?x=1')).toBe('/api/kv');
    expect(routedPath('http://127.0.0.1:1/api/kv')).toBe('/api/kv');
    expect(routedPath('//API//kv')).toBe('/api/kv');
    expect(routedPath('/%E0%A4%A')).toBe('/%e0%a4%a');
  });
});
