/**
 * A typed handle on the app's stores for end-to-end tests and the console (as tldraw exposes
 * its editor): tests assert on state and seed data through it instead of parsing the DOM.
 */
import { storageStore } from './api/storage';
import { editorStore, libraryStore, runStore } from './store';

export interface KvbTestHandle {
  editor: typeof editorStore;
  library: typeof libraryStore;
  run: typeof runStore;
  storage: typeof storageStore;
}

declare global {
  interface Window {
    kvb?: KvbTestHandle;
  }
}

export function exposeTestHandle(): void {
  window.kvb = { editor: editorStore, library: libraryStore, run: runStore, storage: storageStore };
}
