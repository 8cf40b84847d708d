/**
 * The Fastify application: security hooks, the one error handler, the API routes and the web
 * app's static files. `serve.ts` builds it and listens; tests may call `buildApp` directly.
 */
import type { RequestLogSettings } from './serve-logging';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest, type RouteOptions } from 'fastify';
import fastifyStatic from '@fastify/static';
import { DEFAULT_COMPANY_ID } from '../../engine/index';
import { API_BODY_LIMIT_BYTES, API_BODY_MAX_DEPTH } from '../../kv/api-schema';
import { nestsDeeperThan } from '../../kv/json';
import { JSON_MAX_DEPTH, type KeyValueStore } from '../../kv/types';
import type { CodeRunner } from '../../engine/code-sandbox';
import { createThreadCodeRunner } from '../code-runner';
import { ApiError, publicStoreMessage, toApiError } from './api-error';
import { AnnouncingStore, ServerEventBus } from './event-bus';
import { registerBlueprintRoutes } from './routes/blueprints';
import { registerEventRoutes, SseHub } from './routes/event-routes';
import { registerKvRoutes } from './routes/kv';
import { DEFAULT_LIMITS, type ServerLimits } from './limits';
import { checkHost, checkOrigin, SECURITY_HEADERS, type HostPolicy } from './security';
import type { BlueprintStore, RunCoordinator, RunStore, ServerStorage } from '../storage';
import { RunExecutor } from './run-executor';
import { registerRunRoutes } from './routes/runs';
import { registerReferenceRoutes } from './routes/reference';
import type { TokenTable } from './tokens';

declare module 'fastify' {
  interface FastifyRequest {
    /** The companyId the request's token acts for; null when no tokens are configured. */
    tokenCompanyId: string | null;
  }
  interface FastifyContextConfig {
    /**
     * Served without a token. Only the web app's static files and the API's own description
     * (`/api/openapi.json`, `/api/docs`: no data) set it; every other route, present or
     * future, needs a token once tokens are configured (deny by default).
     */
    public?: boolean;
  }
}

export interface AppOptions {
  storage: ServerStorage;
  tokens: TokenTable;
  hostPolicy: HostPolicy;
  /** The port clients reach the server on; read at request time (port 0 is known after listen). */
  port: () => number;
  staticDir: string;
  /** Request logs (serve-logging.ts), or none. */
  logger: false | RequestLogSettings;
  heartbeatMs?: number;
  /** Runs, timeouts and connections; default `DEFAULT_LIMITS`. */
  limits?: ServerLimits;
}

/** What every route module needs, built once per app. */
export interface ApiContext {
  store: KeyValueStore;
  blueprints: BlueprintStore;
  runs: RunStore;
  runCoordinator: RunCoordinator;
  /** Starts server-side runs (`run-executor.ts`). */
  executor: RunExecutor;
  bus: ServerEventBus;
  limits: ServerLimits;
  /** Runs Code block sources in worker threads, off the event loop. */
  runCode: CodeRunner;
  /**
   * The companyId a request acts for. With tokens: the token's, and naming another is 403.
   * Without tokens (loopback only): the one the request names, else `default`.
   */
  companyFor(request: FastifyRequest, requested: string | undefined): string;
  /** Like `companyFor`, for a route addressing an entry by id alone (the seed's DELETE). */
  companyForEntryId(request: FastifyRequest, requested: string | undefined, id: string): Promise<string>;
}

const MISSING_APP_PAGE = `<!doctype html><html lang="en"><meta charset="utf-8"><title>KV Blueprints</title>
<body style="font-family: system-ui; margin: 3rem"><h1>KV Blueprints server is running</h1>
<p>The web app is not built yet. Run <code>npm run build</code>, then restart <code>kvb serve</code>.</p>
<p>The HTTP API is available under <code>/api</code>.</p></body></html>`;

function bearerToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1]! : null;
}

/**
 * The path a request names, as the router sees it: the origin of an absolute-form target
 * (`GET http://host/api/kv`) dropped, percent-escapes decoded, repeated slashes collapsed,
 * lower case. Only used to tell the API from the web app's pages in the not-found handler.
 */
