import { afterEach, describe, expect, it, vi } from 'vitest';
import type { KvOp } from '../../kv/types';
import { createServerBackend, nextServerHealth, sameHealth } from './server-backend';
import type { BackendHealth } from './storage';

const BASE = 'http://127.0.0.1:9999';

describe('nextServerHealth', () => {
  const down: BackendHealth = { status: 'unavailable', problem: 'unreachable', message: 'down' };

  it('is ready once the event stream opens, whatever came before', () => {
    for (const before of [{ status: 'connecting' }, down] as BackendHealth[]) {
      expect(nextServerHealth(before, { type: 'opened' }, BASE)).toEqual({ status: 'ready' });
    }
  });

  it('keeps the unreachable message up while it retries, instead of flickering to connecting', () => {
    expect(nextServerHealth(down, { type: 'attempt' }, BASE)).toBe(down);
    expect(nextServerHealth({ status: 'ready' }, { type: 'attempt' }, BASE)).toEqual({ status: 'connecting' });
  });

  it('names the server and says how to recover when it cannot be reached', () => {
    const health = nextServerHealth({ status: 'ready' }, { type: 'network_failed', detail: 'Failed to fetch' }, BASE);
    expect(health).toMatchObject({ status: 'unavailable', problem: 'unreachable' });
    const message = health.status === 'unavailable' ? health.message : '';
    expect(message).toContain(BASE);
    expect(message).toContain('Failed to fetch');
    expect(message).toContain('kvb serve');
  });

  it('tells a page that is not a kvb server (vite preview) from a stopped server', () => {
    const health = nextServerHealth({ status: 'connecting' }, { type: 'not_a_server', status: 200, contentType: 'text/html' }, BASE);
    expect(health).toMatchObject({ status: 'unavailable', problem: 'unreachable' });
    expect(health.status === 'unavailable' && health.message).toMatch(/No kvb server answers .*200 text\/html/);
  });

  it('asks for a token on 401, says when the one sent was refused, and passes on the server’s reason on 403', () => {
    expect(
      nextServerHealth({ status: 'connecting' }, { type: 'unauthorized', tokenSent: false, message: 'send a token' }, BASE),
    ).toMatchObject({ status: 'unavailable', problem: 'unauthorized', message: expect.stringContaining('has API tokens. Enter one') });
    expect(nextServerHealth({ status: 'connecting' }, { type: 'unauthorized', tokenSent: true, message: 'not known' }, BASE)).toMatchObject(
      { status: 'unavailable', problem: 'unauthorized', message: expect.stringMatching(/refused the token \(not known\)/) },
    );
    expect(nextServerHealth({ status: 'connecting' }, { type: 'refused', status: 403, message: 'bad host' }, BASE)).toMatchObject({
      status: 'unavailable',
      problem: 'refused',
      message: expect.stringContaining('bad host'),
    });
  });

  it('compares healths by status, problem and message', () => {
    expect(sameHealth({ status: 'ready' }, { status: 'ready' })).toBe(true);
    expect(sameHealth(down, { ...down })).toBe(true);
    expect(sameHealth(down, { ...down, message: 'other' })).toBe(false);
    expect(sameHealth({ status: 'ready' }, { status: 'connecting' })).toBe(false);
  });
});

/** A response carrying an open event stream whose frames the test pushes. */
function eventStream(): { response: Response; push(frame: string): void; end(): void } {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({
    start: (c) => {
      controller = c;
    },
  });
  const encoder = new TextEncoder();
  return {
    response: new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream; charset=utf-8' } }),
    push: (frame) => controller.enqueue(encoder.encode(frame)),
    end: () => controller.close(),
  };
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json; charset=utf-8' } });
}

