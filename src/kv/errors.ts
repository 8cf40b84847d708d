/**
 * Every error a store can report, with a stable code. The engine adds its own codes on top
 * (see `src/engine/errors.ts`); the HTTP API maps codes to statuses (see `httpStatusOf`).
 */
export const KV_ERROR_CODES = {
  invalid_key: 'The key is empty, too long, or has characters other than A–Z a–z 0–9 _ -.',
  invalid_value: 'The value is not valid (for JSON: it does not parse).',
  too_large: 'The value is larger than 1 MiB as JSON.',
  invalid_scope: 'The scope is unknown, or needs a scope key that is missing.',
  not_found: 'No entry under that key.',
  already_exists: 'An entry already exists under that key (save mode "create").',
  type_mismatch: 'The stored value has the wrong type for this action.',
  invalid_request: 'The request is malformed.',
  store: 'The storage backend failed or cannot be reached.',
  integrity: 'A stored value failed to decrypt or verify: it was tampered with or moved.',
  quota: 'The storage quota is full.',
} as const;

export type KvErrorCode = keyof typeof KV_ERROR_CODES;

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
  return error instanceof KvError || (typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'KvError' && typeof (error as { code?: unknown }).code === 'string');
}

/** HTTP status for a store error code, used by the server and understood by the HTTP store. */
export function httpStatusOf(code: KvErrorCode): number {
  switch (code) {
    case 'not_found': return 404;
    case 'already_exists': return 409;
    case 'too_large': return 413;
    case 'type_mismatch': return 422;
    case 'store': case 'integrity': case 'quota': return 503;
    default: return 400;
  }
}
