/**
 * The Fastify application: security hooks, the one error handler, the API routes and the web
 * app's static files. `serve.ts` builds it and listens; tests may call `buildApp` directly.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import fastifyStatic from '@fastify/static';
import { DEFAULT_COMPANY_ID } from '../../engine/index';
import { API_BODY_LIMIT_BYTES, API_BODY_MAX_DEPTH } from '../../kv/api-schema';
import { nestsDeeperThan } from '../../kv/json';
import { JSON_MAX_DEPTH, type KeyValueStore } from '../../kv/types';
import { ApiError, toApiError } from './api-error';
import { BlueprintRepository } from './blueprint-repository';
import { AnnouncingStore, ServerEventBus } from './event-bus';
import { registerBlueprintRoutes } from './routes/blueprints';
import { registerEventRoutes, SseHub } from './routes/events';
import { registerKvRoutes } from './routes/kv';
import { RunRepository } from './run-repository';
import { checkHost, checkOrigin, type HostPolicy } from './security';
import type { ServerStorage } from './storage';
import type { TokenTable } from './tokens';

declare module 'fastify' {
  interface FastifyRequest {
    /** The companyId the request's token acts for; null when no tokens are configured. */
    tokenCompanyId: string | null;
  }
}

export interface AppOptions {
  storage: ServerStorage;
  tokens: TokenTable;
  hostPolicy: HostPolicy;
  /** The port clients reach the server on; read at request time (port 0 is known after listen). */
  port: () => number;
  staticDir: string;
  logger: boolean;
  heartbeatMs?: number;
}

/** What every route module needs, built once per app. */
export interface ApiContext {
  store: KeyValueStore;
  blueprints: BlueprintRepository;
  runs: RunRepository;
  bus: ServerEventBus;
  /**
   * The companyId a request acts for. With tokens: the token's, and naming another is 403.
   * Without tokens (loopback only): the one the request names, else `default`.
   */
  companyFor(request: FastifyRequest, requested: string | undefined): string;
  /** Like `companyFor`, for a route addressing an entry by id alone (the seed's DELETE). */
  companyForEntryId(request: FastifyRequest, requested: string | undefined, id: string): string;
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

function sendError(reply: FastifyReply, error: ApiError): FastifyReply {
  return reply.code(error.status).type('application/json; charset=utf-8').send(error.toBody());
}

/** Fastify's own request errors (body parsing, limits) as API errors; null for anything else. */
function fromFastifyError(error: FastifyError): ApiError | null {
  const status = error.statusCode;
  if (status === undefined || status < 400 || status >= 500) return null;
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiError(413, 'too_large', `The request body is larger than ${API_BODY_LIMIT_BYTES / (1024 * 1024)} MiB`);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiError(400, 'invalid_request', 'The body must be JSON: send Content-Type: application/json');
    default:
      // Other request errors Fastify raises (a wrong Content-Length…): its message is safe.
      return new ApiError(status === 413 ? 413 : 400, status === 413 ? 'too_large' : 'invalid_request', error.message);
  }
}

/**
 * Request bodies: JSON.parse, so a syntax error says where it is; keys that could reach an
 * object's prototype (`__proto__`, `constructor.prototype`) are refused, as Fastify does.
 */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === '') throw new ApiError(400, 'invalid_request', 'The body is empty but Content-Type says JSON: send a JSON object');
  // Checked before parsing: the prototype check below, and every later walk, recurse per level.
  if (nestsDeeperThan(text, API_BODY_MAX_DEPTH)) {
    throw new ApiError(400, 'invalid_request', `The body nests arrays and objects more than ${API_BODY_MAX_DEPTH} levels deep; values may nest at most ${JSON_MAX_DEPTH} levels`);
  }
  try {
    return JSON.parse(text, (key: string, value: unknown) => {
      const reachesPrototype = key === '__proto__'
        || (key === 'constructor' && typeof value === 'object' && value !== null && Object.hasOwn(value, 'prototype'));
      if (reachesPrototype) throw new ApiError(400, 'invalid_request', `The body has a '${key}' key that could reach an object prototype; it is refused`);
      return value;
    });
  } catch (error) {
    if (error instanceof ApiError) throw error;
    // V8 reports a nesting it cannot walk as a stack overflow, which would mean nothing to a caller.
    if (error instanceof RangeError) throw new ApiError(400, 'invalid_request', 'The body nests too deeply to parse: flatten its arrays and objects');
    throw new ApiError(400, 'invalid_request', `The body is not valid JSON: ${(error as Error).message}`);
  }
}

