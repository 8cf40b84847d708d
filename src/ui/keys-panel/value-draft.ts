/** Checks a key and value typed in the keys panel before they are written. */
import { KEY_PATTERN, type JsonValue, type ValueType } from '../../kv/types';
import { jsonProblem } from '../inspector/JsonField';

export type DraftCheck = { ok: true; value: JsonValue } | { ok: false; field: 'key' | 'value'; message: string };

export function keyProblem(key: string): string | null {
  if (key === '') return 'Enter a key.';
  if (key.length > 256) return `Keys are at most 256 characters (this one has ${key.length}).`;
  if (!KEY_PATTERN.test(key)) {
    const bad = [...new Set(key.replace(/[A-Za-z0-9_-]/g, ''))].map((c) => (c === ' ' ? 'space' : `'${c}'`)).join(', ');
    return `Keys use only A–Z a–z 0–9 _ - (found ${bad}).`;
  }
  return null;
}

export function checkDraft(key: string, valueType: ValueType, text: string): DraftCheck {
  const badKey = keyProblem(key);
  if (badKey) return { ok: false, field: 'key', message: badKey };
  if (valueType === 'text') return { ok: true, value: text };
  const problem = jsonProblem(text);
  if (problem) return { ok: false, field: 'value', message: problem };
  return { ok: true, value: JSON.parse(text) as JsonValue };
}

/** The text a stored value is edited as. */
export function draftTextOf(value: JsonValue, valueType: ValueType): string {
  return valueType === 'text' && typeof value === 'string' ? value : JSON.stringify(value, null, 2);
}
