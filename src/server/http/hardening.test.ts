import { connect, type Socket } from 'node:net';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { KvError } from '../../kv/errors';
import type { KeyValueStore } from '../../kv/types';
import { buildApp } from './app';
import { openServerStorage } from '../storage';
import { hostPolicyFor } from './security';
import { parseTokensVariable } from './tokens';
import type { ServerEvent } from '../../kv/api-schema';
import { subscribeToServerEvents } from '../../kv/http-store';
import { SECURITY_HEADERS } from './security';
import { errorOf, rawRequest, socketRequest, startTestServer, temporaryDataDir, type TestServer } from './test-support';

const running: TestServer[] = [];
const sockets: Socket[] = [];
async function serverWith(env: Record<string, string> = {}, heartbeatMs?: number): Promise<TestServer> {
  const server = await startTestServer({ env, ...(heartbeatMs === undefined ? {} : { heartbeatMs }) });
  running.push(server);
  return server;
}
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await Promise.all(running.splice(0).map((server) => server.stop()));
});

/** A connection that sends a request line and one header, then nothing: a slow client. */
function halfSentRequest(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(`GET /api/blueprints HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n`);
      resolve(socket);
    });
    socket.on('error', reject);
    // Flowing, so the server's answer and close are read (a paused socket never sees 'close').
    socket.resume();
    sockets.push(socket);
  });
}

function closed(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) resolve();
    socket.on('close', () => resolve());
  });
}

const within = <T>(promise: Promise<T>, ms: number): Promise<T | 'timed out'> =>
  Promise.race([promise, new Promise<'timed out'>((resolve) => setTimeout(() => resolve('timed out'), ms))]);

describe('slow clients', () => {
  it('answers a normal request while 300 half-sent requests are open, and closes those after the header timeout', async () => {
    const t = await serverWith({ KVB_HEADERS_TIMEOUT_MS: '600', KVB_REQUEST_TIMEOUT_MS: '1000' });
    const slow = await Promise.all(Array.from({ length: 300 }, () => halfSentRequest(t.server.port)));
    const began = performance.now();
    expect((await t.call('GET', '/api/blueprints')).status).toBe(200);
    expect(performance.now() - began).toBeLessThan(1_000);
    const openedAt = performance.now();
    // Node's check runs every headersTimeout / 4 here, so every slow client is gone well within 2 s.
    expect(await within(Promise.all(slow.map(closed)), 3_000)).not.toBe('timed out');
    expect(performance.now() - openedAt).toBeGreaterThan(300);
  }, 30_000);

  it('closes connections past KVB_MAX_CONNECTIONS at once', async () => {
    const t = await serverWith({ KVB_MAX_CONNECTIONS: '5' });
    await Promise.all(Array.from({ length: 5 }, () => halfSentRequest(t.server.port)));
    const sixth = connect(t.server.port, '127.0.0.1');
    sockets.push(sixth);
    sixth.on('error', () => {});
    sixth.resume();
    expect(await within(closed(sixth), 2_000)).not.toBe('timed out');
  });

  it('keeps an event stream open past the idle and request timeouts', async () => {
    const t = await serverWith({ KVB_IDLE_TIMEOUT_MS: '300', KVB_HEADERS_TIMEOUT_MS: '300', KVB_REQUEST_TIMEOUT_MS: '400' }, 60_000);
    const heard: ServerEvent[] = [];
    let stop = () => {};
    const event = new Promise<void>((resolve) => {
      stop = subscribeToServerEvents(t.url, undefined, (received) => {
        heard.push(received);
        resolve();
      });
    });
    // Silent for five idle timeouts (the heartbeat is a minute away), then an event must still arrive.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await t.call('POST', '/api/kv', { body: { key: 'late', value: 1, scope: 'global' } });
    expect(await within(event, 3_000)).not.toBe('timed out');
    stop();
    expect(heard[0]).toMatchObject({ type: 'kv' });
  }, 20_000);
});

