/**
 * The browser store (ARCHITECTURE.md, store contract): entries in IndexedDB, values encrypted with a
 * non-extractable AES-GCM key kept in the same database (see `browser-crypto.ts`).
 *
 * How a batch stays atomic although WebCrypto is async. An IndexedDB transaction commits on
 * its own as soon as the code awaits anything that is not one of its requests, so decrypting
 * and encrypting cannot happen inside the transaction that writes. Instead:
 *
 * 1. Batches on one database run one at a time under an exclusive Web Lock named
 *    `kvb-store:<dbName>`, which also excludes other tabs of the same origin; where Web Locks
 *    are missing (Node, old browsers) a per-tab promise queue stands in.
 * 2. Inside the lock: read (and decrypt) rows in short read-only transactions, run
 *    `executeBatch` (the op semantics), encrypt the writes, then apply every write in ONE
 *    read-write transaction, so a batch is all-or-nothing even if the tab dies mid-way.
 * 3. Second line of defence, for writers that do not take the lock: each company has a
 *    generation counter, read before the batch and checked in the commit transaction, which
 *    bumps it. A mismatch aborts the commit and the whole batch is re-run on fresh data.
 *
 * Key names are not secret: the `keys` op reads them from the primary keys (`getAllKeys`, no
 * value read or decrypted) into a per-scope name cache, valid while the company's generation
 * is unchanged and updated in place by this store's own commits; the `byExpiry` index finds
 * the few entries that can expire. A batch fetches every row its ops name in one read
 * transaction before running, so a batch of 1,000 writes is not 1,000 round trips.
 *
 * After each committed write, a `kv-changed` message goes out on the BroadcastChannel
 * `kvb-kv` so other tabs (and the editor in this one) can refresh; see `subscribeToKvChanges`.
 */
import { unwrap, wrap, type DBSchema, type IDBPDatabase } from 'idb';
import { generateStoreKey, ValueCipher, type SealedValue, type ValueAddress } from './browser-crypto';
import { isKvError, KvError } from './errors';
import {
  executeBatch,
  snapshotOps,
  type BatchOptions,
  type BatchReader,
  type BatchWrite,
  type KeyPage,
  type KeyQuery,
  type ListQuery,
  pageOfNames,
} from './operations';
import {
  HISTORY_MAX_VERSIONS,
  KEY_PATTERN,
  type Entry,
  type HistoryVersion,
  type KeyValueStore,
  type KvOp,
  type KvOpResult,
  type Scope,
  type ValueType,
} from './types';

export const DEFAULT_DB_NAME = 'kvb-store';
export const KV_CHANGES_CHANNEL = 'kvb-kv';

/** Posted on the `kvb-kv` BroadcastChannel after every committed write. */
export interface KvChangeMessage {
  type: 'kv-changed';
  companyId: string;
  keys: Array<{ scope: Scope; scopeKey: string; key: string }>;
  /** The IndexedDB database that changed (an addition to the documented shape). */
  dbName?: string;
}

export interface IndexedDbStoreOptions {
  /** @default "kvb-store" */
  dbName?: string;
  /** @default globalThis.indexedDB */
  idbFactory?: IDBFactory;
  /** Clock and id source for `executeBatch`, for tests. */
  batchOptions?: BatchOptions;
}

/** An entry as stored: everything in the clear except the value. */
interface StoredEntry {
  companyId: string;
  scope: Scope;
  scopeKey: string;
  key: string;
  id: string;
  valueType: ValueType;
  version: number;
  createdAt: string;
  updatedAt: string;
  expiresAt: string | null;
  sealed: SealedValue;
}

type EntryKey = [companyId: string, scope: string, scopeKey: string, key: string];

/** A kept version (see `HistoryVersion`), sealed; `seq` orders the versions of a key. */
interface StoredHistory {
  seq?: number;
  companyId: string;
  scope: Scope;
  scopeKey: string;
  key: string;
  version: number;
  valueType: ValueType;
  updatedAt: string;
  replacedAt: string;
  deleted: boolean;
  sealed: SealedValue;
}

interface KvDatabase extends DBSchema {
  entries: {
    key: EntryKey;
    value: StoredEntry;
    indexes: {
      byId: [companyId: string, id: string];
      /** Only entries with an expiry (a null `expiresAt` is no valid key, so others are left out). */
      byExpiry: [companyId: string, scope: string, scopeKey: string, expiresAt: string];
    };
  };
  /** Versions writes replaced, the last `HISTORY_MAX_VERSIONS` per key (version 3 of the database). */
  history: {
    key: number;
    value: StoredHistory;
    indexes: {
      byKey: EntryKey;
      byScope: [companyId: string, scope: string, scopeKey: string];
    };
  };
  /** Per company: bumped by every commit, checked to detect writers that skipped the lock. */
  generations: { key: string; value: number };
  /** The encryption key, under `ENCRYPTION_KEY_ID`. */
  keys: { key: string; value: CryptoKey };
}

