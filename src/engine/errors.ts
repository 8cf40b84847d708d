/**
 * How a run reports failure. Codes, statuses and help texts live in the one table of
 * `src/kv/errors.ts`; blocks and the runner throw `EngineError` with a code of that table, and
 * the runner turns whatever a block throws into a `RunError` value.
 */
import { isErrorCode, isKvError, type ErrorCode } from '../kv/errors';
import type { RunError } from './types';

export class EngineError extends Error {
  override readonly name = 'EngineError';
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

function hasStringCode(error: unknown): error is { code: string; message: string } {
  return (
    typeof error === 'object' &&
    error !== null &&
    typeof (error as { code?: unknown }).code === 'string' &&
    typeof (error as { message?: unknown }).message === 'string'
  );
}

/**
 * The `RunError` value for anything a block threw. Known codes (store, expression and engine
 * errors) keep their code and message; anything else is an engine bug and says so.
 */
export function toRunError(error: unknown, nodeId: string | null): RunError {
  if (error instanceof EngineError || isKvError(error)) return { code: error.code, message: error.message, nodeId };
  if (hasStringCode(error) && isErrorCode(error.code)) return { code: error.code, message: error.message, nodeId };
  const detail = error instanceof Error ? error.message : String(error);
  return { code: 'internal', message: `Unexpected engine failure: ${detail}`, nodeId };
}