describe('answers', () => {
  it('carry the security headers, on JSON, errors, pages and event streams alike', async () => {
    const t = await serverWith();
    const answers = [
      await t.call('GET', '/api/blueprints'),
      await t.call('GET', '/api/nothing-here'),
      await t.call('GET', '/some/page'),
      await t.call('POST', '/api/kv', { body: { nope: 1 } }),
    ];
    for (const answer of answers) {
      for (const [name, value] of Object.entries(SECURITY_HEADERS))
        expect({ name, value: answer.headers.get(name) }).toEqual({ name, value });
    }
    expect(answers[2]!.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    const controller = new AbortController();
    const stream = await fetch(`${t.url}/api/events`, { signal: controller.signal });
    expect(stream.headers.get('x-frame-options')).toBe('DENY');
    expect(stream.headers.get('x-content-type-options')).toBe('nosniff');
    controller.abort();
  });

  it("never quote Fastify's own error texts", async () => {
    const t = await serverWith();
    const port = t.server.port;
    const badEscape = await socketRequest(port, `GET /api/kv/%E0%A4%A HTTP/1.1\r\nHost: 127.0.0.1:${port}`);
    expect(badEscape.status).toBe(400);
    const body = JSON.parse(badEscape.body) as { error: { code: string; message: string } };
    expect(body.error).toEqual({ code: 'invalid_request', message: expect.stringContaining('malformed percent-escape') });
    expect(badEscape.body).not.toMatch(/not a valid url component|%E0%A4%A/);
    const wrongType = await t.call('POST', '/api/kv', {
      rawBody: 'key=1',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(errorOf(wrongType)).toEqual({ code: 'invalid_request', message: 'The body must be JSON: send Content-Type: application/json' });
  });

  it("answer a request Node cannot parse with our error body, not Node's", async () => {
    const t = await serverWith();
    const port = t.server.port;
    const relative = await socketRequest(port, `GET %2fapi/kv HTTP/1.1\r\nHost: 127.0.0.1:${port}`);
    expect(relative.status).toBe(400);
    expect(JSON.parse(relative.body)).toEqual({
      error: { code: 'invalid_request', message: expect.stringContaining('could not be parsed') },
    });
    const hugeHeader = await socketRequest(port, `GET /api/kv HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nX-Big: ${'a'.repeat(20_000)}`);
    expect(hugeHeader.status).toBe(431);
    expect(JSON.parse(hugeHeader.body)).toMatchObject({ error: { code: 'headers_too_large' } });
    expect(hugeHeader.body).not.toMatch(/Client Error|statusCode/);
    const head = await socketRequest(port, `HEAD %2fapi/kv HTTP/1.1\r\nHost: 127.0.0.1:${port}`);
    expect(head.status).toBe(400);
    expect(head.body).toBe('');
    // The same after another request on a kept-alive connection (its body precedes the line).
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => {
        const body = '{"key":"k","value":1,"scope":"global"}';
        socket.write(
          `POST /api/kv HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}` +
            `HEAD %2fapi/kv HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`,
        );
      });
      let text = '';
      socket.on('data', (chunk: Buffer) => {
        text += chunk.toString('utf8');
      });
      socket.on('close', () => resolve(text));
      socket.on('error', reject);
      sockets.push(socket);
    });
    const second = answer.slice(answer.lastIndexOf('HTTP/1.1 '));
    expect(second).toMatch(/^HTTP\/1\.1 400 /);
    expect(second.endsWith('\r\n\r\n')).toBe(true);
  });

  it("never quote a store's or the engine's internal failure texts", async () => {
    const dataDir = temporaryDataDir();
    const storage = openServerStorage({ kind: 'sqlite', dataDir }, {});
    // Reads fail the way SQLite does (a message with a path in it); batches with a raw RangeError.
    const failingStore = new Proxy(storage.store, {
      get(target, property, receiver) {
        if (property === 'list' || property === 'getById')
          return async () => {
            throw new KvError('store', `SQLite store failed: disk I/O error in ${dataDir}/kvb.sqlite (SQLITE_IOERR)`);
          };
        if (property === 'batch')
          return async () => {
            throw new RangeError('Maximum call stack size exceeded');
          };
        return Reflect.get(target, property, receiver) as unknown;
      },
    }) as KeyValueStore;
    const { app } = await buildApp({
      storage: { ...storage, store: failingStore },
      tokens: parseTokensVariable(''),
      hostPolicy: hostPolicyFor('127.0.0.1'),
      port: () => 80,
      staticDir: join(dataDir, 'no-web-app'),
      logger: false,
    });
    try {
      const headers = { host: 'localhost:80' };
      const inject = async (method: 'GET' | 'POST', url: string, payload?: unknown) => {
        const answer = await app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as object }) });
        expect(answer.body).not.toMatch(/SQLite|SQLITE_IOERR|kvb\.sqlite|Maximum call stack/);
        return answer;
      };
      const read = await inject('GET', '/api/kv/some-id');
      expect(read.statusCode).toBe(503);
      expect(read.json()).toEqual({ error: { code: 'store', message: expect.stringContaining('the failure is logged on the server') } });
      const batch = await inject('GET', '/api/kv?scope=global');
      expect(batch.statusCode).toBe(500);
      expect(batch.json()).toMatchObject({ error: { code: 'internal' } });
      const blueprint = {
        format: 'kv-blueprint/1',
        id: 'reads',
        name: 'Reads a key',
        nodes: [
          { id: 'start', type: 'start', position: { x: 0, y: 0 }, data: {} },
          { id: 'get', type: 'kv', position: { x: 300, y: 0 }, data: { action: 'get', key: 'cfg' } },
        ],
        edges: [{ id: 'e1', source: 'start', sourceHandle: 'success', target: 'get' }],
      };
      expect((await inject('POST', '/api/blueprints', blueprint)).statusCode).toBe(201);
      const run = await inject('POST', '/api/blueprints/reads/runs', {});
      expect(run.json()).toMatchObject({
        status: 'failed',
        error: { code: 'store', nodeId: 'get', message: "The server's store failed in block 'get'; the server logged it" },
      });
    } finally {
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("HEAD /api/events answers at once with the stream's headers and no body", async () => {
    const t = await serverWith();
    const answer = await within(
      rawRequest(t.server.port, { method: 'HEAD', path: '/api/events', headers: { host: `127.0.0.1:${t.server.port}` } }),
      2_000,
    );
    expect(answer).toEqual({ status: 200, body: '' });
  });
});
