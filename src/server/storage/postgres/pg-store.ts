/**
 * The KV store on PostgreSQL, shared by any number of `kvb serve` processes.
 *
 * A batch that writes is one READ COMMITTED transaction that first locks every row it names,
 * in one fixed order, then reads, runs `executeBatch` and writes:
 *   1. an advisory transaction lock per row (a 64-bit hash of company, scope, scope key and
 *      key), taken in ascending order by `kvb_lock_rows`: it covers rows that do not exist yet,
 *      so two batches creating the same key take turns too;
 *   2. `SELECT … FOR UPDATE` over those rows, sorted by (scope, scope key, key).
 * Every writer takes its locks in the same global order, so two batches that name the same keys
 * in different orders queue instead of deadlocking; a counter under concurrent increments
 * from many processes stays exact. Should PostgreSQL still report a deadlock or a
 * serialization failure, the batch runs again, a bounded number of times, before failing
 * with "busy, try again".
 *
 * A batch of reads only runs without locks: one statement on its own, several in one
 * REPEATABLE READ READ ONLY transaction (one snapshot).
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
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
} from '../../../kv/types';
import { DatabaseBusyError } from '../sqlite/database';
import {
  ENTRY_COLUMNS,
  openEntry,
  openEntryOrNull,
  openHistory,
  sealEntry,
  sealHistory,
  type EntryRow,
  type HistoryRow,
} from '../sealed-rows';
import type { RowIdentity, ValueCipher } from '../../encryption';

/** Tries of a batch that PostgreSQL aborted (deadlock, serialization failure, lost connection). */
const MAX_ATTEMPTS = 8;
/** Expired rows of the batch's company removed by a purging batch, and how often a batch purges. */
const PURGE_PER_BATCH = 100;
const PURGE_EVERY = 8;
const READ_OPS = new Set(['get', 'list', 'keys', 'history', 'deleted']);
/** SQLSTATEs after which the same batch, run again, can succeed. */
const RETRYABLE = new Set(['40001', '40P01', '55P03', '53300', '57P01', '08006', '08003', '08000']);

type Queryable = Pick<pg.PoolClient, 'query'>;

/** A database busy past the retries: the client is told to try again (see `publicStoreMessage`). */
export class PostgresBusyError extends DatabaseBusyError {
  constructor(why: string) {
    super(`PostgreSQL: ${why}`);
  }
}

export interface PostgresStoreOptions {
  pool: pg.Pool;
  cipher: ValueCipher;
  /** Resolves once the schema is in and the master key checked; every call waits for it. */
  ready: Promise<void>;
  batchOptions?: BatchOptions;
  /** Closes what the store runs on (the pool): a store opened alone, by the CLI, is closed alone. */
  onClose?: () => Promise<void>;
}

export class PostgresStore implements KeyValueStore {
  readonly kind = 'postgres';
  private readonly pool: pg.Pool;
  private readonly cipher: ValueCipher;
  private readonly ready: Promise<void>;
  private readonly batchOptions: BatchOptions;
  private readonly onClose: () => Promise<void>;
  private closed = false;

  constructor(options: PostgresStoreOptions) {
    this.onClose = options.onClose ?? (async () => undefined);
    this.pool = options.pool;
    this.cipher = options.cipher;
    this.ready = options.ready;
    this.batchOptions = options.batchOptions ?? {};
  }

  async batch(companyId: string, ops: KvOp[]): Promise<KvOpResult[]> {
    const snapshot = snapshotOps(ops);
    await this.open();
    const readOnly = snapshot.every((op) => typeof op === 'object' && op !== null && READ_OPS.has(op.op));
    return this.retrying(() => (readOnly ? this.readBatch(companyId, snapshot) : this.writeBatch(companyId, snapshot)));
  }

  async getById(companyId: string, id: string): Promise<Entry | null> {
    await this.open();
    const { rows } = await this.guard(() =>
      this.pool.query<EntryRow>({
        name: 'kv-by-id',
        text: `SELECT ${ENTRY_COLUMNS} FROM kv_entries WHERE id = $1 AND company_id = $2`,
        values: [id, companyId],
      }),
    );
    const row = rows[0];
    if (!row || (row.expires_at !== null && row.expires_at <= this.now().toISOString())) return null;
    return openEntry(this.cipher, row);
  }