export async function buildApp(options: AppOptions): Promise<{ app: FastifyInstance; hub: SseHub }> {
  const app = Fastify({
    logger: options.logger
      ? {
          level: process.env.KVB_LOG_LEVEL ?? 'info',
          // Requests are logged by method, URL and status only; these never appear, belt and braces.
          redact: { paths: ['req.headers.authorization', 'req.headers.cookie', 'req.body', 'res.body'], censor: '[redacted]' },
        }
      : false,
    bodyLimit: API_BODY_LIMIT_BYTES,
    return503OnClosing: true,
  });
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

  const { storage, tokens } = options;
  const bus = new ServerEventBus();
  const context: ApiContext = {
    store: new AnnouncingStore(storage.store, bus),
    blueprints: new BlueprintRepository(storage.db, storage.cipher),
    runs: new RunRepository(storage.db, storage.cipher),
    bus,
    companyFor(request, requested) {
      const own = request.tokenCompanyId;
      if (own === null) return requested ?? DEFAULT_COMPANY_ID;
      if (requested !== undefined && requested !== own) {
        throw new ApiError(403, 'forbidden', `This token cannot act for companyId '${requested}': omit companyId, or use a token of that company`);
      }
      return own;
    },
    companyForEntryId(request, requested, id) {
      if (request.tokenCompanyId === null && requested === undefined) {
        return storage.companyOfEntryId(id) ?? DEFAULT_COMPANY_ID;
      }
      return context.companyFor(request, requested);
    },
  };

  app.addHook('onRequest', async (request, reply) => {
    const hostProblem = checkHost(request.headers.host, options.port(), options.hostPolicy);
    if (hostProblem) return sendError(reply, new ApiError(403, 'forbidden', hostProblem));
    const origin = request.headers.origin;
    const fetchSite = request.headers['sec-fetch-site'];
    const originProblem = checkOrigin(request.method, request.headers.host, typeof origin === 'string' ? origin : undefined, typeof fetchSite === 'string' ? fetchSite : undefined);
    if (originProblem) return sendError(reply, new ApiError(403, 'forbidden', originProblem));
    if (tokens.size > 0 && request.url.startsWith('/api/')) {
      const token = bearerToken(request);
      if (token === null) return sendError(reply, new ApiError(401, 'unauthorized', 'This server needs an API token: send Authorization: Bearer <token>'));
      const companyId = tokens.companyIdOf(token);
      if (companyId === null) return sendError(reply, new ApiError(401, 'unauthorized', 'The API token is not known to this server'));
      request.tokenCompanyId = companyId;
    }
    return undefined;
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const known = toApiError(error) ?? fromFastifyError(error);
    if (known) {
      if (known.status >= 500) request.log.warn({ code: known.code }, 'store unavailable');
      return sendError(reply, known);
    }
    // A genuine fault: log it (no values are in our error messages), answer without details.
    request.log.error({ err: error }, 'unexpected failure');
    return sendError(reply, new ApiError(500, 'internal', 'The server failed unexpectedly; the failure is logged. Try again, and report it if it persists'));
  });

  const hub = new SseHub(options.heartbeatMs);
  app.addHook('preClose', async () => hub.closeAll());

  await app.register(async (api) => {
    registerKvRoutes(api, context);
    registerBlueprintRoutes(api, context);
    registerEventRoutes(api, context, hub);
  });

  const hasApp = existsSync(join(options.staticDir, 'index.html'));
  if (hasApp) {
    await app.register(fastifyStatic, { root: options.staticDir, wildcard: true, index: 'index.html' });
  }

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    if (path === '/api' || path.startsWith('/api/')) {
      return sendError(reply, new ApiError(404, 'not_found', `No API route ${request.method} ${path}`));
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return sendError(reply, new ApiError(404, 'not_found', `Nothing at ${request.method} ${path}`));
    }
    // The web app routes in the browser: every other page is its index.html.
    if (hasApp) return reply.type('text/html; charset=utf-8').sendFile('index.html');
    return reply.type('text/html; charset=utf-8').send(MISSING_APP_PAGE);
  });

  app.addHook('onClose', async () => {
    await storage.close();
  });

  return { app, hub };
}
