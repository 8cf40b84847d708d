/**
 * Every error code a run can report, in one table with a help text a person can act on. Store
 * codes come from `src/kv/errors.ts`; the engine adds its own on top. Blocks and the runner
 * throw `EngineError`; the runner turns whatever a block throws into a `RunError` value.
 */
import { KV_ERROR_CODES, isKvError } from '../kv/errors';
import type { RunError } from './types';

export const ENGINE_ERROR_CODES = {
  ...KV_ERROR_CODES,
  invalid_key: 'The key, after expressions are filled in, is empty, longer than 256 characters, or has characters other than A–Z a–z 0–9 _ -.',
  invalid_value: 'A JSON value does not parse (the message says where), or a number field (TTL, limit, by) is not a number.',
  invalid_scope: 'The block uses scope flow_group, but the blueprint has no groupId: set one in the blueprint, or pick flow or global.',
  expression: 'An @{…} placeholder did not resolve: the message names the missing segment and what was there.',
  invalid_path: 'The setState path is empty, has an empty or forbidden segment, or runs through a value that is not an object.',
  limit: 'The run executed settings.maxSteps blocks and stopped: check for an endless loop, or raise maxSteps.',
  cancelled: 'The run was stopped before it finished.',
  store: 'The storage backend failed or cannot be reached: check the Storage setting and the server.',
  invalid_document: 'The blueprint is not a valid kv-blueprint/1 document: the message lists the problems.',
  internal: 'An unexpected failure inside the engine: this is a bug, please report it with the blueprint.',
} as const;

export type EngineErrorCode = keyof typeof ENGINE_ERROR_CODES;

export class EngineError extends Error {
  override readonly name = 'EngineError';
  constructor(
    readonly code: EngineErrorCode,
    message: string,
  ) {
    super(message);
  }
}

function hasStringCode(error: unknown): error is { code: string; message: string } {
  return typeof error === 'object' && error !== null
    && typeof (error as { code?: unknown }).code === 'string'
    && typeof (error as { message?: unknown }).message === 'string';
}

function isKnownCode(code: string): code is EngineErrorCode {
  return Object.prototype.hasOwnProperty.call(ENGINE_ERROR_CODES, code);
}

/**
 * The `RunError` value for anything a block threw. Known codes (store, expression and engine
 * errors) keep their code and message; anything else is an engine bug and says so.
 */
export function toRunError(error: unknown, nodeId: string | null): RunError {
  if (error instanceof EngineError || isKvError(error)) return { code: error.code, message: error.message, nodeId };
  if (hasStringCode(error) && isKnownCode(error.code)) return { code: error.code, message: error.message, nodeId };
  const detail = error instanceof Error ? error.message : String(error);
  return { code: 'internal', message: `Unexpected engine failure: ${detail}`, nodeId };
}
