/**
 * The request log of `kvb serve`: pino through Fastify, at `warn` by default so a busy server
 * spends nothing on a line per request (KVB_LOG_LEVEL=info logs every request). On a terminal the
 * lines are made readable with pino-pretty; otherwise (a pipe, a file, a log collector) they stay
 * JSON, one object a line.
 */
import type { Writable } from 'node:stream';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const DEFAULT_LOG_LEVEL: LogLevel = 'warn';

/** What the app's logger is given: its level, and a stream when lines are not written as JSON to stdout. */
export interface RequestLogSettings {
  level: LogLevel;
  stream?: Writable;
}

export class LogConfigError extends Error {
  override readonly name = 'LogConfigError';
}

/** The level KVB_LOG_LEVEL asks for (`warn` when unset); a clear error for any other word. */
export function logLevelFrom(env: NodeJS.ProcessEnv): LogLevel {
  const raw = env.KVB_LOG_LEVEL?.trim().toLowerCase();
  if (raw === undefined || raw === '') return DEFAULT_LOG_LEVEL;
  if ((LOG_LEVELS as readonly string[]).includes(raw)) return raw as LogLevel;
  throw new LogConfigError(`KVB_LOG_LEVEL is '${env.KVB_LOG_LEVEL}': use one of ${LOG_LEVELS.join(', ')}`);
}

/**
 * The request log for `env` and an output: pretty when `output` is a terminal, JSON otherwise.
 * pino-pretty is loaded only then, and writes in this thread (no transport worker), so it also
 * works from the bundled CLI.
 */
export async function requestLogSettings(
  env: NodeJS.ProcessEnv,
  output: { isTTY?: boolean } & Writable = process.stdout,
): Promise<RequestLogSettings> {
  const level = logLevelFrom(env);
  if (!output.isTTY) return { level };
  const { default: pretty } = await import('pino-pretty');
  return {
    level,
    stream: pretty({ destination: output, colorize: true, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname', sync: true }),
  };
}
