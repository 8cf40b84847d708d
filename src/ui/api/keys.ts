/**
 * TanStack Query over the current KeyValueStore for the keys panel. The list is key names
 * only (the `keys` op: no value read or decrypted), paged 1,000 at a time as the panel
 * scrolls, with the count of matches from the store's index; values are read for the rows in
 * view and the opened key, and cached. Every query key starts with `kv` so one invalidation
 * refreshes them all after a run or a change from another tab.
 */
import { useMutation, useQueries, useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { API_MAX_OPS } from '../../kv/api-schema';
import { HttpStore } from '../../kv/http-store';
import { jsonByteLength } from '../../kv/operations';
import {
  LIST_MAX_LIMIT,
  type Entry,
  type JsonValue,
  type KeysResult,
  type KeyValueStore,
  type KvOp,
  type Scope,
  type ValueType,
} from '../../kv/types';
import { notifyKeysChanged, subscribeToStoreChanges, useStorage } from './storage';

export interface ScopeAddress {
  scope: Scope;
  scopeKey: string;
}

export const KV_QUERY_ROOT = 'kv';
/** Rows whose values are read together when they come into view. */
export const VALUE_CHUNK = 40;

/** Thrown into a query whose result nobody waits for any more (the filter changed). */
function throwIfStale(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new DOMException('A newer query replaced this one', 'AbortError');
}

async function keysPage(
  store: KeyValueStore,
  companyId: string,
  address: ScopeAddress,
  contains: string,
  cursor: string | null,
  limit: number,
  signal?: AbortSignal,
): Promise<KeysResult> {
  throwIfStale(signal);
  const ops: KvOp[] = [{ op: 'keys', scope: address.scope, scopeKey: address.scopeKey, contains, limit, cursor }];
  // A server request no one waits for any more is aborted on the wire; local stores answer
  // from memory or one IndexedDB read, so theirs is dropped once it is done.
  const [page] = await (store instanceof HttpStore ? store.batch(companyId, ops, { signal }) : store.batch(companyId, ops));
  throwIfStale(signal);
  if (page?.op !== 'keys') throw new Error(`The ${store.kind} store answered a keys op with ${page?.op ?? 'nothing'}`);
  return page;
}

/** Every key name of a scope matching `contains`, page by page (for "select all matching"). */
export async function listAllKeyNames(store: KeyValueStore, companyId: string, address: ScopeAddress, contains: string): Promise<string[]> {
  const names: string[] = [];
  let cursor: string | null = null;
  do {
    const page: KeysResult = await keysPage(store, companyId, address, contains, cursor, LIST_MAX_LIMIT);
    names.push(...page.keys);
    cursor = page.nextCursor;
  } while (cursor !== null);
  return names;
}

/**
 * The first page (1,000) of a scope's entries with their values, for the Inspector's `@{kv.…}`
 * completions and previews: one request however many keys the scope holds (a panel at 100,000
 * keys must not decrypt them all whenever a block is selected).
 */
export function useKeyList(address: ScopeAddress | null, prefix: string) {
  const store = useStorage((s) => s.store);
  const companyId = useStorage((s) => s.companyId);
  return useQuery({
    queryKey: [...scopeQueryKey(store?.kind ?? 'none', companyId, address), 'first-entries', prefix],
    queryFn: async () => {
      const [page] = await (store as KeyValueStore).batch(companyId, [
        { op: 'list', scope: (address as ScopeAddress).scope, scopeKey: (address as ScopeAddress).scopeKey, prefix, limit: LIST_MAX_LIMIT },
      ]);
      return page?.op === 'list' ? page.entries : [];
    },
    enabled: store !== null && address !== null,
  });
}

export function scopeQueryKey(kind: string, companyId: string, address: ScopeAddress | null) {
  return [KV_QUERY_ROOT, kind, companyId, address?.scope, address?.scopeKey] as const;
}

/** Names per page of the list: the most one `keys` op (and one server request) returns. */
export const NAMES_PER_PAGE = LIST_MAX_LIMIT;

/**
 * One page of a scope's key names matching `contains`, as its own query: page 0 from the
 * start, page p after the last name of page p - 1 (from the cache when it is there, read
 * first when not). Pages are separate queries so a refresh re-reads only the pages someone
 * looks at (the observed ones); the others are only marked stale and re-read from their
 * cached predecessor's last name when they come into view again, instead of every loaded
 * page from the top as an infinite query would.
 */
export function keyNamesPageQuery(
  client: QueryClient,
  store: KeyValueStore | null,
  companyId: string,
  address: ScopeAddress | null,
  contains: string,
  page: number,
) {
  return {
    queryKey: [...scopeQueryKey(store?.kind ?? 'none', companyId, address), 'names', contains, page] as const,
    queryFn: async ({ signal }: { signal?: AbortSignal }): Promise<KeysResult> => {
      let cursor: string | null = null;
      if (page > 0) {
        const previous = await client.ensureQueryData(keyNamesPageQuery(client, store, companyId, address, contains, page - 1));
        // The cursor of a keys page is the last name it holds (the next page starts strictly
        // after it); a cached last page has no nextCursor but keys may have been added since.
        cursor = previous.nextCursor ?? previous.keys[previous.keys.length - 1] ?? null;
        if (cursor === null) return { op: 'keys', keys: [], total: previous.total, nextCursor: null };
      }
      return keysPage(store as KeyValueStore, companyId, address as ScopeAddress, contains, cursor, NAMES_PER_PAGE, signal);
    },
    enabled: store !== null && address !== null,
  };
}

/**
 * The first page of names matching `contains`, with the count of matches (`total`). While a
 * new filter loads, the previous filter's rows stay (same scope only: another scope's rows and
 * count are never shown as this one's).
 */
export function useKeyNames(address: ScopeAddress | null, contains: string) {
  const client = useQueryClient();
  const store = useStorage((s) => s.store);
  const companyId = useStorage((s) => s.companyId);
  const scoped = scopeQueryKey(store?.kind ?? 'none', companyId, address);
  return useQuery({
    ...keyNamesPageQuery(client, store, companyId, address, contains, 0),
    placeholderData: (previous, previousQuery) => (sameScope(previousQuery?.queryKey, scoped) ? previous : undefined),
  });
}

/** The names of the pages in `pages` (observed while in view), by page number. */
export function useKeyNamePages(address: ScopeAddress | null, contains: string, pages: readonly number[]): Map<number, string[]> {
  const client = useQueryClient();
  const store = useStorage((s) => s.store);
  const companyId = useStorage((s) => s.companyId);
  return useQueries({
    queries: pages.map((page) => keyNamesPageQuery(client, store, companyId, address, contains, page)),
    combine: (results) => {
      const byPage = new Map<number, string[]>();
      results.forEach((result, i) => {
        if (result.data) byPage.set(pages[i]!, result.data.keys);
      });
      return byPage;
    },
  });
}

/** The names at list positions `from` to `to` (inclusive, either order), reading pages not in the cache. */
export async function keyNamesBetween(
  client: QueryClient,
  store: KeyValueStore,
  companyId: string,
  address: ScopeAddress,
  contains: string,
  from: number,
  to: number,
): Promise<string[]> {
  const [low, high] = from <= to ? [from, to] : [to, from];
  const names: string[] = [];
  for (let page = Math.floor(low / NAMES_PER_PAGE); page <= Math.floor(high / NAMES_PER_PAGE); page++) {
    const { keys } = await client.ensureQueryData(keyNamesPageQuery(client, store, companyId, address, contains, page));
    const start = page * NAMES_PER_PAGE;
    names.push(...keys.slice(Math.max(0, low - start), high - start + 1));
  }
  return names;
}

function sameScope(queryKey: readonly unknown[] | undefined, scoped: readonly unknown[]): boolean {
  return queryKey !== undefined && scoped.every((part, i) => queryKey[i] === part);
}

/** How many keys the scope holds, from the store's index (no value read). */
export function useKeyCount(address: ScopeAddress | null) {
  const store = useStorage((s) => s.store);
  const companyId = useStorage((s) => s.companyId);
  return useQuery({
    queryKey: [...scopeQueryKey(store?.kind ?? 'none', companyId, address), 'count'],
    queryFn: async ({ signal }) => (await keysPage(store as KeyValueStore, companyId, address as ScopeAddress, '', null, 1, signal)).total,
    enabled: store !== null && address !== null,
  });
}

async function readEntries(
  store: KeyValueStore,
  companyId: string,
  address: ScopeAddress,
  keys: readonly string[],
): Promise<Map<string, Entry>> {
  const results = await store.batch(
    companyId,
    keys.map((key) => ({ op: 'get' as const, scope: address.scope, scopeKey: address.scopeKey, key })),
  );
  const entries = new Map<string, Entry>();
  for (const result of results) if (result.op === 'get' && result.entry) entries.set(result.entry.key, result.entry);
  return entries;
}

/** What a row shows of its entry; the value itself is not kept once its size is known. */
export interface RowFacts {
  valueType: ValueType;
  bytes: number;
  updatedAt: string;
}

/**
 * The facts of the rows in view: `names` cut into chunks of `VALUE_CHUNK`, one batch of gets
 * per chunk, so only visible rows are decrypted and a chunk scrolled past stays cached (as
 * facts: scrolling through 100,000 keys does not keep 100,000 values in memory).
 */
export function useVisibleRows(
  address: ScopeAddress | null,
  nameAt: (index: number) => string | undefined,
  first: number,
  last: number,
): Map<string, RowFacts> {
  const store = useStorage((s) => s.store);
  const companyId = useStorage((s) => s.companyId);
  const chunks: string[][] = [];
  if (last >= first) {
    for (let chunk = Math.floor(first / VALUE_CHUNK); chunk <= Math.floor(last / VALUE_CHUNK); chunk++) {
      const keys: string[] = [];
      for (let index = chunk * VALUE_CHUNK; index < (chunk + 1) * VALUE_CHUNK; index++) {
        const name = nameAt(index);
        if (name !== undefined) keys.push(name);
      }
      if (keys.length > 0) chunks.push(keys);
    }
  }
  return useQueries({
    queries: chunks.map((keys) => ({
      queryKey: [...scopeQueryKey(store?.kind ?? 'none', companyId, address), 'rows', keys.join('\n')],
      queryFn: async () => {
        const facts = new Map<string, RowFacts>();
        for (const [key, entry] of await readEntries(store as KeyValueStore, companyId, address as ScopeAddress, keys)) {
          facts.set(key, { valueType: entry.valueType, bytes: jsonByteLength(entry.value), updatedAt: entry.updatedAt });
        }
        return facts;
      },
      enabled: store !== null && address !== null,
    })),
    combine: (results) => {
      const merged = new Map<string, RowFacts>();
      for (const result of results) for (const [key, facts] of result.data ?? []) merged.set(key, facts);
      return merged;
    },
  });
}

/** One key's entry (the opened key), or null when it is gone. */
export function useKeyEntry(address: ScopeAddress | null, key: string | null) {
  const store = useStorage((s) => s.store);
  const companyId = useStorage((s) => s.companyId);
  return useQuery({
    queryKey: [...scopeQueryKey(store?.kind ?? 'none', companyId, address), 'entry', key],
    queryFn: async () =>
      (await readEntries(store as KeyValueStore, companyId, address as ScopeAddress, [key as string])).get(key as string) ?? null,
    enabled: store !== null && address !== null && key !== null,
  });
}

export interface KeyWrite extends ScopeAddress {
  key: string;
  value: JsonValue;
  valueType: ValueType;
  /** Expire after this many seconds; null or absent: never. */
  ttlSeconds?: number | null;
}

export function invalidateKeys(client: QueryClient): Promise<void> {
  return client.invalidateQueries({ queryKey: [KV_QUERY_ROOT] });
}

export function useSaveKey() {
  const store = useStorage((s) => s.store);
  const companyId = useStorage((s) => s.companyId);
  return useMutation({
    mutationFn: async (write: KeyWrite) => {
      if (!store) throw new Error('The store is not ready yet');
      const [result] = await store.batch(companyId, [
        {
          op: 'set',
          scope: write.scope,
          scopeKey: write.scopeKey,
          key: write.key,
          value: write.value,
          valueType: write.valueType,
          ...(write.ttlSeconds ? { ttlSeconds: write.ttlSeconds } : {}),
        },
      ]);
      return result;
    },
    onSuccess: () => notifyKeysChanged(),
  });
}

export function useDeleteKey() {
  const store = useStorage((s) => s.store);
  const companyId = useStorage((s) => s.companyId);
  return useMutation({
    mutationFn: async (entry: Entry) => {
      if (!store) throw new Error('The store is not ready yet');
      return store.deleteById(companyId, entry.id);
    },
    onSuccess: () => notifyKeysChanged(),
  });
}

/**
 * Most ops per batch for a store: the server takes `API_MAX_OPS` per request; the browser store
 * has no such limit, so a bulk change there is always one atomic batch.
 */
export function opsPerBatch(store: KeyValueStore): number {
  return store.kind === 'http' ? API_MAX_OPS : Number.POSITIVE_INFINITY;
}

/** Runs ops in as few batches as the store allows (one, unless the server's limit splits them). */
export async function runInBatches(store: KeyValueStore, companyId: string, ops: KvOp[], groupSize: number) {
  const per = Math.max(groupSize, Math.floor(opsPerBatch(store) / groupSize) * groupSize);
  const results = [];
  for (let start = 0; start < ops.length; start += per) results.push(...(await store.batch(companyId, ops.slice(start, start + per))));
  return results;
}

/**
 * Deletes `keys` and returns what they held, for undo: each key is read and deleted in the same
 * batch, so the copy is exactly what was removed.
 */
export async function deleteKeys(
  store: KeyValueStore,
  companyId: string,
  address: ScopeAddress,
  keys: readonly string[],
): Promise<Entry[]> {
  const ops = keys.flatMap((key): KvOp[] => [
    { op: 'get', scope: address.scope, scopeKey: address.scopeKey, key },
    { op: 'delete', scope: address.scope, scopeKey: address.scopeKey, key },
  ]);
  const results = await runInBatches(store, companyId, ops, 2);
  return results.flatMap((result) => (result.op === 'get' && result.entry ? [result.entry] : []));
}

export function useBulkDelete() {
  const store = useStorage((s) => s.store);
  const companyId = useStorage((s) => s.companyId);
  return useMutation({
    mutationFn: async ({ address, keys }: { address: ScopeAddress; keys: readonly string[] }) => {
      if (!store) throw new Error('The store is not ready yet');
      return deleteKeys(store, companyId, address, keys);
    },
    onSuccess: () => notifyKeysChanged(),
  });
}

/** How often at most the key queries refresh while keys keep changing. */
const KEY_REFRESH_MS = 200;

/**
 * Refreshes every key query when keys change (runs, the panel, another tab). A burst of changes
 * (a bulk write in 100 batches, a run writing a key at every step) becomes one refresh per
 * `KEY_REFRESH_MS`, not one per batch: each refresh reads and decrypts the visible rows on the
 * page's thread.
 */
export function useLiveKeyRefresh(): void {
  const client = useQueryClient();
  useEffect(() => {
    let pending: ReturnType<typeof setTimeout> | undefined;
    const stop = subscribeToStoreChanges(() => {
      pending ??= setTimeout(() => {
        pending = undefined;
        void invalidateKeys(client);
      }, KEY_REFRESH_MS);
    });
    return () => {
      stop();
      if (pending !== undefined) clearTimeout(pending);
    };
  }, [client]);
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(2)} MB`;
}
