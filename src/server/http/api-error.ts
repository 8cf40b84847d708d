/**
 * The HTTP layer's error value. Routes throw it (or a `KvError`, which maps through
 * `httpStatusOf`); the app's one error handler turns either into `{ error: { code, message } }`.
 */
import type { ZodError } from 'zod';
import { describeValidationFailure, type ApiErrorBody, type ApiErrorCode, type ApiProblem } from '../../kv/api-schema';
import { httpStatusOf, isKvError } from '../../kv/errors';
import { describeSqliteError, isBusyError, isFullError } from '../database';

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: ApiErrorCode,
    message: string,
    readonly extra: { opIndex?: number; problems?: ApiProblem[] } = {},
  ) {
    super(message);
  }

  toBody(): ApiErrorBody {
    return { error: { code: this.code, message: this.message, ...this.extra } };
  }
}

/** A 400 (or `invalid_scope`) naming the first bad field of a body or query string. */
export function validationError(error: ZodError, where: 'body' | 'query string'): ApiError {
  const { code, message } = describeValidationFailure(error.issues, where);
  const [head, index] = error.issues[0]?.path ?? [];
  const opIndex = head === 'ops' && typeof index === 'number' ? index : undefined;
  return new ApiError(400, code, message, opIndex === undefined ? {} : { opIndex });
}

export function notFound(message: string): ApiError {
  return new ApiError(404, 'not_found', message);
}

/** The ApiError for anything a route threw that carries a known code; `null` for real faults. */
export function toApiError(error: unknown): ApiError | null {
  if (error instanceof ApiError) return error;
  // The server's own tables (blueprints, runs) use the database directly: its two expected
  // failures are the store's, not faults.
  if (isBusyError(error)) return new ApiError(503, 'store', 'The database is busy: another process holds its lock; try again');
  if (isFullError(error)) return new ApiError(503, 'store', `SQLite store failed: ${describeSqliteError(error)}`);
  if (isKvError(error)) {
    const extra = error.opIndex === undefined ? {} : { opIndex: error.opIndex };
    return new ApiError(httpStatusOf(error.code), error.code, error.message, extra);
  }
  return null;
}