export function routedPath(url: string): string {
  let path = url.split('?')[0] ?? '';
  const absolute = /^[a-z][a-z0-9+.-]*:\/\/[^/]*/i.exec(path);
  if (absolute) path = path.slice(absolute[0].length) || '/';
  try {
    path = decodeURIComponent(path);
  } catch {
    // A malformed escape stays as it is; the router refuses it too.
  }
  return path.replace(/\/{2,}/g, '/').toLowerCase();
}

function isApiPath(path: string): boolean {
  return path === '/api' || path.startsWith('/api/');
}

function sendError(reply: FastifyReply, error: ApiError): FastifyReply {
  return reply.code(error.status).type('application/json; charset=utf-8').send(error.toBody());
}

/** What we say for the request errors Fastify raises itself; its own texts never reach a client. */
const FASTIFY_REQUEST_ERRORS: Readonly<Record<string, string>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: `The request body is larger than ${API_BODY_LIMIT_BYTES / (1024 * 1024)} MiB`,
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'The body must be JSON: send Content-Type: application/json',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'The body is not as long as its Content-Length header says',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'The body is empty but Content-Type says JSON: send a JSON object',
  FST_ERR_CTP_INVALID_TYPE: 'The Content-Type header is not valid',
  FST_ERR_BAD_URL: 'The request path has a malformed percent-escape: each % must be followed by two hex digits',
};

/**
 * Fastify's own request errors (body parsing, limits, bad URLs) as API errors; null for
 * anything else. Only texts written here are answered: Fastify's messages (which quote the
 * request, or an internal failure) stay in the log.
 */
function fromFastifyError(error: FastifyError): ApiError | null {
  const status = error.statusCode;
  if (status === undefined || status < 400 || status >= 500) return null;
  const known =
    typeof error.code === 'string' && Object.hasOwn(FASTIFY_REQUEST_ERRORS, error.code) ? FASTIFY_REQUEST_ERRORS[error.code] : undefined;
  const tooLarge = status === 413;
  const message =
    known ?? (tooLarge ? 'The request is too large' : `The request could not be read (HTTP ${status}); check its headers and body`);
  return new ApiError(tooLarge ? 'too_large' : 'invalid_request', message);
}

/** Node's `clientError`: the request never reached Fastify, so the answer is written on the socket. */
function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const problem =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? new ApiError('request_timeout', 'The request was not sent in full within the time limit')
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? new ApiError('headers_too_large', 'The request headers are larger than the server accepts')
        : new ApiError(
            'invalid_request',
            'The request line or headers could not be parsed: send a well-formed HTTP/1.1 request whose target starts with /',
          );
  const body = JSON.stringify(problem.toBody());
  const headers = {
    ...SECURITY_HEADERS,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(body)),
    Connection: 'close',
  };
  if (socket.writable) {
    const head = Object.entries(headers)
      .map(([name, value]) => `${name}: ${value}`)
      .join('\r\n');
    // A HEAD request gets the head only, as for any answer. Its request line is in the raw
    // packet, right after an earlier request's body when the connection was kept alive.
    const packet = (error as { rawPacket?: Buffer }).rawPacket?.toString('latin1') ?? '';
    const isHead = /HEAD [^\r\n]* HTTP\/1\.[01]\r?\n/.test(packet);
    socket.write(`HTTP/1.1 ${problem.status} ${STATUS_CODES[problem.status] ?? ''}\r\n${head}\r\n\r\n${isHead ? '' : body}`);
  }
  socket.destroy();
}

/**
 * Request bodies: JSON.parse, so a syntax error says where it is; keys that could reach an
 * object's prototype (`__proto__`, `constructor.prototype`) are refused, as Fastify does.
 */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === '') throw new ApiError('invalid_request', 'The body is empty but Content-Type says JSON: send a JSON object');
  // Checked before parsing: the prototype check below, and every later walk, recurse per level.
  if (nestsDeeperThan(text, API_BODY_MAX_DEPTH)) {
    throw new ApiError(
      'invalid_request',
      `The body nests arrays and objects more than ${API_BODY_MAX_DEPTH} levels deep; values may nest at most ${JSON_MAX_DEPTH} levels`,
    );
  }
  try {
    return JSON.parse(text, (key: string, value: unknown) => {
      const reachesPrototype =
        key === '__proto__' || (key === 'constructor' && typeof value === 'object' && value !== null && Object.hasOwn(value, 'prototype'));
      if (reachesPrototype)
        throw new ApiError('invalid_request', `The body has a '${key}' key that could reach an object prototype; it is refused`);
      return value;
    });
  } catch (error) {
    if (error instanceof ApiError) throw error;
    // V8 reports a nesting it cannot walk as a stack overflow, which would mean nothing to a caller.
    if (error instanceof RangeError)
      throw new ApiError('invalid_request', 'The body nests too deeply to parse: flatten its arrays and objects');
    throw new ApiError('invalid_request', `The body is not valid JSON: ${(error as Error).message}`);
  }
}

