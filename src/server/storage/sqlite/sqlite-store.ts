/**
 * The SQLite backend: the embedded default of the CLI and the server. Values are sealed with
 * `ValueCipher` (AES-256-GCM bound to the row), everything else is plain columns for indexing.
 *
 * Atomicity without holding a transaction across `await`: `executeBatch` is async, and the
 * database connection is shared with the server's own tables, so a transaction left open
 * between awaits could swallow another module's writes. Instead a batch runs in two phases:
 *   1. `executeBatch` reads rows outside any transaction, and every row and list it saw is
 *      noted by its `(id, version)` stamps;
 *   2. one synchronous `BEGIN IMMEDIATE` transaction checks that every noted stamp still holds
 *      and writes the outcome. If another process changed a row in between, nothing is written
 *      and the batch runs again on fresh rows.
 * Batches of one store also run one after another, so they never conflict with each other.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Statement } from 'better-sqlite3';
import { KvError, isKvError } from '../../../kv/errors';
import {
  executeBatch,
  snapshotOps,
  type BatchOptions,
  type BatchReader,
  type BatchWrite,
  type DeletedQuery,
  type KeyPage,
  type KeyQuery,
  type ListedRows,
  type ListQuery,
  type RowPresence,
} from '../../../kv/operations';
import {
  HISTORY_MAX_VERSIONS,
  KEY_PATTERN,
  type DeletedKey,
  type Entry,
  type HistoryVersion,
  type KeyValueStore,
  type KvOp,
  type KvOpResult,
  type Scope,
  type ValueType,
} from '../../../kv/types';
import { DataDirectoryError } from '../types';
import {
  ENTRY_COLUMNS,
  openEntry,
  openEntryOrNull,
  openHistory,
  rowBindingOf,
  rowIdentityOf,
  sealEntry,
  sealHistory,
  type EntryRow,
  type HistoryRow,
} from '../sealed-rows';
import {
  DatabaseBusyError,
  DATABASE_FILE,
  describeSqliteError,
  ensureReserve,
  hasReserve,
  isBusyError,
  isFullError,
  migrate,
  openDatabase,
  releaseReserve,
  withOpenBusyTimeout,
  type Database,
} from './database';
import { MASTER_KEY_ENV, MASTER_KEY_FILE, ValueCipher, loadMasterKey, parseMasterKey, type RowIdentity } from '../../encryption';

/** The KV store's schema; append only (see `migrate`). */
export const KV_MIGRATIONS: readonly string[] = [
  `CREATE TABLE kv_entries (
     id TEXT PRIMARY KEY,
     company_id TEXT NOT NULL,
     scope TEXT NOT NULL,
     scope_key TEXT NOT NULL,
     key TEXT NOT NULL,
     value_ciphertext BLOB NOT NULL,
     value_type TEXT NOT NULL,
     version INTEGER NOT NULL,
     created_at TEXT NOT NULL,
     updated_at TEXT NOT NULL,
     expires_at TEXT
   );
   CREATE UNIQUE INDEX kv_entries_identity ON kv_entries (company_id, scope, scope_key, key);
   CREATE INDEX kv_entries_expiry ON kv_entries (expires_at) WHERE expires_at IS NOT NULL;
   CREATE TABLE kv_master_keys (key_id INTEGER PRIMARY KEY, fingerprint TEXT NOT NULL, created_at TEXT NOT NULL);`,
  // History: the versions writes replaced, the last HISTORY_MAX_VERSIONS per key, sealed like live values.
  `CREATE TABLE kv_history (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     company_id TEXT NOT NULL,
     scope TEXT NOT NULL,
     scope_key TEXT NOT NULL,
     key TEXT NOT NULL,
     version INTEGER NOT NULL,
     value_ciphertext BLOB NOT NULL,
     value_type TEXT NOT NULL,
     updated_at TEXT NOT NULL,
     replaced_at TEXT NOT NULL,
     deleted INTEGER NOT NULL
   );
   CREATE INDEX kv_history_key ON kv_history (company_id, scope, scope_key, key, seq);`,
];

/** A batch that keeps losing its rows to other processes gives up after this many tries. */
const MAX_ATTEMPTS = 100;
/**
 * Waits (asynchronously, the event loop stays free) before each retry of a batch that found the
 * database locked by another process; past the last, the batch fails with "busy, try again".
 */
const BUSY_RETRY_DELAYS_MS = [10, 25, 50, 100, 200];
/** Expired rows removed per writing batch: enough to keep up, small enough to stay quick. */
const PURGE_PER_BATCH = 100;
/** Above every character a valid key can hold, so `[prefix, prefix + this)` spans the prefix. */
const AFTER_ALL_KEYS = '\u{10FFFF}';

