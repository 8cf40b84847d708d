/**
 * A copy-on-write overlay over any `KeyValueStore`, for sandbox (test) runs: reads see the real
 * store, writes land in rows only this overlay holds, and nothing ever reaches the real store.
 *
 * The op semantics come from `executeBatch` like every backend's: the overlay only supplies a
 * `BatchReader` that answers from its own rows first and from the real store (through its
 * `get`, `list` and `keys` ops) otherwise. So every op, present and future, behaves as it would
 * on the real store, and the run sees its own sets, deletes, TTLs and list changes.
 */
import { executeBatch, isExpired, keyMatches, snapshotOps, type BatchOptions, type KeyPage, type ListedRows } from './operations';
import { LIST_MAX_LIMIT, type Entry, type KeyValueStore, type KvOp, type KvOpResult, type Scope } from './types';

/** One row the overlay holds: the entry the run left, or `null` where it deleted the key. */
export interface OverlayRow {
  scope: Scope;
  scopeKey: string;
  key: string;
  entry: Entry | null;
}

function rowId(companyId: string, scope: Scope, scopeKey: string, key: string): string {
  return `${companyId}\u0000${scope}\u0000${scopeKey}\u0000${key}`;
}

function byKey(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export class OverlayStore implements KeyValueStore {
  readonly kind: string;
  /** companyId → row id → the overlay's row (a `null` entry hides the real store's row). */
  private readonly rows = new Map<string, Map<string, OverlayRow>>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly base: KeyValueStore,
    private readonly options: BatchOptions = {},
  ) {
    this.kind = `${base.kind} (sandbox)`;
  }

  /** The rows this overlay holds for one company: every key a batch wrote, as it last left it. */
  rowsOf(companyId: string): OverlayRow[] {
    return [...(this.rows.get(companyId)?.values() ?? [])].map((row) => structuredClone(row));
  }

  batch(companyId: string, ops: KvOp[]): Promise<KvOpResult[]> {
    const snapshot = snapshotOps(ops);
    // One batch at a time, so a batch never sees another's half-staged writes.
    const run = this.queue.then(() => this.runBatch(companyId, snapshot));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async runBatch(companyId: string, ops: KvOp[]): Promise<KvOpResult[]> {
    const mine = this.rows.get(companyId) ?? new Map<string, OverlayRow>();
    const own = (scope: Scope, scopeKey: string, key: string) => mine.get(rowId(companyId, scope, scopeKey, key));
    const inScope = (scope: Scope, scopeKey: string) => [...mine.values()].filter((r) => r.scope === scope && r.scopeKey === scopeKey);
    const outcome = await executeBatch(
      companyId,
      ops,
      {
        read: async (scope, scopeKey, key) => {
          const row = own(scope, scopeKey, key);
          return row ? row.entry : this.baseGet(companyId, scope, scopeKey, key);
        },
        list: (scope, scopeKey, query) => this.mergedList(companyId, scope, scopeKey, query, inScope(scope, scopeKey)),
        keys: (scope, scopeKey, query) => this.mergedKeys(companyId, scope, scopeKey, query, inScope(scope, scopeKey)),
      },
      this.options,
    );
    for (const write of outcome.writes) {
      mine.set(rowId(companyId, write.scope, write.scopeKey, write.key), structuredClone(write));
    }
    if (mine.size > 0) this.rows.set(companyId, mine);
    return structuredClone(outcome.results);
  }

  private async baseGet(companyId: string, scope: Scope, scopeKey: string, key: string): Promise<Entry | null> {
    const [result] = await this.base.batch(companyId, [{ op: 'get', scope, scopeKey, key }]);
    return result?.op === 'get' ? result.entry : null;
  }

  /** The real store's rows of a scope with the overlay's rows laid over them, sorted by key. */
  private async mergedList(
    companyId: string,
    scope: Scope,
    scopeKey: string,
    query: { prefix: string; afterKey: string | null; limit: number; now: string },
    overlaid: OverlayRow[],
  ): Promise<ListedRows> {
    const hidden = new Set(overlaid.map((row) => row.key));
    const fromBase: Entry[] = [];
    const damagedKeys: string[] = [];
    let cursor = query.afterKey;
    // Enough real rows that, after the overlay hides some, `limit` are left (or the scope ends).
    while (fromBase.length < query.limit) {
      const [result] = await this.base.batch(companyId, [
        { op: 'list', scope, scopeKey, prefix: query.prefix, cursor, limit: Math.min(LIST_MAX_LIMIT, query.limit + hidden.size) },
      ]);
      if (result?.op !== 'list') break;
      for (const entry of result.entries) if (!hidden.has(entry.key)) fromBase.push(entry);
      for (const key of result.damagedKeys ?? []) if (!hidden.has(key)) damagedKeys.push(key);
      if (result.nextCursor === null) break;
      cursor = result.nextCursor;
    }
    const fromOverlay = overlaid
      .map((row) => row.entry)
      .filter(
        (entry): entry is Entry =>
          entry !== null &&
          entry.key.startsWith(query.prefix) &&
          (query.afterKey === null || entry.key > query.afterKey) &&
          !isExpired(entry, query.now),
      );
    const entries = [...fromBase, ...fromOverlay].sort((a, b) => byKey(a.key, b.key)).slice(0, query.limit);
    return { entries, damagedKeys };
  }

  /** The real store's key names with the overlay's rows laid over them, and the total corrected. */
  private async mergedKeys(
    companyId: string,
    scope: Scope,
    scopeKey: string,
    query: { prefix: string; contains: string; afterKey: string | null; limit: number; now: string },
    overlaid: OverlayRow[],
  ): Promise<KeyPage> {
    const matching = overlaid.filter((row) => keyMatches(row.key, query.prefix, query.contains));
    const hidden = new Set(matching.map((row) => row.key));
    // One batch: the first page of names and whether each overlaid key is live in the real
    // store, from one snapshot, so the total is corrected exactly.
    const [first, ...gets] = await this.base.batch(companyId, [
      {
        op: 'keys',
        scope,
        scopeKey,
        prefix: query.prefix,
        contains: query.contains,
        cursor: query.afterKey,
        limit: Math.min(LIST_MAX_LIMIT, query.limit + hidden.size),
      },
      ...matching.map((row): KvOp => ({ op: 'get', scope, scopeKey, key: row.key })),
    ]);
    if (first?.op !== 'keys') return { keys: [], total: 0 };
    let total = first.total;
    matching.forEach((row, index) => {
      const result = gets[index];
      const liveBelow = result?.op === 'get' && result.entry !== null;
      const liveHere = row.entry !== null && !isExpired(row.entry, query.now);
      total += Number(liveHere) - Number(liveBelow);
    });
    const names = first.keys.filter((key) => !hidden.has(key));
    let next = first.nextCursor;
    while (names.length < query.limit && next !== null) {
      const [page] = await this.base.batch(companyId, [
        { op: 'keys', scope, scopeKey, prefix: query.prefix, contains: query.contains, cursor: next, limit: LIST_MAX_LIMIT },
      ]);
      if (page?.op !== 'keys') break;
      names.push(...page.keys.filter((key) => !hidden.has(key)));
      next = page.nextCursor;
    }
    for (const row of matching) {
      if (row.entry !== null && !isExpired(row.entry, query.now) && (query.afterKey === null || row.key > query.afterKey))
        names.push(row.key);
    }
    return { keys: names.sort(byKey).slice(0, query.limit), total };
  }

  async getById(companyId: string, id: string): Promise<Entry | null> {
    await this.queue;
    return this.findById(companyId, id);
  }

  /** The live entry with this id as the run sees it: the overlay's, else the real store's unless the overlay hides it. */
  private async findById(companyId: string, id: string): Promise<Entry | null> {
    const mine = this.rows.get(companyId);
    const now = this.options.now?.() ?? new Date();
    for (const row of mine?.values() ?? []) {
      if (row.entry?.id === id) return isExpired(row.entry, now) ? null : structuredClone(row.entry);
    }
    const below = await this.base.getById(companyId, id);
    if (!below || mine?.has(rowId(companyId, below.scope, below.scopeKey, below.key))) return null;
    return below;
  }

  async deleteById(companyId: string, id: string): Promise<boolean> {
    const run = this.queue.then(async () => {
      const entry = await this.findById(companyId, id);
      if (!entry) return false;
      await this.runBatch(companyId, [{ op: 'delete', scope: entry.scope, scopeKey: entry.scopeKey, key: entry.key }]);
      return true;
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Forgets the overlay's rows; the real store is the caller's to close. */
  async close(): Promise<void> {
    await this.queue;
    this.rows.clear();
  }
}
