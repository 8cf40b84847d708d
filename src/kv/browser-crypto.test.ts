import { describe, expect, it } from 'vitest';
import { generateStoreKey, ValueCipher, type ValueAddress } from './browser-crypto';
import { KvError } from './errors';

const address: ValueAddress = { companyId: 'acme', scope: 'flow', scopeKey: 'bp-1', key: 'profile' };

async function expectIntegrityFailure(promise: Promise<unknown>): Promise<void> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(KvError);
  expect((error as KvError).code).toBe('integrity');
}

describe('browser value cipher', () => {
  it('opens what it sealed, structure intact', async () => {
    const cipher = new ValueCipher(await generateStoreKey());
    const value = { name: 'Ada', tags: ['a', 'b'], nested: { n: 1.5, ok: true, none: null } };
    const sealed = await cipher.seal(value, address);
    expect(await cipher.open(sealed, address)).toEqual(value);
  });

  it('uses a fresh IV for every value, so equal values give different ciphertexts', async () => {
    const cipher = new ValueCipher(await generateStoreKey());
    const first = await cipher.seal('same', address);
    const second = await cipher.seal('same', address);
    expect(first.iv).toHaveLength(12);
    expect(Buffer.from(first.iv).equals(Buffer.from(second.iv))).toBe(false);
    expect(Buffer.from(first.ciphertext).equals(Buffer.from(second.ciphertext))).toBe(false);
  });

  it('keeps the plaintext out of the ciphertext', async () => {
    const cipher = new ValueCipher(await generateStoreKey());
    const sealed = await cipher.seal('top-secret-text', address);
    expect(Buffer.from(sealed.ciphertext).toString('latin1')).not.toContain('top-secret-text');
  });

  it.each([
    ['another company', { ...address, companyId: 'other' }],
    ['another scope', { ...address, scope: 'global' as const, scopeKey: '' }],
    ['another scope key', { ...address, scopeKey: 'bp-2' }],
    ['another key', { ...address, key: 'profile2' }],
  ])('reports integrity when a ciphertext is opened under %s', async (_label, movedTo) => {
    const cipher = new ValueCipher(await generateStoreKey());
    const sealed = await cipher.seal({ secret: 1 }, address);
    await expectIntegrityFailure(cipher.open(sealed, movedTo));
  });

  it('reports integrity when one ciphertext byte was changed', async () => {
    const cipher = new ValueCipher(await generateStoreKey());
    const sealed = await cipher.seal('hello', address);
    const bytes = new Uint8Array(sealed.ciphertext.slice(0));
    bytes[0] = bytes[0]! ^ 0xff;
    await expectIntegrityFailure(cipher.open({ iv: sealed.iv, ciphertext: bytes.buffer }, address));
  });

  it('reports integrity when the value was sealed with another key', async () => {
    const sealed = await new ValueCipher(await generateStoreKey()).seal('hello', address);
    await expectIntegrityFailure(new ValueCipher(await generateStoreKey()).open(sealed, address));
  });

  it('generates a key whose bytes cannot be exported', async () => {
    const key = await generateStoreKey();
    expect(key.extractable).toBe(false);
    expect(key.algorithm).toMatchObject({ name: 'AES-GCM', length: 256 });
    await expect(globalThis.crypto.subtle.exportKey('raw', key)).rejects.toThrow();
  });
});