/** A route as registered, for the tests that must cover every route. */
export interface RegisteredRoute {
  method: string;
  url: string;
  public: boolean;
}

export async function buildApp(options: AppOptions): Promise<{ app: FastifyInstance; hub: SseHub; routes: RegisteredRoute[] }> {
  const limits = options.limits ?? DEFAULT_LIMITS;
  const app = Fastify({
    logger: options.logger
      ? {
          level: options.logger.level,
          ...(options.logger.stream ? { stream: options.logger.stream } : {}),
          // Requests are logged by method, URL and status only; these never appear, belt and braces.
          redact: { paths: ['req.headers.authorization', 'req.headers.cookie', 'req.body', 'res.body'], censor: '[redacted]' },
        }
      : false,
    bodyLimit: API_BODY_LIMIT_BYTES,
    return503OnClosing: true,
    // A malformed percent-escape is refused before routing; it answers like every other error.
    frameworkErrors: (error, request, reply) => {
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) reply.raw.setHeader(name, value);
      return sendError(reply, fromFastifyError(error) ?? new ApiError('invalid_request', 'The request could not be read'));
    },
    // Requests Node cannot parse (a bad request line, oversized headers) or that came too slowly
    // answer like every other error, not with Node's or Fastify's own body.
    clientErrorHandler: answerClientError,
    // A slow or half-sent request must not hold a connection: Node closes one whose headers
    // (or whole request) are late, checking every second rather than its default 30 s.
    http: {
      headersTimeout: limits.headersTimeoutMs,
      connectionsCheckingInterval: Math.min(1_000, Math.max(50, Math.floor(limits.headersTimeoutMs / 4))),
    },
    requestTimeout: limits.requestTimeoutMs,
    connectionTimeout: limits.idleTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
  });
  app.server.maxConnections = limits.maxConnections;
  // A browser's text/plain form post must not reach a route: JSON bodies only.
  app.removeContentTypeParser('text/plain');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, parseJsonBody(body as string));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
  app.decorateRequest('tokenCompanyId', null);
  // Kept by reference: hooks of inner contexts (the static files' `public`) run after this one.
  const registered: RouteOptions[] = [];
  app.addHook('onRoute', (route) => {
    registered.push(route);
  });

  const { storage, tokens } = options;
  /** With tokens configured: null once the request's token is known (and recorded), else the 401. */
  const unauthenticated = (request: FastifyRequest): ApiError | null => {
    if (tokens.size === 0 || request.tokenCompanyId !== null) return null;
    const token = bearerToken(request);
    if (token === null) return new ApiError('unauthorized', 'This server needs an API token: send Authorization: Bearer <token>');
    const companyId = tokens.companyIdOf(token);
    if (companyId === null) return new ApiError('unauthorized', 'The API token is not known to this server');
    request.tokenCompanyId = companyId;
    return null;
  };
  const bus = new ServerEventBus(storage.events);
  const codeThreads = createThreadCodeRunner();
  const store = new AnnouncingStore(storage.store, bus);
  const executor = new RunExecutor({
    store,
    runs: storage.runs,
    coordinator: storage.runCoordinator,
    bus,
    limits,
    runCode: codeThreads.run,
    log: app.log,
  });
  const context: ApiContext = {
    store,
    blueprints: storage.blueprints,
    runs: storage.runs,
    runCoordinator: storage.runCoordinator,
    executor,
    bus,
    limits,
    runCode: codeThreads.run,
    companyFor(request, requested) {
      // Belt and braces: a route that reads data never runs unauthenticated when tokens exist.
      const problem = unauthenticated(request);
      if (problem) throw problem;
      const own = request.tokenCompanyId;
      if (own === null) return requested ?? DEFAULT_COMPANY_ID;
      if (requested !== undefined && requested !== own) {
        throw new ApiError(
          'forbidden',
          `This token cannot act for companyId '${requested}': omit companyId, or use a token of that company`,
        );
      }
      return own;
    },
    async companyForEntryId(request, requested, id) {
      if (tokens.size === 0 && requested === undefined) {
        return (await storage.companyOfEntryId(id)) ?? DEFAULT_COMPANY_ID;
      }
      return context.companyFor(request, requested);
    },
  };

  app.addHook('onRequest', async (request, reply) => {
    // On the raw response, so an event stream (which writes its own head) carries them too.
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) reply.raw.setHeader(name, value);
    const hostProblem = checkHost(request.headers.host, options.port(), options.hostPolicy);
    if (hostProblem) return sendError(reply, new ApiError('forbidden', hostProblem));
    const origin = request.headers.origin;
    const fetchSite = request.headers['sec-fetch-site'];
    const originProblem = checkOrigin(
      request.method,
      request.headers.host,
      typeof origin === 'string' ? origin : undefined,
      typeof fetchSite === 'string' ? fetchSite : undefined,
    );
    if (originProblem) return sendError(reply, new ApiError('forbidden', originProblem));
    // Decided on the route the router matched, never on the raw URL: `/%61pi/kv` and
    // `http://host/api/kv` reach the same handler as `/api/kv`. Unmatched requests are
    // decided by the not-found handler, which knows whether it serves a page or an API 404.
    const route = request.routeOptions;
    if (route.url === undefined || route.config.public === true) return undefined;
    const problem = unauthenticated(request);
    return problem ? sendError(reply, problem) : undefined;
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const known = toApiError(error) ?? fromFastifyError(error);
    if (known?.code === 'store') {
      // The store's failures quote SQLite or the file system (paths, engine texts): logged, not answered.
      request.log.warn({ code: known.code, detail: known.message }, 'store unavailable');
      return sendError(reply, new ApiError('store', publicStoreMessage(error)));
    }
    if (known) {
      if (known.status >= 500) request.log.warn({ code: known.code }, 'store unavailable');
      return sendError(reply, known);
    }
    // A genuine fault: log it (no values are in our error messages), answer without details.
    request.log.error({ err: error }, 'unexpected failure');
    return sendError(
      reply,
      new ApiError('internal', 'The server failed unexpectedly; the failure is logged. Try again, and report it if it persists'),
    );
  });

  const hub = new SseHub(options.heartbeatMs);
  app.addHook('preClose', async () => hub.closeAll());

  await app.register(async (api) => {
    registerKvRoutes(api, context);
    registerBlueprintRoutes(api, context);
    registerRunRoutes(api, context, hub);
    registerReferenceRoutes(api);
    registerEventRoutes(api, context, hub);
  });

  const hasApp = existsSync(join(options.staticDir, 'index.html'));
  if (hasApp) {
    await app.register(async (web) => {
      // The web app's files are the only public routes; the hook marks exactly the routes
      // @fastify/static adds in this context.
      web.addHook('onRoute', (route) => {
        route.config = { ...route.config, public: true };
      });
      await web.register(fastifyStatic, { root: options.staticDir, wildcard: true, index: 'index.html' });
    });
  }

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    const api = isApiPath(routedPath(request.url));
    const isPage = !api && (request.method === 'GET' || request.method === 'HEAD');
    // Only a page is public; an API path or a write needs the token before it learns anything.
    const problem = isPage ? null : unauthenticated(request);
    if (problem) return sendError(reply, problem);
    if (api) {
      return sendError(reply, new ApiError('not_found', `No API route ${request.method} ${path}`));
    }
    if (!isPage) {
      return sendError(reply, new ApiError('not_found', `Nothing at ${request.method} ${path}`));
    }
    // The web app routes in the browser: every other page is its index.html.
    if (hasApp) return reply.type('text/html; charset=utf-8').sendFile('index.html');
    return reply.type('text/html; charset=utf-8').send(MISSING_APP_PAGE);
  });

  app.addHook('onClose', async () => {
    // Runs still executing are cancelled and stored before their database closes.
    await executor.close();
    await codeThreads.close();
    await storage.close();
  });

  const routes = registered.flatMap((route) =>
    [route.method].flat().map((method) => ({ method, url: route.url, public: route.config?.public === true })),
  );
  return { app, hub, routes };
}