/** An `EntryRow` as the array `ENTRY_COLUMNS` reads (a raw statement: no object built in C++ per row). */
type EntryColumns = [
  id: string,
  companyId: string,
  scope: Scope,
  scopeKey: string,
  key: string,
  valueCiphertext: Buffer,
  valueType: ValueType,
  version: number,
  createdAt: string,
  updatedAt: string,
  expiresAt: string | null,
];

interface StampRow {
  key: string;
  id: string;
  version: number;
  expires_at: string | null;
}

type ListParams = [
  companyId: string,
  scope: string,
  scopeKey: string,
  from: string,
  to: string,
  prefixLength: number,
  prefix: string,
  afterKey: string | null,
  afterKeyAgain: string | null,
  now: string,
  limit: number,
];
type RowParams = [companyId: string, scope: string, scopeKey: string, key: string];
type ScopeParams = [companyId: string, scope: string, scopeKey: string];

interface DeletedRow {
  key: string;
  version: number;
  replaced_at: string;
}
interface DeletedParams {
  companyId: string;
  scope: string;
  scopeKey: string;
  from: string;
  to: string;
  now: string;
  limit: number;
}
/** `pattern` is `%contains%` with LIKE's wildcards escaped; LIKE ignores ASCII case, as `contains` does. */
interface KeyNameParams {
  companyId: string;
  scope: string;
  scopeKey: string;
  from: string;
  to: string;
  prefixLength: number;
  prefix: string;
  contains: string;
  pattern: string;
  now: string;
}

/** What phase 1 saw: a row's stamp (`null`: no row) or a list query and the stamps it returned. */
type Observation =
  | { kind: 'row'; params: RowParams; stamp: string | null }
  | { kind: 'list'; params: ListParams; stamps: string[] }
  | { kind: 'keys'; params: KeyNameParams & { afterKey: string | null; limit: number }; stamps: string[]; total: number }
  /** A key's history, stamped by its newest sequence number; a scope's, for the deleted keys. */
  | { kind: 'history'; params: RowParams; stamp: number | null }
  | { kind: 'scopeHistory'; params: ScopeParams; stamp: number | null };

interface SealedWrite {
  write: BatchWrite;
  ciphertext: Buffer | null;
  /** The write's replaced versions, sealed, oldest first. */
  history: HistoryInsert[];
}

/** A kept version's row with the identity columns of its key. */
interface HistoryInsert extends HistoryRow {
  company_id: string;
  scope: Scope;
  scope_key: string;
  key: string;
}

export interface SqliteStoreOptions {
  db: Database;
  cipher: ValueCipher;
  /** Close `db` when the store closes (true when the store opened it). */
  ownsDatabase?: boolean;
  /** Clock and id source, for tests. */
  batchOptions?: BatchOptions;
  /** The data directory, whose reserve file (see `RESERVE_FILE`) lets deletes pass on a full disk. */
  dataDir?: string;
}

export class SqliteStore implements KeyValueStore {
  readonly kind = 'sqlite';
  /** The connection, shared with the server's own tables (blueprints, runs). */
  readonly db: Database;
  /** The master key's cipher; the server seals its own rows with it too. */
  readonly cipher: ValueCipher;
  private readonly ownsDatabase: boolean;
  private readonly batchOptions: BatchOptions;
  private readonly dataDir: string | null;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  private readonly selectRow: Statement<RowParams, EntryColumns>;
  private readonly selectStamp: Statement<RowParams, StampRow>;
  private readonly selectList: Statement<ListParams, EntryColumns>;
  private readonly selectListStamps: Statement<ListParams, StampRow>;
  private readonly selectKeyNames: Statement<[KeyNameParams & { afterKey: string | null; limit: number }], StampRow>;
  private readonly countKeyNames: Statement<[KeyNameParams], { total: number }>;
  private readonly upsertRow: Statement<[EntryRow]>;
  private readonly deleteRow: Statement<RowParams>;
  private readonly purgeExpired: Statement<[string, number]>;
  private readonly selectById: Statement<[string, string], EntryRow>;
  private readonly deleteByIdReturning: Statement<[string, string], { expires_at: string | null }>;
  private readonly selectCompanyById: Statement<[string], { company_id: string }>;
  private readonly selectAddressById: Statement<[string, string], { scope: Scope; scope_key: string; key: string }>;
  private readonly insertHistory: Statement<[HistoryInsert]>;
  private readonly selectScopes: Statement<[string, string], { scope: Scope; scope_key: string }>;
  private readonly trimHistory: Statement<[...RowParams, ...RowParams]>;
  private readonly selectHistory: Statement<RowParams, HistoryRow>;
  private readonly historyStamp: Statement<RowParams, { seq: number | null }>;
  private readonly scopeHistoryStamp: Statement<ScopeParams, { seq: number | null }>;
  private readonly selectDeleted: Statement<[DeletedParams], DeletedRow>;
  private readonly commitBatch: (observations: Observation[], writes: SealedWrite[], companyId: string, now: string) => boolean;

