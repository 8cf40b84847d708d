import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import '@xyflow/react/dist/style.css';
import './styles.css';
import { App } from './App';
import { initStorage, storageStore } from './api/storage';
import { libraryStore, toast } from './store';
import { followStorage } from './store/library-store';
import { storageSwitchNotice } from './shell/storage-notice';
import { exposeTestHandle } from './test-handle';

void libraryStore.getState().init();
void initStorage().then(() => followStorage(libraryStore, storageStore, (where) => toast('info', storageSwitchNotice(where))));
// Only in a build for the browser tests; a production build drops this and the handle's module.
if (__KVB_TEST_HOOKS__) exposeTestHandle();
// Saves the last edits when the tab goes away before the autosave delay has passed.
window.addEventListener('pagehide', () => void libraryStore.getState().flush());
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'hidden') void libraryStore.getState().flush();
});

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