const DB_VERSION = 3;
const ENCRYPTION_KEY_ID = 'values';
const MAX_COMMIT_ATTEMPTS = 20;
const noop = () => undefined;

/** The key names of one scope, as of one generation of its company. */
interface ScopeNames {
  generation: number;
  /** Every stored key, expired or not, sorted by code unit. */
  names: string[];
  /** Lower-cased `names`, same order, for `contains`. */
  lowered: string[];
  /** Keys that have an expiry, with it. */
  expiries: Map<string, string>;
}

/** How long after a scope's first unfiltered page its name cache starts building. */
const WARM_DELAY_MS = 250;
/** Above this many writes, a name cache is rebuilt and sorted rather than spliced key by key. */
const SPLICE_LIMIT = 32;

/** A write with its value already encrypted, ready for the commit transaction. */
interface SealedWrite {
  address: ValueAddress;
  record: StoredEntry | null;
  /** The versions the write replaced, sealed, oldest first. */
  history: StoredHistory[];
}

export class IndexedDbStore implements KeyValueStore {
  readonly kind = 'indexeddb';
  private readonly lockName: string;
  private readonly inFlight = new Set<Promise<unknown>>();
  private channel: BroadcastChannel | null = null;
  private closed = false;
  /** Per `companyId \0 scope \0 scopeKey`; see `ScopeNames`. */
  private readonly nameCache = new Map<string, ScopeNames>();
  /** Scopes whose name cache is being built in the background. */
  private readonly warming = new Map<string, { started(): Promise<ScopeNames | null> }>();

  private constructor(
    readonly dbName: string,
    private readonly db: IDBPDatabase<KvDatabase>,
    private readonly cipher: ValueCipher,
    private readonly batchOptions: BatchOptions,
  ) {
    this.lockName = `kvb-store:${dbName}`;
  }

  static async open(options: IndexedDbStoreOptions = {}): Promise<IndexedDbStore> {
    const dbName = options.dbName ?? DEFAULT_DB_NAME;
    const factory = options.idbFactory ?? globalThis.indexedDB;
    if (!factory) {
      throw new KvError(
        'store',
        'IndexedDB is not available here: the browser store needs a browser with IndexedDB (private windows of some browsers disable it)',
      );
    }
    const db = await openDatabase(factory, dbName);
    try {
      const key = await loadOrCreateEncryptionKey(db);
      return new IndexedDbStore(dbName, db, new ValueCipher(key), options.batchOptions ?? {});
    } catch (error) {
      db.close();
      throw toKvError(error, 'prepare the encryption key');
    }
  }

  batch(companyId: string, ops: KvOp[]): Promise<KvOpResult[]> {
    // The batch may wait for the lock: store the values as they are now, not as the caller
    // may have changed them by then.
    const opsAtCallTime = snapshotOps(ops);
    return this.track(() =>
      this.exclusive(async () => {
        for (let attempt = 1; attempt <= MAX_COMMIT_ATTEMPTS; attempt++) {
          const generation = await this.readGeneration(companyId);
          const prefetched = await this.prefetch(companyId, generation, opsAtCallTime);
          const outcome = await executeBatch(
            companyId,
            opsAtCallTime,
            this.readerFor(companyId, generation, prefetched),
            this.batchOptions,
          );
          const writes = await Promise.all(outcome.writes.map((write) => this.sealWrite(companyId, write)));
          if (await this.commit(companyId, generation, writes)) {
            this.updateNameCache(companyId, generation, writes);
            if (writes.length > 0) this.announce(companyId, writes);
            return structuredClone(outcome.results);
          }
          await backOff(attempt);
        }
        throw tooMuchContention();
      }),
    );
  }

  async getById(companyId: string, id: string): Promise<Entry | null> {
    this.assertOpen();
    try {
      const record = await this.db.getFromIndex('entries', 'byId', [companyId, id]);
      if (!record || hasExpired(record, this.now())) return null;
      return await this.decryptEntry(record);
    } catch (error) {
      throw toKvError(error, 'read');
    }
  }

  deleteById(companyId: string, id: string): Promise<boolean> {
    return this.track(async () => {
      let record: StoredEntry | undefined;
      try {
        record = await this.db.getFromIndex('entries', 'byId', [companyId, id]);
      } catch (error) {
        throw toKvError(error, 'read');
      }
      if (!record) return false;
      // Through a delete op, so the deleted version is kept in the history like any other delete.
      const [result] = await this.batch(companyId, [{ op: 'delete', key: record.key, scope: record.scope, scopeKey: record.scopeKey }]);
      return result?.op === 'delete' && result.deleted;
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.inFlight]);
    this.channel?.close();
    this.channel = null;
    this.db.close();
  }

