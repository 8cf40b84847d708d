/**
 * Pieces of the block data schemas shared by several blocks. Their messages are part of the
 * document format (document tests pin them), so change them as you would the format.
 */
import { z } from 'zod';
import type { JsonValue } from '../../kv/types';

/** Why a value is not JSON, or null when it is. */
function nonJsonReason(value: unknown, depth = 0): string | null {
  if (depth > 200) return 'nests too deeply';
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return null;
  if (typeof value === 'number') return Number.isFinite(value) ? null : `holds ${value}, which JSON cannot`;
  if (Array.isArray(value)) {
    for (const item of value) {
      const reason = nonJsonReason(item, depth + 1);
      if (reason) return reason;
    }
    return null;
  }
  if (typeof value === 'object') {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) return 'holds an object that is not plain JSON';
    for (const item of Object.values(value)) {
      const reason = nonJsonReason(item, depth + 1);
      if (reason) return reason;
    }
    return null;
  }
  return `holds a ${typeof value}, which JSON cannot`;
}

/** Any JSON value; `undefined`, `NaN`, class instances and the like are refused. */
export const jsonValue = z.unknown().superRefine((value, ctx) => {
  const reason = value === undefined ? 'is missing' : nonJsonReason(value);
  if (reason) ctx.addIssue({ code: 'custom', message: `expected a JSON value, but it ${reason}` });
}) as unknown as z.ZodType<JsonValue>;

/** A numeric field that may instead hold text with placeholders (`@{input.ttl}`). */
export const numberOrText = z.union([z.number(), z.string()], { error: 'expected a number or text' });

/**
 * The data of one block type: the fields every block may carry (`label`, `ref`: an alias,
 * unique in the blueprint, usable as `@{results.<ref>}`) plus its own. Unknown fields are
 * kept, so a document written by a newer editor loads without losing them.
 */
export function blockDataSchema<Shape extends z.core.$ZodLooseShape>(shape: Shape) {
  return z.looseObject({ label: z.string().optional(), ref: z.string().optional(), ...shape });
}
