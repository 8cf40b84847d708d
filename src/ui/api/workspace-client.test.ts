import { describe, expect, it } from 'vitest';
import type { BlueprintDocument, RunEvent, RunRecord } from '../../engine/types';
import { createServerRunner } from './server-run';
import { createServerClient, createSseParser, revisionOfEtag } from './workspace-client';

const doc: BlueprintDocument = {
  format: 'kv-blueprint/1',
  id: 'demo',
  name: 'Demo',
  nodes: [{ id: 'start', type: 'start', position: { x: 0, y: 0 }, data: { sampleInput: {} } }],
  edges: [],
};

interface Seen {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
}

/** A fetch that records each request and answers with `answer`. */
function fakeFetch(answer: (seen: Seen) => Response) {
  const requests: Seen[] = [];
  const fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const seen: Seen = {
      method: init?.method ?? 'GET',
      url: String(input),
      headers: Object.fromEntries(new Headers(init?.headers).entries()),
      body: typeof init?.body === 'string' ? JSON.parse(init.body) : undefined,
    };
    requests.push(seen);
    return answer(seen);
  }) as typeof globalThis.fetch;
  return { fetch, requests };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

const client = (fetch: typeof globalThis.fetch, token?: string) =>
  createServerClient({ baseUrl: () => 'http://kvb.test', token: () => token, fetch, memory: null });

describe('server workspace client', () => {
  it('reads the revision from the ETag and names it in If-Match on save', async () => {
    const { fetch, requests } = fakeFetch((seen) =>
      seen.method === 'GET' ? json(200, doc, { etag: '"4"' }) : json(200, seen.body, { etag: '"5"' }),
    );
    const api = client(fetch, 'secret-token');
    expect(await api.get('demo')).toEqual({ document: doc, revision: 4 });
    expect(await api.save({ ...doc, name: 'New' }, 4)).toEqual({ ok: true, revision: 5 });
    expect(requests[1]).toMatchObject({
      method: 'PUT',
      url: 'http://kvb.test/api/blueprints/demo',
      headers: { 'if-match': '"4"', authorization: 'Bearer secret-token' },
      body: { name: 'New' },
    });
  });

  it('a 412 is a conflict with the stored revision, not an error', async () => {
    const { fetch } = fakeFetch(() => json(412, { error: { code: 'conflict', message: 'revision 7 is stored', currentRevision: 7 } }));
    expect(await client(fetch).save(doc, 5)).toEqual({ ok: false, currentRevision: 7 });
  });

  it("other refusals carry the server's code and words", async () => {
    const { fetch } = fakeFetch(() => json(400, { error: { code: 'invalid_blueprint', message: 'nodes[0].type: unknown' } }));
    await expect(client(fetch).create(doc)).rejects.toMatchObject({
      status: 400,
      code: 'invalid_blueprint',
      message: "Saving 'Demo' to the server: nodes[0].type: unknown",
    });
    const down = createServerClient({
      baseUrl: () => 'http://kvb.test',
      fetch: (async () => {
        throw new TypeError('Failed to fetch');
      }) as typeof globalThis.fetch,
      memory: null,
    });
    await expect(down.list()).rejects.toMatchObject({ code: 'unreachable', message: expect.stringContaining('cannot be reached') });
  });

  it('a page that is no kvb server is named as such', async () => {
    const { fetch } = fakeFetch(() => new Response('<!doctype html>', { status: 404, headers: { 'content-type': 'text/html' } }));
    await expect(client(fetch).list()).rejects.toThrow(
      'Listing the server blueprints: no kvb server answers at http://kvb.test (it answered 404)',
    );
  });

  it('parses ETags', () => {
    expect(revisionOfEtag('"12"')).toBe(12);
    expect(revisionOfEtag('W/"3"')).toBe(3);
    expect(revisionOfEtag('"abc"')).toBeNull();
    expect(revisionOfEtag(null)).toBeNull();
  });

  it('splits an event stream into named events across chunk boundaries', () => {
    const frames: Array<[string, string]> = [];
    const parser = createSseParser((name, data) => frames.push([name, data]));
    parser.push(': heartbeat\n\nevent: run-started\ndata: {"a"');
    parser.push(':1}\n\nevent: step-started\r\ndata: {"b":2}\r\n\r\n');
    expect(frames).toEqual([
      ['run-started', '{"a":1}'],
      ['step-started', '{"b":2}'],
    ]);
  });
});

describe('server runner', () => {
  const record: RunRecord = {
    runId: 'run-1',
    blueprintId: 'demo',
    status: 'cancelled',
    startedAt: '',
    finishedAt: '',
    input: {},
    steps: [],
    outputs: [],
    state: {},
    error: null,
  };

  it('saves first, starts without waiting, relays the events and cancels on Stop', async () => {
    const calls: string[] = [];
    const controller = new AbortController();
    let finish: () => void = () => {};
    const runner = createServerRunner({
      beforeRun: async () => void calls.push('save'),
      client: {
        startRun: async (id, input) => {
          calls.push(`start ${id} ${JSON.stringify(input)}`);
          return 'run-1';
        },
        cancelRun: async (runId) => {
          calls.push(`cancel ${runId}`);
          finish();
        },
        getRun: async () => record,
        followRun: async (runId, onEvent) => {
          onEvent({ type: 'run-started', runId, blueprintId: 'demo', startedAt: '' });
          onEvent({ type: 'step-started', runId, nodeId: 'start' } as RunEvent);
          await new Promise<void>((resolve) => {
            finish = resolve;
          });
          onEvent({ type: 'run-finished', runId, record });
        },
      },
    });
    const events: string[] = [];
    const done = runner({ document: doc, input: { n: 1 }, signal: controller.signal, onEvent: (event) => events.push(event.type) });
    await new Promise((resolve) => setTimeout(resolve, 0));
    controller.abort();
    expect(await done).toBe(record);
    expect(calls).toEqual(['save', 'start demo {"n":1}', 'cancel run-1']);
    expect(events).toEqual(['run-started', 'step-started', 'run-finished']);
  });

  it('does not start when the save did not land', async () => {
    const runner = createServerRunner({
      beforeRun: async () => {
        throw new Error('Not run: conflict');
      },
      client: {
        startRun: async () => {
          throw new Error('must not start');
        },
        cancelRun: async () => {},
        getRun: async () => record,
        followRun: async () => {},
      },
    });
    await expect(runner({ document: doc, input: {}, signal: new AbortController().signal, onEvent: () => {} })).rejects.toThrow(
      'Not run: conflict',
    );
  });
});