  /** The same clock `executeBatch` uses, so tests that move time see consistent expiry. */
  private now(): Date {
    return this.batchOptions.now?.() ?? new Date();
  }

  private assertOpen(): void {
    if (this.closed) throw new KvError('store', `The browser store '${this.dbName}' is closed`);
  }

  private track<T>(task: () => Promise<T>): Promise<T> {
    try {
      this.assertOpen();
    } catch (error) {
      return Promise.reject(error);
    }
    const running = task();
    this.inFlight.add(running);
    void running.then(noop, noop).then(() => this.inFlight.delete(running));
    return running;
  }

  /** Runs `task` while holding this database's lock; store failures become `KvError`s. */
  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const guarded = async () => {
      try {
        return await task();
      } catch (error) {
        throw toKvError(error, 'complete the operation');
      }
    };
    return withExclusiveLock(this.lockName, guarded);
  }

  private async readGeneration(companyId: string): Promise<number> {
    return (await this.db.get('generations', companyId)) ?? 0;
  }

  /**
   * Every row the batch's keyed ops name, fetched in one read transaction before the batch runs;
   * rows decrypt only when `executeBatch` reads them. Which names exist comes first, from the
   * name cache or one bounded `getAllKeys` per scope, so a bulk import of new keys reads nothing.
   */
  private async prefetch(companyId: string, generation: number, ops: readonly KvOp[]): Promise<Map<string, StoredEntry | null>> {
    const byScope = new Map<string, { scope: Scope; scopeKey: string; keys: Set<string> }>();
    for (const op of ops) {
      if (typeof op !== 'object' || op === null || !('key' in op) || typeof op.key !== 'string' || typeof op.scope !== 'string') continue;
      const scopeKey = op.scope === 'global' ? '' : op.scopeKey;
      if (typeof scopeKey !== 'string') continue;
      const id = nameCacheKey(companyId, op.scope, scopeKey);
      const group = byScope.get(id) ?? { scope: op.scope, scopeKey, keys: new Set<string>() };
      group.keys.add(op.key);
      byScope.set(id, group);
    }
    const found = new Map<string, StoredEntry | null>();
    if (byScope.size === 0) return found;
    const tx = unwrap(this.db.transaction('entries', 'readonly'));
    const entries = tx.objectStore('entries');
    const done = transactionDone(tx);
    await Promise.all(
      [...byScope.values()].map(async ({ scope, scopeKey, keys }) => {
        const existing = await this.existingNames(entries, companyId, scope, scopeKey, generation, keys);
        await Promise.all(
          [...keys].map(async (key) => {
            const rowId = nameCacheKey(companyId, scope, scopeKey) + `\u0000${key}`;
            if (existing && !existing.has(key)) {
              found.set(rowId, null);
              return;
            }
            try {
              found.set(
                rowId,
                (await requestResult(entries.get([companyId, scope, scopeKey, key]) as IDBRequest<StoredEntry | undefined>)) ?? null,
              );
            } catch {
              // A key IndexedDB cannot take is left to `read` (and `executeBatch` to refuse).
            }
          }),
        );
      }),
    );
    await done;
    return found;
  }

  /**
   * Which of `keys` exist in the scope: from a current name cache, else from the primary keys
   * between the smallest and largest of them when that span is small; null when unknown.
   */
  private async existingNames(
    entries: IDBObjectStore,
    companyId: string,
    scope: Scope,
    scopeKey: string,
    generation: number,
    keys: Set<string>,
  ): Promise<Set<string> | null> {
    const cached = this.nameCache.get(nameCacheKey(companyId, scope, scopeKey));
    if (cached && cached.generation === generation) {
      const names = cached.names;
      return new Set([...keys].filter((key) => names[insertionPoint(names, key)] === key));
    }
    if (keys.size < 16 || [...keys].some((key) => !KEY_PATTERN.test(key))) return null;
    const sorted = [...keys].sort();
    const span = IDBKeyRange.bound([companyId, scope, scopeKey, sorted[0]!], [companyId, scope, scopeKey, sorted[sorted.length - 1]!]);
    const bound = keys.size * 4;
    const present = (await requestResult(entries.getAllKeys(span, bound))) as unknown as EntryKey[];
    return present.length < bound ? new Set(present.map((entryKey) => entryKey[3])) : null;
  }

  private readerFor(companyId: string, generation: number, prefetched: Map<string, StoredEntry | null>): BatchReader {
    return {
      read: async (scope, scopeKey, key) => {
        const entryKey: EntryKey = [companyId, scope, scopeKey, key];
        const early = prefetched.get(`${nameCacheKey(companyId, scope, scopeKey)}\u0000${key}`);
        const record = early !== undefined ? early : await this.db.get('entries', entryKey);
        return record ? this.decryptEntry(record) : null;
      },
      readPresence: async (scope, scopeKey, key) => {
        const record = await this.db.get('entries', [companyId, scope, scopeKey, key]);
        return record ? { expiresAt: record.expiresAt } : null;
      },
      keys: async (scope, scopeKey, query) => {
        const cached = this.nameCache.get(nameCacheKey(companyId, scope, scopeKey));
        if (query.contains !== '' || (cached && cached.generation === generation)) {
          return this.matchingNames(await this.scopeNames(companyId, scope, scopeKey, generation), query);
        }
        const page = await this.keysFromIndex(companyId, scope, scopeKey, query);
        this.warmNames(companyId, scope, scopeKey);
        return page;
      },
      history: async (scope, scopeKey, key) => {
        const address: ValueAddress = { companyId, scope, scopeKey, key };
        const records = await this.db.getAllFromIndex('history', 'byKey', [companyId, scope, scopeKey, key]);
        const newest = records.reverse().slice(0, HISTORY_MAX_VERSIONS);
        const opened = await Promise.all(newest.map((record) => this.openHistory(address, record)));
        return opened.filter((version): version is HistoryVersion => version !== null);
      },
      deletedKeys: async (scope, scopeKey, query) => {
        const tx = this.db.transaction(['history', 'entries'], 'readonly');
        // Newest kept version per key: records come in `seq` order, so the last one of a key wins.
        const newest = new Map<string, StoredHistory>();
        for (const record of await tx.objectStore('history').index('byScope').getAll([companyId, scope, scopeKey])) {
          if (record.key.startsWith(query.prefix)) newest.set(record.key, record);
        }
        const candidates = [...newest.values()].filter((record) => record.deleted);
        const rows = await Promise.all(candidates.map((record) => tx.objectStore('entries').get([companyId, scope, scopeKey, record.key])));
        await tx.done;
        return candidates
          .filter((_, i) => !rows[i] || hasExpired(rows[i], query.now))
          .map((record) => ({ key: record.key, version: record.version, deletedAt: record.replacedAt }))
          .sort((a, b) => (a.deletedAt > b.deletedAt ? -1 : a.deletedAt < b.deletedAt ? 1 : 0))
          .slice(0, query.limit);
      },
      list: async (scope, scopeKey, query) => {
        // Values that do not open are left out and counted, and the page is filled up from
        // the records after them, so one damaged value neither blocks its scope nor cuts a page short.
        const entries: Entry[] = [];
        const damagedKeys: string[] = [];
        let afterKey = query.afterKey;
        for (;;) {
          const records = await this.listRecords(companyId, scope, scopeKey, { ...query, afterKey });
          for (const record of records) {
            const entry = await this.decryptEntry(record).catch((error: unknown) => {
              if (isKvError(error) && error.code === 'integrity') return null;
              throw error;
            });
            if (entry) entries.push(entry);
            else damagedKeys.push(record.key);
          }
          if (records.length < query.limit || entries.length >= query.limit) break;
          afterKey = records[records.length - 1]!.key;
        }
        return { entries: entries.slice(0, query.limit), damagedKeys };
      },
    };
  }

  /** The scope's names as of `generation`: from the cache, or read from the primary keys. */
  private async scopeNames(companyId: string, scope: Scope, scopeKey: string, generation: number): Promise<ScopeNames> {
    const cached = this.nameCache.get(nameCacheKey(companyId, scope, scopeKey));
    if (cached && cached.generation === generation) return cached;
    const warming = this.warming.get(nameCacheKey(companyId, scope, scopeKey));
    if (warming) {
      const warmed = await warming.started();
      if (warmed && warmed.generation === generation) return warmed;
    }
    return this.readScopeNames(companyId, scope, scopeKey);
  }

  /** Every name of a scope and the company's generation, read as one snapshot, into the cache. */
  private async readScopeNames(companyId: string, scope: Scope, scopeKey: string): Promise<ScopeNames> {
    // In IndexedDB's key order every array sorts after every string, so this ends the scope.
    const range = IDBKeyRange.bound([companyId, scope, scopeKey, ''], [companyId, scope, scopeKey, []]);
    const tx = this.db.transaction(['entries', 'generations'], 'readonly');
    const entries = tx.objectStore('entries');
    const [generation, keys, expiring] = await Promise.all([
      tx.objectStore('generations').get(companyId),
      entries.getAllKeys(range),
      entries.index('byExpiry').getAll(range),
      tx.done,
    ]);
    const names = keys.map((entryKey) => entryKey[3]);
    const fresh: ScopeNames = {
      generation: generation ?? 0,
      names,
      lowered: names.map((name) => name.toLowerCase()),
      expiries: new Map(expiring.map((record) => [record.key, record.expiresAt as string])),
    };
    const cacheKey = nameCacheKey(companyId, scope, scopeKey);
    const current = this.nameCache.get(cacheKey);
    if (!current || current.generation <= fresh.generation) this.nameCache.set(cacheKey, fresh);
    return fresh;
  }

  /**
   * A page of names with no `contains` filter, straight from the primary keys: a count over
   * the key range, minus the expired entries the `byExpiry` index finds, and one bounded
   * `getAllKeys`. Quick however large the scope, so a panel opens before the name cache is
   * built; it is then built in the background for the first filter keystroke.
   */
  private async keysFromIndex(companyId: string, scope: Scope, scopeKey: string, query: KeyQuery): Promise<KeyPage> {
    const { prefix, afterKey, limit, now } = query;
    const head = [companyId, scope, scopeKey] as const;
    // Keys are ASCII, so every key with the prefix sorts below prefix + U+FFFF; arrays end the scope.
    const end = prefix === '' ? [...head, []] : [...head, `${prefix}\uffff`];
    const matching = IDBKeyRange.bound([...head, prefix], end, false, true);
    const startsAfterCursor = afterKey !== null && afterKey >= prefix;
    const page = IDBKeyRange.bound([...head, startsAfterCursor ? afterKey : prefix], end, startsAfterCursor, true);
    const tx = this.db.transaction('entries', 'readonly');
    const [expiredKeys, count] = await Promise.all([
      tx.store.index('byExpiry').getAllKeys(IDBKeyRange.bound([...head, ''], [...head, now])),
      tx.store.count(matching),
    ]);
    const expired = new Set(expiredKeys.map((entryKey) => entryKey[3]).filter((key) => key.startsWith(prefix)));
    const keys = await tx.store.getAllKeys(page, limit + expired.size);
    await tx.done;
    const live = keys.map((entryKey) => entryKey[3]).filter((key) => !expired.has(key));
    return { keys: live.slice(0, limit), total: count - expired.size };
  }

  /**
   * Builds a scope's name cache outside the lock (a read-only snapshot), once at a time. It starts
   * a moment later, since a long `getAllKeys` holds up the requests queued behind it and the
   * panel's first rows come first, or at once when a filter asks for the names.
   */
  private warmNames(companyId: string, scope: Scope, scopeKey: string): void {
    const cacheKey = nameCacheKey(companyId, scope, scopeKey);
    if (this.closed || this.warming.has(cacheKey)) return;
    let startNow: () => void = noop;
    const due = new Promise<void>((resolve) => {
      startNow = resolve;
      setTimeout(resolve, WARM_DELAY_MS);
    });
    const task = due
      .then(() => (this.closed ? null : this.readScopeNames(companyId, scope, scopeKey)))
      .catch(() => null)
      .finally(() => this.warming.delete(cacheKey));
    this.warming.set(cacheKey, {
      started: () => {
        startNow();
        return task;
      },
    });
    this.inFlight.add(task);
    void task.then(() => this.inFlight.delete(task));
  }

  private matchingNames(scopeNames: ScopeNames, query: KeyQuery) {
    const { names, lowered, expiries } = scopeNames;
    const { prefix, contains, now } = query;
    const live = (name: string) => {
      const expiresAt = expiries.get(name);
      return expiresAt === undefined || expiresAt > now;
    };
    if (prefix === '' && contains === '' && expiries.size === 0) return pageOfNames(names, query);
    const matching: string[] = [];
    for (let i = 0; i < names.length; i++) {
      const name = names[i]!;
      if ((prefix === '' || name.startsWith(prefix)) && (contains === '' || lowered[i]!.includes(contains)) && live(name))
        matching.push(name);
    }
    return pageOfNames(matching, query);
  }

  /**
   * After this store's own commit (generation `before` → `before + 1`), brings the company's
   * cached name lists along instead of dropping them; a cache of another generation is stale
   * and left to be reread.
   */
  private updateNameCache(companyId: string, before: number, writes: SealedWrite[]): void {
    if (writes.length === 0) return;
    const byScope = new Map<string, SealedWrite[]>();
    for (const write of writes) {
      const cacheKey = nameCacheKey(companyId, write.address.scope, write.address.scopeKey);
      byScope.set(cacheKey, [...(byScope.get(cacheKey) ?? []), write]);
    }
    for (const [cacheKey, cached] of this.nameCache) {
      if (!cacheKey.startsWith(`${companyId}\u0000`)) continue;
      if (cached.generation !== before) {
        this.nameCache.delete(cacheKey);
        continue;
      }
      cached.generation = before + 1;
      const scoped = byScope.get(cacheKey);
      if (scoped) applyWritesToNames(cached, scoped);
    }
  }

  /** Live records of one scope in key order; collected first, decrypted after the transaction. */
  private async listRecords(companyId: string, scope: Scope, scopeKey: string, query: ListQuery): Promise<StoredEntry[]> {
    const { prefix, afterKey, limit, now } = query;
    const startsAfterCursor = afterKey !== null && afterKey >= prefix;
    const lower: EntryKey = [companyId, scope, scopeKey, startsAfterCursor ? afterKey : prefix];
    // In IndexedDB's key order every array sorts after every string, so this ends the scope.
    const upper = [companyId, scope, scopeKey, []];
    const range = IDBKeyRange.bound(lower, upper, startsAfterCursor, true);
    const found: StoredEntry[] = [];
    const tx = this.db.transaction('entries', 'readonly');
    let cursor = await tx.store.openCursor(range);
    while (cursor && found.length < limit) {
      const record = cursor.value;
      // Keys are sorted, so the first key past the prefix ends the matches.
      if (!record.key.startsWith(prefix)) break;
      if (!hasExpired(record, now)) found.push(record);
      cursor = await cursor.continue();
    }
    await tx.done;
    return found;
  }

  private async decryptEntry(record: StoredEntry): Promise<Entry> {
    const value = await this.cipher.open(record.sealed, addressOf(record));
    return {
      id: record.id,
      companyId: record.companyId,
      scope: record.scope,
      scopeKey: record.scopeKey,
      key: record.key,
      value,
      valueType: record.valueType,
      version: record.version,
      createdAt: record.createdAt,
      updatedAt: record.updatedAt,
      expiresAt: record.expiresAt,
    };
  }

  private async sealWrite(companyId: string, write: BatchWrite): Promise<SealedWrite> {
    const address: ValueAddress = { companyId, scope: write.scope, scopeKey: write.scopeKey, key: write.key };
    const history = await Promise.all(
      write.replaced.map(async ({ value, ...kept }): Promise<StoredHistory> => ({
        ...address,
        ...kept,
        sealed: await this.cipher.seal(value, address, historyContext(kept)),
      })),
    );
    if (!write.entry) return { address, record: null, history };
    const { value, ...metadata } = write.entry;
    return { address, record: { ...metadata, sealed: await this.cipher.seal(value, address) }, history };
  }

  /** A kept version, or null when its value does not open (left out, like a damaged row of a list). */
  private async openHistory(address: ValueAddress, record: StoredHistory): Promise<HistoryVersion | null> {
    const { version, valueType, updatedAt, replacedAt, deleted } = record;
    const kept = { version, valueType, updatedAt, replacedAt, deleted };
    try {
      return { ...kept, value: await this.cipher.open(record.sealed, address, historyContext(kept)) };
    } catch (error) {
      if (isKvError(error) && error.code === 'integrity') return null;
      throw error;
    }
  }

  /**
   * Applies every write in one transaction, or nothing. Returns false (having written nothing)
   * when another writer committed since `expectedGeneration` was read.
   */
  private async commit(companyId: string, expectedGeneration: number, writes: SealedWrite[]): Promise<boolean> {
    if (writes.length === 0) {
      // A read-only batch has nothing to write, but its reads must still be one snapshot.
      return (await this.readGeneration(companyId)) === expectedGeneration;
    }
    // Raw requests, not one promise per put: a bulk write of thousands of rows is one
    // transaction whose outcome is `tx.done`; the transaction's error names the cause.
    const withHistory = writes.filter((write) => write.history.length > 0);
    const tx = this.db.transaction(['entries', 'generations', 'history'], 'readwrite');
    const pending: Promise<unknown>[] = [tx.done];
    try {
      const generations = tx.objectStore('generations');
      const current = (await generations.get(companyId)) ?? 0;
      if (current !== expectedGeneration) {
        tx.abort();
        await Promise.allSettled(pending);
        return false;
      }
      const entries = unwrap(tx.objectStore('entries'));
      for (const { address, record } of writes) {
        if (record) entries.put(record);
        else entries.delete(entryKeyOf(address));
      }
      if (withHistory.length > 0) {
        const history = unwrap(tx.objectStore('history'));
        for (const write of withHistory) for (const kept of write.history) history.put(kept);
        // Then each key keeps its newest HISTORY_MAX_VERSIONS (seq order is age order).
        const seqs = await Promise.all(
          withHistory.map((write) => requestResult(history.index('byKey').getAllKeys(entryKeyOf(write.address)))),
        );
        for (const keys of seqs) for (const seq of keys.slice(0, Math.max(0, keys.length - HISTORY_MAX_VERSIONS))) history.delete(seq);
      }
      pending.push(generations.put(current + 1, companyId));
      await Promise.all(pending);
      return true;
    } catch (error) {
      try {
        tx.abort();
      } catch {
        // Already aborted by the failure itself.
      }
      const outcomes = await Promise.allSettled(pending);
      throw toKvError(mostTellingFailure(error, outcomes, tx.error), 'save');
    }
  }

  private announce(companyId: string, writes: SealedWrite[]): void {
    if (typeof BroadcastChannel === 'undefined') return;
    const message: KvChangeMessage = {
      type: 'kv-changed',
      companyId,
      keys: writes.map(({ address }) => ({ scope: address.scope, scopeKey: address.scopeKey, key: address.key })),
      dbName: this.dbName,
    };
    try {
      this.channel ??= new BroadcastChannel(KV_CHANGES_CHANNEL);
      this.channel.postMessage(message);
    } catch {
      // A lost notification only delays another tab's refresh; the write itself is committed.
    }
  }
}

