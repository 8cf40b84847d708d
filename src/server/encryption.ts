/**
 * Encryption at rest for stored values: AES-256-GCM, one random IV per value, the row's
 * identity `(companyId, scope, scopeKey, key)` bound as associated data so that a ciphertext
 * copied onto another row fails to decrypt.
 *
 * Blob layout: `[format 1][key id 1][iv 12][ciphertext …][tag 16]`. The key id names the master
 * key that sealed the value, so a later key rotation can keep old keys for reading.
 *
 * Formats: 1 binds the identity only (the server's blueprints and run records); 2 also binds the
 * row's version, value type and expiry (KV values), so an older ciphertext of the same row, or
 * an edited `value_type` / `expires_at` column, fails to open. KV rows written in format 1 by
 * earlier versions are re-sealed in format 2 once, when the store opens (`resealLegacyValues`).
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { KvError } from '../kv/errors';
import { describeKey } from '../kv/operations';

export const MASTER_KEY_ENV = 'KVB_MASTER_KEY';
export const MASTER_KEY_FILE = 'master.key';
export const MASTER_KEY_BYTES = 32;

/** Identity only. */
const IDENTITY_FORMAT = 1;
/** Identity, version, value type and expiry. */
const BOUND_FORMAT = 2;
const HEADER_BYTES = 2;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const ALGORITHM = 'aes-256-gcm';

/** Where a value lives; bound to its ciphertext. */
export interface RowIdentity {
  companyId: string;
  scope: string;
  scopeKey: string;
  key: string;
}

/** The columns of a KV row besides its identity that its ciphertext vouches for (format 2). */
export interface RowBinding {
  version: number;
  valueType: string;
  expiresAt: string | null;
}

export interface MasterKey {
  key: Buffer;
  /** Where it came from, for a startup log line (never the key itself). */
  source: 'env' | 'file' | 'new-file';
  /** The key file, when the key came from one. */
  path?: string;
}

/**
 * Reads a master key written as 64 hex characters or as base64 (standard or URL-safe, padded
 * or not) of exactly 32 bytes. Anything else throws `store` naming `origin`, not the value.
 */
export function parseMasterKey(text: string, origin: string): Buffer {
  const trimmed = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) return Buffer.from(trimmed, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(trimmed)) {
    const key = Buffer.from(trimmed.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (key.length === MASTER_KEY_BYTES) return key;
  }
  throw new KvError(
    'store',
    `${origin} is not a valid master key: expected 64 hex characters or the base64 of 32 bytes (got ${trimmed.length} characters). Generate one with: openssl rand -hex 32`,
  );
}

/**
 * The master key: from `KVB_MASTER_KEY` when set, else from `<dataDir>/master.key`, created
 * (mode 0600) on first use. A key file that group or others may read is refused rather than
 * silently fixed: the key may already have leaked, and the operator should know.
 */
export function loadMasterKey(dataDir: string, env: NodeJS.ProcessEnv = process.env): MasterKey {
  const fromEnv = env[MASTER_KEY_ENV];
  if (fromEnv !== undefined && fromEnv !== '') {
    return { key: parseMasterKey(fromEnv, MASTER_KEY_ENV), source: 'env' };
  }
  const path = join(dataDir, MASTER_KEY_FILE);
  if (!exists(path)) {
    if (createKeyFile(path)) return { key: readKeyFile(path), source: 'new-file', path };
  }
  return { key: readKeyFile(path), source: 'file', path };
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new KvError('store', `Cannot read the key file ${path}: ${(error as Error).message}`);
  }
}

/**
 * Writes a fresh key to a private temporary file, then links it into place: the link fails if
 * another process created the key first, so every process ends up with the same key and none
 * ever reads a half-written file. Returns false when another process won.
 */
