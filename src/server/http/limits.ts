/**
 * What one server lets clients spend: steps and concurrent runs of server-side runs, and the
 * time and connections a client may hold. Each has an environment variable (README,
 * Configuration); `serverLimitsFrom` reads them and refuses a value that is not a whole number.
 */

export interface ServerLimits {
  /** Most steps a server-side run may take; the document's `settings.maxSteps` is lowered to it. */
  maxSteps: number;
  /** Most runs of one companyId executing at once; the next is refused with 429. */
  maxRunsPerCompany: number;
  /** Steps a stored run record keeps from the start and from the end of a run; the rest are counted. */
  keepSteps: { first: number; last: number };
  /** Outputs a run record keeps; later ones are counted. */
  maxOutputs: number;
  /** Time a client has to send the request line and headers. */
  headersTimeoutMs: number;
  /** Time a client has to send the whole request, body included. */
  requestTimeoutMs: number;
  /** A connection with no traffic either way for this long is closed (event streams excepted). */
  idleTimeoutMs: number;
  /** An idle keep-alive connection is closed after this long. */
  keepAliveTimeoutMs: number;
  /** Most open connections; past it new ones are closed at once. */
  maxConnections: number;
}

export const DEFAULT_LIMITS: ServerLimits = {
  maxSteps: 100_000,
  maxRunsPerCompany: 8,
  keepSteps: { first: 100, last: 100 },
  maxOutputs: 1_000,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  idleTimeoutMs: 60_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 512,
};

/** The environment variable of each limit that has one. */
export const LIMIT_VARIABLES = {
  maxSteps: 'KVB_MAX_STEPS',
  maxRunsPerCompany: 'KVB_MAX_RUNS',
  headersTimeoutMs: 'KVB_HEADERS_TIMEOUT_MS',
  requestTimeoutMs: 'KVB_REQUEST_TIMEOUT_MS',
  idleTimeoutMs: 'KVB_IDLE_TIMEOUT_MS',
  keepAliveTimeoutMs: 'KVB_KEEP_ALIVE_TIMEOUT_MS',
  maxConnections: 'KVB_MAX_CONNECTIONS',
} as const satisfies Partial<Record<keyof ServerLimits, string>>;

export class LimitConfigError extends Error {
  override readonly name = 'LimitConfigError';
}

function wholeNumber(env: NodeJS.ProcessEnv, variable: string, fallback: number): number {
  const text = env[variable]?.trim();
  if (text === undefined || text === '') return fallback;
  if (!/^\d+$/.test(text) || Number(text) < 1 || !Number.isSafeInteger(Number(text))) {
    throw new LimitConfigError(`${variable} is '${env[variable]}': expected a whole number of at least 1`);
  }
  return Number(text);
}

/** The limits from `env`, defaults for the variables not set. Throws `LimitConfigError` naming a bad variable. */
export function serverLimitsFrom(env: NodeJS.ProcessEnv): ServerLimits {
  const limits: ServerLimits = { ...DEFAULT_LIMITS };
  for (const [name, variable] of Object.entries(LIMIT_VARIABLES) as Array<[keyof typeof LIMIT_VARIABLES, string]>) {
    limits[name] = wholeNumber(env, variable, DEFAULT_LIMITS[name]);
  }
  if (limits.headersTimeoutMs > limits.requestTimeoutMs) {
    throw new LimitConfigError(
      `KVB_HEADERS_TIMEOUT_MS (${limits.headersTimeoutMs}) is longer than KVB_REQUEST_TIMEOUT_MS (${limits.requestTimeoutMs}): the headers are part of the request, so make it shorter`,
    );
  }
  return limits;
}
