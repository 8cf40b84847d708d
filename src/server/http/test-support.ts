/**
 * Helpers for the server's integration tests: a real server on a random loopback port with a
 * temporary data directory, and a small client that returns status and parsed body.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { startServer, type RunningServer, type StartServerOptions } from './serve';

export interface TestResponse {
  status: number;
  headers: Headers;
  body: unknown;
  text: string;
}

export interface TestServer {
  server: RunningServer;
  dataDir: string;
  url: string;
  call(
    method: string,
    path: string,
    options?: { body?: unknown; rawBody?: string; headers?: Record<string, string> },
  ): Promise<TestResponse>;
  /** Closes the server; `keepData` leaves the data directory for a restart. */
  stop(options?: { keepData?: boolean }): Promise<void>;
}

/**
 * start → a → b → a … until `maxSteps`: an endless blueprint of two Transform blocks, for runs
 * long enough to watch, follow, cancel or stop at a step limit.
 */
export function loopingBlueprint(id = 'loop', maxSteps = 1_000_000, name = 'Long loop') {
  return {
    format: 'kv-blueprint/1',
    id,
    name,
    settings: { maxSteps },
    nodes: [
      { id: 'start', type: 'start', position: { x: 0, y: 0 }, data: {} },
      { id: 'a', type: 'transform', position: { x: 300, y: 0 }, data: { value: 'x' } },
      { id: 'b', type: 'transform', position: { x: 600, y: 0 }, data: { value: 'y' } },
    ],
    edges: [
      { id: 'e1', source: 'start', sourceHandle: 'success', target: 'a' },
      { id: 'e2', source: 'a', sourceHandle: 'success', target: 'b' },
      { id: 'e3', source: 'b', sourceHandle: 'success', target: 'a' },
    ],
  };
}

export function temporaryDataDir(): string {
  return mkdtempSync(join(tmpdir(), 'kvb-http-'));
}