describe('the server backend', () => {
  const stops: Array<() => void> = [];
  afterEach(() => {
    for (const stop of stops.splice(0)) stop();
  });

  function subscribe(fetchImpl: typeof fetch, token?: string) {
    const backend = createServerBackend({ baseUrl: () => BASE, token: () => token, fetch: fetchImpl, retryMs: 10 });
    const healths: BackendHealth[] = [];
    const onChange = vi.fn();
    stops.push(backend.subscribe(onChange, (h) => healths.push(h)));
    return { backend, healths, onChange };
  }

  it('is ready when the event stream opens and refreshes on every kv event', async () => {
    const stream = eventStream();
    const urls: string[] = [];
    const fetchImpl = vi.fn(async (input: RequestInfo | URL) => {
      urls.push(String(input));
      return stream.response;
    });
    const { healths, onChange } = subscribe(fetchImpl as typeof fetch);
    await vi.waitFor(() => expect(healths.at(-1)).toEqual({ status: 'ready' }));
    expect(healths[0]).toEqual({ status: 'connecting' });
    expect(urls).toEqual([`${BASE}/api/events?companyId=default`]);
    const before = onChange.mock.calls.length;
    stream.push('event: kv\ndata: {"companyId":"default","changes":[]}\n\n');
    stream.push('event: blueprint\ndata: {"companyId":"default","blueprintId":"b","change":"set"}\n\n');
    await vi.waitFor(() => expect(onChange).toHaveBeenCalledTimes(before + 1));
  });

  it('reports the server unreachable when the stream drops, and ready again (with a refresh) once it is back', async () => {
    const first = eventStream();
    const second = eventStream();
    let serverUp = true;
    let calls = 0;
    const fetchImpl = vi.fn(async () => {
      calls += 1;
      if (!serverUp) throw new TypeError('Failed to fetch');
      return calls === 1 ? first.response : second.response;
    });
    const { healths, onChange } = subscribe(fetchImpl);
    await vi.waitFor(() => expect(healths.at(-1)).toEqual({ status: 'ready' }));
    serverUp = false;
    first.end();
    await vi.waitFor(() => expect(healths.at(-1)).toMatchObject({ status: 'unavailable', problem: 'unreachable' }));
    const refreshes = onChange.mock.calls.length;
    serverUp = true;
    await vi.waitFor(() => expect(healths.at(-1)).toEqual({ status: 'ready' }));
    expect(onChange.mock.calls.length).toBeGreaterThan(refreshes);
    // Retries while down did not repeat the same unavailable health.
    expect(healths.filter((h) => h.status === 'unavailable')).toHaveLength(1);
  });

  it('asks for a token on 401 and stops retrying', async () => {
    const fetchImpl = vi.fn(async () => json(401, { error: { code: 'unauthorized', message: 'This server needs an API token' } }));
    const { healths } = subscribe(fetchImpl);
    await vi.waitFor(() => expect(healths.at(-1)).toMatchObject({ status: 'unavailable', problem: 'unauthorized' }));
    const attempts = fetchImpl.mock.calls.length;
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(fetchImpl.mock.calls.length).toBe(attempts);
  });

  it('says no kvb server answers when the origin serves a web page instead', async () => {
    const fetchImpl = vi.fn(async () => new Response('<!doctype html>', { status: 200, headers: { 'content-type': 'text/html' } }));
    const { healths } = subscribe(fetchImpl);
    await vi.waitFor(() =>
      expect(healths.at(-1)).toMatchObject({
        status: 'unavailable',
        problem: 'unreachable',
        message: expect.stringContaining('No kvb server'),
      }),
    );
  });

  it('sends the token as Bearer, on the stream and on store calls, without a companyId', async () => {
    const seen: Array<{ url: string; auth: string | null; body: string | null }> = [];
    const stream = eventStream();
    const fetchImpl = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
      const headers = new Headers(init?.headers);
      seen.push({ url: String(input), auth: headers.get('authorization'), body: typeof init?.body === 'string' ? init.body : null });
      if (String(input).endsWith('/api/events')) return stream.response;
      return json(200, { results: [{ op: 'get', entry: null }] });
    });
    const { backend, healths } = subscribe(fetchImpl as typeof fetch, 'secret-token-0123456789');
    await vi.waitFor(() => expect(healths.at(-1)).toEqual({ status: 'ready' }));
    const store = await backend.open();
    const op: KvOp = { op: 'get', scope: 'global', scopeKey: '', key: 'k' };
    await store.batch('default', [op]);
    expect(seen.map((s) => s.auth)).toEqual(['Bearer secret-token-0123456789', 'Bearer secret-token-0123456789']);
    expect(seen[0]?.url).toBe(`${BASE}/api/events`);
    expect(JSON.parse(seen[1]?.body ?? '{}')).toEqual({ ops: [op] });
  });

  it('stops reporting once unsubscribed', async () => {
    const stream = eventStream();
    const fetchImpl = vi.fn(async () => stream.response);
    const { healths, onChange } = subscribe(fetchImpl);
    await vi.waitFor(() => expect(healths.at(-1)).toEqual({ status: 'ready' }));
    stops.pop()?.();
    const calls = onChange.mock.calls.length;
    stream.push('event: kv\ndata: {"companyId":"default","changes":[]}\n\n');
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(onChange.mock.calls.length).toBe(calls);
  });
});
