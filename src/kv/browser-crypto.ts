/**
 * Encryption at rest for the browser store (ARCHITECTURE.md, store contract): AES-GCM 256 with a WebCrypto key
 * that is generated non-extractable, so page scripts can use it but never read its bytes.
 *
 * Every value gets a fresh random 96-bit IV, and the entry's address
 * (companyId, scope, scopeKey, key) is bound as associated data: a ciphertext copied to
 * another row fails authentication and reports `integrity` instead of decrypting.
 */
import { KvError } from './errors';
import { describeKey } from './operations';
import type { JsonValue, Scope } from './types';

/** Where a value lives; authenticated with the ciphertext but not stored inside it. */
export interface ValueAddress {
  companyId: string;
  scope: Scope;
  scopeKey: string;
  key: string;
}

/** An encrypted value as kept in IndexedDB (both fields are structured-cloneable). */
export interface SealedValue {
  iv: Uint8Array<ArrayBuffer>;
  ciphertext: ArrayBuffer;
}

const ALGORITHM = 'AES-GCM';
const IV_BYTES = 12;
/** Versioned so a future change of the binding format cannot be confused with this one. */
const BINDING_FORMAT = 'kvb-entry/1';

function subtleCrypto(): SubtleCrypto {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) {
    throw new KvError('store', 'WebCrypto is not available: the browser store needs a secure context (https or localhost)');
  }
  return subtle;
}

/** A new AES-GCM 256 key that cannot be exported (its bytes never leave the browser's crypto). */
export function generateStoreKey(): Promise<CryptoKey> {
  return subtleCrypto().generateKey({ name: ALGORITHM, length: 256 }, false, ['encrypt', 'decrypt']);
}

/**
 * The associated data: a JSON array, so no two different addresses encode the same bytes.
 * `context` tells apart values of one address with different roles (a kept history version
 * names itself there, so it opens neither as the live value nor as another kept version).
 */
function associatedData(address: ValueAddress, context?: string): Uint8Array<ArrayBuffer> {
  const parts = [BINDING_FORMAT, address.companyId, address.scope, address.scopeKey, address.key];
  if (context !== undefined) parts.push(context);
  return new TextEncoder().encode(JSON.stringify(parts));
}

function describeAddress(address: ValueAddress): string {
  const where = address.scope === 'global' ? 'global scope' : `${address.scope} scope '${address.scopeKey}'`;
  return `key ${describeKey(address.key)} in ${where}`;
}

/** Encrypts and authenticates values for one store key. */
export class ValueCipher {
  constructor(private readonly key: CryptoKey) {}

  async seal(value: JsonValue, address: ValueAddress, context?: string): Promise<SealedValue> {
    const iv = globalThis.crypto.getRandomValues(new Uint8Array(IV_BYTES));
    const plaintext = new TextEncoder().encode(JSON.stringify(value));
    const ciphertext = await subtleCrypto().encrypt(
      { name: ALGORITHM, iv, additionalData: associatedData(address, context) },
      this.key,
      plaintext,
    );
    return { iv, ciphertext };
  }

  /** Throws `integrity` when the value was altered, moved to another address, or sealed with another key. */
  async open(sealed: SealedValue, address: ValueAddress, context?: string): Promise<JsonValue> {
    let plaintext: ArrayBuffer;
    try {
      plaintext = await subtleCrypto().decrypt(
        { name: ALGORITHM, iv: sealed.iv, additionalData: associatedData(address, context) },
        this.key,
        sealed.ciphertext,
      );
    } catch {
      throw new KvError(
        'integrity',
        `The stored value of ${describeAddress(address)} failed to decrypt: it was altered, copied from another key, or the browser's encryption key was replaced. Delete the key and save it again.`,
      );
    }
    try {
      return JSON.parse(new TextDecoder().decode(plaintext)) as JsonValue;
    } catch {
      throw new KvError(
        'integrity',
        `The stored value of ${describeAddress(address)} decrypted but is not JSON: delete the key and save it again`,
      );
    }
  }
}
