import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { describeConformance } from '../../../kv/conformance-vitest';
import { KvError } from '../../../kv/errors';
import type { Entry, KvOp } from '../../../kv/types';
import { DATABASE_FILE, migrate, openDatabase } from './database';
import { MASTER_KEY_FILE, ValueCipher } from '../../encryption';
import { SqliteStore, openSqliteStore } from './sqlite-store';

const COMPANY = 'acme';
const flow = { scope: 'flow', scopeKey: 'bp-1' } as const;

let dataDir: string;
const opened: SqliteStore[] = [];

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'kvb-sqlite-'));
});
afterEach(async () => {
  await Promise.all(opened.splice(0).map((store) => store.close()));
  rmSync(dataDir, { recursive: true, force: true });
});

function open(options: Partial<Parameters<typeof openSqliteStore>[0]> = {}): SqliteStore {
  const store = openSqliteStore({ dataDir, env: {}, ...options });
  opened.push(store);
  return store;
}

async function set(
  store: SqliteStore,
  key: string,
  value: Entry['value'],
  extra: Partial<Extract<KvOp, { op: 'set' }>> = {},
): Promise<Entry> {
  const [result] = await store.batch(COMPANY, [{ op: 'set', key, value, ...flow, ...extra }]);
  if (result?.op !== 'set') throw new Error('expected a set result');
  return result.entry;
}

async function get(store: SqliteStore, key: string, company = COMPANY): Promise<Entry | null> {
  const [result] = await store.batch(company, [{ op: 'get', key, ...flow }]);
  if (result?.op !== 'get') throw new Error('expected a get result');
  return result.entry;
}

async function rejection(promise: Promise<unknown>): Promise<KvError> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(KvError);
  return error as KvError;
}

/** A second, raw connection to the same file, as an attacker with disk access would have. */
function rawDatabase(): BetterSqlite3.Database {
  return new BetterSqlite3(join(dataDir, DATABASE_FILE));
}

describe('SqliteStore conformance', () => {
  let conformanceDir: string;
  afterAll(() => rmSync(conformanceDir, { recursive: true, force: true }));
  describeConformance(
    'sqlite',
    async (clock) => {
      conformanceDir = mkdtempSync(join(tmpdir(), 'kvb-conformance-'));
      return openSqliteStore({ dataDir: conformanceDir, env: {}, batchOptions: { now: clock.now } });
    },
    { injectsClock: true },
  );
});

