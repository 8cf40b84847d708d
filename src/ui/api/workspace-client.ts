/**
 * The kvb server as a workspace: its blueprints (with revisions: `ETag` on reads, `If-Match` on
 * every save, 412 `conflict` when someone saved first), their revisions, and server-side runs
 * followed through their event stream. Talks to the `kvb serve` that served the page, with the
 * tab's API token when there is one.
 */
import type { BlueprintDocument, JsonValue, RunEvent, RunRecord } from '../../engine/types';
import type { LibraryEntry, RevisionEntry, SaveOutcome, StoredBlueprint, WorkspaceBackend, WorkspaceChange } from '../store/library';
import { subscribeToServerEvents } from '../../kv/http-store';
import { readServerToken } from './server-backend';
import { readRefusal } from './refusal';

export interface ServerClientOptions {
  baseUrl?: () => string;
  token?: () => string | undefined;
  fetch?: typeof fetch;
  /** Where the last opened server blueprint is remembered; default localStorage. */
  memory?: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'> | null;
}

/** A refusal of the server, with its `{ error: { code, message } }` when it sent one. */
export class WorkspaceError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
  ) {
    super(message);
    this.name = 'WorkspaceError';
  }
}

const CURRENT_KEY = 'kvb.editor.v1.server.currentId';
/** Below the 64 KiB browsers allow for requests that outlive the page. */
const KEEPALIVE_MAX_CHARS = 60_000;

/** `"7"` or `W/"7"` → 7; null when the header is absent or not a revision. */
export function revisionOfEtag(etag: string | null): number | null {
  if (etag === null) return null;
  const match = /^(?:W\/)?"(\d+)"$/.exec(etag.trim());
  return match ? Number(match[1]) : null;
}

function pageOrigin(): string {
  return globalThis.location?.origin ?? 'http://127.0.0.1:8787';
}

function defaultMemory(): ServerClientOptions['memory'] {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null;
  }
}

export function createServerClient(options: ServerClientOptions = {}) {
  const baseUrl = options.baseUrl ?? pageOrigin;
  const token = options.token ?? readServerToken;
  const fetchImpl = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => globalThis.fetch(input, init));

  const send = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> => {
    const bearer = token();
    const all: Record<string, string> = { accept: 'application/json', ...headers };
    if (bearer) all.authorization = `Bearer ${bearer}`;
    if (body !== undefined) all['content-type'] = 'application/json';
    const text = body === undefined ? undefined : JSON.stringify(body);
    let response: Response;
    try {
      response = await fetchImpl(`${baseUrl()}${path}`, {
        method,
        headers: all,
        ...(text === undefined ? {} : { body: text }),
        // A save flushed as the tab closes still reaches the server (browsers allow 64 KiB so).
        ...(method === 'PUT' && text !== undefined && text.length < KEEPALIVE_MAX_CHARS ? { keepalive: true } : {}),
      });
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      throw new WorkspaceError(`The kvb server at ${baseUrl()} cannot be reached (${detail})`, 0, 'unreachable');
    }
    return response;
  };

  /** The answer's JSON, or a WorkspaceError carrying the server's own words. */
  const json = async <T>(response: Response, what: string): Promise<T> => {
    if (response.ok) return (await response.json()) as T;
    const isJson = (response.headers.get('content-type') ?? '').includes('application/json');
    const refusal = await readRefusal(response);
    const message =
      refusal.message !== undefined
        ? `${what}: ${refusal.message}`
        : isJson
          ? `${what}: the server answered ${response.status}`
          : `${what}: no kvb server answers at ${baseUrl()} (it answered ${response.status}); start one with \`kvb serve\` and open the editor from it`;
    throw new WorkspaceError(message, response.status, refusal.code ?? 'http_error');
  };

  const blueprintPath = (id: string) => `/api/blueprints/${encodeURIComponent(id)}`;

  const stored = async (response: Response, what: string): Promise<StoredBlueprint> => {
    const document = await json<BlueprintDocument>(response, what);
    return { document, revision: revisionOfEtag(response.headers.get('etag')) ?? 1 };
  };

  return {
    async list(): Promise<LibraryEntry[]> {
      const body = await json<{ blueprints: LibraryEntry[] }>(await send('GET', '/api/blueprints'), 'Listing the server blueprints');
      return body.blueprints.map(({ id, name, updatedAt, revision }) => ({ id, name, updatedAt, ...(revision ? { revision } : {}) }));
    },
    async get(id: string): Promise<StoredBlueprint | null> {
      const response = await send('GET', blueprintPath(id));
      if (response.status === 404) return null;
      return stored(response, `Opening '${id}'`);
    },
    async create(doc: BlueprintDocument): Promise<StoredBlueprint> {
      return stored(await send('POST', '/api/blueprints', doc), `Saving '${doc.name}' to the server`);
    },
    async save(doc: BlueprintDocument, expected: number): Promise<SaveOutcome> {
      const response = await send('PUT', blueprintPath(doc.id), doc, { 'if-match': `"${expected}"` });
      if (response.status === 412) {
        const { currentRevision } = await readRefusal(response);
        return { ok: false, currentRevision: currentRevision ?? expected + 1 };
      }
      const { revision } = await stored(response, `Saving '${doc.name}'`);
      return { ok: true, revision };
    },
    async remove(id: string): Promise<void> {
      const response = await send('DELETE', blueprintPath(id));
      if (response.status !== 404) await json<unknown>(response.status === 204 ? new Response('null') : response, `Deleting '${id}'`);
    },
    async revisions(id: string): Promise<RevisionEntry[]> {
      const body = await json<{ revisions: RevisionEntry[] } | RevisionEntry[]>(
        await send('GET', `${blueprintPath(id)}/revisions`),
        `Listing the revisions of '${id}'`,
      );
      const list = Array.isArray(body) ? body : body.revisions;
      return [...list].sort((a, b) => b.revision - a.revision);
    },
    async revision(id: string, revision: number): Promise<BlueprintDocument> {
      const body = await json<BlueprintDocument | { document: BlueprintDocument }>(
        await send('GET', `${blueprintPath(id)}/revisions/${revision}`),
        `Opening revision ${revision} of '${id}'`,
      );
      return 'document' in body && typeof body.document === 'object' ? body.document : (body as BlueprintDocument);
    },
    async runs(id: string): Promise<RunRecord[]> {
      const response = await send('GET', `${blueprintPath(id)}/runs`);
      if (response.status === 404) return [];
      return (await json<{ runs: RunRecord[] }>(response, `Reading the runs of '${id}'`)).runs;
    },
    /** Starts a run on the server without waiting for it: its id, to follow and cancel. */
    async startRun(id: string, input: JsonValue, sandbox?: boolean): Promise<string> {
      const request = { input, wait: false, ...(sandbox === undefined ? {} : { sandbox }) };
      const body = await json<{ runId: string }>(await send('POST', `${blueprintPath(id)}/runs`, request), 'Starting the run');
      return body.runId;
    },
    async getRun(runId: string): Promise<Omit<RunRecord, 'status'> & { status: RunRecord['status'] | 'running' }> {
      return json(await send('GET', `/api/runs/${encodeURIComponent(runId)}`), `Reading run ${runId}`);
    },
    /** Asks the server to stop a run; one that already finished is not an error here. */
    async cancelRun(runId: string): Promise<void> {
      const response = await send('POST', `/api/runs/${encodeURIComponent(runId)}/cancel`);
      if (response.status !== 409) await json<unknown>(response.status === 202 ? new Response('null') : response, 'Stopping the run');
    },
    /**
     * Reads the run's event stream (every event so far, then live) until it ends; resolves
     * when the server closes it after `run-finished`.
     */
    async followRun(runId: string, onEvent: (event: RunEvent) => void, signal?: AbortSignal): Promise<void> {
      const bearer = token();
      const headers: Record<string, string> = { accept: 'text/event-stream' };
      if (bearer) headers.authorization = `Bearer ${bearer}`;
      const response = await fetchImpl(`${baseUrl()}/api/runs/${encodeURIComponent(runId)}/events`, {
        headers,
        ...(signal ? { signal } : {}),
      });
      if (!response.ok || !response.body) await json<unknown>(response, `Following run ${runId}`);
      const reader = (response.body as ReadableStream<Uint8Array>)
        .pipeThrough(new TextDecoderStream() as unknown as ReadableWritablePair<string, Uint8Array>)
        .getReader();
      const parser = createSseParser((name, data) => {
        const event = runEventOf(name, data);
        if (event) onEvent(event);
      });
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        parser.push(value);
      }
    },
    subscribe(onEvent: (change: WorkspaceChange) => void): () => void {
      const bearer = token();
      return subscribeToServerEvents(baseUrl(), bearer, (event) => {
        if (event.type === 'blueprint') onEvent({ kind: 'blueprints' });
        else if (event.type === 'run') onEvent({ kind: 'runs', blueprintId: event.data.blueprintId });
      });
    },
  };
}