  async deleteById(companyId: string, id: string): Promise<boolean> {
    await this.open();
    const { rows } = await this.guard(() =>
      this.pool.query<EntryRow>('SELECT scope, scope_key, key FROM kv_entries WHERE id = $1 AND company_id = $2', [id, companyId]),
    );
    const address = rows[0];
    if (!address) return false;
    // Through a delete op, so the deleted version is kept in the history like any other delete.
    if (KEY_PATTERN.test(address.key)) {
      const [result] = await this.batch(companyId, [{ op: 'delete', key: address.key, scope: address.scope, scopeKey: address.scope_key }]);
      return result?.op === 'delete' && result.deleted;
    }
    // A row whose key is not a valid key name (written by hand) is removed directly.
    return this.retrying(() =>
      this.transaction(async (client) => {
        await lockRows(client, [lockIdOf(companyId, address.scope, address.scope_key, address.key)]);
        const removed = await client.query<{ expires_at: string | null }>(
          'DELETE FROM kv_entries WHERE company_id = $1 AND scope = $2 AND scope_key = $3 AND key = $4 AND id = $5 RETURNING expires_at',
          [companyId, address.scope, address.scope_key, address.key, id],
        );
        const gone = removed.rows[0];
        return gone !== undefined && !(gone.expires_at !== null && gone.expires_at <= this.now().toISOString());
      }),
    );
  }

  /** The companyId holding entry `id`, or null (the server's loopback mode). */
  async companyOfEntryId(id: string): Promise<string | null> {
    await this.open();
    const { rows } = await this.guard(() =>
      this.pool.query<{ company_id: string }>('SELECT company_id FROM kv_entries WHERE id = $1 LIMIT 1', [id]),
    );
    return rows[0]?.company_id ?? null;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.onClose();
  }

