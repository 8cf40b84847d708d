/**
 * The server's one SQLite database: `<dataDir>/kvb.sqlite`, shared by the KV store and by the
 * server's own tables (blueprints, runs). Each owner keeps its schema as an append-only list of
 * migrations and applies it with `migrate(db, owner, migrations)`.
 */
import { existsSync, mkdirSync, statfsSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { KvError } from '../../../kv/errors';
import { DataDirectoryError } from '../types';

export type Database = BetterSqlite3.Database;

export const DATABASE_FILE = 'kvb.sqlite';

/**
 * Disk space held back for deletes: with WAL every commit, a delete included, appends to the
 * log, so on a full disk nothing could be removed to make room. This file is given up, once, so
 * a delete (or opening the database to run one) can go through; it is made again at the next
 * open that finds space.
 */
export const RESERVE_FILE = 'kvb.reserve';
export const RESERVE_BYTES = 1024 * 1024;

/**
 * How long a statement waits for another process's lock. better-sqlite3 waits synchronously,
 * blocking the event loop, so it is kept short; the store retries a busy batch asynchronously
 * (see `SqliteStore`) and then answers `store` ("the database is busy, try again").
 */
export const BUSY_TIMEOUT_MS = 50;
/**
 * The wait for a lock while opening and migrating, before any request is served: several
 * processes opening one directory at once take turns rather than fail.
 */
export const OPEN_BUSY_TIMEOUT_MS = 5000;

/** Runs `work` (setup: opening, migrations, key checks) with the patient busy timeout. */
export function withOpenBusyTimeout<T>(db: Database, work: () => T): T {
  const previous = db.pragma('busy_timeout', { simple: true }) as number;
  db.pragma(`busy_timeout = ${OPEN_BUSY_TIMEOUT_MS}`);
  try {
    return work();
  } finally {
    db.pragma(`busy_timeout = ${previous}`);
  }
}

/** A SQLite failure because another connection holds the lock; worth retrying a little later. */
export class DatabaseBusyError extends KvError {
  constructor(what: string) {
    super('store', `The database is busy: another process holds its lock (${what}); try again`);
  }
}

/** `PRAGMA user_version` of a database whose bookkeeping table is `kvb_migrations`. */
const BOOKKEEPING_VERSION = 1;

/** Opens (creating when needed) the database of a data directory, ready for concurrent use. */
/** Makes the reserve file when it is missing and the disk has room; never fails. */
export function ensureReserve(dataDir: string): void {
  const path = join(dataDir, RESERVE_FILE);
  if (existsSync(path)) return;
  try {
    writeFileSync(path, Buffer.alloc(RESERVE_BYTES), { mode: 0o600, flag: 'wx' });
  } catch {
    try {
      unlinkSync(path);
    } catch {
      /* nothing was written */
    }
  }
}

/** True when the reserve file is in place (made again first, when there is room). */
export function hasReserve(dataDir: string): boolean {
  ensureReserve(dataDir);
  return existsSync(join(dataDir, RESERVE_FILE));
}

/** Gives up the reserve file; true when there was one to give. */
export function releaseReserve(dataDir: string): boolean {
  try {
    unlinkSync(join(dataDir, RESERVE_FILE));
    return true;
  } catch {
    return false;
  }
}

/** True when the file system holding `dataDir` has no space left for us. */
export function isDiskFull(dataDir: string): boolean {
  try {
    return statfsSync(dataDir).bavail === 0;
  } catch {
    return false;
  }
}

export function openDatabase(dataDir: string): Database {
  try {
    // 0700: the directory holds the master key file and the encrypted values.
    makeDirectory(dataDir, 0o700);
  } catch (error) {
    throw new DataDirectoryError(`Cannot use the data directory ${dataDir}: ${describeDirectoryError(error)}`);
  }
  const path = join(dataDir, DATABASE_FILE);
  try {
    return openPreparedDatabase(path);
  } catch (error) {
    // Opening needs a little space (the WAL index and log): on a full disk, spend the reserve.
    if (!isDiskFull(dataDir)) throw error;
    if (!releaseReserve(dataDir))
      throw new DataDirectoryError(`Cannot open the database ${path}: the disk is full; free some space and try again`);
    return openPreparedDatabase(path);
  }
}

function openPreparedDatabase(path: string): Database {
  let db: Database;
  try {
    db = new BetterSqlite3(path, { timeout: OPEN_BUSY_TIMEOUT_MS });
    // WAL lets readers run beside a writer (another process included); synchronous=FULL
    // makes every commit reach the disk before it returns, so an acknowledged write survives
    // a killed process and a power cut.
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
  } catch (error) {
    throw new DataDirectoryError(`Cannot open the database ${path}: ${describeSqliteError(error)}`);
  }
  try {
    ensureBookkeeping(db);
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}

function ensureBookkeeping(db: Database): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > BOOKKEEPING_VERSION) {
    throw new KvError(
      'store',
      `The database was written by a newer version of kvb (layout ${version}, this one knows ${BOOKKEEPING_VERSION}); upgrade kvb`,
    );
  }
  if (version === BOOKKEEPING_VERSION) return;
  db.transaction(() => {
    db.exec('CREATE TABLE IF NOT EXISTS kvb_migrations (owner TEXT PRIMARY KEY, version INTEGER NOT NULL, applied_at TEXT NOT NULL)');
    db.pragma(`user_version = ${BOOKKEEPING_VERSION}`);
  }).immediate();
}

