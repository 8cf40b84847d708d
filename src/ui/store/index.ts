/**
 * The app's store instances and the hooks components use to read them. Stores are created
 * once here; each owns one concern (document, library, run, toasts) and none reaches into
 * another except through the hooks wired below.
 */
import { useStore } from 'zustand';
import { notifyKeysChanged } from '../api/storage';
import { createEditorStore, type EditorStore } from './editor-store';
import { createLibraryStore, type LibraryStore } from './library-store';
import { editorCodeRunner } from '../lib/worker-code-runner';
import { createRunStore, type RunStore } from './run-store';
import { createSidePanelsStore, type SidePanelsState } from './side-panels-store';
import { createToastStore, type ToastState } from './toast-store';

export const editorStore = createEditorStore();
export const libraryStore = createLibraryStore(globalThis.localStorage, editorStore);
export const runStore = createRunStore({
  onFinished(record) {
    libraryStore.getState().recordRun(record);
    notifyKeysChanged();
  },
  runCode: editorCodeRunner(),
});
export const toastStore = createToastStore();
export const sidePanelsStore = createSidePanelsStore(globalThis.localStorage);

// Opening another blueprint clears the canvas of the previous one's run.
editorStore.subscribe((state, previous) => {
  if (state.meta.id !== previous.meta.id) runStore.getState().reset();
});

export const useEditor = <T>(selector: (state: EditorStore) => T): T => useStore(editorStore, selector);
export const useLibrary = <T>(selector: (state: LibraryStore) => T): T => useStore(libraryStore, selector);
export const useRun = <T>(selector: (state: RunStore) => T): T => useStore(runStore, selector);
export const useSidePanels = <T>(selector: (state: SidePanelsState) => T): T => useStore(sidePanelsStore, selector);
export const useToasts = <T>(selector: (state: ToastState) => T): T => useStore(toastStore, selector);
export const toast = (tone: ToastState['toasts'][number]['tone'], message: string) => toastStore.getState().push(tone, message);
