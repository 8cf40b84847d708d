/**
 * The HTTP layer's error value. Routes throw it by code (or throw a `KvError`); the status comes
 * from the one error table (`ERROR_CODES` in `src/kv/errors.ts`), never from the route. The
 * app's one error handler turns either into `{ error: { code, message } }`.
 */
import type { ZodError } from 'zod';
import { describeValidationFailure, type ApiErrorBody, type ApiErrorCode, type ApiProblem } from '../../kv/api-schema';
import { httpStatusOf, isKvError } from '../../kv/errors';
import { DatabaseBusyError, isBusyError, isFullError } from '../storage/sqlite/database';
import { RevisionConflictError, TooManyRunsError } from '../storage/types';

export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly status: number;
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly extra: { opIndex?: number; problems?: ApiProblem[]; currentRevision?: number; keys?: string[] } = {},
    /**
     * The table's status, unless the request was well-formed but its content cannot be taken:
     * 422, as for a value nesting past the limit (still `invalid_value`, as the API promises).
     */
    unprocessable = false,
  ) {
    super(message);
    this.status = unprocessable ? 422 : httpStatusOf(code);
  }

  toBody(): ApiErrorBody {
    return { error: { code: this.code, message: this.message, ...this.extra } };
  }
}

/** An `invalid_request` (or `invalid_scope`) naming the first bad field of a body or query string. */
export function validationError(error: ZodError, where: 'body' | 'query string'): ApiError {
  const { code, message } = describeValidationFailure(error.issues, where);
  const [head, index] = error.issues[0]?.path ?? [];
  const opIndex = head === 'ops' && typeof index === 'number' ? index : undefined;
  return new ApiError(code, message, opIndex === undefined ? {} : { opIndex });
}

/**
 * 412: a save based on a revision that is no longer the stored one (`If-Match`). Its code is
 * `conflict`, like the 409s, and it says which revision is stored now.
 */
export class PreconditionFailed extends ApiError {
  override readonly status: number = 412;
  constructor(message: string, currentRevision: number) {
    super('conflict', message, { currentRevision });
  }
}

export function notFound(message: string): ApiError {
  return new ApiError('not_found', message);
}

/**
 * What a client is told of a `store` failure: the store's own messages quote SQLite or the file
 * system (paths, engine texts), so only the two a person can act on are named; the rest is logged.
 */
export function publicStoreMessage(error: unknown): string {
  if (error instanceof DatabaseBusyError || isBusyError(error)) return 'The database is busy: another process holds its lock; try again';
  const full = isFullError(error) || (isKvError(error) && /the disk is full/.test(error.message));
  if (full) return "The server's disk is full: free some space and try again (deleting keys still works)";
  return "The server's store failed; the failure is logged on the server. Try again later";
}

/** The ApiError for anything a route threw that carries a known code; `null` for real faults. */
export function toApiError(error: unknown): ApiError | null {
  if (error instanceof ApiError) return error;
  if (error instanceof RevisionConflictError) return new PreconditionFailed(error.message, error.currentRevision);
  if (error instanceof TooManyRunsError) return new ApiError('too_many_runs', error.message);
  // The server's own tables (blueprints, runs) use the database directly: its two expected
  // failures are the store's, not faults.
  if (isBusyError(error) || isFullError(error)) return new ApiError('store', publicStoreMessage(error));
  if (isKvError(error)) {
    const extra = error.opIndex === undefined ? {} : { opIndex: error.opIndex };
    return new ApiError(error.code, error.message, extra);
  }
  return null;
}
