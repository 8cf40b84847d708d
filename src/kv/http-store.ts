/**
 * The HTTP store: a `KeyValueStore` backed by a `kvb serve` server (docs/http-api.md). Every batch
 * is one `POST /api/kv/ops`, so the server applies it atomically; error responses come back as
 * the same `KvError` (code, message, op index) the server's store raised. Portable: only
 * `fetch` (and `EventSource` when present).
 */
import { apiErrorBodySchema, SERVER_EVENT_NAMES, type KvOpsRequest, type ServerEvent, type ServerEventName } from './api-schema';
import { KvError, isKvErrorCode } from './errors';
import { assertStorableValue } from './operations';
import type { Entry, KeyValueStore, KvOp, KvOpResult } from './types';

export interface HttpStoreOptions {
  /** The server's origin, e.g. `http://127.0.0.1:8787` (a trailing slash is fine). */
  baseUrl: string;
  /**
   * API token. With a token the server acts for the token's companyId, so the `companyId`
   * given to `batch` is not sent; without one (loopback server) it is sent as is.
   */
  token?: string;
  /** Defaults to the global `fetch`. */
  fetch?: typeof fetch;
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

/** What a caller may add to one batch request. */
export interface BatchOptions {
  /**
   * Aborts the request on the wire when the answer is no longer wanted (a newer filter); the
   * batch then rejects with the signal's `AbortError`. The server may still have applied it.
   */
  signal?: AbortSignal;
}

export class HttpStore implements KeyValueStore {
  readonly kind = 'http';
  private readonly baseUrl: string;
  private readonly token: string | undefined;
  private readonly fetchImpl: typeof fetch;

  constructor(options: HttpStoreOptions) {
    this.baseUrl = trimSlash(options.baseUrl);
    this.token = options.token;
    // Bound, so a browser's fetch is not called with the store as `this`.
    this.fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  }

  async batch(companyId: string, ops: KvOp[], options: BatchOptions = {}): Promise<KvOpResult[]> {
    ops.forEach(assertTransportable);
    const body: KvOpsRequest = this.token === undefined ? { companyId, ops } : { ops };
    const response = await this.send('POST', '/api/kv/ops', body, options.signal);
    const payload = (await this.readJson(response).catch((error: unknown) => {
      throw options.signal?.aborted ? options.signal.reason : error;
    })) as { results?: unknown };
    if (!Array.isArray(payload.results) || payload.results.length !== ops.length) {
      throw new KvError(
        'store',
        `The server at ${this.baseUrl} answered the batch with ${Array.isArray(payload.results) ? payload.results.length : 'no'} results for ${ops.length} ops`,
      );
    }
    return payload.results as KvOpResult[];
  }

  async getById(companyId: string, id: string): Promise<Entry | null> {
    const response = await this.send('GET', this.entryPath(companyId, id));
    if (response.status === 404) return null;
    return (await this.readJson(response)) as Entry;
  }

  async deleteById(companyId: string, id: string): Promise<boolean> {
    const response = await this.send('DELETE', this.entryPath(companyId, id));
    if (response.status === 404) return false;
    if (!response.ok) await this.readJson(response);
    return true;
  }

  async close(): Promise<void> {
    // Nothing to release: every request is self-contained.
  }

  private entryPath(companyId: string, id: string): string {
    const query = this.token === undefined ? `?companyId=${encodeURIComponent(companyId)}` : '';
    return `/api/kv/${encodeURIComponent(id)}${query}`;
  }