/**
 * Calls `callback` for every `kv-changed` message from any tab of this origin, this one
 * included. Returns the function that stops listening.
 */
export function subscribeToKvChanges(callback: (message: KvChangeMessage) => void): () => void {
  if (typeof BroadcastChannel === 'undefined') return noop;
  const channel = new BroadcastChannel(KV_CHANGES_CHANNEL);
  channel.onmessage = (event: MessageEvent<unknown>) => {
    if (isKvChangeMessage(event.data)) callback(event.data);
  };
  return () => channel.close();
}

function isKvChangeMessage(data: unknown): data is KvChangeMessage {
  if (typeof data !== 'object' || data === null) return false;
  const candidate = data as Partial<KvChangeMessage>;
  return candidate.type === 'kv-changed' && typeof candidate.companyId === 'string' && Array.isArray(candidate.keys);
}

const inTabQueues = new Map<string, Promise<unknown>>();

/** Web Locks when the browser has them (cross-tab), else a queue that only orders this tab. */
function withExclusiveLock<T>(name: string, task: () => Promise<T>): Promise<T> {
  const locks = typeof navigator === 'undefined' ? undefined : navigator.locks;
  if (locks && typeof locks.request === 'function') {
    // The lock is held until the promise `task` returns settles, and request resolves with its value.
    return locks.request(name, { mode: 'exclusive' }, task) as unknown as Promise<T>;
  }
  const previous = inTabQueues.get(name) ?? Promise.resolve();
  const running = previous.then(task);
  const settled = running.then(noop, noop);
  inTabQueues.set(name, settled);
  void settled.then(() => {
    if (inTabQueues.get(name) === settled) inTabQueues.delete(name);
  });
  return running;
}