export type ServerClient = ReturnType<typeof createServerClient>;

/** The server's workspace as the library store sees it. */
export function createServerWorkspace(options: ServerClientOptions = {}): WorkspaceBackend {
  const client = createServerClient(options);
  const memory = options.memory === undefined ? defaultMemory() : options.memory;
  return {
    where: 'server',
    list: client.list,
    get: client.get,
    create: client.create,
    save: client.save,
    remove: client.remove,
    revisions: client.revisions,
    revision: client.revision,
    runs: client.runs,
    // The server recorded the run itself.
    addRun: async () => null,
    currentId: () => memory?.getItem(CURRENT_KEY) ?? null,
    setCurrentId(id) {
      try {
        if (id === null) memory?.removeItem(CURRENT_KEY);
        else memory?.setItem(CURRENT_KEY, id);
      } catch {
        // A convenience only.
      }
    },
    subscribe: client.subscribe,
  };
}

const RUN_EVENT_NAMES = new Set<RunEvent['type']>(['run-started', 'step-started', 'step-finished', 'run-finished']);

function runEventOf(name: string, data: string): RunEvent | null {
  if (!RUN_EVENT_NAMES.has(name as RunEvent['type'])) return null;
  try {
    const event = JSON.parse(data) as RunEvent;
    return { ...event, type: name as RunEvent['type'] } as RunEvent;
  } catch {
    return null;
  }
}

/** Splits a text/event-stream into (event name, data) pairs; comments and blank frames are skipped. */
export function createSseParser(onFrame: (name: string, data: string) => void) {
  let buffer = '';
  return {
    push(chunk: string) {
      buffer += chunk.replace(/\r/g, '');
      let boundary = buffer.indexOf('\n\n');
      while (boundary >= 0) {
        const frame = buffer.slice(0, boundary);
        buffer = buffer.slice(boundary + 2);
        boundary = buffer.indexOf('\n\n');
        let name = 'message';
        const data: string[] = [];
        for (const line of frame.split('\n')) {
          if (line.startsWith('event:')) name = line.slice(6).trim();
          else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
        }
        if (data.length > 0) onFrame(name, data.join('\n'));
      }
    },
  };
}