  constructor(options: SqliteStoreOptions) {
    this.db = options.db;
    this.cipher = options.cipher;
    this.ownsDatabase = options.ownsDatabase ?? false;
    this.batchOptions = options.batchOptions ?? {};
    this.dataDir = options.dataDir ?? null;
    migrate(this.db, 'kv', KV_MIGRATIONS);

    const identity = 'company_id = ? AND scope = ? AND scope_key = ? AND key = ?';
    // A LIMIT bound as a bare parameter costs SQLite about 10 µs more on every run (measured:
    // more than reading a row); the same LIMIT behind a CAST does not.
    const listWhere = `company_id = ? AND scope = ? AND scope_key = ? AND key >= ? AND key < ? AND substr(key, 1, ?) = ?
      AND (? IS NULL OR key > ?) AND (expires_at IS NULL OR expires_at > ?) ORDER BY key LIMIT CAST(? AS INTEGER)`;
    // The hot reads are raw: building each row's object in JS is cheaper than better-sqlite3 doing it.
    this.selectRow = this.db.prepare<RowParams, EntryColumns>(`SELECT ${ENTRY_COLUMNS} FROM kv_entries WHERE ${identity}`).raw(true);
    this.selectStamp = this.db.prepare(`SELECT key, id, version, expires_at FROM kv_entries WHERE ${identity}`);
    this.selectList = this.db.prepare<ListParams, EntryColumns>(`SELECT ${ENTRY_COLUMNS} FROM kv_entries WHERE ${listWhere}`).raw(true);
    this.selectListStamps = this.db.prepare(`SELECT key, id, version, expires_at FROM kv_entries WHERE ${listWhere}`);
    // Key names only: the identity index holds them in order, and no value is read or decrypted.
    const namesWhere = `company_id = @companyId AND scope = @scope AND scope_key = @scopeKey AND key >= @from AND key < @to
      AND substr(key, 1, @prefixLength) = @prefix AND (@contains = '' OR key LIKE @pattern ESCAPE '\\')
      AND (expires_at IS NULL OR expires_at > @now)`;
    this.selectKeyNames = this.db.prepare(`SELECT key, id, version, expires_at FROM kv_entries WHERE ${namesWhere}
      AND (@afterKey IS NULL OR key > @afterKey) ORDER BY key LIMIT CAST(@limit AS INTEGER)`);
    this.countKeyNames = this.db.prepare(`SELECT count(*) AS total FROM kv_entries WHERE ${namesWhere}`);
    this.upsertRow = this.db.prepare(`INSERT INTO kv_entries
        (id, company_id, scope, scope_key, key, value_ciphertext, value_type, version, created_at, updated_at, expires_at)
      VALUES (@id, @company_id, @scope, @scope_key, @key, @value_ciphertext, @value_type, @version, @created_at, @updated_at, @expires_at)
      ON CONFLICT (company_id, scope, scope_key, key) DO UPDATE SET
        id = excluded.id, value_ciphertext = excluded.value_ciphertext, value_type = excluded.value_type,
        version = excluded.version, created_at = excluded.created_at, updated_at = excluded.updated_at,
        expires_at = excluded.expires_at`);
    this.deleteRow = this.db.prepare(`DELETE FROM kv_entries WHERE ${identity}`);
    this.purgeExpired = this.db.prepare(`DELETE FROM kv_entries WHERE id IN
      (SELECT id FROM kv_entries WHERE expires_at IS NOT NULL AND expires_at <= ? LIMIT CAST(? AS INTEGER))`);
    this.selectById = this.db.prepare('SELECT * FROM kv_entries WHERE id = ? AND company_id = ?');
    this.deleteByIdReturning = this.db.prepare('DELETE FROM kv_entries WHERE id = ? AND company_id = ? RETURNING expires_at');
    this.selectCompanyById = this.db.prepare('SELECT company_id FROM kv_entries WHERE id = ?');
    this.selectAddressById = this.db.prepare('SELECT scope, scope_key, key FROM kv_entries WHERE id = ? AND company_id = ?');
    this.selectScopes = this.db.prepare(`SELECT DISTINCT scope, scope_key FROM kv_entries
      WHERE company_id = ? AND (expires_at IS NULL OR expires_at > ?) ORDER BY scope, scope_key`);
    this.insertHistory = this.db.prepare(`INSERT INTO kv_history
        (company_id, scope, scope_key, key, version, value_ciphertext, value_type, updated_at, replaced_at, deleted)
      VALUES (@company_id, @scope, @scope_key, @key, @version, @value_ciphertext, @value_type, @updated_at, @replaced_at, @deleted)`);
    // Everything but the newest HISTORY_MAX_VERSIONS of a key (no row at that offset: nothing).
    this.trimHistory = this.db.prepare(`DELETE FROM kv_history WHERE ${identity} AND seq <=
      (SELECT seq FROM kv_history WHERE ${identity} ORDER BY seq DESC LIMIT 1 OFFSET ${HISTORY_MAX_VERSIONS})`);
    this.selectHistory = this.db.prepare(`SELECT version, value_ciphertext, value_type, updated_at, replaced_at, deleted
      FROM kv_history WHERE ${identity} ORDER BY seq DESC LIMIT ${HISTORY_MAX_VERSIONS}`);
    this.historyStamp = this.db.prepare(`SELECT max(seq) AS seq FROM kv_history WHERE ${identity}`);
    this.scopeHistoryStamp = this.db.prepare('SELECT max(seq) AS seq FROM kv_history WHERE company_id = ? AND scope = ? AND scope_key = ?');
    // A key's newest kept version ended by a delete, with no live row: names and times only, nothing decrypted.
    this.selectDeleted = this.db.prepare(`SELECT h.key, h.version, h.replaced_at FROM kv_history h
      WHERE h.company_id = @companyId AND h.scope = @scope AND h.scope_key = @scopeKey AND h.key >= @from AND h.key < @to
        AND h.deleted = 1
        AND h.seq = (SELECT max(seq) FROM kv_history l
          WHERE l.company_id = h.company_id AND l.scope = h.scope AND l.scope_key = h.scope_key AND l.key = h.key)
        AND NOT EXISTS (SELECT 1 FROM kv_entries e
          WHERE e.company_id = h.company_id AND e.scope = h.scope AND e.scope_key = h.scope_key AND e.key = h.key
            AND (e.expires_at IS NULL OR e.expires_at > @now))
      ORDER BY h.replaced_at DESC, h.seq DESC LIMIT CAST(@limit AS INTEGER)`);

    const commit = this.db.transaction((observations: Observation[], writes: SealedWrite[], companyId: string, now: string): boolean => {
      if (!this.stillHolds(observations)) return false;
      for (const { write, ciphertext, history } of writes) {
        if (write.entry && ciphertext) this.upsertRow.run(toRow(write.entry, ciphertext));
        else this.deleteRow.run(companyId, write.scope, write.scopeKey, write.key);
        if (history.length === 0) continue;
        for (const version of history) this.insertHistory.run(version);
        const row: RowParams = [companyId, write.scope, write.scopeKey, write.key];
        this.trimHistory.run(...row, ...row);
      }
      if (writes.length > 0) this.purgeExpired.run(now, PURGE_PER_BATCH);
      return true;
    });
    this.commitBatch = (...args) => commit.immediate(...args);
  }