async function openDatabase(factory: IDBFactory, dbName: string): Promise<IDBPDatabase<KvDatabase>> {
  const raw = await new Promise<IDBDatabase>((resolve, reject) => {
    let request: IDBOpenDBRequest;
    try {
      request = factory.open(dbName, DB_VERSION);
    } catch (error) {
      reject(error);
      return;
    }
    request.onupgradeneeded = () => {
      const db = request.result;
      if (!db.objectStoreNames.contains('entries')) {
        const entries = db.createObjectStore('entries', { keyPath: ['companyId', 'scope', 'scopeKey', 'key'] });
        entries.createIndex('byId', ['companyId', 'id'], { unique: true });
      }
      // Version 2: the index the name cache reads expiries from.
      const entries = request.transaction?.objectStore('entries');
      if (entries && !entries.indexNames.contains('byExpiry'))
        entries.createIndex('byExpiry', ['companyId', 'scope', 'scopeKey', 'expiresAt']);
      // Version 3: the history of replaced versions.
      if (!db.objectStoreNames.contains('history')) {
        const history = db.createObjectStore('history', { keyPath: 'seq', autoIncrement: true });
        history.createIndex('byKey', ['companyId', 'scope', 'scopeKey', 'key']);
        history.createIndex('byScope', ['companyId', 'scope', 'scopeKey']);
      }
      if (!db.objectStoreNames.contains('generations')) db.createObjectStore('generations');
      if (!db.objectStoreNames.contains('keys')) db.createObjectStore('keys');
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('unknown error'));
    request.onblocked = () =>
      reject(
        new KvError('store', `The browser store '${dbName}' is being upgraded in another tab: close the other tabs of this app and reload`),
      );
  }).catch((error: unknown) => {
    throw isKvError(error) ? error : new KvError('store', `Cannot open the browser store '${dbName}': ${describeFailure(error)}`);
  });
  // Let a newer version of the app (in another tab) upgrade or delete the database.
  raw.onversionchange = () => raw.close();
  return wrap(raw) as unknown as IDBPDatabase<KvDatabase>;
}