export async function startTestServer(options: Partial<StartServerOptions> = {}): Promise<TestServer> {
  const dataDir = options.dataDir ?? temporaryDataDir();
  const server = await startServer({ host: '127.0.0.1', port: 0, dataDir, env: {}, staticDir: join(dataDir, 'no-web-app'), ...options });
  return {
    server,
    dataDir,
    url: server.url,
    async call(method, path, { body, rawBody, headers = {} } = {}) {
      const init: RequestInit = { method, headers: { ...headers } };
      if (rawBody !== undefined) init.body = rawBody;
      else if (body !== undefined) {
        init.body = JSON.stringify(body);
        (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
      }
      const response = await fetch(`${server.url}${path}`, init);
      const text = await response.text();
      let parsed: unknown = null;
      try {
        parsed = text === '' ? null : JSON.parse(text);
      } catch {
        parsed = null;
      }
      return { status: response.status, headers: response.headers, body: parsed, text };
    },
    async stop({ keepData = false } = {}) {
      await server.close();
      if (!keepData) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A request with headers `fetch` will not let us set (Host), through node:http. */
export function rawRequest(
  port: number,
  options: { method?: string; path: string; headers: Record<string, string>; body?: string },
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, method: options.method ?? 'GET', path: options.path, headers: options.headers },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

/** The `{ error: { code, message } }` of a response, for assertions. */
export function errorOf(response: TestResponse): {
  code: string;
  message: string;
  opIndex?: number;
  problems?: Array<{ path: string; message: string }>;
  currentRevision?: number;
  keys?: string[];
} {
  return (response.body as { error: { code: string; message: string } }).error;
}

/**
 * Sends `head` (request line and headers, CRLF separated, no final blank line) byte for byte
 * over a socket, so request targets that `fetch` would normalise (`/%61pi`, absolute form)
 * reach the server as written. Resolves with the status and body once the server closes.
 */
export function socketRequest(port: number, head: string, body = ''): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      answer += chunk;
    });
    socket.on('error', reject);
    socket.on('end', () => {
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0);
      resolve({ status, body: answer.slice(answer.indexOf('\r\n\r\n') + 4) });
    });
    socket.write(`${head}\r\nConnection: close\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  });
}

const KVB = fileURLToPath(new URL('../../../bin/kvb.mjs', import.meta.url));

export interface SpawnedServer {
  child: ChildProcess;
  url: string;
  exited: Promise<number | null>;
  stderr: () => string;
}

/**
 * `kvb serve --port 0` as a real process, as people start it; resolves once it prints its URL.
 * Tokens and the master key come only from `env` (the caller's own are not inherited).
 */
export function spawnServe(dataDir: string, env: NodeJS.ProcessEnv = {}): Promise<SpawnedServer> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env };
  delete childEnv.KVB_TOKENS;
  delete childEnv.KVB_MASTER_KEY;
  Object.assign(childEnv, env);
  const child = spawn(process.execPath, [KVB, 'serve', '--port', '0', '--data', dataDir], {
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /serving (http:\/\/\S+)/.exec(stdout);
      if (match) resolve({ child, url: match[1]!, exited, stderr: () => stderr });
    });
    void exited.then((code) => reject(new Error(`kvb serve exited with ${code} before listening: ${stderr}`)));
  });
}

/** One answer an `ApiClient` saw, kept so a suite can check every answer against the OpenAPI document. */
export interface RecordedExchange {
  method: string;
  path: string;
  status: number;
  contentType: string;
  body: unknown;
}

export interface ApiClient {
  call(
    method: string,
    path: string,
    options?: { body?: unknown; rawBody?: string; headers?: Record<string, string> },
  ): Promise<TestResponse>;
}

/** A client of a server at `url` sending `token` (when given), recording every answer into `recorded`. */
export function apiClient(url: string, token?: string, recorded?: RecordedExchange[]): ApiClient {
  return {
    async call(method, path, { body, rawBody, headers = {} } = {}) {
      const sent: Record<string, string> = { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers };
      const init: RequestInit = { method, headers: sent };
      if (rawBody !== undefined) init.body = rawBody;
      else if (body !== undefined) {
        init.body = JSON.stringify(body);
        sent['content-type'] ??= 'application/json';
      }
      const response = await fetch(`${url}${path}`, init);
      const text = await response.text();
      let parsed: unknown = null;
      try {
        parsed = text === '' ? null : JSON.parse(text);
      } catch {
        parsed = null;
      }
      recorded?.push({ method, path, status: response.status, contentType: response.headers.get('content-type') ?? '', body: parsed });
      return { status: response.status, headers: response.headers, body: parsed, text };
    },
  };
}

/** A server-sent event as read off a stream. */
export interface ReadEvent {
  event: string;
  data: unknown;
}

/**
 * Reads the server-sent events of `path` until the server ends the stream (or `until` says
 * stop, or `timeoutMs` passes: then it fails naming what it saw).
 */
export async function readEvents(
  url: string,
  path: string,
  options: { token?: string; until?: (events: ReadEvent[]) => boolean; onEvent?: (event: ReadEvent) => void; timeoutMs?: number } = {},
): Promise<{ status: number; events: ReadEvent[]; ended: boolean }> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), options.timeoutMs ?? 20_000);
  const events: ReadEvent[] = [];
  try {
    const response = await fetch(`${url}${path}`, {
      signal: controller.signal,
      headers: options.token ? { authorization: `Bearer ${options.token}` } : {},
    });
    if (!response.ok || !response.body) return { status: response.status, events, ended: true };
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return { status: response.status, events, ended: true };
      buffer += value;
      let boundary: number;
      while ((boundary = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, boundary);
        buffer = buffer.slice(boundary + 2);
        const name = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (name === undefined || data === undefined) continue;
        const event = { event: name, data: JSON.parse(data) as unknown };
        events.push(event);
        options.onEvent?.(event);
      }
      if (options.until?.(events)) {
        controller.abort();
        return { status: response.status, events, ended: false };
      }
    }
  } catch (error) {
    if (controller.signal.aborted && options.until?.(events)) return { status: 200, events, ended: false };
    throw new Error(`Reading ${path} failed after ${events.length} events (${events.map((e) => e.event).join(', ')}): ${String(error)}`);
  } finally {
    clearTimeout(timer);
  }
}
