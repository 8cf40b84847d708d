/**
 * The HTTP layer's error value. Routes throw it by code (or throw a `KvError`); the status comes
 * from the one error table (`ERROR_CODES` in `src/kv/errors.ts`), never from the route. The
 * app's one error handler turns either into `{ error: { code, message } }`.
 */
import type { ZodError } from 'zod';
import { describeValidationFailure, type ApiErrorBody, type ApiErrorCode, type ApiProblem } from '../../kv/api-schema';
import { httpStatusOf, isKvError } from '../../kv/errors';

export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly status: number;
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly extra: { opIndex?: number; problems?: ApiProblem[] } = {},
  ) {
    super(message);
    this.status = httpStatusOf(code);
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

export function notFound(message: string): ApiError {
  return new ApiError('not_found', message);
}

/** The ApiError for anything a route threw that carries a known code; `null` for real faults. */
export function toApiError(error: unknown): ApiError | null {
  if (error instanceof ApiError) return error;
  if (isKvError(error)) {
    const extra = error.opIndex === undefined ? {} : { opIndex: error.opIndex };
    return new ApiError(error.code, error.message, extra);
  }
  return null;
}