describe('SqliteStore', () => {
  it('stores, reads, lists and deletes entries with their structure intact', async () => {
    const store = open();
    const profile = { name: 'Ada', tags: ['x', 'y'], nested: { ok: true, n: 1.5 } };
    const created = await set(store, 'profile', profile);
    expect(created).toMatchObject({
      companyId: COMPANY,
      scope: 'flow',
      scopeKey: 'bp-1',
      key: 'profile',
      value: profile,
      valueType: 'json',
      version: 1,
    });
    await set(store, 'greeting', 'hello');

    expect((await get(store, 'profile'))?.value).toEqual(profile);
    const [list] = await store.batch(COMPANY, [{ op: 'list', ...flow }]);
    expect(list?.op === 'list' && list.entries.map((e) => e.key)).toEqual(['greeting', 'profile']);

    const [removed] = await store.batch(COMPANY, [{ op: 'delete', key: 'profile', ...flow }]);
    expect(removed).toEqual({ op: 'delete', deleted: true });
    expect(await get(store, 'profile')).toBeNull();
  });

  it('lists by prefix and pages with a cursor in key order', async () => {
    const store = open();
    for (const key of ['user_b', 'user_a', 'users', 'order_1', 'user_c']) await set(store, key, key);
    const [first] = await store.batch(COMPANY, [{ op: 'list', prefix: 'user_', limit: 2, ...flow }]);
    expect(first?.op === 'list' && [first.entries.map((e) => e.key), first.nextCursor]).toEqual([['user_a', 'user_b'], 'user_b']);
    const [second] = await store.batch(COMPANY, [{ op: 'list', prefix: 'user_', limit: 2, cursor: 'user_b', ...flow }]);
    expect(second?.op === 'list' && [second.entries.map((e) => e.key), second.nextCursor]).toEqual([['user_c'], null]);
  });

  it('applies nothing when one op of a batch fails', async () => {
    const store = open();
    await set(store, 'existing', 1);
    const error = await rejection(
      store.batch(COMPANY, [
        { op: 'set', key: 'fresh', value: 'new', ...flow },
        { op: 'increment', key: 'existing', ...flow },
        { op: 'set', key: 'existing', value: 'again', mode: 'create', ...flow },
      ]),
    );
    expect([error.code, error.opIndex]).toEqual(['already_exists', 2]);
    expect(await get(store, 'fresh')).toBeNull();
    expect((await get(store, 'existing'))?.value).toBe(1);
  });

  it('keeps companies apart, also for getById and deleteById', async () => {
    const store = open();
    const entry = await set(store, 'secret', 's3');
    expect(await get(store, 'secret', 'other')).toBeNull();
    expect(await store.getById('other', entry.id)).toBeNull();
    expect(await store.deleteById('other', entry.id)).toBe(false);
    expect((await store.getById(COMPANY, entry.id))?.value).toBe('s3');
    expect(await store.deleteById(COMPANY, entry.id)).toBe(true);
    expect(await store.getById(COMPANY, entry.id)).toBeNull();
    expect(await store.deleteById(COMPANY, entry.id)).toBe(false);
  });

  it('treats expired entries as absent and purges them on a later write', async () => {
    let now = new Date('2030-01-01T00:00:00.000Z');
    const store = open({ batchOptions: { now: () => now } });
    const entry = await set(store, 'session', 'abc', { ttlSeconds: 60 });
    now = new Date('2030-01-01T00:01:01.000Z');
    expect(await get(store, 'session')).toBeNull();
    expect(await store.getById(COMPANY, entry.id)).toBeNull();
    const [list] = await store.batch(COMPANY, [{ op: 'list', ...flow }]);
    expect(list?.op === 'list' && list.entries).toEqual([]);

    const raw = rawDatabase();
    const count = () => (raw.prepare('SELECT count(*) AS n FROM kv_entries').get() as { n: number }).n;
    expect(count()).toBe(1);
    await set(store, 'other', 1);
    expect(count()).toBe(1);
    raw.close();
  });

  it('gives exactly +100 for 100 concurrent increments', async () => {
    const store = open();
    await Promise.all(Array.from({ length: 100 }, () => store.batch(COMPANY, [{ op: 'increment', key: 'counter', ...flow }])));
    expect((await get(store, 'counter'))?.value).toBe(100);
  });

  it('stays exact when two connections to one file increment the same key at once', async () => {
    // Each store's batches interleave with the other's between phase 1 and phase 2, forcing retries.
    const key = randomBytes(32);
    const first = new SqliteStore({ db: openDatabase(dataDir), cipher: new ValueCipher(key), ownsDatabase: true });
    const second = new SqliteStore({ db: openDatabase(dataDir), cipher: new ValueCipher(key), ownsDatabase: true });
    opened.push(first, second);
    const bump = (store: SqliteStore) =>
      store.batch(COMPANY, [
        { op: 'increment', key: 'shared', ...flow },
        { op: 'append', key: 'log', value: 'x', valueType: 'text', ...flow },
      ]);
    await Promise.all(Array.from({ length: 50 }, (_, i) => bump(i % 2 === 0 ? first : second)));
    expect((await get(first, 'shared'))?.value).toBe(50);
    expect((await get(second, 'log'))?.value).toBe('x'.repeat(50));
  });

  it('keeps entries across close and reopen', async () => {
    const store = open();
    await set(store, 'kept', { a: [1, 2, 3] });
    await store.close();
    const reopened = open();
    expect((await get(reopened, 'kept'))?.value).toEqual({ a: [1, 2, 3] });
  });

  it('refuses work once closed with a store error', async () => {
    const store = open();
    await store.close();
    expect((await rejection(get(store, 'x'))).code).toBe('store');
  });

  it('reports a data directory that is a file as a store error in words, not an errno', () => {
    const file = join(dataDir, 'not-a-directory');
    writeFileSync(file, '');
    for (const [path, reason] of [
      [file, 'is a file, not a directory'],
      [join(file, 'sub'), 'a part of the path is a file'],
    ] as const) {
      const error = (() => {
        try {
          openDatabase(path);
          return null;
        } catch (caught) {
          return caught;
        }
      })();
      expect(error).toBeInstanceOf(KvError);
      expect(error).toMatchObject({ code: 'store', message: expect.stringContaining(reason) });
      expect((error as KvError).message).toContain(path);
    }
  });

  it('lets another owner add its tables to the same database with migrate', () => {
    const db = openDatabase(dataDir);
    migrate(db, 'server', ['CREATE TABLE blueprints (id TEXT PRIMARY KEY)', 'ALTER TABLE blueprints ADD COLUMN name TEXT']);
    migrate(db, 'server', ['CREATE TABLE blueprints (id TEXT PRIMARY KEY)', 'ALTER TABLE blueprints ADD COLUMN name TEXT']);
    const store = new SqliteStore({ db, cipher: new ValueCipher(randomBytes(32)), ownsDatabase: true });
    opened.push(store);
    const columns = db.prepare('SELECT name FROM pragma_table_info(?)').pluck().all('blueprints');
    expect(columns).toEqual(['id', 'name']);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(2);
  });
});

