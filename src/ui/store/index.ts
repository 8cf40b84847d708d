/**
 * The app's store instances and the hooks components use to read them. Stores are created
 * once here; each owns one concern (document, library, run, toasts) and none reaches into
 * another except through the hooks wired below.
 */
import { useStore } from 'zustand';
import { notifyKeysChanged } from '../api/storage';
import { createConnectStore, type ConnectState } from './connect-store';
import { createEditorStore, type EditorStore } from './editor-store';
import { createLibraryStore, type LibraryStore } from './library-store';
import { editorCodeRunner } from '../lib/worker-code-runner';
import { editorRunExecutor } from '../run-worker/executor';
import { createProblemsCache, type BlueprintProblem } from './problems';
import { createRunDockStore, type RunDockState } from './run-dock-store';
import { createRunInputStore, type RunInputState } from './run-input-store';
import { createRunStore, type RunStore } from './run-store';
import { createSidePanelsStore, type SidePanelsState } from './side-panels-store';
import { createToastStore, type ToastState } from './toast-store';

export const editorStore = createEditorStore();
export const libraryStore = createLibraryStore(globalThis.localStorage, editorStore);
export const runStore = createRunStore({
  onFinished(record) {
    const note = libraryStore.getState().recordRun(record);
    if (note) toast('info', note);
    notifyKeysChanged();
  },
  runCode: editorCodeRunner(),
  ...editorRunExecutor(),
});
export const toastStore = createToastStore();
export const sidePanelsStore = createSidePanelsStore(globalThis.localStorage);
export const runInputStore = createRunInputStore();
export const connectStore = createConnectStore();
export const runDockStore = createRunDockStore(globalThis.localStorage);
const problemsOf = createProblemsCache();
/** The open blueprint's problems now (cached: recomputed only when blocks' data or edges change). */
export const problemsNow = (): BlueprintProblem[] => problemsOf(editorStore.getState());

// Opening another blueprint clears the canvas of the previous one's run.
editorStore.subscribe((state, previous) => {
  if (state.meta.id !== previous.meta.id) {
    runStore.getState().reset();
    runInputStore.getState().setDraft(null);
    connectStore.getState().close();
  }
});

export const useEditor = <T>(selector: (state: EditorStore) => T): T => useStore(editorStore, selector);
export const useLibrary = <T>(selector: (state: LibraryStore) => T): T => useStore(libraryStore, selector);
export const useRun = <T>(selector: (state: RunStore) => T): T => useStore(runStore, selector);
export const useSidePanels = <T>(selector: (state: SidePanelsState) => T): T => useStore(sidePanelsStore, selector);
export const useToasts = <T>(selector: (state: ToastState) => T): T => useStore(toastStore, selector);
export const toast = (tone: ToastState['toasts'][number]['tone'], message: string) => toastStore.getState().push(tone, message);
export const useRunDock = <T>(selector: (state: RunDockState) => T): T => useStore(runDockStore, selector);
export const useConnect = <T>(selector: (state: ConnectState) => T): T => useStore(connectStore, selector);
export const useRunInput = <T>(selector: (state: RunInputState) => T): T => useStore(runInputStore, selector);
/** The open blueprint's problems; the same array until they change. */
export const useProblems = (): BlueprintProblem[] => useStore(editorStore, problemsOf);
/** One block's problems as lines (`Key: …`), '' when it has none: a string, so a block re-renders only when it changes. */
export const useBlockProblems = (nodeId: string): string =>
  useStore(editorStore, (s) =>
    problemsOf(s)
      .filter((p) => p.nodeId === nodeId)
      .map((p) => (p.fieldLabel ? `${p.fieldLabel}: ${p.message}` : p.message))
      .join('\n'),
  );
