/**
 * Every error code of the app, in one table: what the HTTP API answers with it, what `kvb`
 * exits with, and a help text a person can act on. Stores raise the store codes (`KvError`),
 * the engine adds its run codes (`EngineError`, `RunError`), the server its request codes
 * (`ApiError`); all of them are keys of this table, so a misspelt code fails the typecheck.
 */

/**
 * `exitCode`: 2 when what the user gave is wrong (a key, a value, a document: fix the input),
 * 1 when the work itself failed (missing key, refused write, store down, failed run).
 */
export interface ErrorCodeInfo {
  status: number;
  exitCode: 1 | 2;
  help: string;
}

export const ERROR_CODES = {
  // Store codes: every backend raises these, with the same meaning (`operations.ts`).
  invalid_key: {
    status: 400,
    exitCode: 2,
    help: 'The key is empty, longer than 256 characters, or has characters other than A–Z a–z 0–9 _ - (in a block, after expressions are filled in).',
  },
  invalid_value: {
    status: 400,
    exitCode: 2,
    help: 'The value is not valid: JSON that does not parse (the message says where), or a number field (TTL, limit, by) that is not a number.',
  },
  too_large: {
    status: 413,
    exitCode: 2,
    help: 'The value is larger than 1 MiB as JSON, or the request body is larger than the server accepts.',
  },
  invalid_scope: {
    status: 400,
    exitCode: 2,
    help: 'The scope is unknown, or needs a scope key that is missing. A block with scope flow_group needs a groupId in the blueprint: set one, or pick flow or global.',
  },
  not_found: {
    status: 404,
    exitCode: 1,
    help: 'Nothing is stored under that key in that scope (a Get block can give a default instead), or no blueprint, run or route has that id.',
  },
  already_exists: {
    status: 409,
    exitCode: 1,
    help: 'An entry already exists under that key (save mode "create"), or the list already holds the item (listAdd).',
  },
  version_conflict: {
    status: 409,
    exitCode: 1,
    help: 'The key changed since it was read: its stored version is not the expectedVersion given (0 means the key must be absent). Read it again and retry.',
  },
  type_mismatch: {
    status: 422,
    exitCode: 1,
    help: 'The stored value has the wrong type for this action: append needs a string or an array, increment a number or a numeric string, listAdd and listRemove an array.',
  },
  invalid_request: {
    status: 400,
    exitCode: 2,
    help: 'The request is malformed: the message names the field or the part that is wrong.',
  },
  store: {
    status: 503,
    exitCode: 1,
    help: 'The storage backend failed or cannot be reached: check the Storage setting and the server.',
  },
  integrity: {
    status: 503,
    exitCode: 1,
    help: 'A stored value failed to decrypt or verify: it was tampered with or moved.',
  },
  quota: {
    status: 503,
    exitCode: 1,
    help: 'The storage quota is full: delete keys you no longer need, or free space.',
  },

  // Run codes: the engine raises these while running a blueprint.
  invalid_blueprint: {
    status: 422,
    exitCode: 2,
    help: 'The blueprint is not a valid kv-blueprint/1 document: the message (and the problems list of an API answer) says what to fix.',
  },
  expression: {
    status: 422,
    exitCode: 1,
    help: 'An @{…} placeholder did not resolve: the message names the missing segment and what was there.',
  },
  invalid_path: {
    status: 422,
    exitCode: 1,
    help: 'The setState path is empty, has an empty or forbidden segment, or runs through a value that is not an object.',
  },
  code_error: {
    status: 422,
    exitCode: 1,
    help: 'The Code block failed: its code threw or did not parse (the message gives the line), returned a value JSON cannot carry (a function, undefined, NaN, a Date…), ran past timeoutMs or used more than 32 MiB of memory.',
  },
  limit: {
    status: 422,
    exitCode: 1,
    help: 'The run executed settings.maxSteps blocks and stopped: check for an endless loop, or raise maxSteps.',
  },
  cancelled: {
    status: 409,
    exitCode: 1,
    help: 'The run was stopped before it finished.',
  },

  // Request codes: the HTTP server raises these.
  unauthorized: {
    status: 401,
    exitCode: 1,
    help: 'The request has no API token, or an unknown one: send Authorization: Bearer <token>.',
  },
  forbidden: {
    status: 403,
    exitCode: 1,
    help: 'The request is refused: wrong Host, a cross-origin write, or a companyId the token does not belong to.',
  },
  too_many_runs: {
    status: 429,
    exitCode: 1,
    help: 'The server is already running as many blueprints as it allows at once: wait for one to finish, then try again.',
  },
  request_timeout: {
    status: 408,
    exitCode: 1,
    help: "The request was not sent in full within the server's time limit (KVB_HEADERS_TIMEOUT_MS, KVB_REQUEST_TIMEOUT_MS): send it again.",
  },
  headers_too_large: {
    status: 431,
    exitCode: 2,
    help: "The request's headers are larger than the server accepts: send fewer or shorter headers.",
  },
  internal: {
    status: 500,
    exitCode: 1,
    help: 'An unexpected failure, which is a bug: the server logs it. Try again, and report it with the blueprint if it persists.',
  },
} as const satisfies Record<string, ErrorCodeInfo>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** The codes a `KeyValueStore` may raise; the rest belong to the engine and the server. */
export const STORE_ERROR_CODES = [
  'invalid_key',
  'invalid_value',
  'too_large',
  'invalid_scope',
  'not_found',
  'already_exists',
  'version_conflict',
  'type_mismatch',
  'invalid_request',
  'store',
  'integrity',
  'quota',
] as const satisfies readonly ErrorCode[];

export type KvErrorCode = (typeof STORE_ERROR_CODES)[number];

export function isErrorCode(code: string): code is ErrorCode {
  return Object.prototype.hasOwnProperty.call(ERROR_CODES, code);
}

export function isKvErrorCode(code: string): code is KvErrorCode {
  return (STORE_ERROR_CODES as readonly string[]).includes(code);
}

/** The help text of a code; `undefined` for a code this version does not know (an old run record). */
export function helpOf(code: string): string | undefined {
  return isErrorCode(code) ? ERROR_CODES[code].help : undefined;
}

/** HTTP status of an error code, used by the server and understood by the HTTP store. */
export function httpStatusOf(code: ErrorCode): number {
  return ERROR_CODES[code].status;
}

/** `kvb`'s exit code for a failure with this code. */
export function exitCodeOf(code: ErrorCode): 1 | 2 {
  return ERROR_CODES[code].exitCode;
}

export class KvError extends Error {
  override readonly name = 'KvError';
  constructor(
    readonly code: KvErrorCode,
    message: string,
    /** Index of the failing op inside a batch, when there is one. */
    readonly opIndex?: number,
  ) {
    super(message);
  }
}

export function isKvError(error: unknown): error is KvError {
  return (
    error instanceof KvError ||
    (typeof error === 'object' &&
      error !== null &&
      (error as { name?: unknown }).name === 'KvError' &&
      typeof (error as { code?: unknown }).code === 'string')
  );
}
