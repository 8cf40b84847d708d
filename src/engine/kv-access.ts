/**
 * How blocks and `@{kv.*}` expressions reach the store (docs/scopes.md): scope keys, inheritance along
 * flow → flow_group → global, the conflict rules, and the `scope:key` trace of every read and
 * write. Writes and deletes touch only the block's own scope; reads of several scopes go in one
 * `store.batch`, so they see one consistent snapshot.
 */
import { isKvError } from '../kv/errors';
import { assertValidKey, describeKey } from '../kv/operations';
import type { Entry, JsonValue, KeyValueStore, KvOp, KvOpResult, SaveMode, Scope, ValueType } from '../kv/types';
import { EngineError } from './errors';
import type { BlueprintSettings } from './types';

export const DEFAULT_COMPANY_ID = 'default';

/** The keys one step read and wrote, as `scope:key` (`flow:analysis_result`). */
export interface KvTrace {
  reads: string[];
  writes: string[];
}

export interface KvAccessOptions {
  store: KeyValueStore;
  companyId?: string;
  blueprint: { id: string; groupId?: string | undefined };
  settings: Pick<BlueprintSettings, 'kvInherit' | 'kvConflict'>;
}

export type KvReadResult = { found: true; value: JsonValue } | { found: false };

export interface SaveOptions {
  valueType: ValueType;
  mode: SaveMode;
  ttlSeconds: number | null;
  /** Compare-and-set: write only over this stored version (0: only when absent). */
  expectedVersion?: number | null;
}

function traceName(scope: Scope, key: string): string {
  return `${scope}:${key}`;
}

function isPlainObject(value: JsonValue): value is { [key: string]: JsonValue } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Deep-merges `child` over `parent`: objects key by key, anything else the child wins. */
function mergeOver(parent: JsonValue, child: JsonValue): JsonValue {
  if (!isPlainObject(parent) || !isPlainObject(child)) return child;
  const merged = new Map<string, JsonValue>(Object.entries(parent));
  for (const [key, value] of Object.entries(child)) {
    const below = merged.get(key);
    merged.set(key, below === undefined ? value : mergeOver(below, value));
  }
  // fromEntries defines own properties, so a "__proto__" key stays a plain key.
  return Object.fromEntries(merged);
}

export class KvAccess {
  readonly companyId: string;

  constructor(private readonly options: KvAccessOptions) {
    this.companyId = options.companyId ?? DEFAULT_COMPANY_ID;
  }

  /** The scope key an entry of `scope` lives under for this blueprint (docs/scopes.md). */
  scopeKeyOf(scope: Scope): string {
    if (scope === 'flow') return this.options.blueprint.id;
    if (scope === 'global') return '';
    const groupId = this.options.blueprint.groupId;
    if (!groupId) {
      throw new EngineError(
        'invalid_scope',
        `Scope flow_group needs the blueprint's groupId, and blueprint '${this.options.blueprint.id}' has none: set a groupId, or use scope flow or global`,
      );
    }
    return groupId;
  }

  /** The scopes a read at `scope` consults, most specific first. */
  readChain(scope: Scope): Scope[] {
    this.scopeKeyOf(scope);
    if (!this.options.settings.kvInherit || scope === 'global') return [scope];
    const chain: Scope[] = scope === 'flow' ? ['flow'] : [];
    if (this.options.blueprint.groupId) chain.push('flow_group');
    chain.push('global');
    return chain;
  }

  /** Reads `key` at `scope`, following inheritance and the conflict rule. */
  async read(scope: Scope, key: string, trace: KvTrace): Promise<KvReadResult> {
    assertValidKey(key);
    const chain = this.readChain(scope);
    for (const s of chain) trace.reads.push(traceName(s, key));
    const results = await this.batch(chain.map((s): KvOp => ({ op: 'get', key, scope: s, scopeKey: this.scopeKeyOf(s) })));
    const values = results
      .map((result) => (result.op === 'get' ? result.entry : null))
      .filter((entry): entry is Entry => entry !== null)
      .map((entry) => entry.value);
    if (values.length === 0) return { found: false };
    const mostSpecific = values[0]!;
    switch (this.options.settings.kvConflict) {
      case 'parent':
        return { found: true, value: values[values.length - 1]! };
      case 'merge':
        if (values.every(isPlainObject)) {
          return { found: true, value: values.reduceRight<JsonValue>((below, value) => mergeOver(below, value), {}) };
        }
        return { found: true, value: mostSpecific };
      case 'child':
      default:
        return { found: true, value: mostSpecific };
    }
  }

  /** The `not_found` error for a read or delete that found nothing. */
  notFound(scope: Scope, key: string, consulted: Scope[] = [scope]): EngineError {
    const parents = consulted.filter((s) => s !== scope);
    const also = parents.length > 0 ? `, nor in its parent scopes (${parents.join(', ')})` : '';
    return new EngineError('not_found', `Key ${describeKey(key)} not found in ${scope} scope${also}`);
  }

