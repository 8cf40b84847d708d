/**
 * `startServer`: what `kvb serve` runs. Checks the security preconditions of docs/http-api.md before
 * opening anything, listens, and returns a `close()` that lets in-flight requests finish and
 * then closes the database.
 */
import { join } from 'node:path';
import { projectRoot } from '../repo-root';
import { buildApp, type RegisteredRoute } from './app';
import { LimitConfigError, serverLimitsFrom, type ServerLimits } from './limits';
import { hostPolicyFor, isLoopbackHost } from './security';
import { LogConfigError, requestLogSettings, type RequestLogSettings } from './serve-logging';
import { openServerStorage, storageLocationOf } from '../storage';
import { loadTokens, TOKENS_FILE } from './tokens';

export interface StartServerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  dataDir: string;
  /** A PostgreSQL URL: entries, blueprints and runs live there instead of SQLite in `dataDir`. */
  database?: string;
  /** The built web app; defaults to the repository's `dist/`. */
  staticDir?: string;
  /**
   * Request logs (pino) on stdout, at KVB_LOG_LEVEL (default `warn`), pretty on a terminal and
   * JSON otherwise (serve-logging.ts); default false.
   */
  logger?: boolean;
  /** Environment to read KVB_TOKENS, KVB_MASTER_KEY, KVB_ALLOWED_HOSTS and the limits (`limits.ts`) from; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** SSE heartbeat period, for tests. */
  heartbeatMs?: number;
}

export interface RunningServer {
  url: string;
  port: number;
  /** Every route the app registered (the auth tests walk them all). */
  routes: readonly RegisteredRoute[];
  close(): Promise<void>;
}

/** Why the server refused to start; `kvb serve` prints the message and exits. */
export class ServerStartError extends Error {
  override readonly name = 'ServerStartError';
  constructor(
    readonly code: 'tokens_required' | 'invalid_tokens' | 'invalid_limits' | 'invalid_log_level' | 'listen_failed',
    message: string,
  ) {
    super(message);
  }
}

export const DEFAULT_STATIC_DIR = join(projectRoot(), 'dist');

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  const env = options.env ?? process.env;
  let tokens;
  try {
    tokens = loadTokens(options.dataDir, env);
  } catch (error) {
    throw new ServerStartError('invalid_tokens', `Cannot read the API tokens: ${(error as Error).message}`);
  }
  let limits: ServerLimits;
  try {
    limits = serverLimitsFrom(env);
  } catch (error) {
    if (error instanceof LimitConfigError) throw new ServerStartError('invalid_limits', error.message);
    throw error;
  }
  let logger: RequestLogSettings | false = false;
  try {
    if (options.logger) logger = await requestLogSettings(env);
  } catch (error) {
    if (error instanceof LogConfigError) throw new ServerStartError('invalid_log_level', error.message);
    throw error;
  }
  if (!isLoopbackHost(options.host) && tokens.size === 0) {
    throw new ServerStartError(
      'tokens_required',
      `Refusing to listen on ${options.host}: it is reachable from other machines and no API tokens are configured. ` +
        `Set KVB_TOKENS=token:companyId (tokens of 16+ random characters) or write ${TOKENS_FILE} in the data directory, ` +
        'or listen on 127.0.0.1.',
    );
  }

  const storage = openServerStorage(storageLocationOf({ dataDir: options.dataDir, database: options.database }, env), env);
  // A database server is reached in the background: wait for it (or its refusal) before listening.
  await storage.ready?.catch(async (error: unknown) => {
    await storage.close().catch(() => undefined);
    throw error;
  });
  let port = options.port;
  const { app, routes } = await buildApp({
    storage,
    tokens,
    hostPolicy: hostPolicyFor(options.host, env.KVB_ALLOWED_HOSTS),
    port: () => port,
    staticDir: options.staticDir ?? DEFAULT_STATIC_DIR,
    logger,
    limits,
    ...(options.heartbeatMs === undefined ? {} : { heartbeatMs: options.heartbeatMs }),
  });

  try {
    await app.listen({ host: options.host, port: options.port });
  } catch (error) {
    await app.close();
    const reason =
      (error as NodeJS.ErrnoException).code === 'EADDRINUSE'
        ? `port ${options.port} is already in use; pick another with --port`
        : (error as Error).message;
    throw new ServerStartError('listen_failed', `Cannot listen on ${options.host}:${options.port}: ${reason}`);
  }
  const address = app.server.address();
  port = typeof address === 'object' && address !== null ? address.port : options.port;
  app.log.info({ tokens: tokens.source, tokenCount: tokens.size }, 'kvb server ready');

  let closing: Promise<void> | null = null;
  return {
    url: `http://${urlHost(options.host)}:${port}`,
    port,
    routes,
    close() {
      // Fastify stops accepting, waits for in-flight requests, then runs onClose (the database).
      closing ??= app.close();
      return closing;
    },
  };
}
