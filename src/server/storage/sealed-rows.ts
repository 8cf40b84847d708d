/**
 * The KV rows as both backends store them: the value sealed with `ValueCipher`, bound to the
 * row's identity and to its version, type and expiry (a kept version to its history binding),
 * everything else plain columns. One place for how a value is sealed and opened, so a row or a
 * history blob written by one backend opens in the other (`kvb migrate` copies them as they are).
 */
import { KvError, isKvError } from '../../kv/errors';
import { nestsDeeperThan } from '../../kv/json';
import { JSON_MAX_DEPTH, type Entry, type HistoryVersion, type JsonValue, type Scope, type ValueType } from '../../kv/types';
import type { RowBinding, RowIdentity, ValueCipher } from '../encryption';

/** The columns of `kv_entries`, in the order `ENTRY_COLUMNS` reads them. */
export interface EntryRow {
  id: string;
  company_id: string;
  scope: Scope;
  scope_key: string;
  key: string;
  value_ciphertext: Buffer;
  value_type: ValueType;
  version: number;
  created_at: string;
  updated_at: string;
  expires_at: string | null;
}

export const ENTRY_COLUMNS =
  'id, company_id, scope, scope_key, key, value_ciphertext, value_type, version, created_at, updated_at, expires_at';

/** A kept version as `kv_history` holds it (`deleted`: 1 when a delete ended it). */
export interface HistoryRow {
  version: number;
  value_ciphertext: Buffer;
  value_type: ValueType;
  updated_at: string;
  replaced_at: string;
  deleted: number;
}

export function identityOf(entry: Entry): RowIdentity {
  return { companyId: entry.companyId, scope: entry.scope, scopeKey: entry.scopeKey, key: entry.key };
}

export function rowIdentityOf(row: EntryRow): RowIdentity {
  return { companyId: row.company_id, scope: row.scope, scopeKey: row.scope_key, key: row.key };
}

/** What a live value is bound to besides its identity: a rewrite, retype or new expiry makes an old blob fail. */
export function rowBindingOf(row: Pick<EntryRow, 'version' | 'value_type' | 'expires_at'>): RowBinding {
  return { version: row.version, valueType: row.value_type, expiresAt: row.expires_at };
}

/**
 * The binding of a kept version: its version and type, and in the expiry slot a text no live
 * row's expiry can be (`history <updatedAt> <replacedAt> <deleted>`), so a history blob opens
 * neither as a live value nor as another kept version of the key.
 */
function historyBindingOf(version: Omit<HistoryVersion, 'value'>): RowBinding {
  return {
    version: version.version,
    valueType: version.valueType,
    expiresAt: `history ${version.updatedAt} ${version.replacedAt} ${version.deleted ? 'deleted' : 'replaced'}`,
  };
}

/** The sealed value of `entry`, for its `value_ciphertext`. */
export function sealEntry(cipher: ValueCipher, entry: Entry): Buffer {
  return cipher.encrypt(JSON.stringify(entry.value), identityOf(entry), {
    version: entry.version,
    valueType: entry.valueType,
    expiresAt: entry.expiresAt,
  });
}

/** The sealed value of a kept version of the key at `identity`. */
export function sealHistory(cipher: ValueCipher, identity: RowIdentity, version: HistoryVersion): Buffer {
  return cipher.encrypt(JSON.stringify(version.value), identity, historyBindingOf(version));
}

/** The entry of a row; an `integrity` error when its value does not open, nests too deep or is not JSON. */
export function openEntry(cipher: ValueCipher, row: EntryRow): Entry {
  const plaintext = cipher.decrypt(row.value_ciphertext, rowIdentityOf(row), rowBindingOf(row));
  // Stored by a version without the nesting limit: every later walk of it could overflow.
  if (nestsDeeperThan(plaintext, JSON_MAX_DEPTH)) {
    throw new KvError(
      'integrity',
      `The stored value of key '${row.key}' nests arrays and objects more than ${JSON_MAX_DEPTH} levels deep (written before that limit); delete it and store it flatter`,
    );
  }
  let value: JsonValue;
  try {
    value = JSON.parse(plaintext) as JsonValue;
  } catch {
    throw new KvError('integrity', `The stored value of key '${row.key}' decrypted to something that is not JSON`);
  }
  return {
    id: row.id,
    companyId: row.company_id,
    scope: row.scope,
    scopeKey: row.scope_key,
    key: row.key,
    value,
    valueType: row.value_type,
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    expiresAt: row.expires_at,
  };
}

/** The entry of a row, or null (the caller reports the key as damaged) when its value does not open. */
export function openEntryOrNull(cipher: ValueCipher, row: EntryRow): Entry | null {
  try {
    return openEntry(cipher, row);
  } catch (error) {
    if (isKvError(error) && error.code === 'integrity') return null;
    throw error;
  }
}

/** A kept version of the key at `identity`, or null when its value does not open (left out, like a damaged row of a list). */
export function openHistory(cipher: ValueCipher, identity: RowIdentity, row: HistoryRow): HistoryVersion | null {
  const version: Omit<HistoryVersion, 'value'> = {
    version: row.version,
    valueType: row.value_type,
    updatedAt: row.updated_at,
    replacedAt: row.replaced_at,
    deleted: row.deleted === 1,
  };
  try {
    const plaintext = cipher.decrypt(row.value_ciphertext, identity, historyBindingOf(version));
    if (nestsDeeperThan(plaintext, JSON_MAX_DEPTH)) return null;
    return { ...version, value: JSON.parse(plaintext) as JsonValue };
  } catch (error) {
    if ((isKvError(error) && error.code === 'integrity') || error instanceof SyntaxError) return null;
    throw error;
  }
}