  private async readBatch(companyId: string, ops: KvOp[]): Promise<KvOpResult[]> {
    if (ops.length <= 1) {
      const outcome = await executeBatch(companyId, ops, this.readerFor(this.pool, companyId, new Map()), this.batchOptions);
      return outcome.results;
    }
    return this.transaction(async (client) => {
      const outcome = await executeBatch(companyId, ops, this.readerFor(client, companyId, new Map()), this.batchOptions);
      return outcome.results;
    }, 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  }

  private async writeBatch(companyId: string, ops: KvOp[]): Promise<KvOpResult[]> {
    const named = rowsNamedBy(ops);
    return this.transaction(async (client) => {
      const locked = new Map<string, EntryRow | null>();
      if (named.length > 0) {
        await lockRows(client, [...new Set(named.map((row) => lockIdOf(companyId, row.scope, row.scopeKey, row.key)))]);
        const { rows } = await client.query<EntryRow>(
          `SELECT ${ENTRY_COLUMNS} FROM kv_entries
             WHERE company_id = $1 AND (scope, scope_key, key) IN (SELECT * FROM unnest($2::text[], $3::text[], $4::text[]))
             ORDER BY scope, scope_key, key FOR UPDATE`,
          [companyId, named.map((row) => row.scope), named.map((row) => row.scopeKey), named.map((row) => row.key)],
        );
        for (const row of named) locked.set(rowKey(row.scope, row.scopeKey, row.key), null);
        for (const row of rows) locked.set(rowKey(row.scope, row.scope_key, row.key), row);
      }
      const outcome = await executeBatch(companyId, ops, this.readerFor(client, companyId, locked), this.batchOptions);
      if (outcome.writes.length === 0) return outcome.results;
      await this.persist(client, companyId, outcome.writes);
      return structuredClone(outcome.results);
    });
  }

  private async persist(client: Queryable, companyId: string, writes: BatchWrite[]): Promise<void> {
    const upserts = writes.filter((write) => write.entry !== null).map((write) => write.entry!);
    const deletes = writes.filter((write) => write.entry === null);
    if (upserts.length > 0) {
      const column = (pick: (entry: Entry) => unknown) => upserts.map(pick);
      await client.query({
        name: 'kv-upsert',
        text: `INSERT INTO kv_entries (company_id, scope, scope_key, key, id, value_ciphertext, value_type, version, created_at, updated_at, expires_at)
          SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::bytea[], $7::text[], $8::int[], $9::text[], $10::text[], $11::text[])
          ON CONFLICT (company_id, scope, scope_key, key) DO UPDATE SET
            id = excluded.id, value_ciphertext = excluded.value_ciphertext, value_type = excluded.value_type,
            version = excluded.version, created_at = excluded.created_at, updated_at = excluded.updated_at,
            expires_at = excluded.expires_at`,
        values: [
          companyId,
          column((entry) => entry.scope),
          column((entry) => entry.scopeKey),
          column((entry) => entry.key),
          column((entry) => entry.id),
          upserts.map((entry) => sealEntry(this.cipher, entry)),
          column((entry) => entry.valueType),
          column((entry) => entry.version),
          column((entry) => entry.createdAt),
          column((entry) => entry.updatedAt),
          column((entry) => entry.expiresAt),
        ],
      });
    }
    if (deletes.length > 0) {
      await client.query({
        name: 'kv-delete',
        text: `DELETE FROM kv_entries WHERE company_id = $1
          AND (scope, scope_key, key) IN (SELECT * FROM unnest($2::text[], $3::text[], $4::text[]))`,
        values: [companyId, deletes.map((write) => write.scope), deletes.map((write) => write.scopeKey), deletes.map((write) => write.key)],
      });
    }
    const history = writes.flatMap((write) => write.replaced.map((version) => ({ write, version })));
    if (history.length > 0) {
      const column = (pick: (item: (typeof history)[number]) => unknown) => history.map(pick);
      await client.query({
        name: 'kv-history-insert',
        text: `INSERT INTO kv_history (company_id, scope, scope_key, key, version, value_ciphertext, value_type, updated_at, replaced_at, deleted)
          SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::int[], $6::bytea[], $7::text[], $8::text[], $9::text[], $10::smallint[])`,
        values: [
          companyId,
          column(({ write }) => write.scope),
          column(({ write }) => write.scopeKey),
          column(({ write }) => write.key),
          column(({ version }) => version.version),
          history.map(({ write, version }) =>
            sealHistory(this.cipher, { companyId, scope: write.scope, scopeKey: write.scopeKey, key: write.key }, version),
          ),
          column(({ version }) => version.valueType),
          column(({ version }) => version.updatedAt),
          column(({ version }) => version.replacedAt),
          column(({ version }) => (version.deleted ? 1 : 0)),
        ],
      });
    }
    // One writing batch in PURGE_EVERY also tidies up: versions past the newest
    // HISTORY_MAX_VERSIONS of the keys it wrote, and expired rows of its company (reads leave
    // both out already, so no answer changes); rows another batch holds are skipped, so it never waits.
    if (Math.random() >= 1 / PURGE_EVERY) return;
    const trimmed = writes.filter((write) => write.replaced.length > 0);
    if (trimmed.length > 0) {
      // Everything but the newest HISTORY_MAX_VERSIONS of each key written.
      await client.query({
        name: 'kv-history-trim',
        text: `DELETE FROM kv_history h USING unnest($2::text[], $3::text[], $4::text[]) AS w(scope, scope_key, key)
          WHERE h.company_id = $1 AND h.scope = w.scope AND h.scope_key = w.scope_key AND h.key = w.key
            AND h.seq <= (SELECT seq FROM kv_history l
              WHERE l.company_id = $1 AND l.scope = w.scope AND l.scope_key = w.scope_key AND l.key = w.key
              ORDER BY seq DESC LIMIT 1 OFFSET ${HISTORY_MAX_VERSIONS})`,
        values: [companyId, trimmed.map((write) => write.scope), trimmed.map((write) => write.scopeKey), trimmed.map((write) => write.key)],
      });
    }
    await client.query({
      name: 'kv-purge',
      text: `DELETE FROM kv_entries WHERE (company_id, scope, scope_key, key) IN (
          SELECT company_id, scope, scope_key, key FROM kv_entries
            WHERE company_id = $1 AND expires_at IS NOT NULL AND expires_at <= $2
            LIMIT ${PURGE_PER_BATCH} FOR UPDATE SKIP LOCKED)`,
      values: [companyId, this.now().toISOString()],
    });
  }

  /** Rows through `client`; rows this batch locked come from `locked` (null: no such row). */
  private readerFor(client: Queryable, companyId: string, locked: Map<string, EntryRow | null>): BatchReader {
    const rowOf = async (scope: Scope, scopeKey: string, key: string): Promise<EntryRow | null> => {
      const known = locked.get(rowKey(scope, scopeKey, key));
      if (known !== undefined) return known;
      const { rows } = await client.query<EntryRow>({
        name: 'kv-row',
        text: `SELECT ${ENTRY_COLUMNS} FROM kv_entries WHERE company_id = $1 AND scope = $2 AND scope_key = $3 AND key = $4`,
        values: [companyId, scope, scopeKey, key],
      });
      return rows[0] ?? null;
    };
    return {
      read: async (scope, scopeKey, key) => {
        const row = await rowOf(scope, scopeKey, key);
        return row ? openEntry(this.cipher, row) : null;
      },
      readPresence: async (scope, scopeKey, key): Promise<RowPresence | null> => {
        const row = await rowOf(scope, scopeKey, key);
        return row ? { expiresAt: row.expires_at } : null;
      },
      list: async (scope, scopeKey, query: ListQuery): Promise<ListedRows> => {
        // Rows that do not open are left out and counted; the page fills up from the rows after them.
        const entries: Entry[] = [];
        const damagedKeys: string[] = [];
        let afterKey = query.afterKey;
        for (;;) {
          const { rows } = await client.query<EntryRow>({
            name: 'kv-list',
            text: `SELECT ${ENTRY_COLUMNS} FROM kv_entries
              WHERE company_id = $1 AND scope = $2 AND scope_key = $3 AND starts_with(key, $4)
                AND ($5::text IS NULL OR key > $5) AND (expires_at IS NULL OR expires_at > $6)
              ORDER BY key LIMIT $7`,
            values: [companyId, scope, scopeKey, query.prefix, afterKey, query.now, query.limit],
          });
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
      keys: async (scope, scopeKey, query: KeyQuery): Promise<KeyPage> => {
        const pattern = `%${query.contains.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
        const { rows } = await client.query<{ key: string | null; total: string }>({
          name: 'kv-keys',
          text: `WITH matching AS (
              SELECT key FROM kv_entries
                WHERE company_id = $1 AND scope = $2 AND scope_key = $3 AND starts_with(key, $4)
                  AND ($5 = '' OR key ILIKE $6) AND (expires_at IS NULL OR expires_at > $7))
            SELECT page.key, (SELECT count(*) FROM matching) AS total
              FROM (SELECT 1) AS one
              LEFT JOIN (SELECT key FROM matching WHERE $8::text IS NULL OR key > $8 ORDER BY key LIMIT $9) AS page ON true
              ORDER BY page.key`,
          values: [companyId, scope, scopeKey, query.prefix, query.contains, pattern, query.now, query.afterKey, query.limit],
        });
        return { keys: rows.flatMap((row) => (row.key === null ? [] : [row.key])), total: Number(rows[0]?.total ?? 0) };
      },
      history: async (scope, scopeKey, key): Promise<HistoryVersion[]> => {
        const { rows } = await client.query<HistoryRow>({
          name: 'kv-history',
          text: `SELECT version, value_ciphertext, value_type, updated_at, replaced_at, deleted FROM kv_history
            WHERE company_id = $1 AND scope = $2 AND scope_key = $3 AND key = $4 ORDER BY seq DESC LIMIT ${HISTORY_MAX_VERSIONS}`,
          values: [companyId, scope, scopeKey, key],
        });
        const identity: RowIdentity = { companyId, scope, scopeKey, key };
        return rows.flatMap((row) => openHistory(this.cipher, identity, row) ?? []);
      },
      deletedKeys: async (scope, scopeKey, query: DeletedQuery): Promise<DeletedKey[]> => {
        // A key's newest kept version ended by a delete, with no live row: names and times only.
        const { rows } = await client.query<{ key: string; version: number; replaced_at: string }>({
          name: 'kv-deleted',
          text: `SELECT h.key, h.version, h.replaced_at FROM kv_history h
            WHERE h.company_id = $1 AND h.scope = $2 AND h.scope_key = $3 AND starts_with(h.key, $4) AND h.deleted = 1
              AND h.seq = (SELECT max(seq) FROM kv_history l
                WHERE l.company_id = h.company_id AND l.scope = h.scope AND l.scope_key = h.scope_key AND l.key = h.key)
              AND NOT EXISTS (SELECT 1 FROM kv_entries e
                WHERE e.company_id = h.company_id AND e.scope = h.scope AND e.scope_key = h.scope_key AND e.key = h.key
                  AND (e.expires_at IS NULL OR e.expires_at > $5))
            ORDER BY h.replaced_at DESC, h.seq DESC LIMIT $6`,
          values: [companyId, scope, scopeKey, query.prefix, query.now, query.limit],
        });
        return rows.map((row) => ({ key: row.key, version: row.version, deletedAt: row.replaced_at }));
      },
    };
  }

  private transaction<T>(work: (client: pg.PoolClient) => Promise<T>, begin = 'BEGIN'): Promise<T> {
    return inTransaction(this.pool, work, begin);
  }

  /** Runs `attempt` again after a deadlock, serialization failure or lost connection, with a growing pause. */
  private async retrying<T>(attempt: () => Promise<T>): Promise<T> {
    for (let tries = 1; ; tries++) {
      try {
        return await attempt();
      } catch (error) {
        if (isKvError(error)) throw error;
        const code = (error as { code?: string }).code;
        if (code !== undefined && RETRYABLE.has(code)) {
          if (tries >= MAX_ATTEMPTS) throw new PostgresBusyError(`${describePgError(error)} after ${tries} tries`);
          await delay(Math.random() * 5 * 2 ** tries);
          continue;
        }
        throw asStoreError(error);
      }
    }
  }

  private async guard<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw asStoreError(error);
    }
  }

  private async open(): Promise<void> {
    if (this.closed) throw new KvError('store', 'The PostgreSQL store is closed');
    await this.ready;
  }

  private now(): Date {
    return this.batchOptions.now?.() ?? new Date();
  }
}

/** The rows a batch names by key (every op but list and keys), for locking; invalid ops are left to `executeBatch`. */
function rowsNamedBy(ops: readonly KvOp[]): Array<{ scope: Scope; scopeKey: string; key: string }> {
  const rows = new Map<string, { scope: Scope; scopeKey: string; key: string }>();
  for (const op of ops) {
    if (typeof op !== 'object' || op === null) continue;
    const { key, scope } = op as { key?: unknown; scope?: unknown };
    if (typeof key !== 'string' || (scope !== 'global' && scope !== 'flow' && scope !== 'flow_group')) continue;
    const scopeKey = scope === 'global' ? '' : (op as { scopeKey?: unknown }).scopeKey;
    if (typeof scopeKey !== 'string') continue;
    rows.set(rowKey(scope, scopeKey, key), { scope, scopeKey, key });
  }
  return [...rows.values()];
}

/** Takes the advisory locks of `ids`, lowest first: the one order every batch uses. */
async function lockRows(client: Queryable, ids: string[]): Promise<void> {
  const sorted = ids.map(BigInt).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  await client.query({ name: 'kv-lock', text: 'SELECT kvb_lock_rows($1::bigint[])', values: [sorted.map(String)] });
}

/** The advisory lock id of a row: the first 8 bytes of a SHA-256 of its identity, as a signed 64-bit number. */
export function lockIdOf(companyId: string, scope: string, scopeKey: string, key: string): string {
  const digest = createHash('sha256')
    .update(JSON.stringify([companyId, scope, scopeKey, key]))
    .digest();
  return digest.readBigInt64BE(0).toString();
}

function rowKey(scope: string, scopeKey: string, key: string): string {
  return `${scope}\u0000${scopeKey}\u0000${key}`;
}

/**
 * Runs `work` in one transaction on one pooled connection: committed when it returns, rolled
 * back when it throws, with `work`'s error thrown as it is. A connection that cannot be had is a
 * `store` error; one whose rollback failed is dropped from the pool, not reused.
 */
export async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>, begin = 'BEGIN'): Promise<T> {
  const client = await pool.connect().catch((error: unknown) => {
    throw asStoreError(error);
  });
  let broken = false;
  try {
    await client.query(begin);
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {
      broken = true;
    });
    throw error;
  } finally {
    client.release(broken);
  }
}

/** PostgreSQL's message and SQLSTATE, or the connection error. */
export function describePgError(error: unknown): string {
  const { message, code } = error as { message?: string; code?: string };
  return code ? `${message ?? 'error'} (SQLSTATE ${code})` : (message ?? String(error));
}

export function asStoreError(error: unknown): KvError {
  if (isKvError(error)) return error as KvError;
  const code = (error as { code?: string }).code;
  if (code === '22021' || code === '22P05') {
    return new KvError('invalid_request', 'A companyId, scopeKey or key holds a character PostgreSQL cannot store (U+0000)');
  }
  return new KvError('store', `PostgreSQL store failed: ${describePgError(error)}`);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => {
    setTimeout(resolve, ms);
  });
}
