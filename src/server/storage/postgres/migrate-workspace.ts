/**
 * `kvb migrate`: copies a workspace between an SQLite data directory and a PostgreSQL database,
 * either way: entries (with their ids, versions, times and expiry) and their history, blueprints with their kept
 * revisions, and run records (in order, with their apply marks). Sealed columns are copied as
 * they are: both sides use the same master key and every sealed value stays bound to the same
 * row, so nothing is decrypted on the way and a damaged row stays exactly as damaged.
 * The target must hold no workspace yet (a copy never merges into one).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import { KvError } from '../../../kv/errors';
import { MASTER_KEY_ENV, MASTER_KEY_FILE, loadMasterKey, parseMasterKey } from '../../encryption';
import { SqliteBlueprintStore } from '../sqlite/blueprints';
import { openSqliteStore } from '../sqlite/sqlite-store';
import { DataDirectoryError, type StorageLocation } from '../types';
import { describeUrl, openPostgres } from './index';

type Row = Record<string, unknown>;

interface Table {
  name: string;
  /** What the progress line calls its rows. */
  label: string;
  columns: readonly string[];
  /** The SQLite order that is also the order rows are written in (runs: oldest first). */
  sqliteOrder: string;
  /** The same order on PostgreSQL, over unique columns (so pages can follow each other). */
  postgresOrder: readonly string[];
}

/** What is copied, in this order. */
export const WORKSPACE_TABLES: readonly Table[] = [
  {
    name: 'kv_entries',
    label: 'entries',
    columns: [
      'company_id',
      'scope',
      'scope_key',
      'key',
      'id',
      'value_ciphertext',
      'value_type',
      'version',
      'created_at',
      'updated_at',
      'expires_at',
    ],
    sqliteOrder: 'company_id, scope, scope_key, key',
    postgresOrder: ['company_id', 'scope', 'scope_key', 'key'],
  },
  {
    name: 'kv_history',
    label: 'history',
    columns: [
      'company_id',
      'scope',
      'scope_key',
      'key',
      'version',
      'value_ciphertext',
      'value_type',
      'updated_at',
      'replaced_at',
      'deleted',
    ],
    sqliteOrder: 'seq',
    postgresOrder: ['seq'],
  },
  {
    name: 'blueprints',
    label: 'blueprints',
    columns: ['company_id', 'id', 'name', 'group_id', 'document_ciphertext', 'created_at', 'updated_at', 'revision'],
    sqliteOrder: 'company_id, id',
    postgresOrder: ['company_id', 'id'],
  },
  {
    name: 'blueprint_revisions',
    label: 'revisions',
    columns: ['company_id', 'blueprint_id', 'revision', 'name', 'saved_at', 'document_ciphertext'],
    sqliteOrder: 'company_id, blueprint_id, revision',
    postgresOrder: ['company_id', 'blueprint_id', 'revision'],
  },
  {
    name: 'runs',
    label: 'runs',
    columns: ['company_id', 'run_id', 'blueprint_id', 'status', 'started_at', 'finished_at', 'record_ciphertext', 'applied_at'],
    sqliteOrder: 'seq',
    postgresOrder: ['seq'],
  },
];

const PAGE_ROWS = 500;

export interface MigrateProgress {
  table: string;
  done: number;
  total: number;
}

export interface MigrateOptions {
  from: StorageLocation;
  to: StorageLocation;
  env: NodeJS.ProcessEnv;
  onProgress?: (progress: MigrateProgress) => void;
}

export interface MigrateSummary {
  /** Rows copied per table label. */
  copied: Record<string, number>;
  /** Set when the target must be given this key (it came from the source's key file). */
  keyFile?: string;
}

interface Side {
  describe: string;
  count(table: Table): Promise<number>;
  pages(table: Table): AsyncIterable<Row[]>;
  write(table: Table, rows: Row[]): Promise<void>;
  close(): Promise<void>;
}

