/** Checks a key, value and time to live typed in the keys panel before they are written. */
import { isKvError } from '../../kv/errors';
import { assertValidKey } from '../../kv/operations';
import { TTL_MAX_SECONDS, type JsonValue, type ValueType } from '../../kv/types';
import { jsonProblem } from '../atoms/JsonField';

/** How the typed text is stored: as JSON, as text, or `detect` (JSON when it parses, else text). */
export type StoreAs = ValueType | 'detect';

export type DraftCheck =
  | { ok: true; value: JsonValue; valueType: ValueType; ttlSeconds: number | null }
  | { ok: false; field: 'key' | 'value' | 'ttl'; message: string };

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

/** The value problem shown under the field: a JSON error says how to store the text as it is. */
export function valueProblem(storeAs: StoreAs, text: string): string | null {
  if (storeAs !== 'json' || text === '') return null;
  const problem = jsonProblem(text);
  return problem ? `${problem}. To store it as plain text, choose “text” under Stored as.` : null;
}

/** The type `detect` settles on: JSON when the text is a JSON value, otherwise text. */
export function detectedType(text: string): ValueType {
  return text.trim() !== '' && jsonProblem(text) === null ? 'json' : 'text';
}

/** "" is no expiry; otherwise a positive number of seconds up to the store's limit. */
export function ttlProblem(ttl: string): string | null {
  if (ttl.trim() === '') return null;
  const seconds = Number(ttl);
  if (!Number.isFinite(seconds) || seconds <= 0)
    return `Expires after must be a positive number of seconds, or empty for never (got “${ttl}”)`;
  if (seconds > TTL_MAX_SECONDS) return `Expires after is at most ${TTL_MAX_SECONDS} seconds (100 years)`;
  return null;
}

export function checkDraft(key: string, storeAs: StoreAs, text: string, ttl = ''): DraftCheck {
  const badKey = keyProblem(key);
  if (badKey) return { ok: false, field: 'key', message: badKey };
  const badTtl = ttlProblem(ttl);
  if (badTtl) return { ok: false, field: 'ttl', message: badTtl };
  const ttlSeconds = ttl.trim() === '' ? null : Number(ttl);
  const valueType = storeAs === 'detect' ? detectedType(text) : storeAs;
  if (valueType === 'text') return { ok: true, value: text, valueType, ttlSeconds };
  const problem = valueProblem('json', text) ?? (text === '' ? jsonProblem(text) : null);
  if (problem) return { ok: false, field: 'value', message: problem };
  return { ok: true, value: JSON.parse(text) as JsonValue, valueType, ttlSeconds };
}

/** The text a stored value is edited as. */
export function draftTextOf(value: JsonValue, valueType: ValueType): string {
  return valueType === 'text' && typeof value === 'string' ? value : JSON.stringify(value, null, 2);
}