/** The stored key, or a new one; two tabs racing to create it end up sharing the first. */
async function loadOrCreateEncryptionKey(db: IDBPDatabase<KvDatabase>): Promise<CryptoKey> {
  const existing = await db.get('keys', ENCRYPTION_KEY_ID);
  if (existing) return existing;
  const fresh = await generateStoreKey();
  const tx = db.transaction('keys', 'readwrite');
  const raced = await tx.store.get(ENCRYPTION_KEY_ID);
  if (!raced) await tx.store.put(fresh, ENCRYPTION_KEY_ID);
  await tx.done;
  return raced ?? fresh;
}

/** The role a kept version's ciphertext is bound to: which version it is, written and replaced when. */
function historyContext(kept: Omit<HistoryVersion, 'value'>): string {
  return `history/${kept.version}/${kept.updatedAt}/${kept.replacedAt}/${kept.deleted ? 'deleted' : 'replaced'}`;
}

function nameCacheKey(companyId: string, scope: Scope, scopeKey: string): string {
  return `${companyId}\u0000${scope}\u0000${scopeKey}`;
}

/** Lays committed writes over a scope's name list, keeping it sorted. */
function applyWritesToNames(cached: ScopeNames, writes: SealedWrite[]): void {
  const { names, lowered, expiries } = cached;
  if (writes.length > SPLICE_LIMIT) {
    const present = new Set(names);
    for (const { address, record } of writes) {
      if (record) present.add(address.key);
      else present.delete(address.key);
    }
    cached.names = [...present].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    cached.lowered = cached.names.map((name) => name.toLowerCase());
  } else {
    for (const { address, record } of writes) {
      const at = insertionPoint(names, address.key);
      const present = names[at] === address.key;
      if (record && !present) {
        names.splice(at, 0, address.key);
        lowered.splice(at, 0, address.key.toLowerCase());
      } else if (!record && present) {
        names.splice(at, 1);
        lowered.splice(at, 1);
      }
    }
  }
  for (const { address, record } of writes) {
    if (record?.expiresAt) expiries.set(address.key, record.expiresAt);
    else expiries.delete(address.key);
  }
}

