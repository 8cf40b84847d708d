/**
 * Which KeyValueStore the editor talks to. Components never construct a store: they read the
 * current one from here and subscribe to its changes. A backend is a small object (open a
 * store, listen for changes), so the server's HTTP store plugs in by adding one entry to
 * `STORAGE_BACKENDS` without touching a component.
 */
import { createStore } from 'zustand/vanilla';
import { useStore } from 'zustand';
import { IndexedDbStore, subscribeToKvChanges } from '../../kv/indexeddb';
import type { KeyValueStore } from '../../kv/types';

export type StorageChoice = 'browser' | 'server';

/** The tenant the browser acts for (one tenant in the browser). */
export const BROWSER_COMPANY_ID = 'default';

export interface StorageBackend {
  readonly choice: StorageChoice;
  readonly label: string;
  readonly companyId: string;
  open(): Promise<KeyValueStore>;
  /** Calls `onChange` when keys change anywhere (this tab, another tab, the server). */
  subscribe(onChange: () => void): () => void;
}

export const browserBackend: StorageBackend = {
  choice: 'browser',
  label: 'Browser',
  companyId: BROWSER_COMPANY_ID,
  open: () => IndexedDbStore.open(),
  subscribe: (onChange) => subscribeToKvChanges(() => onChange()),
};

/** `null` marks a backend that this build does not connect yet. */
export const STORAGE_BACKENDS: Record<StorageChoice, StorageBackend | null> = {
  browser: browserBackend,
  server: null,
};

export const STORAGE_LABELS: Record<StorageChoice, string> = { browser: 'Browser', server: 'Server' };

export const SERVER_NOT_CONNECTED = 'Server storage is not connected';

export type StorageStatus = 'connecting' | 'ready' | 'unavailable';

export interface StorageState {
  choice: StorageChoice;
  status: StorageStatus;
  store: KeyValueStore | null;
  companyId: string;
  /** Why the store is unavailable, for a person to act on. */
  message: string | null;
}

const CHOICE_KEY = 'kvb.editor.v1.storage';

function savedChoice(): StorageChoice {
  try {
    const saved = globalThis.localStorage?.getItem(CHOICE_KEY);
    return saved === 'server' && STORAGE_BACKENDS.server ? 'server' : 'browser';
  } catch {
    return 'browser';
  }
}

export const storageStore = createStore<StorageState>()(() => ({
  choice: 'browser',
  status: 'connecting',
  store: null,
  companyId: BROWSER_COMPANY_ID,
  message: null,
}));

const localListeners = new Set<() => void>();
let stopBackendListener: (() => void) | null = null;

/** Tells every subscriber that keys changed (after a run or a write from the keys panel). */
export function notifyKeysChanged(): void {
  for (const listener of localListeners) listener();
}

/** Calls `onChange` when the current store's keys change, here or elsewhere. */
export function subscribeToStoreChanges(onChange: () => void): () => void {
  localListeners.add(onChange);
  return () => localListeners.delete(onChange);
}

export async function selectStorage(choice: StorageChoice): Promise<void> {
  const previous = storageStore.getState().store;
  const backend = STORAGE_BACKENDS[choice];
  if (!backend) {
    storageStore.setState({ choice, status: 'unavailable', store: null, message: SERVER_NOT_CONNECTED });
    return;
  }
  storageStore.setState({ choice, status: 'connecting', store: null, companyId: backend.companyId, message: null });
  stopBackendListener?.();
  stopBackendListener = null;
  if (previous) void previous.close();
  try {
    const store = await backend.open();
    if (storageStore.getState().choice !== choice) {
      void store.close();
      return;
    }
    stopBackendListener = backend.subscribe(notifyKeysChanged);
    storageStore.setState({ status: 'ready', store });
    try {
      globalThis.localStorage?.setItem(CHOICE_KEY, choice);
    } catch {
      // Remembering the choice is a convenience; the store works without it.
    }
    notifyKeysChanged();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    storageStore.setState({ status: 'unavailable', store: null, message });
  }
}

export function initStorage(): Promise<void> {
  return selectStorage(savedChoice());
}

export function useStorage<T>(selector: (state: StorageState) => T): T {
  return useStore(storageStore, selector);
}
