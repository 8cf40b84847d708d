/**
 * The Server storage backend: keys live in the `kvb serve` that served this page, reached with
 * the HTTP store at the page's own origin. Its health comes from the server's event stream
 * (`/api/events`): the stream opening means the server answers (and accepts our token), the
 * stream failing means it does not, and its `kv` events refresh the keys panel when another
 * client writes. The stream is read with `fetch` (not `EventSource`) even without a token,
 * because only `fetch` tells a refused connection from a 401 from a page that is not a kvb
 * server at all (e.g. `vite preview`), and the person needs to know which.
 */
import { DEFAULT_COMPANY_ID } from '../../engine/index';
import { HttpStore, subscribeToServerEvents } from '../../kv/http-store';
import type { BackendHealth, StorageBackend } from './storage';
import { readRefusal } from './refusal';

/** Wait between two attempts to reach the server's event stream. */
export const SERVER_RETRY_MS = 3000;

const TOKEN_KEY = 'kvb.editor.v1.serverToken';

/** What one attempt to open the event stream found. */
export type ConnectionEvent =
  | { type: 'attempt' }
  | { type: 'opened' }
  | { type: 'network_failed'; detail: string }
  | { type: 'not_a_server'; status: number; contentType: string }
  | { type: 'unauthorized'; tokenSent: boolean; message: string }
  | { type: 'refused'; status: number; message: string };

/**
 * The backend's health after a connection event. A retry while the server is known to be down
 * keeps the "unavailable" message up (no flicker to "connecting" every few seconds).
 */
export function nextServerHealth(health: BackendHealth, event: ConnectionEvent, baseUrl: string): BackendHealth {
  switch (event.type) {
    case 'attempt':
      return health.status === 'unavailable' ? health : { status: 'connecting' };
    case 'opened':
      return { status: 'ready' };
    case 'network_failed':
      return {
        status: 'unavailable',
        problem: 'unreachable',
        message: `The kvb server at ${baseUrl} cannot be reached (${event.detail}). Start it with \`kvb serve\`; the editor reconnects by itself. Your blueprints are kept in this browser.`,
      };
    case 'not_a_server':
      return {
        status: 'unavailable',
        problem: 'unreachable',
        message: `No kvb server answers at ${baseUrl} (it answered ${event.status}${event.contentType ? ` ${event.contentType}` : ''}). Open the editor from \`kvb serve\` to use Server storage, or choose Browser.`,
      };
    case 'unauthorized':
      return {
        status: 'unavailable',
        problem: 'unauthorized',
        message: event.tokenSent
          ? `The kvb server at ${baseUrl} refused the token (${event.message}). Enter another one.`
          : `The kvb server at ${baseUrl} has API tokens. Enter one (from its KVB_TOKENS or tokens.json); it is kept for this tab only.`,
      };
    case 'refused':
      return {
        status: 'unavailable',
        problem: 'refused',
        message: `The kvb server at ${baseUrl} refused the editor (${event.status}): ${event.message}`,
      };
  }
}

export function sameHealth(a: BackendHealth, b: BackendHealth): boolean {
  if (a.status !== b.status) return false;
  if (a.status === 'unavailable' && b.status === 'unavailable') return a.problem === b.problem && a.message === b.message;
  return true;
}

/** A `fetch` for the event stream that reports what each attempt found. */
function reportingFetch(fetchImpl: typeof fetch, report: (event: ConnectionEvent) => void): typeof fetch {
  return async (input, init) => {
    report({ type: 'attempt' });
    let response: Response;
    try {
      response = await fetchImpl(input, init);
    } catch (error) {
      if (!init?.signal?.aborted) report({ type: 'network_failed', detail: error instanceof Error ? error.message : String(error) });
      throw error;
    }
    const contentType = (response.headers.get('content-type') ?? '').split(';')[0]?.trim() ?? '';
    if (response.ok && contentType === 'text/event-stream') {
      report({ type: 'opened' });
      return response;
    }
    if (contentType === 'application/json' && (response.status === 401 || response.status === 403)) {
      const message = (await readRefusal(response)).message ?? response.statusText;
      const tokenSent = new Headers(init?.headers).has('authorization');
      report(
        response.status === 401 ? { type: 'unauthorized', tokenSent, message } : { type: 'refused', status: response.status, message },
      );
    } else {
      void response.body?.cancel();
      report({ type: 'not_a_server', status: response.status, contentType });
    }
    throw new Error(`event stream answered ${response.status}`);
  };
}

export interface ServerBackendOptions {
  /** The server's origin; default the page's own (`location.origin`). */
  baseUrl?: () => string;
  /** The API token to send as Bearer, if any; default the one kept in sessionStorage. */
  token?: () => string | undefined;
  fetch?: typeof fetch;
  retryMs?: number;
}

function pageOrigin(): string {
  return globalThis.location?.origin ?? 'http://127.0.0.1:8787';
}

export function createServerBackend(options: ServerBackendOptions = {}): StorageBackend {
  const baseUrl = options.baseUrl ?? pageOrigin;
  const token = options.token ?? readServerToken;
  const fetchImpl = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => globalThis.fetch(input, init));
  return {
    choice: 'server',
    label: 'Server',
    companyId: DEFAULT_COMPANY_ID,
    open: async () => {
      const bearer = token();
      return new HttpStore({ baseUrl: baseUrl(), fetch: fetchImpl, ...(bearer ? { token: bearer } : {}) });
    },
    subscribe(onChange, onHealth) {
      const url = baseUrl();
      let health: BackendHealth = { status: 'connecting' };
      let stopped = false;
      let stopStream: (() => void) | null = null;
      const stop = () => {
        stopped = true;
        stopStream?.();
      };
      const report = (event: ConnectionEvent) => {
        if (stopped) return;
        const next = nextServerHealth(health, event, url);
        // Keys may have changed while the stream was down: refresh once it is back.
        if (event.type === 'opened') onChange();
        // A wrong token stays wrong: stop retrying until a new one is given.
        if (event.type === 'unauthorized' || event.type === 'refused') queueMicrotask(stop);
        if (sameHealth(health, next)) return;
        health = next;
        onHealth(next);
      };
      onHealth(health);
      const bearer = token();
      stopStream = subscribeToServerEvents(
        url,
        bearer,
        (event) => {
          if (!stopped && event.type === 'kv') onChange();
        },
        {
          fetch: reportingFetch(fetchImpl, report),
          retryMs: options.retryMs ?? SERVER_RETRY_MS,
          ...(bearer ? {} : { companyId: DEFAULT_COMPANY_ID }),
        },
      );
      if (stopped) stopStream();
      return stop;
    },
  };
}

/** The API token kept for this tab (sessionStorage: it goes when the tab closes). */
export function readServerToken(): string | undefined {
  try {
    return globalThis.sessionStorage?.getItem(TOKEN_KEY) || undefined;
  } catch {
    return undefined;
  }
}

/** Keeps (or with `null`, forgets) the API token; the next connection uses it. */
export function saveServerToken(token: string | null): void {
  try {
    if (token === null || token.trim() === '') globalThis.sessionStorage?.removeItem(TOKEN_KEY);
    else globalThis.sessionStorage?.setItem(TOKEN_KEY, token.trim());
  } catch {
    // Without sessionStorage the token cannot be kept; the server keeps answering 401.
  }
}