/** Index of the first name not below `key`. */
function insertionPoint(names: readonly string[], key: string): number {
  let low = 0;
  let high = names.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (names[middle]! < key) low = middle + 1;
    else high = middle;
  }
  return low;
}

function requestResult<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('IndexedDB request failed'));
  });
}

function transactionDone(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = () => reject(tx.error ?? new DOMException('The transaction was aborted', 'AbortError'));
    tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
  });
}

/** Same rule as `isExpired` in operations.ts, on a stored record (whose value is still sealed). */
function hasExpired(record: StoredEntry, now: Date | string): boolean {
  if (record.expiresAt === null) return false;
  return record.expiresAt <= (typeof now === 'string' ? now : now.toISOString());
}

function addressOf(record: StoredEntry): ValueAddress {
  return { companyId: record.companyId, scope: record.scope, scopeKey: record.scopeKey, key: record.key };
}

function entryKeyOf(address: ValueAddress): EntryKey {
  return [address.companyId, address.scope, address.scopeKey, address.key];
}

/** A random pause after a lost race, so two writers without a shared lock stop colliding in step. */
function backOff(attempt: number): Promise<void> {
  const delayMs = Math.random() * Math.min(2 ** attempt, 100);
  return new Promise((resolve) => setTimeout(resolve, delayMs));
}