describe('SqliteStore encryption at rest', () => {
  it('never writes a stored value in plaintext to the database or its WAL', async () => {
    const store = open();
    const marker = `plaintext-marker-${randomBytes(6).toString('hex')}`;
    await set(store, 'secret_text', marker);
    await set(store, 'secret_json', { note: marker });
    const files = [DATABASE_FILE, `${DATABASE_FILE}-wal`].map((name) => join(dataDir, name)).filter((path) => existsSync(path));
    expect(files.length).toBeGreaterThan(0);
    for (const path of files) expect(readFileSync(path).includes(Buffer.from(marker))).toBe(false);
    // The key names stay readable (they are indexed): proof the grep looks at the right bytes.
    expect(files.some((path) => readFileSync(path).includes(Buffer.from('secret_text')))).toBe(true);
  });

  it('reports integrity, naming the key, for a ciphertext moved onto another row', async () => {
    const store = open();
    await set(store, 'alpha', 'value of alpha');
    await set(store, 'beta', 'value of beta');
    const raw = rawDatabase();
    raw
      .prepare("UPDATE kv_entries SET value_ciphertext = (SELECT value_ciphertext FROM kv_entries WHERE key = 'alpha') WHERE key = 'beta'")
      .run();
    raw.close();
    const error = await rejection(get(store, 'beta'));
    expect(error.code).toBe('integrity');
    expect(error.message).toContain("'beta'");
    expect((await get(store, 'alpha'))?.value).toBe('value of alpha');
  });

  it('reports integrity for a flipped byte, in get, list and getById', async () => {
    const store = open();
    const entry = await set(store, 'flipped', { amount: 100 });
    const raw = rawDatabase();
    const blob = raw.prepare('SELECT value_ciphertext FROM kv_entries WHERE key = ?').pluck().get('flipped') as Buffer;
    blob[20] = blob[20]! ^ 0x80;
    raw.prepare('UPDATE kv_entries SET value_ciphertext = ? WHERE key = ?').run(blob, 'flipped');
    raw.close();
    expect((await rejection(get(store, 'flipped'))).code).toBe('integrity');
    expect((await rejection(store.getById(COMPANY, entry.id))).code).toBe('integrity');
  });

  it('creates the key file with mode 0600', () => {
    open();
    expect(statSync(join(dataDir, MASTER_KEY_FILE)).mode & 0o777).toBe(0o600);
  });

  it('uses KVB_MASTER_KEY over the key file', async () => {
    const envKey = randomBytes(32).toString('hex');
    const store = open({ env: { KVB_MASTER_KEY: envKey } });
    await set(store, 'k', 'sealed with the env key');
    await store.close();
    expect(existsSync(join(dataDir, MASTER_KEY_FILE))).toBe(false);
    const reopened = open({ env: { KVB_MASTER_KEY: envKey } });
    expect((await get(reopened, 'k'))?.value).toBe('sealed with the env key');
  });

  it('reports integrity when reopened with a different master key, at open and on every read', async () => {
    const store = open();
    await set(store, 'k', 'v');
    await store.close();
    const otherKey = randomBytes(32);
    const error = (() => {
      try {
        open({ masterKey: otherKey });
        return null;
      } catch (caught) {
        return caught as KvError;
      }
    })();
    expect(error?.code).toBe('integrity');
    expect(error?.message).toMatch(/master key/);

    // Even without the startup check, a value never decrypts to garbage.
    const unchecked = new SqliteStore({ db: openDatabase(dataDir), cipher: new ValueCipher(otherKey), ownsDatabase: true });
    opened.push(unchecked);
    const readError = await rejection(get(unchecked, 'k'));
    expect(readError.code).toBe('integrity');
    expect(readError.message).toContain("'k'");
  });
});