/** Copies the workspace at `from` into the empty one at `to`. */
export async function migrateWorkspace(options: MigrateOptions): Promise<MigrateSummary> {
  const { from, to, env } = options;
  if (from.kind === to.kind) {
    throw new DataDirectoryError('kvb migrate copies between SQLite (--data directory) and PostgreSQL (postgres:// URL): give one of each');
  }
  // One master key on both sides: the source's (for SQLite, KVB_MASTER_KEY or its master.key).
  let key: Buffer;
  let keyFile: string | undefined;
  if (from.kind === 'sqlite') {
    if (!existsSync(from.dataDir)) throw new DataDirectoryError(`There is no data directory at ${from.dataDir}`);
    const loaded = loadMasterKey(from.dataDir, env);
    key = loaded.key;
    if (loaded.source !== 'env') keyFile = loaded.path;
  } else {
    const text = env[MASTER_KEY_ENV];
    if (!text) throw new DataDirectoryError(`Copying out of PostgreSQL needs ${MASTER_KEY_ENV}, the key its values are sealed with`);
    key = parseMasterKey(text, MASTER_KEY_ENV);
  }
  const source = await openSide(from, key, env);
  let target: Side | null = null;
  try {
    target = await openSide(to, key, env);
    for (const table of WORKSPACE_TABLES) {
      if ((await target.count(table)) > 0) {
        throw new DataDirectoryError(
          `${target.describe} already holds ${table.label}: kvb migrate copies into an empty workspace only (a new directory or database)`,
        );
      }
    }
    const copied: Record<string, number> = {};
    for (const table of WORKSPACE_TABLES) {
      const total = await source.count(table);
      let done = 0;
      options.onProgress?.({ table: table.label, done, total });
      for await (const rows of source.pages(table)) {
        await target.write(table, rows);
        done += rows.length;
        options.onProgress?.({ table: table.label, done, total });
      }
      copied[table.label] = done;
    }
    return { copied, ...(keyFile && to.kind === 'postgres' ? { keyFile } : {}) };
  } finally {
    await target?.close();
    await source.close();
  }
}

async function openSide(location: StorageLocation, key: Buffer, env: NodeJS.ProcessEnv): Promise<Side> {
  return location.kind === 'sqlite' ? openSqliteSide(location.dataDir, key, env) : openPostgresSide(location.url, key);
}

function openSqliteSide(dataDir: string, key: Buffer, env: NodeJS.ProcessEnv): Side {
  mkdirSync(dataDir, { recursive: true });
  // A new directory gets the key as its key file, so `kvb serve --data` opens it as it is.
  const keyPath = join(dataDir, MASTER_KEY_FILE);
  if (!env[MASTER_KEY_ENV] && !existsSync(keyPath)) writeFileSync(keyPath, `${key.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  const store = openSqliteStore({ dataDir, masterKey: key, env });
  // Creates the server's tables (blueprints, revisions, runs) when they are missing.
  new SqliteBlueprintStore(store.db, store.cipher);
  const db = store.db;
  return {
    describe: `the data directory ${dataDir}`,
    count: async (table) => (db.prepare(`SELECT count(*) AS n FROM ${table.name}`).get() as { n: number }).n,
    async *pages(table) {
      let page: Row[] = [];
      for (const row of db.prepare(`SELECT ${table.columns.join(', ')} FROM ${table.name} ORDER BY ${table.sqliteOrder}`).iterate()) {
        page.push(row as Row);
        if (page.length === PAGE_ROWS) {
          yield page;
          page = [];
        }
      }
      if (page.length > 0) yield page;
    },
    write: async (table, rows) => {
      const insert = db.prepare(
        `INSERT INTO ${table.name} (${table.columns.join(', ')}) VALUES (${table.columns.map((column) => `@${column}`).join(', ')})`,
      );
      db.transaction(() => {
        for (const row of rows) insert.run(row);
      }).immediate();
    },
    close: () => store.close(),
  };
}

async function openPostgresSide(url: string, key: Buffer): Promise<Side> {
  const storage = openPostgres({ url, masterKey: key, env: {} });
  try {
    await storage.ready;
  } catch (error) {
    await storage.close();
    if (error instanceof KvError && error.code === 'integrity') {
      throw new DataDirectoryError(`${describeUrl(url)} holds values sealed with another master key than the one being copied`);
    }
    throw error;
  }
  const pool: pg.Pool = storage.pool;
  return {
    describe: `the database ${describeUrl(url)}`,
    count: async (table) => Number((await pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${table.name}`)).rows[0]?.n ?? 0),
    async *pages(table) {
      const order = table.postgresOrder;
      const selected = [...new Set([...table.columns, ...order])];
      let after: unknown[] | null = null;
      for (;;) {
        const where: string = after ? `WHERE (${order.join(', ')}) > (${order.map((_, i) => `$${i + 1}`).join(', ')})` : '';
        const result: pg.QueryResult<Row> = await pool.query<Row>(
          `SELECT ${selected.join(', ')} FROM ${table.name} ${where} ORDER BY ${order.join(', ')} LIMIT ${PAGE_ROWS}`,
          after ?? [],
        );
        if (result.rows.length === 0) return;
        const last: Row = result.rows[result.rows.length - 1]!;
        after = order.map((column) => last[column]);
        yield result.rows.map((row) => Object.fromEntries(table.columns.map((column) => [column, row[column]])));
        if (result.rows.length < PAGE_ROWS) return;
      }
    },
    write: async (table, rows) => {
      const values: unknown[] = [];
      const tuples = rows.map((row) => `(${table.columns.map((column) => `$${values.push(row[column])}`).join(', ')})`);
      await pool.query(`INSERT INTO ${table.name} (${table.columns.join(', ')}) VALUES ${tuples.join(', ')}`, values);
    },
    close: () => storage.close(),
  };
}
