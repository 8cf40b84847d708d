/**
 * TanStack Query over the current KeyValueStore: the list of a scope's keys, one entry, and
 * the writes the keys panel makes. Every query key starts with `kv` so one invalidation
 * refreshes them all after a run or a change from another tab.
 */
import { useMutation, useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { LIST_MAX_LIMIT, type Entry, type JsonValue, type KeyValueStore, type Scope, type ValueType } from '../../kv/types';
import { notifyKeysChanged, subscribeToStoreChanges, useStorage } from './storage';

export interface ScopeAddress {
  scope: Scope;
  scopeKey: string;
}

export const KV_QUERY_ROOT = 'kv';

/** Pages through `list` until the scope is exhausted; 10,000 keys are ten batches. */
export async function listAllEntries(store: KeyValueStore, companyId: string, address: ScopeAddress, prefix: string): Promise<Entry[]> {
  const entries: Entry[] = [];
  let cursor: string | null = null;
  do {
    const [page] = await store.batch(companyId, [{ op: 'list', scope: address.scope, scopeKey: address.scopeKey, prefix, limit: LIST_MAX_LIMIT, cursor }]);
    if (!page || page.op !== 'list') break;
    entries.push(...page.entries);
    cursor = page.nextCursor;
  } while (cursor !== null);
  return entries;
}

export function useKeyList(address: ScopeAddress | null, prefix: string) {
  const store = useStorage((s) => s.store);
  const companyId = useStorage((s) => s.companyId);
  return useQuery({
    queryKey: [KV_QUERY_ROOT, store?.kind ?? 'none', companyId, address?.scope, address?.scopeKey, prefix],
    queryFn: () => listAllEntries(store as KeyValueStore, companyId, address as ScopeAddress, prefix),
    enabled: store !== null && address !== null,
    placeholderData: (previous) => previous,
  });
}

export interface KeyWrite extends ScopeAddress {
  key: string;
  value: JsonValue;
  valueType: ValueType;
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
      const [result] = await store.batch(companyId, [{ op: 'set', scope: write.scope, scopeKey: write.scopeKey, key: write.key, value: write.value, valueType: write.valueType }]);
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

/** Refreshes every key query when keys change (runs, the panel, another tab). */
export function useLiveKeyRefresh(): void {
  const client = useQueryClient();
  useEffect(() => subscribeToStoreChanges(() => void invalidateKeys(client)), [client]);
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(2)} MB`;
}