/** Flips one byte of a row's ciphertext on disk, as a failing disk or an attacker would. */
function damage(key: string): void {
  const raw = rawDatabase();
  const blob = raw.prepare('SELECT value_ciphertext FROM kv_entries WHERE key = ?').pluck().get(key) as Buffer;
  blob[20] = blob[20]! ^ 0x80;
  raw.prepare('UPDATE kv_entries SET value_ciphertext = ? WHERE key = ?').run(blob, key);
  raw.close();
}

function editColumn(key: string, column: 'value_type' | 'expires_at' | 'value_ciphertext', value: unknown): void {
  const raw = rawDatabase();
  raw.prepare(`UPDATE kv_entries SET ${column} = ? WHERE key = ?`).run(value, key);
  raw.close();
}

async function list(store: SqliteStore, options: { limit?: number; cursor?: string | null } = {}) {
  const [result] = await store.batch(COMPANY, [{ op: 'list', ...flow, ...options }]);
  if (result?.op !== 'list') throw new Error('expected a list result');
  return result;
}

describe('SqliteStore with a damaged row', () => {
  it('lists the rest of the scope, counting the damaged row, and pages past it', async () => {
    const store = open();
    for (const key of ['a', 'b', 'c', 'd']) await set(store, key, key.toUpperCase());
    damage('b');
    const all = await list(store);
    expect(all.entries.map((entry) => entry.key)).toEqual(['a', 'c', 'd']);
    expect(all.damaged).toBe(1);
    expect(all.damagedKeys).toEqual(['b']);
    const first = await list(store, { limit: 2 });
    expect(first.entries.map((entry) => entry.key)).toEqual(['a', 'c']);
    expect(first.nextCursor).toBe('c');
    const second = await list(store, { limit: 2, cursor: first.nextCursor });
    expect(second).toMatchObject({ entries: [{ key: 'd' }], nextCursor: null });
    expect(second.damaged).toBeUndefined();
  });

  it('treats a value nesting past the limit (written before the limit existed) as damaged', async () => {
    const store = open();
    const entry = await set(store, 'deep', 'placeholder');
    await set(store, 'shallow', 1);
    const deepText = `${'['.repeat(3000)}${']'.repeat(3000)}`;
    const sealed = store.cipher.encrypt(
      deepText,
      { companyId: COMPANY, scope: flow.scope, scopeKey: flow.scopeKey, key: 'deep' },
      { version: entry.version, valueType: 'json', expiresAt: null },
    );
    const raw = rawDatabase();
    raw.prepare("UPDATE kv_entries SET value_ciphertext = ?, value_type = 'json' WHERE key = 'deep'").run(sealed);
    raw.close();
    const listed = await list(store);
    expect(listed.entries.map((e) => e.key)).toEqual(['shallow']);
    expect(listed.damaged).toBe(1);
    expect((await rejection(get(store, 'deep'))).message).toMatch(/more than 64 levels deep/);
    expect(await store.batch(COMPANY, [{ op: 'delete', key: 'deep', ...flow }])).toEqual([{ op: 'delete', deleted: true }]);
  });

  it('deletes it by key and by id without decrypting it', async () => {
    const store = open();
    await set(store, 'bykey', 1);
    const byId = await set(store, 'byid', 2);
    damage('bykey');
    damage('byid');
    expect((await rejection(get(store, 'bykey'))).code).toBe('integrity');
    expect(await store.batch(COMPANY, [{ op: 'delete', key: 'bykey', ...flow }])).toEqual([{ op: 'delete', deleted: true }]);
    expect(await store.deleteById(COMPANY, byId.id)).toBe(true);
    const after = await list(store);
    expect(after).toEqual({ op: 'list', entries: [], nextCursor: null });
    expect(await get(store, 'bykey')).toBeNull();
  });
});

