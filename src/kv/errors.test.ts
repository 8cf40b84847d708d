import { describe, expect, it } from 'vitest';
import { KV_ERROR_CODES, KvError, httpStatusOf, isKvError, type KvErrorCode } from './errors';

describe('KvError', () => {
  it('carries its code, message and the failing op index', () => {
    const error = new KvError('not_found', "Key 'a' not found in global scope", 2);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('KvError');
    expect(error.code).toBe('not_found');
    expect(error.message).toBe("Key 'a' not found in global scope");
    expect(error.opIndex).toBe(2);
    expect(new KvError('store', 'down').opIndex).toBeUndefined();
  });
});

describe('isKvError', () => {
  it('recognises a KvError and an error rebuilt with the same name and a code, as across a realm or the network', () => {
    expect(isKvError(new KvError('quota', 'full'))).toBe(true);
    expect(isKvError(Object.assign(new Error('x'), { name: 'KvError', code: 'store' }))).toBe(true);
  });

  it('refuses other errors and look-alikes without a code', () => {
    expect(isKvError(new Error('plain'))).toBe(false);
    expect(isKvError({ name: 'KvError' })).toBe(false);
    expect(isKvError({ name: 'Other', code: 'store' })).toBe(false);
    expect(isKvError(null)).toBe(false);
    expect(isKvError('KvError')).toBe(false);
  });
});

describe('httpStatusOf', () => {
  it('maps every error code to the status the HTTP API promises', () => {
    const expected: Record<KvErrorCode, number> = {
      invalid_key: 400, invalid_value: 400, too_large: 413, invalid_scope: 400, not_found: 404,
      already_exists: 409, type_mismatch: 422, invalid_request: 400, store: 503, integrity: 503, quota: 503,
    };
    const codes = Object.keys(KV_ERROR_CODES) as KvErrorCode[];
    expect(codes.sort()).toEqual((Object.keys(expected) as KvErrorCode[]).sort());
    for (const code of codes) expect(httpStatusOf(code), code).toBe(expected[code]);
  });

  it('maps every error about the request to a 4xx, leaving 5xx for the backend failing', () => {
    const backendFailures: KvErrorCode[] = ['store', 'integrity', 'quota'];
    for (const code of Object.keys(KV_ERROR_CODES) as KvErrorCode[]) {
      const status = httpStatusOf(code);
      if (backendFailures.includes(code)) expect(status, code).toBe(503);
      else expect(status >= 400 && status < 500, `${code} → ${status}`).toBe(true);
    }
  });
});

describe('KV_ERROR_CODES', () => {
  it('gives every code a help text a person can act on', () => {
    for (const [code, help] of Object.entries(KV_ERROR_CODES)) {
      expect(help.length, code).toBeGreaterThan(10);
      expect(help.endsWith('.'), code).toBe(true);
    }
  });
});
