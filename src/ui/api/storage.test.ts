import { afterEach, describe, expect, it, vi } from 'vitest';
import { MemoryStore } from '../../kv/memory';
import {
  STORAGE_BACKENDS,
  selectStorage,
  storageStatusLabel,
  storageStore,
  subscribeToStoreChanges,
  type BackendHealth,
  type StorageBackend,
} from './storage';

/** A server-like backend whose health the test drives. */
function drivenBackend() {
  let report: (health: BackendHealth) => void = () => {};
  let signalChange: () => void = () => {};
  const store = new MemoryStore();
  const backend: StorageBackend = {
    choice: 'server',
    label: 'Server',
    companyId: 'default',
    open: async () => store,
    subscribe: (onChange, onHealth) => {
      report = onHealth;
      signalChange = onChange;
      onHealth({ status: 'connecting' });
      return () => {
        report = () => {};
      };
    },
  };
  return { backend, store, report: (h: BackendHealth) => report(h), change: () => signalChange() };
}

const realServer = STORAGE_BACKENDS.server;
afterEach(() => {
  STORAGE_BACKENDS.server = realServer;
});

describe('selectStorage', () => {
  it('hands out the store only while the backend is ready, and keeps the reason when it is not', async () => {
    const driven = drivenBackend();
    STORAGE_BACKENDS.server = driven.backend;
    await selectStorage('server');
    expect(storageStore.getState()).toMatchObject({ choice: 'server', status: 'connecting', store: null });

    driven.report({ status: 'ready' });
    expect(storageStore.getState()).toMatchObject({ status: 'ready', store: driven.store, problem: null });

    driven.report({ status: 'unavailable', problem: 'unreachable', message: 'server stopped' });
    expect(storageStore.getState()).toMatchObject({
      status: 'unavailable',
      store: null,
      problem: 'unreachable',
      message: 'server stopped',
    });

    driven.report({ status: 'ready' });
    expect(storageStore.getState()).toMatchObject({ status: 'ready', store: driven.store, message: null });
  });

  it('refreshes key listeners when the backend comes back and when it reports a change', async () => {
    const driven = drivenBackend();
    STORAGE_BACKENDS.server = driven.backend;
    const listener = vi.fn();
    const stop = subscribeToStoreChanges(listener);
    await selectStorage('server');
    driven.report({ status: 'ready' });
    expect(listener).toHaveBeenCalledTimes(1);
    driven.change();
    expect(listener).toHaveBeenCalledTimes(2);
    stop();
  });

  it('ignores a backend it has switched away from', async () => {
    const first = drivenBackend();
    STORAGE_BACKENDS.server = first.backend;
    await selectStorage('server');
    const second = drivenBackend();
    STORAGE_BACKENDS.server = second.backend;
    await selectStorage('server');
    first.report({ status: 'ready' });
    expect(storageStore.getState().status).toBe('connecting');
    second.report({ status: 'ready' });
    expect(storageStore.getState().store).toBe(second.store);
  });
});

describe('storageStatusLabel', () => {
  it('says what a person needs to know in one short word', () => {
    expect(storageStatusLabel({ choice: 'server', status: 'ready', problem: null })).toBe('Online');
    expect(storageStatusLabel({ choice: 'browser', status: 'ready', problem: null })).toBe('Ready');
    expect(storageStatusLabel({ choice: 'server', status: 'connecting', problem: null })).toBe('Wait…');
    expect(storageStatusLabel({ choice: 'server', status: 'unavailable', problem: 'unreachable' })).toBe('Offline');
    expect(storageStatusLabel({ choice: 'server', status: 'unavailable', problem: 'unauthorized' })).toBe('Locked');
  });
});
