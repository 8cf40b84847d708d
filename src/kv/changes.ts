/**
 * What a run changed in a store, key by key, and how to write a sandbox run's changes for real.
 *
 * `ChangeRecorder` wraps the store a run writes to (the real one for a live run, an
 * `OverlayStore` for a sandbox run). The first time a batch writes a key, a `get` of that key
 * goes first in the same batch, so `before` is exactly the row the write replaced; `after` is
 * the entry the batch's last write to the key answered with.
 */
import { KvError, isKvError } from './errors';
import { validateOp } from './operations';
import type { Entry, JsonValue, KeyValueStore, KvOp, KvOpResult, Scope, ValueType } from './types';

export type ChangeKind = 'created' | 'updated' | 'deleted';

/** One changed key of a run record's `changes`. */
export interface KeyChange {
  scope: Scope;
  scopeKey: string;
  key: string;
  change: ChangeKind;
  /** The row before the run's first write to the key; `null` when the key was absent. */
  before: { value: JsonValue; valueType: ValueType; version: number } | null;
  /** The row the run left; `null` when it deleted the key. */
  after: { value: JsonValue; valueType: ValueType; expiresAt: string | null } | null;
}

/** Ops that never write; every other op names the key it may write. */
const READ_ONLY_OPS = new Set<string>(['get', 'list', 'keys']);

type WriteOp = Extract<KvOp, { key: string }>;

function isWriteOp(op: KvOp): op is WriteOp {
  return !READ_ONLY_OPS.has(op.op) && typeof (op as { key?: unknown }).key === 'string';
}

function changeId(scope: Scope, scopeKey: string, key: string): string {
  return `${scope}\u0000${scopeKey}\u0000${key}`;
}

function compareChanges(a: KeyChange, b: KeyChange): number {
  for (const field of ['scope', 'scopeKey', 'key'] as const) {
    if (a[field] !== b[field]) return a[field] < b[field] ? -1 : 1;
  }
  return 0;
}

interface Touched {
  scope: Scope;
  scopeKey: string;
  key: string;
  before: Entry | null;
  after: Entry | null;
}

/** A `KeyValueStore` that passes every batch on and remembers what its writes changed. */
export class ChangeRecorder implements KeyValueStore {
  readonly kind: string;
  /** companyId → key id → the key's first and last known rows. */
  private readonly touched = new Map<string, Map<string, Touched>>();

  constructor(readonly store: KeyValueStore) {
    this.kind = store.kind;
  }

  async batch(companyId: string, ops: KvOp[]): Promise<KvOpResult[]> {
    const mine = this.touched.get(companyId) ?? new Map<string, Touched>();
    const targets: Array<{ index: number; id: string; scope: Scope; scopeKey: string; key: string }> = [];
    ops.forEach((op, index) => {
      if (!isWriteOp(op)) return;
      let scopeKey: string;
      try {
        scopeKey = validateOp(op);
      } catch {
        return; // The batch will fail at this op; nothing to read first.
      }
      targets.push({ index, id: changeId(op.scope, scopeKey, op.key), scope: op.scope, scopeKey, key: op.key });
    });
    const firstTouches = [...new Map(targets.filter((t) => !mine.has(t.id)).map((t) => [t.id, t] as const)).values()];
    const reads: KvOp[] = firstTouches.map((t) => ({ op: 'get', scope: t.scope, scopeKey: t.scopeKey, key: t.key }));

    let results: KvOpResult[];
    try {
      results = await this.store.batch(companyId, [...reads, ...ops]);
    } catch (error) {
      if (isKvError(error) && error.opIndex !== undefined && reads.length > 0) {
        if (error.opIndex >= reads.length) throw new KvError(error.code, error.message, error.opIndex - reads.length);
        // A read of the row before failed (a damaged value): the batch itself may still apply,
        // and its keys stay out of the changes rather than carry a made-up `before`.
        return this.store.batch(companyId, ops);
      }
      throw error;
    }
    firstTouches.forEach((t, i) => {
      const read = results[i];
      mine.set(t.id, { scope: t.scope, scopeKey: t.scopeKey, key: t.key, before: read?.op === 'get' ? read.entry : null, after: null });
    });
    const own = results.slice(reads.length);
    for (const target of targets) {
      const row = mine.get(target.id);
      if (!row) continue;
      const result = own[target.index] as (KvOpResult & { entry?: Entry | null }) | undefined;
      if (!result) continue;
      if (result.op === 'delete') row.after = null;
      else if (result.entry) row.after = result.entry;
    }
    this.touched.set(companyId, mine);
    return own;
  }

  /** Every key this recorder's batches changed for `companyId`, sorted by scope, scopeKey, key. */
  changes(companyId: string): KeyChange[] {
    const list: KeyChange[] = [];
    for (const row of this.touched.get(companyId)?.values() ?? []) {
      const change = changeOf(row);
      if (change) list.push(change);
    }
    return list.sort(compareChanges);
  }

  getById(companyId: string, id: string): Promise<Entry | null> {
    return this.store.getById(companyId, id);
  }

  /** Goes through `batch` as a delete by key, so it is recorded like any other write. */
  async deleteById(companyId: string, id: string): Promise<boolean> {
    const entry = await this.store.getById(companyId, id);
    if (!entry) return false;
    const [result] = await this.batch(companyId, [{ op: 'delete', scope: entry.scope, scopeKey: entry.scopeKey, key: entry.key }]);
    return result?.op === 'delete' && result.deleted;
  }