describe('SqliteStore binding of version, value type and expiry', () => {
  it('refuses an older ciphertext of the same row swapped back in', async () => {
    const store = open();
    await set(store, 'balance', 100);
    const raw = rawDatabase();
    const older = raw.prepare('SELECT value_ciphertext FROM kv_entries WHERE key = ?').pluck().get('balance') as Buffer;
    raw.close();
    await set(store, 'balance', 5);
    editColumn('balance', 'value_ciphertext', older);
    expect((await rejection(get(store, 'balance'))).code).toBe('integrity');
  });

  it('refuses a row whose value_type or expires_at was edited in the file', async () => {
    const store = open();
    await set(store, 'typed', '42');
    await set(store, 'expiring', 'soon', { ttlSeconds: 60 });
    editColumn('typed', 'value_type', 'json');
    editColumn('expiring', 'expires_at', '2999-01-01T00:00:00.000Z');
    expect((await rejection(get(store, 'typed'))).code).toBe('integrity');
    expect((await rejection(get(store, 'expiring'))).code).toBe('integrity');
  });

  it('re-seals rows of the earlier format (identity only) once, so they still open', async () => {
    const first = open();
    await set(first, 'legacy', { kept: true }, { ttlSeconds: 3600 });
    const cipher = first.cipher;
    await first.close();
    const raw = rawDatabase();
    const row = raw.prepare('SELECT company_id, scope, scope_key, key FROM kv_entries WHERE key = ?').get('legacy') as {
      company_id: string;
      scope: string;
      scope_key: string;
      key: string;
    };
    const legacy = cipher.encrypt(JSON.stringify({ kept: true }), {
      companyId: row.company_id,
      scope: row.scope,
      scopeKey: row.scope_key,
      key: row.key,
    });
    expect(legacy[0]).toBe(1);
    raw.prepare('UPDATE kv_entries SET value_ciphertext = ? WHERE key = ?').run(legacy, 'legacy');
    raw.prepare("DELETE FROM kvb_migrations WHERE owner = 'kv-sealing'").run();
    raw.close();

    const reopened = open();
    expect((await get(reopened, 'legacy'))?.value).toEqual({ kept: true });
    const check = rawDatabase();
    const resealed = check.prepare('SELECT value_ciphertext FROM kv_entries WHERE key = ?').pluck().get('legacy') as Buffer;
    check.close();
    expect(resealed[0]).toBe(2);
    // After the re-seal, the old-format blob no longer opens: it cannot be swapped back in.
    editColumn('legacy', 'value_ciphertext', legacy);
    expect((await rejection(get(reopened, 'legacy'))).code).toBe('integrity');
  });
});

