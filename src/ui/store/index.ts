/**
 * The app's store instances and the hooks components use to read them. Stores are created
 * once here; each owns one concern (document, library, run, toasts) and none reaches into
 * another except through the hooks wired below.
 */
import { useMemo } from 'react';
import { useStore } from 'zustand';
import { notifyKeysChanged, storageStore } from '../api/storage';
import { createServerRunner } from '../api/server-run';
import { createServerWorkspace } from '../api/workspace-client';
import { createConnectStore, type ConnectState } from './connect-store';
import { createEditorStore, type EditorStore } from './editor-store';
import { createLibraryStore, type LibraryStore } from './library-store';
import { editorCodeRunner } from '../lib/worker-code-runner';
import { editorRunExecutor } from '../run-worker/executor';
import { createProblemsCache, type BlueprintProblem } from './problems';
import { createRunDockStore, type RunDockState } from './run-dock-store';
import { createRunInputStore, type RunInputState } from './run-input-store';
import { createRunStore, type RunStore } from './run-store';
import { blueprintWrites, createRunModeStore, effectiveRunMode, type RunMode, type RunModeState } from './run-mode-store';
import { createSidePanelsStore, type SidePanelsState } from './side-panels-store';
import { createToastStore, type ToastState } from './toast-store';

export const editorStore = createEditorStore();
export const toastStore = createToastStore();
export const libraryStore = createLibraryStore(globalThis.localStorage, editorStore, {
  server: createServerWorkspace(),
  notify: (tone, message) => toastStore.getState().push(tone, message),
});
const serverRunner = createServerRunner({ beforeRun: () => libraryStore.getState().saveForRun() });
export const runStore = createRunStore({
  onFinished(record) {
    void libraryStore.getState().recordRun(record);
    notifyKeysChanged();
  },
  // A blueprint that lives on the server runs there (and the canvas follows its events).
  remote: () => (libraryStore.getState().where === 'server' && storageStore.getState().status === 'ready' ? serverRunner : null),
  runCode: editorCodeRunner(),
  ...editorRunExecutor(),
});
export const sidePanelsStore = createSidePanelsStore(globalThis.localStorage);
export const runInputStore = createRunInputStore();
export const connectStore = createConnectStore();
export const runDockStore = createRunDockStore(globalThis.localStorage);
export const runModeStore = createRunModeStore(globalThis.localStorage);
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

export const useRunMode = <T>(selector: (state: RunModeState) => T): T => useStore(runModeStore, selector);
/** The open blueprint's run mode (Test run / Live run). */
export const runModeNow = (): RunMode => {
  const { meta, nodes } = editorStore.getState();
  const { chosen, fallback } = runModeStore.getState();
  return effectiveRunMode(chosen, meta.id, blueprintWrites(nodes), fallback);
};
export const useCurrentRunMode = (): RunMode => {
  const id = useEditor((s) => s.meta.id);
  const writes = useEditor((s) => blueprintWrites(s.nodes));
  const chosen = useRunMode((s) => s.chosen);
  const fallback = useRunMode((s) => s.fallback);
  return effectiveRunMode(chosen, id, writes, fallback);
};
/**
 * Keys of one scope that the shown test run changed and that are not applied or discarded yet,
 * so Stored keys can mark them (their test values are not in the store).
 */
export const useTestRunKeys = (scope: string, scopeKey: string): ReadonlySet<string> => {
  const record = useRun((s) => s.view.record);
  const settled = useRunMode((s) => (record ? s.settled[record.runId] : undefined));
  return useMemo(() => {
    if (!record?.sandbox || settled) return new Set<string>();
    return new Set((record.changes ?? []).filter((c) => c.scope === scope && c.scopeKey === scopeKey).map((c) => c.key));
  }, [record, settled, scope, scopeKey]);
};