  batch(companyId: string, ops: KvOp[]): Promise<KvOpResult[]> {
    const snapshot = snapshotOfReads(ops) ?? snapshotOps(ops);
    const run = this.queue.then(() => this.runBatch(companyId, snapshot));
    this.queue = run.catch(() => undefined);
    return run;
  }

  async getById(companyId: string, id: string): Promise<Entry | null> {
    return this.exclusive(() => {
      const row = this.selectById.get(id, companyId);
      if (!row || isRowExpired(row, this.now())) return null;
      return openEntry(this.cipher, row);
    });
  }

  async deleteById(companyId: string, id: string): Promise<boolean> {
    const address = await this.exclusive(() => this.selectAddressById.get(id, companyId));
    if (!address) return false;
    // Through a delete op, so the deleted version is kept in the history like any other delete.
    // A row whose key is not a valid key name (written by hand) is removed directly.
    if (!KEY_PATTERN.test(address.key)) {
      return this.exclusive(() => {
        const removed = this.withReserveForDeletes(true, () => this.deleteByIdReturning.get(id, companyId));
        return removed !== undefined && !(removed.expires_at !== null && removed.expires_at <= this.now().toISOString());
      });
    }
    const [result] = await this.batch(companyId, [{ op: 'delete', key: address.key, scope: address.scope, scopeKey: address.scope_key }]);
    return result?.op === 'delete' && result.deleted;
  }