describe('SqliteStore robustness', () => {
  it('answers "busy, try again" quickly, without blocking the event loop, while another process holds the write lock', async () => {
    const store = open();
    await set(store, 'k', 1);
    const holder = rawDatabase();
    holder.prepare('BEGIN IMMEDIATE').run();
    let maxGap = 0;
    let last = performance.now();
    const ticker = setInterval(() => {
      const now = performance.now();
      maxGap = Math.max(maxGap, now - last);
      last = now;
    }, 5);
    const started = performance.now();
    try {
      const error = await rejection(set(store, 'k', 2));
      const elapsed = performance.now() - started;
      expect(error.code).toBe('store');
      expect(error.message).toMatch(/database is busy.*try again/);
      expect(elapsed).toBeLessThan(2000);
      expect(maxGap).toBeLessThan(250);
    } finally {
      clearInterval(ticker);
      holder.prepare('ROLLBACK').run();
      holder.close();
    }
  });

  it('answers a batch of several reads while another process holds the write lock (reads never take it)', async () => {
    const store = open();
    await set(store, 'a', 1);
    await set(store, 'b', 2);
    const holder = rawDatabase();
    holder.prepare('BEGIN IMMEDIATE').run();
    try {
      const results = await store.batch(COMPANY, [
        { op: 'get', key: 'a', ...flow },
        { op: 'get', key: 'b', ...flow },
        { op: 'list', ...flow },
      ]);
      expect(
        results.map((result) => (result.op === 'get' ? result.entry?.value : result.op === 'list' ? result.entries.length : null)),
      ).toEqual([1, 2, 2]);
    } finally {
      holder.prepare('ROLLBACK').run();
      holder.close();
    }
  });

  it('commits once a lock held for a moment is released', async () => {
    const store = open();
    const holder = rawDatabase();
    holder.prepare('BEGIN IMMEDIATE').run();
    setTimeout(() => {
      holder.prepare('ROLLBACK').run();
      holder.close();
    }, 120);
    expect((await set(store, 'later', 'ok')).version).toBe(1);
  });

  it('refuses to open a 0-byte database beside a master key, instead of starting empty', async () => {
    const store = open();
    await set(store, 'kept', 1);
    await store.close();
    for (const suffix of ['', '-wal', '-shm']) rmSync(join(dataDir, `${DATABASE_FILE}${suffix}`), { force: true });
    writeFileSync(join(dataDir, DATABASE_FILE), '');
    expect(() => open()).toThrow(/kvb\.sqlite is empty \(0 bytes\) although this data directory has a master key/);
    expect(statSync(join(dataDir, DATABASE_FILE)).size).toBe(0);
  });

  it('says the disk is full when a write does not fit, and still deletes', async () => {
    const store = open();
    await set(store, 'small', 1);
    const pages = store.db.pragma('page_count', { simple: true }) as number;
    store.db.pragma(`max_page_count = ${pages}`);
    const error = await rejection(set(store, 'big', 'x'.repeat(200_000)));
    expect(error.code).toBe('store');
    expect(error.message).toMatch(/the disk is full/);
    expect(await store.batch(COMPANY, [{ op: 'delete', key: 'small', ...flow }])).toEqual([{ op: 'delete', deleted: true }]);
  });
});

