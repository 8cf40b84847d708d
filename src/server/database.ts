/**
 * The server's one SQLite database: `<dataDir>/kvb.sqlite`, shared by the KV store and by the
 * server's own tables (blueprints, runs). Each owner keeps its schema as an append-only list of
 * migrations and applies it with `migrate(db, owner, migrations)`.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { KvError } from '../kv/errors';

export type Database = BetterSqlite3.Database;

export const DATABASE_FILE = 'kvb.sqlite';

/** How long a statement waits for another process's write lock before failing with `store`. */
const BUSY_TIMEOUT_MS = 5000;

/** `PRAGMA user_version` of a database whose bookkeeping table is `kvb_migrations`. */
const BOOKKEEPING_VERSION = 1;

/** Opens (creating when needed) the database of a data directory, ready for concurrent use. */
export function openDatabase(dataDir: string): Database {
  try {
    // 0700: the directory holds the master key file and the encrypted values.
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new KvError('store', `Cannot use the data directory ${dataDir}: ${describeDirectoryError(error)}`);
  }
  const path = join(dataDir, DATABASE_FILE);
  let db: Database;
  try {
    db = new BetterSqlite3(path, { timeout: BUSY_TIMEOUT_MS });
    // WAL lets readers run beside a writer (another process included); synchronous=FULL
    // makes every commit reach the disk before it returns, so an acknowledged write survives
    // a killed process and a power cut.
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    db.pragma('foreign_keys = ON');
  } catch (error) {
    throw new KvError('store', `Cannot open the database ${path}: ${describeSqliteError(error)}`);
  }
  try {
    ensureBookkeeping(db);
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}

function ensureBookkeeping(db: Database): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > BOOKKEEPING_VERSION) {
    throw new KvError('store', `The database was written by a newer version of kvb (layout ${version}, this one knows ${BOOKKEEPING_VERSION}); upgrade kvb`);
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
  const readVersion = db.prepare<[string], { version: number }>('SELECT version FROM kvb_migrations WHERE owner = ?');
  const recordVersion = db.prepare<[string, number, string]>(
    'INSERT INTO kvb_migrations (owner, version, applied_at) VALUES (?, ?, ?) ON CONFLICT(owner) DO UPDATE SET version = excluded.version, applied_at = excluded.applied_at',
  );
  for (;;) {
    const applied = db.transaction((): boolean => {
      const current = readVersion.get(owner)?.version ?? 0;
      if (current > migrations.length) {
        throw new KvError('store', `The '${owner}' tables were written by a newer version of kvb (migration ${current}, this one knows ${migrations.length}); upgrade kvb`);
      }
      if (current === migrations.length) return false;
      try {
        db.exec(migrations[current]!);
      } catch (error) {
        throw new KvError('store', `Migration ${current + 1} of '${owner}' failed: ${describeSqliteError(error)}`);
      }
      recordVersion.run(owner, current + 1, new Date().toISOString());
      return true;
    }).immediate();
    if (!applied) return;
  }
}

/** Why a data directory cannot be created, in words rather than an errno. */
function describeDirectoryError(error: unknown): string {
  switch ((error as { code?: unknown }).code) {
    case 'EEXIST': return 'it exists and is a file, not a directory';
    case 'ENOTDIR': return 'a part of the path is a file, not a directory';
    case 'EACCES': case 'EPERM': return 'permission denied';
    case 'EROFS': return 'the file system is read-only';
    default: return error instanceof Error ? error.message : String(error);
  }
}

/** The message of a SQLite failure, without a stack. */
export function describeSqliteError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? `${error.message} (${code})` : error.message;
  }
  return String(error);
}
