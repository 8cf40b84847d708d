/**
 * Field specs and field readers shared by several blocks, so "Value type" or a numeric field
 * behaves the same in every block.
 */
import { VALUE_TYPES, type JsonValue, type ValueType } from '../../kv/types';
import { EngineError } from '../errors';
import type { FieldSpec } from '../types';
import type { BlockRunContext } from './types';

export function valueTypeField(visible?: FieldSpec['visible']): FieldSpec<'valueType'> {
  return {
    name: 'valueType',
    label: 'Value type',
    kind: 'select',
    options: VALUE_TYPES,
    default: 'text',
    help: 'text: the value as written; json: parsed as JSON, with placeholders filled in JSON-aware.',
    ...(visible ? { visible } : {}),
  };
}

export function valueField(help: string, visible?: FieldSpec['visible']): FieldSpec<'value'> {
  return {
    name: 'value',
    label: 'Value',
    kind: 'json-or-text',
    default: '',
    help,
    placeholder: 'text, JSON or @{result}',
    ...(visible ? { visible } : {}),
  };
}

export function valueTypeOf(data: { valueType?: ValueType | undefined }): ValueType {
  return data.valueType ?? 'text';
}

/** A value as it reads in a one-line summary, cut to `max` characters. */
export function shorten(text: string, max = 40): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > max ? `${oneLine.slice(0, max - 1)}…` : oneLine;
}

function describe(value: JsonValue): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${JSON.stringify(value)}`;
}

/** Evaluates a text field that must give text (a key, a prefix); numbers are written out. */
export async function evaluateText(
  context: BlockRunContext,
  text: string | undefined,
  label: string,
  errorCode: 'invalid_key' | 'invalid_value',
): Promise<string> {
  const value = await context.evaluate(text ?? '', 'text');
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new EngineError(errorCode, `${label} must be text, but ${JSON.stringify(text ?? '')} gave ${describe(value)}`);
}

export interface NumberRule {
  label: string;
  fallback: number | null;
  integer?: boolean;
  min?: number;
  max?: number;
  /** Whether the minimum itself is allowed (a TTL must be above 0, not 0). */
  minExclusive?: boolean;
}

/**
 * Reads a numeric field that holds a number or text with placeholders (`@{input.ttl}`).
 * Empty gives the fallback; anything that is not a number in range fails with `invalid_value`.
 */
export async function evaluateNumber(
  context: BlockRunContext,
  raw: number | string | null | undefined,
  rule: NumberRule,
): Promise<number | null> {
  if (raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '')) return rule.fallback;
  const value = typeof raw === 'number' ? raw : await context.evaluate(raw, 'text');
  const number = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
  if (!Number.isFinite(number)) {
    throw new EngineError('invalid_value', `${rule.label} must be a number, got ${describe(value)}`);
  }
  if (rule.integer && !Number.isInteger(number)) {
    throw new EngineError('invalid_value', `${rule.label} must be a whole number, got ${number}`);
  }
  if (rule.min !== undefined && (rule.minExclusive ? number <= rule.min : number < rule.min)) {
    throw new EngineError('invalid_value', `${rule.label} must be ${rule.minExclusive ? 'above' : 'at least'} ${rule.min}, got ${number}`);
  }
  if (rule.max !== undefined && number > rule.max) {
    throw new EngineError('invalid_value', `${rule.label} must be at most ${rule.max}, got ${number}`);
  }
  return number;
}