describe('SqliteStore on a really full disk (a 2 MiB tmpfs; Linux as root only, else skipped)', () => {
  let mountDir = '';
  let mounted = false;
  beforeAll(() => {
    mountDir = mkdtempSync(join(tmpdir(), 'kvb-full-'));
    mounted = process.platform === 'linux' && spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mountDir]).status === 0;
  });
  afterAll(() => {
    if (mounted) spawnSync('umount', [mountDir]);
    rmSync(mountDir, { recursive: true, force: true });
  });

  it('refuses writes saying the disk is full, and still deletes (the reserve file)', async (context) => {
    if (!mounted) return context.skip();
    const store = openSqliteStore({ dataDir: join(mountDir, 'data'), env: {} });
    opened.push(store);
    for (let i = 0; i < 5; i++) await set(store, `k${i}`, randomBytes(60_000).toString('base64'));
    try {
      writeFileSync(join(mountDir, 'fill'), Buffer.alloc(4 * 1024 * 1024));
    } catch {
      // ENOSPC: the disk is now full.
    }
    for (const value of [randomBytes(60_000).toString('base64'), 'small']) {
      const error = await rejection(set(store, 'more', value));
      expect(error.code).toBe('store');
      expect(error.message).toMatch(/the disk is full/);
    }
    expect(await store.batch(COMPANY, [{ op: 'delete', key: 'k1', ...flow }])).toEqual([{ op: 'delete', deleted: true }]);
    expect(await store.batch(COMPANY, [{ op: 'delete', key: 'k2', ...flow }])).toEqual([{ op: 'delete', deleted: true }]);
    expect((await list(store)).entries.map((entry) => entry.key)).toEqual(['k0', 'k3', 'k4']);
  });
});

describe('SqliteStore history at rest', () => {
  async function historyOf(store: SqliteStore, key: string) {
    const [result] = await store.batch(COMPANY, [{ op: 'history', key, ...flow }]);
    if (result?.op !== 'history') throw new Error('expected a history result');
    return result.versions;
  }

  it('seals replaced versions: no plaintext in the file, and kept versions survive a reopen', async () => {
    const store = open();
    const marker = `history-marker-${randomBytes(6).toString('hex')}`;
    await set(store, 'secret', { note: marker });
    await set(store, 'secret', 'newer');
    await store.batch(COMPANY, [{ op: 'delete', key: 'secret', ...flow }]);
    await store.close();
    const files = [DATABASE_FILE, `${DATABASE_FILE}-wal`].map((name) => join(dataDir, name)).filter((path) => existsSync(path));
    for (const path of files) expect(readFileSync(path).includes(Buffer.from(marker))).toBe(false);
    const raw = rawDatabase();
    expect(raw.prepare('SELECT count(*) FROM kv_history').pluck().get()).toBe(2);
    raw.close();
    const reopened = open();
    expect((await historyOf(reopened, 'secret')).map((v) => [v.version, v.value, v.deleted])).toEqual([
      [2, 'newer', true],
      [1, { note: marker }, false],
    ]);
  });

  it('a kept version moved onto the live row, or onto another kept version, does not open', async () => {
    const store = open();
    await set(store, 'balance', 100);
    await set(store, 'balance', 5);
    await set(store, 'balance', 7);
    const raw = rawDatabase();
    // The kept version 2 (value 5) swapped in for the live row: same key, but a history binding.
    raw
      .prepare(
        "UPDATE kv_entries SET value_ciphertext = (SELECT value_ciphertext FROM kv_history WHERE key = 'balance' AND version = 2), version = 2 WHERE key = 'balance'",
      )
      .run();
    // Version 1's blob put over version 2's: left out of the history as damaged.
    raw
      .prepare(
        "UPDATE kv_history SET value_ciphertext = (SELECT value_ciphertext FROM kv_history WHERE key = 'balance' AND version = 1) WHERE key = 'balance' AND version = 2",
      )
      .run();
    raw.close();
    expect((await rejection(get(store, 'balance'))).code).toBe('integrity');
    expect((await historyOf(store, 'balance')).map((v) => [v.version, v.value])).toEqual([[1, 100]]);
  });

  it('keeps only the newest 20 rows of a key in the table', async () => {
    const store = open();
    for (let i = 0; i < 30; i++) await set(store, 'churn', i);
    const raw = rawDatabase();
    expect(raw.prepare("SELECT count(*) FROM kv_history WHERE key = 'churn'").pluck().get()).toBe(20);
    raw.close();
  });
});
