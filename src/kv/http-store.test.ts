import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerEvent } from './api-schema';
import { describeConformance } from './conformance-vitest';
import { isKvError } from './errors';
import { HttpStore, subscribeToServerEvents } from './http-store';

const KVB = fileURLToPath(new URL('../../bin/kvb.mjs', import.meta.url));

interface ServeProcess {
  url: string;
  stop(): Promise<void>;
}

/** A real `kvb serve` process on a random port with a temporary data directory. */
async function serve(env: NodeJS.ProcessEnv = {}): Promise<ServeProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), 'kvb-http-store-'));
  const childEnv: NodeJS.ProcessEnv = { ...process.env, KVB_TOKENS: '', KVB_MASTER_KEY: '', ...env };
  const child: ChildProcess = spawn(process.execPath, [KVB, 'serve', '--port', '0', '--data', dataDir], {
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /serving (http:\/\/\S+)/.exec(output);
      if (match) resolve(match[1]!);
    };
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    void exited.then(() => reject(new Error(`kvb serve exited before listening: ${output}`)));
  });
  return {
    url,
    async stop() {
      child.kill('SIGTERM');
      await exited;
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

let server: ServeProcess;
beforeAll(async () => {
  server = await serve();
});
afterAll(async () => {
  await server.stop();
});

describeConformance('http', async () => new HttpStore({ baseUrl: server.url }));

describe('HttpStore beyond the contract', () => {
  it('reports an unreachable server as a store error naming its URL', async () => {
    const store = new HttpStore({ baseUrl: 'http://127.0.0.1:9' });
    const failure = await store.batch('default', [{ op: 'get', key: 'k', scope: 'global' }]).catch((error: unknown) => error);
    expect(isKvError(failure)).toBe(true);
    expect(failure).toMatchObject({ code: 'store', message: expect.stringContaining('http://127.0.0.1:9 cannot be reached') });
  });

  it('aborts a batch on the wire when its signal fires, rejecting with the AbortError (not "cannot be reached")', async () => {
    const signals: Array<AbortSignal | null | undefined> = [];
    const store = new HttpStore({
      baseUrl: server.url,
      fetch: (input, init) => {
        signals.push(init?.signal);
        return globalThis.fetch(input, init);
      },
    });
    const controller = new AbortController();
    const pending = store.batch('default', [{ op: 'keys', scope: 'global' }], { signal: controller.signal });
    controller.abort();
    const failure = await pending.catch((error: unknown) => error);
    expect(failure).toMatchObject({ name: 'AbortError' });
    expect(isKvError(failure)).toBe(false);
    expect(signals).toEqual([controller.signal]);
    // Without a signal nothing changes: the same store still answers.
    const [page] = await store.batch('default', [{ op: 'keys', scope: 'global' }]);
    expect(page).toMatchObject({ op: 'keys' });
  });

  it('maps a refusal that is not a store code (a bad token) to a store error with the server message', async () => {
    const guarded = await serve({ KVB_TOKENS: 'token-aaaaaaaaaaaaaaaa:acme' });
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
      const stop = subscribeToServerEvents(
        server.url,
        undefined,
        (event) => {
          received.push(event);
          if (event.type === 'kv') {
            stop();
            resolve();
          }
        },
        { companyId: 'listener', fetch: (input, init) => fetch(input, init) },
      );
    });
    // Give the stream a moment to open before writing.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const store = new HttpStore({ baseUrl: server.url });
    await store.batch('not-the-listener', [{ op: 'set', key: 'elsewhere', value: 1, scope: 'global' }]);
    await store.batch('listener', [{ op: 'set', key: 'watched', value: 1, scope: 'global' }]);
    await heard;
    expect(received).toEqual([
      { type: 'kv', data: { companyId: 'listener', changes: [{ scope: 'global', scopeKey: '', key: 'watched', change: 'set' }] } },
    ]);
  });
});