  close(): Promise<void> {
    return this.store.close();
  }
}

function changeOf(row: Touched): KeyChange | null {
  const { before, after } = row;
  // Created and deleted again within the run: nothing changed.
  if (before === null && after === null) return null;
  return {
    scope: row.scope,
    scopeKey: row.scopeKey,
    key: row.key,
    change: before === null ? 'created' : after === null ? 'deleted' : 'updated',
    before: before && { value: before.value, valueType: before.valueType, version: before.version },
    after: after && { value: after.value, valueType: after.valueType, expiresAt: after.expiresAt },
  };
}

/** A key of a change list as people read it: `global:counter`, `flow 'bp-1':name`. */
export function describeChangedKey(change: Pick<KeyChange, 'scope' | 'scopeKey' | 'key'>): string {
  return change.scope === 'global' ? `global:${change.key}` : `${change.scope} '${change.scopeKey}':${change.key}`;
}

/** A key that moved since the run, with the version it was expected at and the one it has now (0: absent). */
export interface MovedKey {
  scope: Scope;
  scopeKey: string;
  key: string;
  expectedVersion: number;
  currentVersion: number;
}

/** `conflict`: some keys changed since the run, so its changes were not applied. */
export class ChangesConflictError extends KvError {
  constructor(readonly moved: MovedKey[]) {
    super(
      'conflict',
      `Nothing was applied: ${moved.length === 1 ? '1 key has' : `${moved.length} keys have`} changed since the run: ` +
        moved
          .map(
            (m) =>
              `${describeChangedKey(m)} (${m.expectedVersion === 0 ? 'was absent' : `was version ${m.expectedVersion}`}, ` +
              `${m.currentVersion === 0 ? 'now absent' : Number.isNaN(m.currentVersion) ? 'changed meanwhile' : `now version ${m.currentVersion}`})`,
          )
          .join(', ') +
        '. Run the test again to see changes against the current data.',
    );
  }
}

export interface ApplyOptions {
  now?: () => Date;
}

/**
 * Writes `changes` to `store` in one atomic batch, each only if its key still has the version
 * it had before the run (absent where `before` is null). When any key moved, nothing is
 * written and a `ChangesConflictError` (code `conflict`) names every key that moved.
 */
export async function applyChanges(
  store: KeyValueStore,
  companyId: string,
  changes: readonly KeyChange[],
  options: ApplyOptions = {},
): Promise<void> {
  if (changes.length === 0) return;
  const now = (options.now ?? (() => new Date()))();
  const ops = changes.map((change): KvOp => {
    const ref = { scope: change.scope, scopeKey: change.scopeKey, key: change.key };
    const expectedVersion = change.before?.version ?? 0;
    const ttlSeconds = change.after?.expiresAt ? (Date.parse(change.after.expiresAt) - now.getTime()) / 1000 : null;
    // Deleted, or written with a TTL that has run out since: the key ends absent either way.
    if (change.after === null || (ttlSeconds !== null && ttlSeconds <= 0)) return { op: 'delete', ...ref, expectedVersion };
    return { op: 'set', ...ref, value: change.after.value, valueType: change.after.valueType, ttlSeconds, expectedVersion };
  });
  try {
    await store.batch(companyId, ops);
  } catch (error) {
    if (isKvError(error) && error.code === 'version_conflict') {
      const moved = await movedKeys(store, companyId, changes);
      // Moved again between the batch and the look: still name the key the batch refused.
      const refused = changes[error.opIndex ?? 0]!;
      throw new ChangesConflictError(
        moved.length > 0 ? moved : [{ ...refused, expectedVersion: refused.before?.version ?? 0, currentVersion: Number.NaN }],
      );
    }
    throw error;
  }
}

/** The keys whose current version is not their `before` version. */
async function movedKeys(store: KeyValueStore, companyId: string, changes: readonly KeyChange[]): Promise<MovedKey[]> {
  const results = await store.batch(
    companyId,
    changes.map((c): KvOp => ({ op: 'get', scope: c.scope, scopeKey: c.scopeKey, key: c.key })),
  );
  const moved: MovedKey[] = [];
  changes.forEach((change, index) => {
    const result = results[index];
    const currentVersion = result?.op === 'get' ? (result.entry?.version ?? 0) : 0;
    const expectedVersion = change.before?.version ?? 0;
    if (currentVersion !== expectedVersion) {
      moved.push({ scope: change.scope, scopeKey: change.scopeKey, key: change.key, expectedVersion, currentVersion });
    }
  });
  return moved;
}

/** What `applicableChanges` needs of a run record (the engine's `RunRecord` has it). */
export interface RecordWithChanges {
  runId: string;
  sandbox?: true;
  changes?: KeyChange[];
  changesOmitted?: number;
  changesIncomplete?: true;
}

/**
 * The changes of a sandbox run record, ready for `applyChanges`; `invalid_request` when the
 * record is not a test run or does not hold every change whole.
 */
export function applicableChanges(record: RecordWithChanges): KeyChange[] {
  if (record.sandbox !== true) {
    throw new KvError('invalid_request', `Run '${record.runId}' was a live run: its changes are already in the store`);
  }
  if (!record.changes || record.changesOmitted || record.changesIncomplete) {
    throw new KvError(
      'invalid_request',
      `Run '${record.runId}' changed more than its record keeps, so its changes cannot be applied; make the change with a live run`,
    );
  }
  return record.changes;
}
