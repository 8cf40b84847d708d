/** Checks a key and value typed in the keys panel before they are written. */
import { isKvError } from '../../kv/errors';
import { assertValidKey } from '../../kv/operations';
import type { JsonValue, ValueType } from '../../kv/types';
import { jsonProblem } from '../atoms/JsonField';

export type DraftCheck = { ok: true; value: JsonValue } | { ok: false; field: 'key' | 'value'; message: string };

/** What is wrong with a key, in the store's own words (the rule lives in kv/operations); null when it is fine. */
export function keyProblem(key: string): string | null {
  try {
    assertValidKey(key);
    return null;
  } catch (error) {
    if (isKvError(error)) return error.message;
    throw error;
  }
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
