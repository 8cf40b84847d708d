/**
 * Which KeyValueStore the editor talks to. Components never construct a store: they read the
 * current one from here and subscribe to its changes. A backend is a small object (open a
 * store, listen for changes and for its own health), so Browser (IndexedDB) and Server (the
 * HTTP store of the `kvb serve` that served the page) look the same to every component.
 */
import { createStore } from 'zustand/vanilla';
import { useStore } from 'zustand';
import { DEFAULT_COMPANY_ID } from '../../engine/index';
import type { KeyValueStore } from '../../kv/types';
import { createServerBackend } from './server-backend';

export type StorageChoice = 'browser' | 'server';

/** Why a store is unavailable: decides what the keys panel offers (a token form, a retry). */
export type StorageProblem = 'unreachable' | 'unauthorized' | 'refused' | 'failed';

/** What a backend says about itself; a store is used only while its backend is `ready`. */
export type BackendHealth =
  { status: 'connecting' } | { status: 'ready' } | { status: 'unavailable'; problem: StorageProblem; message: string };

export interface StorageBackend {
  readonly choice: StorageChoice;
  readonly label: string;
  readonly companyId: string;
  open(): Promise<KeyValueStore>;
  /**
   * Calls `onChange` when keys change anywhere (this tab, another tab, the server) and
   * `onHealth` when the backend becomes ready or unavailable (at least once, maybe at once).
   */
  subscribe(onChange: () => void, onHealth: (health: BackendHealth) => void): () => void;
}

export const browserBackend: StorageBackend = {
  choice: 'browser',
  label: 'Browser',
  companyId: DEFAULT_COMPANY_ID,
  // The store's code loads with the first open, after the first paint.
  open: async () => (await import('../../kv/indexeddb')).IndexedDbStore.open(),
  subscribe: (onChange, onHealth) => {
    // IndexedDB does not come and go: once open, it is ready.
    onHealth({ status: 'ready' });
    let stop: (() => void) | null = null;
    let stopped = false;
    void import('../../kv/indexeddb').then(({ subscribeToKvChanges }) => {
      if (!stopped) stop = subscribeToKvChanges(() => onChange());
    });
    return () => {
      stopped = true;
      stop?.();
    };
  },
};

export const STORAGE_BACKENDS: Record<StorageChoice, StorageBackend> = {
  browser: browserBackend,
  server: createServerBackend(),
};

export const STORAGE_LABELS: Record<StorageChoice, string> = { browser: 'Browser', server: 'Server' };

export type StorageStatus = BackendHealth['status'];

export interface StorageState {
  choice: StorageChoice;
  status: StorageStatus;
  /** The store to use, only while `status` is `ready`. */
  store: KeyValueStore | null;
  companyId: string;
  problem: StorageProblem | null;
  /** Why the store is unavailable, for a person to act on. */
  message: string | null;
}

/**
 * The short word beside the Storage select. Short on purpose: the toolbar has no room to spare
 * at 1440 px, and the keys panel says the rest.
 */
export function storageStatusLabel(state: Pick<StorageState, 'choice' | 'status' | 'problem'>): string {
  if (state.status === 'connecting') return 'Wait…';
  if (state.status === 'ready') return state.choice === 'server' ? 'Online' : 'Ready';
  switch (state.problem) {
    case 'unreachable':
      return 'Offline';
    case 'unauthorized':
      return 'Locked';
    case 'refused':
      return 'Refused';
    default:
      return 'Failed';
  }
}

const CHOICE_KEY = 'kvb.editor.v1.storage';

export function savedChoice(): StorageChoice {
  try {
    return globalThis.localStorage?.getItem(CHOICE_KEY) === 'server' ? 'server' : 'browser';
  } catch {
    return 'browser';
  }
}

function rememberChoice(choice: StorageChoice): void {
  try {
    globalThis.localStorage?.setItem(CHOICE_KEY, choice);
  } catch {
    // Remembering the choice is a convenience; the store works without it.
  }
}

export const storageStore = createStore<StorageState>()(() => ({
  choice: 'browser',
  status: 'connecting',
  store: null,
  companyId: DEFAULT_COMPANY_ID,
  problem: null,
  message: null,
}));

const localListeners = new Set<() => void>();
let stopBackendListener: (() => void) | null = null;
let openStore: KeyValueStore | null = null;
/** Bumped by every selection, so a slow open of an earlier choice cannot win. */
let selection = 0;

/** Tells every subscriber that keys changed (after a run or a write from the keys panel). */
export function notifyKeysChanged(): void {
  for (const listener of localListeners) listener();
}

/** Calls `onChange` when the current store's keys change, here or elsewhere. */
export function subscribeToStoreChanges(onChange: () => void): () => void {
  localListeners.add(onChange);
  return () => localListeners.delete(onChange);
}

function applyHealth(store: KeyValueStore, health: BackendHealth): void {
  if (health.status === 'ready') {
    storageStore.setState({ status: 'ready', store, problem: null, message: null });
    notifyKeysChanged();
  } else if (health.status === 'connecting') {
    storageStore.setState({ status: 'connecting', store: null, problem: null, message: null });
  } else {
    storageStore.setState({ status: 'unavailable', store: null, problem: health.problem, message: health.message });
  }
}

/** Switches storage (and remembers the choice for the next visit, reachable or not). */
export async function selectStorage(choice: StorageChoice): Promise<void> {
  const ticket = ++selection;
  const backend = STORAGE_BACKENDS[choice];
  stopBackendListener?.();
  stopBackendListener = null;
  if (openStore) void openStore.close();
  openStore = null;
  rememberChoice(choice);
  storageStore.setState({ choice, status: 'connecting', store: null, companyId: backend.companyId, problem: null, message: null });
  try {
    const store = await backend.open();
    if (ticket !== selection) {
      void store.close();
      return;
    }
    openStore = store;
    stopBackendListener = backend.subscribe(notifyKeysChanged, (health) => {
      if (ticket === selection) applyHealth(store, health);
    });
  } catch (error) {
    if (ticket !== selection) return;
    const message = error instanceof Error ? error.message : String(error);
    storageStore.setState({ status: 'unavailable', store: null, problem: 'failed', message });
  }
}

/** Connects the current choice again now (the Retry button, or after a new token). */
export function reconnectStorage(): Promise<void> {
  return selectStorage(storageStore.getState().choice);
}

export function initStorage(): Promise<void> {
  return selectStorage(savedChoice());
}

export function useStorage<T>(selector: (state: StorageState) => T): T {
  return useStore(storageStore, selector);
}
