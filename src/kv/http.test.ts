import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../server/http/test-support';
import type { ServerEvent } from './api-schema';
import { describeConformance } from './conformance-vitest';
import { isKvError } from './errors';
import { HttpStore, subscribeToServerEvents } from './http';

let server: TestServer;
beforeAll(async () => { server = await startTestServer(); });
afterAll(async () => { await server.stop(); });

describeConformance('http', async () => new HttpStore({ baseUrl: server.url }));

describe('HttpStore beyond the contract', () => {
  it('reports an unreachable server as a store error naming its URL', async () => {
    const store = new HttpStore({ baseUrl: 'http://127.0.0.1:9' });
    const failure = await store.batch('default', [{ op: 'get', key: 'k', scope: 'global' }]).catch((error: unknown) => error);
    expect(isKvError(failure)).toBe(true);
    expect(failure).toMatchObject({ code: 'store', message: expect.stringContaining('http://127.0.0.1:9 cannot be reached') });
  });

  it('maps a refusal that is not a store code (a bad token) to a store error with the server message', async () => {
    const guarded = await startTestServer({ env: { KVB_TOKENS: 'token-aaaaaaaaaaaaaaaa:acme' } });
    try {
      const store = new HttpStore({ baseUrl: guarded.url, token: 'token-wrong-wrong-wrong' });
      const failure = await store.batch('acme', [{ op: 'get', key: 'k', scope: 'global' }]).catch((error: unknown) => error);
      expect(failure).toMatchObject({ code: 'store', message: expect.stringContaining('unauthorized') });
      const allowed = new HttpStore({ baseUrl: guarded.url, token: 'token-aaaaaaaaaaaaaaaa' });
      const [saved] = await allowed.batch('ignored-with-a-token', [{ op: 'set', key: 'k', value: 1, scope: 'global' }]);
      expect(saved).toMatchObject({ op: 'set', entry: { companyId: 'acme' } });
    } finally {
      await guarded.stop();
    }
  });

  it('hears kv events of its company through subscribeToServerEvents', async () => {
    const received: ServerEvent[] = [];
    const heard = new Promise<void>((resolve) => {
      const stop = subscribeToServerEvents(server.url, undefined, (event) => {
        received.push(event);
        if (event.type === 'kv') { stop(); resolve(); }
      }, { companyId: 'listener', fetch: (input, init) => fetch(input, init) });
    });
    // Give the stream a moment to open before writing.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const store = new HttpStore({ baseUrl: server.url });
    await store.batch('not-the-listener', [{ op: 'set', key: 'elsewhere', value: 1, scope: 'global' }]);
    await store.batch('listener', [{ op: 'set', key: 'watched', value: 1, scope: 'global' }]);
    await heard;
    expect(received).toEqual([{ type: 'kv', data: { companyId: 'listener', changes: [{ scope: 'global', scopeKey: '', key: 'watched', change: 'set' }] } }]);
  });
});