function tooMuchContention(): KvError {
  return new KvError(
    'store',
    `The browser store kept changing under this operation (${MAX_COMMIT_ATTEMPTS} attempts): another tab is writing heavily; try again`,
  );
}

function errorName(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && typeof (error as { name?: unknown }).name === 'string'
    ? (error as { name: string }).name
    : undefined;
}

/** A failed transaction rejects every request with AbortError; the cause is elsewhere. */
function mostTellingFailure(thrown: unknown, outcomes: PromiseSettledResult<unknown>[], transactionError: unknown): unknown {
  const failures = [thrown, transactionError, ...outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason] : []))].filter(
    (failure) => failure !== null && failure !== undefined,
  );
  return failures.find((f) => errorName(f) === 'QuotaExceededError') ?? failures.find((f) => errorName(f) !== 'AbortError') ?? thrown;
}

function describeFailure(error: unknown): string {
  if (error instanceof Error || (typeof error === 'object' && error !== null && 'message' in error)) {
    const { name, message } = error as { name?: unknown; message?: unknown };
    return [typeof name === 'string' ? name : '', typeof message === 'string' ? message : ''].filter(Boolean).join(': ');
  }
  return String(error);
}

/** Store failures as `KvError`s: a full disk is `quota`, anything else from IndexedDB is `store`. */
export function toKvError(error: unknown, action: string): KvError {
  if (isKvError(error)) return error;
  if (errorName(error) === 'QuotaExceededError') {
    return new KvError(
      'quota',
      `Browser storage is full: could not ${action}, and nothing was written (${describeFailure(error)}). Delete keys you no longer need, or free storage for this site in the browser settings.`,
    );
  }
  if (errorName(error) === 'InvalidStateError') {
    return new KvError(
      'store',
      `The browser store was closed (another tab may have upgraded or deleted it): reload the page. (${describeFailure(error)})`,
    );
  }
  return new KvError('store', `The browser store could not ${action}: ${describeFailure(error)}`);
}
