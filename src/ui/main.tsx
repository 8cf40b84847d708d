import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import '@xyflow/react/dist/style.css';
import './styles.css';
import { App } from './App';
import { initStorage } from './api/storage';
import { libraryStore } from './store';
import { exposeTestHandle } from './test-handle';

libraryStore.getState().init();
void initStorage();
// Only in a build for the browser tests; a production build drops this and the handle's module.
if (__KVB_TEST_HOOKS__) exposeTestHandle();
// Saves the last edits when the tab goes away before the autosave delay has passed.
window.addEventListener('pagehide', () => libraryStore.getState().flush());
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'hidden') libraryStore.getState().flush();
});

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