function createKeyFile(path: string): boolean {
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    const fd = openSync(temporary, 'wx', 0o600);
    try {
      writeSync(fd, `${randomBytes(MASTER_KEY_BYTES).toString('hex')}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    try {
      linkSync(temporary, path);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw error;
    }
  } catch (error) {
    throw new KvError('store', `Cannot create the key file ${path}: ${(error as Error).message}`);
  } finally {
    try {
      unlinkSync(temporary);
    } catch {
      /* already gone */
    }
  }
}

function readKeyFile(path: string): Buffer {
  const stats = statSync(path);
  if (!stats.isFile()) throw new KvError('store', `The key file ${path} is not a regular file`);
  // POSIX permissions mean nothing on Windows, where the data directory's ACL protects the file.
  if (process.platform !== 'win32' && (stats.mode & 0o077) !== 0) {
    const mode = (stats.mode & 0o777).toString(8).padStart(4, '0');
    throw new KvError(
      'store',
      `The key file ${path} has mode ${mode}, so other users may read it. If it may have leaked, rotate the key; otherwise run: chmod 600 ${path}`,
    );
  }
  return parseMasterKey(readFileSync(path, 'utf8'), `The key file ${path}`);
}

/** Seals and opens stored values with one master key. */
export class ValueCipher {
  private readonly keyId: number;

  constructor(
    private readonly key: Buffer,
    options: { keyId?: number } = {},
  ) {
    if (key.length !== MASTER_KEY_BYTES) throw new KvError('store', `A master key has ${MASTER_KEY_BYTES} bytes, got ${key.length}`);
    this.keyId = options.keyId ?? 1;
    if (!Number.isInteger(this.keyId) || this.keyId < 0 || this.keyId > 255)
      throw new KvError('store', 'A key id is a number from 0 to 255');
  }

  /**
   * A value that identifies this key without revealing it (HMAC of a fixed label), so a store
   * can tell at startup that it was given another key than the one its data was sealed with.
   */
  fingerprint(): string {
    return createHmac('sha256', this.key).update('kvb master key fingerprint v1').digest('hex');
  }

  /** Seals `plaintext` for `row`; with `binding`, in format 2, which vouches for those columns too. */
  encrypt(plaintext: string, row: RowIdentity, binding?: RowBinding): Buffer {
    const header = Buffer.from([binding ? BOUND_FORMAT : IDENTITY_FORMAT, this.keyId]);
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(ALGORITHM, this.key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(associatedData(header, row, binding));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return Buffer.concat([header, iv, body, cipher.getAuthTag()]);
  }

  /**
   * The plaintext, or `integrity` naming the key when the blob was altered, moved, sealed with
   * another key, or (with `binding`) sealed for another version, value type or expiry. With
   * `binding` only format 2 opens, so an older format-1 blob cannot be swapped back in.
   */
  decrypt(blob: Uint8Array, row: RowIdentity, binding?: RowBinding): string {
    const data = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
    if (data.length < HEADER_BYTES + IV_BYTES + TAG_BYTES || (data[0] !== IDENTITY_FORMAT && data[0] !== BOUND_FORMAT)) {
      throw integrityError(row, 'it is not a value sealed by kvb');
    }
    if (data[0] !== (binding ? BOUND_FORMAT : IDENTITY_FORMAT)) {
      throw integrityError(row, `it is sealed in format ${data[0]}, where format ${binding ? BOUND_FORMAT : IDENTITY_FORMAT} is expected`);
    }
    if (data[1] !== this.keyId) {
      throw integrityError(row, `it was sealed with master key id ${data[1]}, and this server has key id ${this.keyId}`);
    }
    const header = data.subarray(0, HEADER_BYTES);
    const iv = data.subarray(HEADER_BYTES, HEADER_BYTES + IV_BYTES);
    const body = data.subarray(HEADER_BYTES + IV_BYTES, data.length - TAG_BYTES);
    const tag = data.subarray(data.length - TAG_BYTES);
    try {
      const decipher = createDecipheriv(ALGORITHM, this.key, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(associatedData(header, row, binding));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
    } catch {
      throw integrityError(
        row,
        binding
          ? 'it was altered, moved from another key, replaced by an older copy, its version, type or expiry was edited, or it was sealed with a different master key'
          : 'it was altered, moved from another key, or sealed with a different master key',
      );
    }
  }

  /** The format a blob was sealed in (1 or 2), or null when it is no kvb blob. */
  static formatOf(blob: Uint8Array): number | null {
    return blob.length > 0 && (blob[0] === IDENTITY_FORMAT || blob[0] === BOUND_FORMAT) ? blob[0]! : null;
  }
}

/** The header, the row identity and (format 2) its binding, encoded unambiguously (JSON of a fixed-order array). */
function associatedData(header: Buffer, row: RowIdentity, binding?: RowBinding): Buffer {
  const fields: unknown[] = [row.companyId, row.scope, row.scopeKey, row.key];
  if (binding) fields.push(binding.version, binding.valueType, binding.expiresAt);
  return Buffer.concat([header, Buffer.from(JSON.stringify(fields), 'utf8')]);
}

function integrityError(row: RowIdentity, why: string): KvError {
  const where = row.scope === 'global' ? 'global scope' : `${row.scope} scope '${row.scopeKey}'`;
  return new KvError('integrity', `The stored value of key ${describeKey(row.key)} in ${where} failed to decrypt: ${why}`);
}
