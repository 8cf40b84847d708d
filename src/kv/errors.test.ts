import { describe, expect, it } from 'vitest';
import {
  ERROR_CODES,
  KvError,
  STORE_ERROR_CODES,
  exitCodeOf,
  helpOf,
  httpStatusOf,
  isErrorCode,
  isKvError,
  isKvErrorCode,
  type ErrorCode,
  type ErrorCodeInfo,
} from './errors';

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

describe('ERROR_CODES', () => {
  const entries = Object.entries(ERROR_CODES) as Array<[ErrorCode, ErrorCodeInfo]>;

  it('gives every code a status, an exit code and a help text a person can act on', () => {
    for (const [code, info] of entries) {
      expect(Object.keys(info).sort(), code).toEqual(['exitCode', 'help', 'status']);
      expect(Number.isInteger(info.status), code).toBe(true);
      expect([1, 2], code).toContain(info.exitCode);
      expect(info.help.length, code).toBeGreaterThan(20);
      expect(info.help.endsWith('.'), code).toBe(true);
    }
  });

  it('answers every code with a 4xx, leaving 5xx for a backend that fails and for bugs', () => {
    const serverFaults: ErrorCode[] = ['store', 'integrity', 'quota', 'internal'];
    for (const [code, { status }] of entries) {
      if (serverFaults.includes(code)) expect(status >= 500 && status < 600, `${code} → ${status}`).toBe(true);
      else expect(status >= 400 && status < 500, `${code} → ${status}`).toBe(true);
    }
  });

  it('keeps the statuses the HTTP API promises', () => {
    const promised: Partial<Record<ErrorCode, number>> = {
      invalid_key: 400,
      invalid_value: 400,
      too_large: 413,
      invalid_scope: 400,
      not_found: 404,
      already_exists: 409,
      type_mismatch: 422,
      invalid_request: 400,
      store: 503,
      integrity: 503,
      quota: 503,
      unauthorized: 401,
      forbidden: 403,
      invalid_blueprint: 422,
      too_many_runs: 429,
      internal: 500,
    };
    for (const [code, status] of Object.entries(promised)) expect(httpStatusOf(code as ErrorCode), code).toBe(status);
  });

  it('makes kvb exit 2 for input the user must fix and 1 when the work failed', () => {
    const usage = entries
      .filter(([, info]) => info.exitCode === 2)
      .map(([code]) => code)
      .sort();
    expect(usage).toEqual([
      'headers_too_large',
      'invalid_blueprint',
      'invalid_key',
      'invalid_request',
      'invalid_scope',
      'invalid_value',
      'too_large',
    ]);
    expect(exitCodeOf('not_found')).toBe(1);
    expect(exitCodeOf('store')).toBe(1);
  });

  it('lists every store code in the table, and tells store codes from the others', () => {
    for (const code of STORE_ERROR_CODES) expect(isErrorCode(code), code).toBe(true);
    expect(isKvErrorCode('type_mismatch')).toBe(true);
    expect(isKvErrorCode('unauthorized')).toBe(false);
    expect(isKvErrorCode('expression')).toBe(false);
  });

  it('finds the help of a known code and nothing for an unknown one, even a prototype name', () => {
    expect(helpOf('limit')).toContain('maxSteps');
    expect(helpOf('no_such_code')).toBeUndefined();
    expect(helpOf('toString')).toBeUndefined();
    expect(isErrorCode('__proto__')).toBe(false);
  });

  it('refuses a code outside the table when typechecking', () => {
    // @ts-expect-error a misspelt code is not a key of ERROR_CODES
    const misspelt = new KvError('not_fuond', 'x');
    // @ts-expect-error a run or server code is not a store code
    const notAStoreCode = new KvError('expression', 'x');
    expect([misspelt.code, notAStoreCode.code]).toEqual(['not_fuond', 'expression']);
  });
});