  private async send(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.token !== undefined) headers.authorization = `Bearer ${this.token}`;
    try {
      return await this.fetchImpl(`${this.baseUrl}${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        ...(signal === undefined ? {} : { signal }),
      });
    } catch (error) {
      // An abort the caller asked for is not an unreachable server.
      if (signal?.aborted) throw signal.reason ?? error;
      const detail = error instanceof Error ? error.message : String(error);
      throw new KvError('store', `The server at ${this.baseUrl} cannot be reached (${detail}); check that kvb serve is running there`);
    }
  }

  /** The JSON of a 2xx response; any other status becomes the `KvError` the server described. */
  private async readJson(response: Response): Promise<unknown> {
    let payload: unknown;
    try {
      payload = await response.json();
    } catch {
      throw new KvError('store', `The server at ${this.baseUrl} answered ${response.status} ${response.statusText} without a JSON body`);
    }
    if (response.ok) return payload;
    const parsed = apiErrorBodySchema.safeParse(payload);
    if (!parsed.success)
      throw new KvError('store', `The server at ${this.baseUrl} answered ${response.status} without an error description`);
    const { code, message, opIndex } = parsed.data.error;
    if (isKvErrorCode(code)) throw new KvError(code, message, opIndex);
    // unauthorized, forbidden, internal: not store codes; the server's message says what to do.
    throw new KvError('store', `The server at ${this.baseUrl} refused the request (${code}): ${message}`, opIndex);
  }
}

/**
 * JSON cannot carry NaN, Infinity or undefined (they would arrive as null, or vanish and change
 * the op's meaning), so such ops are refused here with the code the store would give.
 */
function assertTransportable(op: KvOp, index: number): void {
  try {
    if (op.op === 'set' || op.op === 'append' || op.op === 'listAdd' || op.op === 'listRemove')
      assertStorableValue(op.value, typeof op.key === 'string' ? op.key : '');
    for (const field of ['ttlSeconds', 'by', 'limit', 'expectedVersion', 'version'] as const) {
      const value = (op as Partial<Record<typeof field, unknown>>)[field];
      if (typeof value === 'number' && !Number.isFinite(value)) {
        throw new KvError('invalid_value', `${field} must be a finite number, got ${value}`);
      }
    }
  } catch (error) {
    if (error instanceof KvError) throw new KvError(error.code, error.message, index);
    throw error;
  }
}

export interface ServerEventsOptions {
  /** Without a token: which company's events to receive (default: the server's `default`). */
  companyId?: string;
  fetch?: typeof fetch;
  /** Wait before reconnecting a dropped stream; default 3000 ms. */
  retryMs?: number;
}

function parseEventData(name: string, data: string): ServerEvent | null {
  if (!(SERVER_EVENT_NAMES as readonly string[]).includes(name)) return null;
  try {
    return { type: name as ServerEventName, data: JSON.parse(data) } as ServerEvent;
  } catch {
    return null;
  }
}

/**
 * Calls `onEvent` for every `kv`, `run` and `blueprint` event of the server, reconnecting when
 * the stream drops. Returns the function that stops listening. `EventSource` cannot send an
 * Authorization header, so with a token the stream is read with `fetch` instead.
 */
export function subscribeToServerEvents(
  baseUrl: string,
  token: string | undefined,
  onEvent: (event: ServerEvent) => void,
  options: ServerEventsOptions = {},
): () => void {
  const query = token === undefined && options.companyId !== undefined ? `?companyId=${encodeURIComponent(options.companyId)}` : '';
  const url = `${trimSlash(baseUrl)}/api/events${query}`;
  const EventSourceImpl = (globalThis as { EventSource?: typeof EventSource }).EventSource;

  if (token === undefined && options.fetch === undefined && EventSourceImpl !== undefined) {
    const source = new EventSourceImpl(url);
    for (const name of SERVER_EVENT_NAMES) {
      source.addEventListener(name, (message) => {
        const event = parseEventData(name, (message as MessageEvent<string>).data);
        if (event) onEvent(event);
      });
    }
    return () => source.close();
  }

  const fetchImpl = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => globalThis.fetch(input, init));
  const retryMs = options.retryMs ?? 3000;
  const controller = new AbortController();
  let retryTimer: ReturnType<typeof setTimeout> | undefined;

  const connect = async (): Promise<void> => {
    try {
      const headers: Record<string, string> = { accept: 'text/event-stream' };
      if (token !== undefined) headers.authorization = `Bearer ${token}`;
      const response = await fetchImpl(url, { headers, signal: controller.signal });
      if (!response.ok || !response.body) throw new Error(`status ${response.status}`);
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let boundary = buffer.indexOf('\n\n');
        while (boundary >= 0) {
          dispatchFrame(buffer.slice(0, boundary), onEvent);
          buffer = buffer.slice(boundary + 2);
          boundary = buffer.indexOf('\n\n');
        }
      }
    } catch {
      // Dropped or refused: try again below, unless the caller stopped listening.
    }
    if (!controller.signal.aborted) retryTimer = setTimeout(() => void connect(), retryMs);
  };
  void connect();

  return () => {
    controller.abort();
    if (retryTimer !== undefined) clearTimeout(retryTimer);
  };
}

/** One SSE frame (`event:` and `data:` lines); comments (heartbeats) and unknown events are skipped. */
function dispatchFrame(frame: string, onEvent: (event: ServerEvent) => void): void {
  let name = 'message';
  const data: string[] = [];
  for (const line of frame.split('\n')) {
    if (line.startsWith('event:')) name = line.slice(6).trim();
    else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
  }
  const event = parseEventData(name, data.join('\n'));
  if (event) onEvent(event);
}