  /** The sorted union of key names in `scope` (and its parents when inheriting). */
  async list(scope: Scope, query: { prefix: string; limit: number }, trace: KvTrace): Promise<string[]> {
    const chain = this.readChain(scope);
    for (const s of chain) trace.reads.push(traceName(s, `${query.prefix}*`));
    const results = await this.batch(
      chain.map((s): KvOp => ({ op: 'list', scope: s, scopeKey: this.scopeKeyOf(s), prefix: query.prefix, limit: query.limit })),
    );
    const keys = new Set<string>();
    for (const result of results) {
      if (result.op === 'list') for (const entry of result.entries) keys.add(entry.key);
    }
    // Each scope returned its first `limit` keys in order, so the union's first `limit` are exact.
    return [...keys].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).slice(0, query.limit);
  }

  async save(
    scope: Scope,
    key: string,
    value: JsonValue,
    options: SaveOptions,
    trace: KvTrace,
  ): Promise<{ entry: Entry; created: boolean }> {
    assertValidKey(key);
    const [result] = await this.batch([
      {
        op: 'set',
        key,
        value,
        scope,
        scopeKey: this.scopeKeyOf(scope),
        valueType: options.valueType,
        mode: options.mode,
        ttlSeconds: options.ttlSeconds,
        ...(typeof options.expectedVersion === 'number' ? { expectedVersion: options.expectedVersion } : {}),
      },
    ]);
    if (result?.op !== 'set') throw this.unexpected('set');
    trace.writes.push(traceName(scope, key));
    return { entry: result.entry, created: result.created };
  }

  /** Deletes `key` from the block's own scope; `false` when nothing was there. */
  async remove(scope: Scope, key: string, trace: KvTrace): Promise<boolean> {
    assertValidKey(key);
    const [result] = await this.batch([{ op: 'delete', key, scope, scopeKey: this.scopeKeyOf(scope) }]);
    if (result?.op !== 'delete') throw this.unexpected('delete');
    if (result.deleted) trace.writes.push(traceName(scope, key));
    return result.deleted;
  }

  async append(scope: Scope, key: string, value: JsonValue, valueType: ValueType, trace: KvTrace): Promise<Entry> {
    assertValidKey(key);
    const [result] = await this.batch([{ op: 'append', key, value, valueType, scope, scopeKey: this.scopeKeyOf(scope) }]);
    if (result?.op !== 'append') throw this.unexpected('append');
    trace.writes.push(traceName(scope, key));
    return result.entry;
  }

  async increment(scope: Scope, key: string, by: number, trace: KvTrace): Promise<Entry> {
    assertValidKey(key);
    const [result] = await this.batch([{ op: 'increment', key, by, scope, scopeKey: this.scopeKeyOf(scope) }]);
    if (result?.op !== 'increment') throw this.unexpected('increment');
    trace.writes.push(traceName(scope, key));
    return result.entry;
  }

  /** Adds `value` to the list under `key` unless a deep-equal item is there (`already_exists`). */
  async listAdd(scope: Scope, key: string, value: JsonValue, valueType: ValueType, trace: KvTrace): Promise<Entry> {
    assertValidKey(key);
    const [result] = await this.batch([{ op: 'listAdd', key, value, valueType, scope, scopeKey: this.scopeKeyOf(scope) }]);
    if (result?.op !== 'listAdd') throw this.unexpected('listAdd');
    trace.writes.push(traceName(scope, key));
    return result.entry;
  }

  /** Removes every item deep-equal to `value` from the list under `key` (`not_found` when none). */
  async listRemove(scope: Scope, key: string, value: JsonValue, trace: KvTrace): Promise<Entry> {
    assertValidKey(key);
    const [result] = await this.batch([{ op: 'listRemove', key, value, scope, scopeKey: this.scopeKeyOf(scope) }]);
    if (result?.op !== 'listRemove') throw this.unexpected('listRemove');
    trace.writes.push(traceName(scope, key));
    return result.entry;
  }

  /** One atomic store call; a failure that is not a store error becomes code `store`. */
  private async batch(ops: KvOp[]): Promise<KvOpResult[]> {
    try {
      return await this.options.store.batch(this.companyId, ops);
    } catch (error) {
      if (isKvError(error)) throw error;
      const detail = error instanceof Error ? error.message : String(error);
      throw new EngineError('store', `The ${this.options.store.kind} store failed: ${detail}`);
    }
  }

  private unexpected(op: string): EngineError {
    return new EngineError('store', `The ${this.options.store.kind} store answered a ${op} with a result of another kind`);
  }
}
