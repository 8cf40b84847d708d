/**
 * Autosave: watches the editor's `revision` and saves the document once edits pause. A drag
 * or a burst of typing is one save; `flush` saves at once (before switching blueprints or
 * when the page is hidden).
 */
import type { BlueprintDocument } from '../../engine/types';
import type { EditorStoreApi } from './editor-store';

export const AUTOSAVE_DELAY_MS = 300;

export interface Autosave {
  flush(): void;
  /** Drops a pending save (the blueprint was deleted or replaced). */
  cancel(): void;
  stop(): void;
}

export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: Timers = {
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof globalThis.setTimeout>),
};

export function startAutosave(
  editor: EditorStoreApi,
  save: (doc: BlueprintDocument) => unknown,
  { delayMs = AUTOSAVE_DELAY_MS, timers = realTimers }: { delayMs?: number; timers?: Timers } = {},
): Autosave {
  let pending: unknown = null;
  const flush = () => {
    if (pending === null) return;
    timers.clearTimeout(pending);
    pending = null;
    save(editor.getState().toDocument());
  };
  const unsubscribe = editor.subscribe((state, previous) => {
    // `load` resets the revision to 0: a freshly opened blueprint needs no save.
    if (state.revision === previous.revision || state.revision === 0) return;
    // Never save mid-drag; the drag's end bumps the revision again.
    if (state.dragOrigin !== null) return;
    if (pending !== null) timers.clearTimeout(pending);
    pending = timers.setTimeout(() => {
      pending = null;
      save(editor.getState().toDocument());
    }, delayMs);
  });
  return {
    flush,
    cancel() {
      if (pending !== null) timers.clearTimeout(pending);
      pending = null;
    },
    stop() {
      flush();
      unsubscribe();
    },
  };
}
