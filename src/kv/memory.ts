import { executeBatch, isExpired, keyMatches, pageOfNames, snapshotOps, type BatchOptions } from './operations';
import {
  HISTORY_MAX_VERSIONS,
  type DeletedKey,
  type Entry,
  type HistoryVersion,
  type KeyValueStore,
  type KvOp,
  type KvOpResult,
  type Scope,
} from './types';

/** An in-memory store: for unit tests and as the reference backend of the conformance suite. */
export class MemoryStore implements KeyValueStore {
  readonly kind = 'memory';
  private readonly rows = new Map<string, Entry>();
  /** Per row id: the versions writes replaced, newest first, at most `HISTORY_MAX_VERSIONS`. */
  private readonly history = new Map<string, HistoryVersion[]>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: BatchOptions = {}) {}

  batch(companyId: string, ops: KvOp[]): Promise<KvOpResult[]> {
    const snapshot = snapshotOps(ops);
    // Batches run one after another, so a batch never sees another's half-applied writes.
    const run = this.queue.then(async () => {
      const rowId = (scope: Scope, scopeKey: string, key: string) => `${companyId}\u0000${scope}\u0000${scopeKey}\u0000${key}`;
      const outcome = await executeBatch(
        companyId,
        snapshot,
        {
          read: (scope, scopeKey, key) => this.rows.get(rowId(scope, scopeKey, key)) ?? null,
          list: (scope, scopeKey, query) => {
            const head = rowId(scope, scopeKey, '');
            return [...this.rows.entries()]
              .filter(
                ([id, e]) =>
                  id.startsWith(head) &&
                  e.key.startsWith(query.prefix) &&
                  (query.afterKey === null || e.key > query.afterKey) &&
                  !isExpired(e, query.now),
              )
              .map(([, e]) => e)
              .sort((a, b) => (a.key < b.key ? -1 : 1))
              .slice(0, query.limit);
          },
          keys: (scope, scopeKey, query) => {
            const head = rowId(scope, scopeKey, '');
            const names = [...this.rows.entries()]
              .filter(([id, e]) => id.startsWith(head) && keyMatches(e.key, query.prefix, query.contains) && !isExpired(e, query.now))
              .map(([, e]) => e.key)
              .sort((a, b) => (a < b ? -1 : 1));
            return pageOfNames(names, query);
          },
          history: (scope, scopeKey, key) => this.history.get(rowId(scope, scopeKey, key)) ?? [],
          deletedKeys: (scope, scopeKey, query) => {
            const head = rowId(scope, scopeKey, '');
            const found: DeletedKey[] = [];
            for (const [id, versions] of this.history) {
              const key = id.slice(head.length);
              const newest = versions[0];
              if (!id.startsWith(head) || !key.startsWith(query.prefix) || !newest?.deleted) continue;
              const row = this.rows.get(id);
              if (row && !isExpired(row, query.now)) continue;
              found.push({ key, version: newest.version, deletedAt: newest.replacedAt });
            }
            return found.sort((a, b) => (a.deletedAt > b.deletedAt ? -1 : a.deletedAt < b.deletedAt ? 1 : 0)).slice(0, query.limit);
          },
        },
        this.options,
      );
      for (const write of outcome.writes) {
        const id = rowId(write.scope, write.scopeKey, write.key);
        if (write.entry) this.rows.set(id, structuredClone(write.entry));
        else this.rows.delete(id);
        if (write.replaced.length > 0) {
          const kept = [...structuredClone(write.replaced)].reverse().concat(this.history.get(id) ?? []);
          this.history.set(id, kept.slice(0, HISTORY_MAX_VERSIONS));
        }
      }
      return structuredClone(outcome.results);
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  async getById(companyId: string, id: string): Promise<Entry | null> {
    await this.queue;
    for (const entry of this.rows.values()) {
      if (entry.id === id && entry.companyId === companyId && !isExpired(entry, this.now())) return structuredClone(entry);
    }
    return null;
  }

  async deleteById(companyId: string, id: string): Promise<boolean> {
    await this.queue;
    const entry = [...this.rows.values()].find((row) => row.id === id && row.companyId === companyId);
    if (!entry) return false;
    // Through a delete op, so the deleted version is kept in the history like any other delete.
    const [result] = await this.batch(companyId, [{ op: 'delete', key: entry.key, scope: entry.scope, scopeKey: entry.scopeKey }]);
    return result?.op === 'delete' && result.deleted;
  }

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }

  async close(): Promise<void> {
    await this.queue;
  }
}
