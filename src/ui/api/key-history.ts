/**
 * A key's history and the recently deleted keys of a scope, for the Stored keys panel: the
 * store's `history`, `restore` and `deleted` ops. Query keys sit under the `kv` root, so they
 * refresh with everything else after a write.
 */
import { useMutation, useQuery } from '@tanstack/react-query';
import { isKvError } from '../../kv/errors';
import type { Entry, KeyValueStore, KvOp } from '../../kv/types';
import { runInBatches, scopeQueryKey, type ScopeAddress } from './keys';
import { notifyKeysChanged, useStorage } from './storage';

/** How many recently deleted keys the panel lists. */
export const DELETED_SHOWN = 100;

export function useKeyHistory(address: ScopeAddress | null, key: string | null) {
  const store = useStorage((s) => s.store);
  const companyId = useStorage((s) => s.companyId);
  return useQuery({
    queryKey: [...scopeQueryKey(store?.kind ?? 'none', companyId, address), 'history', key],
    queryFn: async () => {
      const { scope, scopeKey } = address as ScopeAddress;
      const [result] = await (store as KeyValueStore).batch(companyId, [{ op: 'history', scope, scopeKey, key: key as string }]);
      if (result?.op !== 'history') throw new Error(`The ${store?.kind} store answered a history op with ${result?.op ?? 'nothing'}`);
      return result.versions;
    },
    // A store that keeps no history says so at once; asking again would not change that.
    retry: (failures: number, error: Error) => !isKvError(error) && failures < 2,
    enabled: store !== null && address !== null && key !== null,
  });
}

export function useDeletedKeys(address: ScopeAddress | null, enabled: boolean) {
  const store = useStorage((s) => s.store);
  const companyId = useStorage((s) => s.companyId);
  return useQuery({
    queryKey: [...scopeQueryKey(store?.kind ?? 'none', companyId, address), 'deleted'],
    queryFn: async () => {
      const { scope, scopeKey } = address as ScopeAddress;
      const [result] = await (store as KeyValueStore).batch(companyId, [{ op: 'deleted', scope, scopeKey, limit: DELETED_SHOWN }]);
      if (result?.op !== 'deleted') throw new Error(`The ${store?.kind} store answered a deleted op with ${result?.op ?? 'nothing'}`);
      return result.keys;
    },
    retry: (failures: number, error: Error) => !isKvError(error) && failures < 2,
    enabled: enabled && store !== null && address !== null,
  });
}

export interface VersionToRestore extends ScopeAddress {
  key: string;
  version: number;
}

/** Writes a kept version back as the key's next version (a deleted key comes back). */
export function useRestoreVersion() {
  const store = useStorage((s) => s.store);
  const companyId = useStorage((s) => s.companyId);
  return useMutation({
    mutationFn: async ({ scope, scopeKey, key, version }: VersionToRestore) => {
      if (!store) throw new Error('The store is not ready yet');
      const [result] = await store.batch(companyId, [{ op: 'restore', scope, scopeKey, key, version }]);
      if (result?.op !== 'restore') throw new Error(`The ${store.kind} store answered a restore op with ${result?.op ?? 'nothing'}`);
      return result;
    },
    onSuccess: () => notifyKeysChanged(),
  });
}

export function useUndoDelete() {
  const store = useStorage((s) => s.store);
  const companyId = useStorage((s) => s.companyId);
  return useMutation({
    mutationFn: async (entries: readonly Entry[]) => {
      if (!store) throw new Error('The store is not ready yet');
      return undoDelete(store, companyId, entries);
    },
    onSuccess: () => notifyKeysChanged(),
  });
}

/**
 * Undo of a bulk delete: brings the deleted entries back through the history (`restore` of the
 * version each had), so their history runs on unbroken. Entries that were to expire are written
 * with the time they had left instead, since a restored version lives forever; expired ones stay
 * gone. A store that keeps no history gets the values written back as they were read.
 */
export async function undoDelete(store: KeyValueStore, companyId: string, entries: readonly Entry[], now = Date.now()): Promise<number> {
  const live = entries.filter((entry) => entry.expiresAt === null || Date.parse(entry.expiresAt) > now);
  const writeBack = (entry: Entry): KvOp => ({
    op: 'set',
    scope: entry.scope,
    scopeKey: entry.scopeKey,
    key: entry.key,
    value: entry.value,
    valueType: entry.valueType,
    ...(entry.expiresAt === null ? {} : { ttlSeconds: (Date.parse(entry.expiresAt) - now) / 1000 }),
  });
  const throughHistory = live.map((entry): KvOp =>
    entry.expiresAt === null
      ? { op: 'restore', scope: entry.scope, scopeKey: entry.scopeKey, key: entry.key, version: entry.version }
      : writeBack(entry),
  );
  try {
    await runInBatches(store, companyId, throughHistory, 1);
  } catch (error) {
    // A store without history (an older server) refuses the restore op: write the values back.
    if (!(isKvError(error) && error.code === 'invalid_request')) throw error;
    await runInBatches(store, companyId, live.map(writeBack), 1);
  }
  return live.length;
}