/**
 * Brings `owner`'s tables up to date: runs, in order and each in its own transaction, every
 * migration (a SQL script) past the number already applied for that owner. Append new
 * migrations to the end of the list; never edit or reorder applied ones.
 *
 * Safe when several processes open the same file at once: the check and the script run under
 * the write lock, so each migration applies exactly once.
 *
 * @example migrate(db, 'server', ['CREATE TABLE blueprints (id TEXT PRIMARY KEY, document TEXT NOT NULL)'])
 */
export function migrate(db: Database, owner: string, migrations: readonly string[]): void {
  withOpenBusyTimeout(db, () => applyMigrations(db, owner, migrations));
}

function applyMigrations(db: Database, owner: string, migrations: readonly string[]): void {
  const readVersion = db.prepare<[string], { version: number }>('SELECT version FROM kvb_migrations WHERE owner = ?');
  const recordVersion = db.prepare<[string, number, string]>(
    'INSERT INTO kvb_migrations (owner, version, applied_at) VALUES (?, ?, ?) ON CONFLICT(owner) DO UPDATE SET version = excluded.version, applied_at = excluded.applied_at',
  );
  for (;;) {
    const applied = db
      .transaction((): boolean => {
        const current = readVersion.get(owner)?.version ?? 0;
        if (current > migrations.length) {
          throw new KvError(
            'store',
            `The '${owner}' tables were written by a newer version of kvb (migration ${current}, this one knows ${migrations.length}); upgrade kvb`,
          );
        }
        if (current === migrations.length) return false;
        try {
          db.exec(migrations[current]!);
        } catch (error) {
          throw new KvError('store', `Migration ${current + 1} of '${owner}' failed: ${describeSqliteError(error)}`);
        }
        recordVersion.run(owner, current + 1, new Date().toISOString());
        return true;
      })
      .immediate();
    if (!applied) return;
  }
}

/**
 * `mkdir -p`, one level at a time. Node's own recursive mkdir loops forever on some paths
 * (`/proc/x`: the kernel answers ENOENT for a directory whose parent exists).
 */
function makeDirectory(path: string, mode: number): void {
  const missing: string[] = [];
  for (let current = resolve(path); ; current = dirname(current)) {
    try {
      if (!statSync(current).isDirectory()) {
        throw Object.assign(new Error(`${current} is not a directory`), { code: current === resolve(path) ? 'EEXIST' : 'ENOTDIR' });
      }
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      missing.push(current);
      if (dirname(current) === current) break;
    }
  }
  for (const directory of missing.reverse()) {
    try {
      mkdirSync(directory, { mode });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}

/** Why a data directory cannot be created, in words rather than an errno. */
function describeDirectoryError(error: unknown): string {
  switch ((error as { code?: unknown }).code) {
    case 'EEXIST':
      return 'it exists and is a file, not a directory';
    case 'ENOTDIR':
      return 'a part of the path is a file, not a directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EROFS':
      return 'the file system is read-only';
    case 'ENOENT':
      return 'the file system does not let a directory be created there';
    default:
      return error instanceof Error ? error.message : String(error);
  }
}

/** The message of a SQLite failure, without a stack, with what to do for the common causes. */
export function describeSqliteError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code !== 'string') return error.message;
    if (code.startsWith('SQLITE_FULL'))
      return `the disk is full (${code}): free some space and try again (deleting keys still works: kvb keeps a little space in reserve for it)`;
    if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB')
      return `the database file is damaged (${code}): restore it from a backup`;
    if (code.startsWith('SQLITE_READONLY')) return `the database cannot be written (${code}): check the permissions of the data directory`;
    return `${error.message} (${code})`;
  }
  return String(error);
}

/** True for SQLite's "another connection holds the lock" failures. */
export function isBusyError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
}

/** True when SQLite ran out of space: the disk, or the database's page limit. */
export function isFullError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_FULL');
}