  /** The scopes holding live entries of a company, sorted: for `kvb kv export` of a whole data directory. */
  async scopesOf(companyId: string): Promise<Array<{ scope: Scope; scopeKey: string }>> {
    const now = this.now().toISOString();
    const rows = await this.exclusive(() => this.selectScopes.all(companyId, now));
    return rows.map((row) => ({ scope: row.scope, scopeKey: row.scope_key }));
  }

  /**
   * The companyId holding entry `id`, or null. For the server's loopback mode without tokens,
   * where every caller is trusted and the seed's `DELETE /api/kv/{id}` names no company.
   */
  companyOfEntryId(id: string): string | null {
    this.assertOpen();
    return this.guard(() => this.selectCompanyById.get(id))?.company_id ?? null;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.queue;
    this.closed = true;
    if (this.ownsDatabase) this.db.close();
  }

  private async runBatch(companyId: string, ops: KvOp[]): Promise<KvOpResult[]> {
    for (let retry = 0; ; retry++) {
      try {
        return await this.runBatchOnce(companyId, ops);
      } catch (error) {
        if (!(error instanceof DatabaseBusyError) || retry >= BUSY_RETRY_DELAYS_MS.length) throw error;
        await delay(BUSY_RETRY_DELAYS_MS[retry]!);
      }
    }
  }

