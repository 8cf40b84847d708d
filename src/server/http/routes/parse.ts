/** Request validation with the shared schemas: a 400 naming the field, never a 500. */
import type { z } from 'zod';
import { validationError } from '../api-error';

export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  const parsed = schema.safeParse(body ?? {}, { reportInput: true });
  if (!parsed.success) throw validationError(parsed.error, 'body');
  return parsed.data;
}

export function parseQuery<S extends z.ZodType>(schema: S, query: unknown): z.infer<S> {
  const parsed = schema.safeParse(query ?? {}, { reportInput: true });
  if (!parsed.success) throw validationError(parsed.error, 'query string');
  return parsed.data;
}

/** Route params: Fastify gives strings; this keeps the handlers free of casts. */
export function paramOf(params: unknown, name: string): string {
  const value = (params as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : '';
}
