import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KvError } from '../kv/errors';
import { MASTER_KEY_FILE, ValueCipher, loadMasterKey, parseMasterKey, type RowIdentity } from './encryption';

const row: RowIdentity = { companyId: 'acme', scope: 'flow', scopeKey: 'bp-1', key: 'api_token' };

function expectKvError(action: () => unknown, code: string, messagePart: string | RegExp): void {
  let caught: unknown;
  try {
    action();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(KvError);
  expect((caught as KvError).code).toBe(code);
  expect((caught as KvError).message).toMatch(messagePart);
}

describe('ValueCipher', () => {
  const cipher = new ValueCipher(randomBytes(32));

  it('round-trips a value for the same row', () => {
    const blob = cipher.encrypt('{"secret":"hunter2"}', row);
    expect(cipher.decrypt(blob, row)).toBe('{"secret":"hunter2"}');
  });

  it('never stores the plaintext and uses a fresh IV each time', () => {
    const first = cipher.encrypt('hunter2-hunter2', row);
    const second = cipher.encrypt('hunter2-hunter2', row);
    expect(first.includes(Buffer.from('hunter2'))).toBe(false);
    expect(first.equals(second)).toBe(false);
  });

  it('records the format and key id in the first two bytes', () => {
    const blob = new ValueCipher(randomBytes(32), { keyId: 7 }).encrypt('x', row);
    expect([blob[0], blob[1]]).toEqual([1, 7]);
  });

  it.each([
    ['company', { ...row, companyId: 'other' }],
    ['scope', { ...row, scope: 'global', scopeKey: '' }],
    ['scope key', { ...row, scopeKey: 'bp-2' }],
    ['key', { ...row, key: 'other_key' }],
  ])('reports integrity when the ciphertext is moved to another %s', (_what, elsewhere) => {
    const blob = cipher.encrypt('"v"', row);
    expectKvError(() => cipher.decrypt(blob, elsewhere), 'integrity', `'${elsewhere.key}'`);
  });

  it('reports integrity naming the key when any byte is flipped', () => {
    const blob = cipher.encrypt('"value"', row);
    for (const index of [2, 14, blob.length - 1]) {
      const tampered = Buffer.from(blob);
      tampered[index] = tampered[index]! ^ 0x01;
      expectKvError(() => cipher.decrypt(tampered, row), 'integrity', /'api_token'.*altered/);
    }
  });

  it('reports integrity for a value sealed with another master key or key id', () => {
    const blob = cipher.encrypt('"value"', row);
    expectKvError(() => new ValueCipher(randomBytes(32)).decrypt(blob, row), 'integrity', 'api_token');
    expectKvError(() => new ValueCipher(randomBytes(32), { keyId: 2 }).decrypt(blob, row), 'integrity', /key id 1/);
  });

  it('reports integrity for a truncated blob', () => {
    expectKvError(() => cipher.decrypt(Buffer.from([1, 1, 0]), row), 'integrity', 'api_token');
  });

  it('gives the same fingerprint for the same key and another for another key', () => {
    const key = randomBytes(32);
    expect(new ValueCipher(key).fingerprint()).toBe(new ValueCipher(Buffer.from(key)).fingerprint());
    expect(new ValueCipher(key).fingerprint()).not.toBe(new ValueCipher(randomBytes(32)).fingerprint());
  });
});

describe('parseMasterKey', () => {
  const key = randomBytes(32);

  it('accepts 64 hex characters and base64 of 32 bytes', () => {
    expect(parseMasterKey(key.toString('hex'), 'test').equals(key)).toBe(true);
    expect(parseMasterKey(key.toString('hex').toUpperCase(), 'test').equals(key)).toBe(true);
    expect(parseMasterKey(key.toString('base64'), 'test').equals(key)).toBe(true);
    expect(parseMasterKey(key.toString('base64url'), 'test').equals(key)).toBe(true);
    expect(parseMasterKey(`  ${key.toString('hex')}\n`, 'test').equals(key)).toBe(true);
  });

  it.each([
    ['too short hex', 'abcd'],
    ['63 hex characters', 'a'.repeat(63)],
    ['base64 of 16 bytes', randomBytes(16).toString('base64')],
    ['a passphrase', 'correct horse battery staple'],
  ])('refuses %s with a message that names where it came from', (_what, text) => {
    expectKvError(() => parseMasterKey(text, 'KVB_MASTER_KEY'), 'store', /^KVB_MASTER_KEY is not a valid master key: expected 64 hex/);
  });

  it('never repeats the rejected value in its message', () => {
    expectKvError(() => parseMasterKey('my-secret-passphrase', 'KVB_MASTER_KEY'), 'store', /^(?!.*my-secret-passphrase)/);
  });
});

describe('loadMasterKey', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'kvb-key-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('creates master.key with mode 0600 and reads the same key back', () => {
    const created = loadMasterKey(dataDir, {});
    expect(created.source).toBe('new-file');
    const path = join(dataDir, MASTER_KEY_FILE);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path, 'utf8').trim()).toBe(created.key.toString('hex'));
    const again = loadMasterKey(dataDir, {});
    expect(again.source).toBe('file');
    expect(again.key.equals(created.key)).toBe(true);
  });

  it('prefers KVB_MASTER_KEY over the key file, and does not create a file then', () => {
    const key = randomBytes(32);
    const loaded = loadMasterKey(dataDir, { KVB_MASTER_KEY: key.toString('base64') });
    expect(loaded.source).toBe('env');
    expect(loaded.key.equals(key)).toBe(true);
    expect(() => statSync(join(dataDir, MASTER_KEY_FILE))).toThrow();

    loadMasterKey(dataDir, {});
    expect(loadMasterKey(dataDir, { KVB_MASTER_KEY: key.toString('hex') }).key.equals(key)).toBe(true);
  });

  it('refuses a key file that group or others may read, and says how to fix it', () => {
    loadMasterKey(dataDir, {});
    const path = join(dataDir, MASTER_KEY_FILE);
    chmodSync(path, 0o644);
    expectKvError(() => loadMasterKey(dataDir, {}), 'store', /mode 0644.*chmod 600/);
    chmodSync(path, 0o600);
    expect(loadMasterKey(dataDir, {}).source).toBe('file');
  });

  it('refuses a key file that does not hold a key', () => {
    writeFileSync(join(dataDir, MASTER_KEY_FILE), 'not a key\n', { mode: 0o600 });
    expectKvError(() => loadMasterKey(dataDir, {}), 'store', /master\.key is not a valid master key/);
  });

  it('refuses an invalid KVB_MASTER_KEY instead of falling back to the file', () => {
    expectKvError(() => loadMasterKey(dataDir, { KVB_MASTER_KEY: 'short' }), 'store', /^KVB_MASTER_KEY is not a valid/);
  });
});