  private async runBatchOnce(companyId: string, ops: KvOp[]): Promise<KvOpResult[]> {
    this.assertOpen();
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const observations: Observation[] = [];
      let outcome;
      try {
        outcome = await executeBatch(companyId, ops, this.readerFor(companyId, observations), this.batchOptions);
      } catch (error) {
        // The failure may come from rows another process changed mid-read: only report it if
        // what was read is still current, so the batch behaves as if it ran at one instant.
        if (observations.length > 1 && !this.guard(() => this.db.transaction(() => this.stillHolds(observations)).deferred())) continue;
        throw asStoreError(error);
      }
      if (outcome.writes.length === 0) {
        // Read only: every result was built from rows decrypted for this batch alone, so there is
        // nothing to copy. One read is one statement, atomic on its own; more are checked in one
        // read transaction, which never waits for, or holds, the write lock.
        if (observations.length <= 1 || this.guard(() => this.db.transaction(() => this.stillHolds(observations)).deferred())) {
          return outcome.results;
        }
        continue;
      }
      const sealed = outcome.writes.map((write): SealedWrite => ({
        write,
        ciphertext: write.entry ? sealEntry(this.cipher, write.entry) : null,
        history: write.replaced.map((version) => this.historyInsert(companyId, write, version)),
      }));
      const now = this.now().toISOString();
      if (this.guard(() => this.commitMakingRoom(observations, sealed, companyId, now))) return structuredClone(outcome.results);
    }
    throw new KvError('store', `The batch could not commit after ${MAX_ATTEMPTS} attempts: other processes keep changing the same keys`);
  }

  private readerFor(companyId: string, observations: Observation[]): BatchReader {
    return {
      read: (scope: Scope, scopeKey: string, key: string): Entry | null => {
        const params: RowParams = [companyId, scope, scopeKey, key];
        const columns = this.guard(() => this.selectRow.get(...params));
        const row = columns ? entryRowOf(columns) : undefined;
        observations.push({ kind: 'row', params, stamp: row ? stampOf(row) : null });
        return row ? openEntry(this.cipher, row) : null;
      },
      readPresence: (scope: Scope, scopeKey: string, key: string): RowPresence | null => {
        const params: RowParams = [companyId, scope, scopeKey, key];
        const row = this.guard(() => this.selectStamp.get(...params));
        observations.push({ kind: 'row', params, stamp: row ? stampOf(row) : null });
        return row ? { expiresAt: row.expires_at } : null;
      },
      list: (scope: Scope, scopeKey: string, query: ListQuery): ListedRows => {
        // Rows whose value does not open are left out and counted, and the page is filled up
        // from the rows after them, so one damaged row neither blocks its scope nor cuts a page short.
        const entries: Entry[] = [];
        const damagedKeys: string[] = [];
        let afterKey = query.afterKey;
        for (;;) {
          const params: ListParams = [
            companyId,
            scope,
            scopeKey,
            query.prefix,
            query.prefix + AFTER_ALL_KEYS,
            query.prefix.length,
            query.prefix,
            afterKey,
            afterKey,
            query.now,
            query.limit,
          ];
          const rows = this.guard(() => this.selectList.all(...params)).map(entryRowOf);
          observations.push({ kind: 'list', params, stamps: rows.map(stampOf) });
          for (const row of rows) {
            const entry = openEntryOrNull(this.cipher, row);
            if (entry) entries.push(entry);
            else damagedKeys.push(row.key);
          }
          if (rows.length < query.limit || entries.length >= query.limit) break;
          afterKey = rows[rows.length - 1]!.key;
        }
        return { entries: entries.slice(0, query.limit), damagedKeys };
      },
      keys: (scope: Scope, scopeKey: string, query: KeyQuery): KeyPage => {
        const params = {
          companyId,
          scope,
          scopeKey,
          from: query.prefix,
          to: query.prefix + AFTER_ALL_KEYS,
          prefixLength: query.prefix.length,
          prefix: query.prefix,
          contains: query.contains,
          pattern: `%${query.contains.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`,
          now: query.now,
          afterKey: query.afterKey,
          limit: query.limit,
        };
        const { rows, total } = this.guard(() => this.readKeyNames(params));
        observations.push({ kind: 'keys', params, stamps: rows.map(stampOf), total });
        return { keys: rows.map((row) => row.key), total };
      },
      history: (scope: Scope, scopeKey: string, key: string): HistoryVersion[] => {
        const params: RowParams = [companyId, scope, scopeKey, key];
        const { rows, stamp } = this.guard(() =>
          this.db
            .transaction(() => ({ rows: this.selectHistory.all(...params), stamp: this.historyStamp.get(...params)?.seq ?? null }))
            .deferred(),
        );
        observations.push({ kind: 'history', params, stamp });
        const identity: RowIdentity = { companyId, scope, scopeKey, key };
        return rows.flatMap((row) => openHistory(this.cipher, identity, row) ?? []);
      },
      deletedKeys: (scope: Scope, scopeKey: string, query: DeletedQuery): DeletedKey[] => {
        const params: ScopeParams = [companyId, scope, scopeKey];
        const { rows, stamp } = this.guard(() =>
          this.db
            .transaction(() => ({
              rows: this.selectDeleted.all({
                companyId,
                scope,
                scopeKey,
                from: query.prefix,
                to: query.prefix + AFTER_ALL_KEYS,
                now: query.now,
                limit: query.limit,
              }),
              stamp: this.scopeHistoryStamp.get(...params)?.seq ?? null,
            }))
            .deferred(),
        );
        observations.push({ kind: 'scopeHistory', params, stamp });
        return rows.map((row) => ({ key: row.key, version: row.version, deletedAt: row.replaced_at }));
      },
    };
  }

  private historyInsert(companyId: string, write: BatchWrite, version: HistoryVersion): HistoryInsert {
    const identity: RowIdentity = { companyId, scope: write.scope, scopeKey: write.scopeKey, key: write.key };
    return {
      company_id: companyId,
      scope: write.scope,
      scope_key: write.scopeKey,
      key: write.key,
      version: version.version,
      value_ciphertext: sealHistory(this.cipher, identity, version),
      value_type: version.valueType,
      updated_at: version.updatedAt,
      replaced_at: version.replacedAt,
      deleted: version.deleted ? 1 : 0,
    };
  }

  /** Commits; a batch that only deletes may spend the space reserve on a full disk. */
  private commitMakingRoom(observations: Observation[], writes: SealedWrite[], companyId: string, now: string): boolean {
    const onlyDeletes = writes.every(({ write }) => write.entry === null);
    // Once the reserve is spent (and cannot be made again), it is kept for deletes.
    if (!onlyDeletes && this.dataDir !== null && !hasReserve(this.dataDir)) {
      throw new KvError('store', 'SQLite store failed: the disk is full: free some space and try again (deleting keys still works)');
    }
    return this.withReserveForDeletes(onlyDeletes, () => this.commitBatch(observations, writes, companyId, now));
  }

  /**
   * Runs `write`; when it fails for a full disk and `deletesOnly`, gives up the reserve file and
   * runs it once more. Other writes keep failing with "the disk is full".
   */
  private withReserveForDeletes<T>(deletesOnly: boolean, write: () => T): T {
    try {
      return write();
    } catch (error) {
      if (!deletesOnly || !isFullError(error) || this.dataDir === null || !releaseReserve(this.dataDir)) throw error;
      return write();
    }
  }

  /** True when every row and list phase 1 saw is unchanged; run inside a transaction. */
  private stillHolds(observations: Observation[]): boolean {
    return observations.every((seen) => {
      if (seen.kind === 'row') {
        const row = this.selectStamp.get(...seen.params);
        return (row ? stampOf(row) : null) === seen.stamp;
      }
      if (seen.kind === 'history') return (this.historyStamp.get(...seen.params)?.seq ?? null) === seen.stamp;
      if (seen.kind === 'scopeHistory') return (this.scopeHistoryStamp.get(...seen.params)?.seq ?? null) === seen.stamp;
      if (seen.kind === 'keys') {
        const { rows, total } = this.readKeyNames(seen.params);
        return total === seen.total && rows.length === seen.stamps.length && rows.every((row, i) => stampOf(row) === seen.stamps[i]);
      }
      const rows = this.selectListStamps.all(...seen.params);
      return rows.length === seen.stamps.length && rows.every((row, i) => stampOf(row) === seen.stamps[i]);
    });
  }

  /** One page of names and the count of every match, read as one snapshot. */
  private readKeyNames(params: KeyNameParams & { afterKey: string | null; limit: number }): { rows: StampRow[]; total: number } {
    const { afterKey, limit, ...filter } = params;
    return this.db
      .transaction(() => ({
        rows: this.selectKeyNames.all({ ...filter, afterKey, limit }),
        total: this.countKeyNames.get(filter)?.total ?? 0,
      }))
      .deferred();
  }

  /** Runs a one-statement operation after the queued batches, with errors as `KvError`s. */
  private exclusive<T>(work: () => T): Promise<T> {
    const run = this.queue.then(() => {
      this.assertOpen();
      return this.guard(work);
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** SQLite failures (busy past the timeout, disk full, corrupt file) become `store` errors. */
  private guard<T>(work: () => T): T {
    try {
      return work();
    } catch (error) {
      throw asStoreError(error);
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new KvError('store', 'The SQLite store is closed');
  }

  private now(): Date {
    return this.batchOptions.now?.() ?? new Date();
  }
}

export interface OpenSqliteStoreOptions {
  dataDir: string;
  /** 32 bytes, or its 64-hex / base64 text; else `KVB_MASTER_KEY`, else `<dataDir>/master.key`. */
  masterKey?: Buffer | string;
  env?: NodeJS.ProcessEnv;
  batchOptions?: BatchOptions;
}

/**
 * Opens the store of a data directory: the database, the master key, and a check that the key
 * is the one the directory's values were sealed with (a clear `integrity` error at startup
 * rather than on every read).
 */
export function openSqliteStore(options: OpenSqliteStoreOptions): SqliteStore {
  refuseTruncatedDatabase(options);
  const db = openDatabase(options.dataDir);
  try {
    const key =
      typeof options.masterKey === 'string'
        ? parseMasterKey(options.masterKey, 'The master key')
        : (options.masterKey ?? loadMasterKey(options.dataDir, options.env).key);
    const cipher = new ValueCipher(key);
    const store = new SqliteStore({ db, cipher, ownsDatabase: true, batchOptions: options.batchOptions, dataDir: options.dataDir });
    withOpenBusyTimeout(db, () => {
      checkMasterKey(db, cipher);
      resealLegacyValues(db, cipher);
    });
    ensureReserve(options.dataDir);
    return store;
  } catch (error) {
    db.close();
    throw asStoreError(error);
  }
}

/**
 * A 0-byte database file beside a master key means the database was truncated (a bad copy, a
 * full disk): SQLite would open it as a new, empty store and the values would silently be gone.
 * A new data directory never has one (the file gets its header when it is created).
 */
function refuseTruncatedDatabase(options: OpenSqliteStoreOptions): void {
  const path = join(options.dataDir, DATABASE_FILE);
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    return;
  }
  if (size > 0) return;
  const env = options.env ?? process.env;
  const hasKey = options.masterKey !== undefined || Boolean(env[MASTER_KEY_ENV]) || existsSync(join(options.dataDir, MASTER_KEY_FILE));
  if (!hasKey) return;
  throw new DataDirectoryError(
    `The database ${path} is empty (0 bytes) although this data directory has a master key: the file was truncated or damaged. Restore it from a backup; to start an empty store on purpose, delete the file and ${MASTER_KEY_FILE}`,
  );
}

/** Records the key's fingerprint on first use; afterwards refuses a different key. */
function checkMasterKey(db: Database, cipher: ValueCipher, keyId = 1): void {
  const fingerprint = cipher.fingerprint();
  const known = db
    .transaction(() => {
      const row = db.prepare<[number], { fingerprint: string }>('SELECT fingerprint FROM kv_master_keys WHERE key_id = ?').get(keyId);
      if (row) return row.fingerprint;
      db.prepare('INSERT INTO kv_master_keys (key_id, fingerprint, created_at) VALUES (?, ?, ?)').run(
        keyId,
        fingerprint,
        new Date().toISOString(),
      );
      return fingerprint;
    })
    .immediate();
  if (known !== fingerprint) {
    throw new KvError(
      'integrity',
      `The master key is not the one this data directory's values were encrypted with (${db.name}). Set KVB_MASTER_KEY to the original key, or restore the original master.key`,
    );
  }
}

/**
 * Re-seals, once per database, the values earlier versions sealed in format 1 (identity only)
 * in format 2 (identity, version, value type, expiry); from then on a format-1 blob in the table
 * is refused, so an old copy cannot be swapped back in. Runs after the master key is checked.
 * A legacy value that does not open stays as it is: lists skip it, a delete removes it.
 */
function resealLegacyValues(db: Database, cipher: ValueCipher): void {
  const owner = 'kv-sealing';
  db.transaction(() => {
    const done = db.prepare<[string], { version: number }>('SELECT version FROM kvb_migrations WHERE owner = ?').get(owner);
    if (done && done.version >= 1) return;
    const legacy = db.prepare<[], EntryRow>("SELECT * FROM kv_entries WHERE substr(value_ciphertext, 1, 1) = x'01'").all();
    const update = db.prepare<[Buffer, string]>('UPDATE kv_entries SET value_ciphertext = ? WHERE id = ?');
    for (const row of legacy) {
      const identity = rowIdentityOf(row);
      let plaintext: string;
      try {
        plaintext = cipher.decrypt(row.value_ciphertext, identity);
      } catch {
        continue;
      }
      update.run(cipher.encrypt(plaintext, identity, rowBindingOf(row)), row.id);
    }
    db.prepare(
      'INSERT INTO kvb_migrations (owner, version, applied_at) VALUES (?, 1, ?) ON CONFLICT(owner) DO UPDATE SET version = 1, applied_at = excluded.applied_at',
    ).run(owner, new Date().toISOString());
  }).immediate();
}

function toRow(entry: Entry, ciphertext: Buffer): EntryRow {
  return {
    id: entry.id,
    company_id: entry.companyId,
    scope: entry.scope,
    scope_key: entry.scopeKey,
    key: entry.key,
    value_ciphertext: ciphertext,
    value_type: entry.valueType,
    version: entry.version,
    created_at: entry.createdAt,
    updated_at: entry.updatedAt,
    expires_at: entry.expiresAt,
  };
}

/**
 * A copy of `ops` when every op is a read (get, list, keys) whose fields all hold plain values:
 * copied field by field, which is what a structured clone would give, at a fraction of its
 * cost. Null for anything else, which takes the structured clone.
 */
function snapshotOfReads(ops: readonly KvOp[]): KvOp[] | null {
  try {
    const copies: KvOp[] = [];
    for (const op of ops) {
      if (typeof op !== 'object' || op === null || Array.isArray(op)) return null;
      const copy = { ...op };
      if (copy.op !== 'get' && copy.op !== 'list' && copy.op !== 'keys') return null;
      for (const value of Object.values(copy)) {
        if ((typeof value === 'object' && value !== null) || typeof value === 'function' || typeof value === 'symbol') return null;
      }
      copies.push(copy);
    }
    return copies;
  } catch {
    return null;
  }
}

function entryRowOf(columns: EntryColumns): EntryRow {
  const [id, company_id, scope, scope_key, key, value_ciphertext, value_type, version, created_at, updated_at, expires_at] = columns;
  return { id, company_id, scope, scope_key, key, value_ciphertext, value_type, version, created_at, updated_at, expires_at };
}

/** A row's identity in time: a rewrite bumps the version, a delete and re-create changes the id. */
function stampOf(row: { key: string; id: string; version: number }): string {
  return `${row.key}\u0000${row.id}\u0000${row.version}`;
}

function isRowExpired(row: EntryRow, now: Date): boolean {
  return row.expires_at !== null && row.expires_at <= now.toISOString();
}

function asStoreError(error: unknown): KvError {
  if (isKvError(error)) return error as KvError;
  if (isBusyError(error)) return new DatabaseBusyError(DATABASE_FILE);
  return new KvError('store', `SQLite store failed: ${describeSqliteError(error)}`);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => {
    setTimeout(resolve, ms);
  });
}
