/**
 * The editor's user actions, registered once: a toolbar button and its keyboard shortcut run
 * the same command, and the tooltip shows the shortcut from here.
 */
import type { JsonValue } from '../../engine/types';
import { storageStore } from '../api/storage';
import { editorStore, runStore, toast } from '../store';

export interface Shortcut {
  key: string;
  mod?: boolean;
  shift?: boolean;
}

export const IS_MAC = typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform);

export function shortcutLabel(shortcut: Shortcut): string {
  const parts: string[] = [];
  if (shortcut.mod) parts.push(IS_MAC ? '⌘' : 'Ctrl');
  if (shortcut.shift) parts.push(IS_MAC ? '⇧' : 'Shift');
  parts.push(shortcut.key.length === 1 ? shortcut.key.toUpperCase() : shortcut.key);
  return parts.join(IS_MAC ? '' : '+');
}

export function matchesShortcut(event: KeyboardEvent, shortcut: Shortcut): boolean {
  const mod = event.ctrlKey || event.metaKey;
  return event.key.toLowerCase() === shortcut.key.toLowerCase() && mod === Boolean(shortcut.mod) && event.shiftKey === Boolean(shortcut.shift);
}

export const SHORTCUTS = {
  undo: { key: 'z', mod: true },
  redo: { key: 'z', mod: true, shift: true },
  run: { key: 'Enter', mod: true },
  copy: { key: 'c', mod: true },
  paste: { key: 'v', mod: true },
  duplicate: { key: 'd', mod: true },
  selectAll: { key: 'a', mod: true },
  fitView: { key: '1', shift: true },
  autoLayout: { key: 'l', shift: true },
} as const satisfies Record<string, Shortcut>;

/** The input of a run started from the editor: the start block's sample input. */
export function currentRunInput(): JsonValue {
  const start = editorStore.getState().nodes.find((n) => n.type === 'start');
  return (start?.data.sampleInput as JsonValue | undefined) ?? {};
}

export async function runCurrentBlueprint(): Promise<void> {
  const { store, companyId, message } = storageStore.getState();
  if (!store) {
    toast('error', message ?? 'The store is not ready yet: wait a moment and run again.');
    return;
  }
  if (runStore.getState().view.status === 'running') return;
  const document = editorStore.getState().toDocument();
  const record = await runStore.getState().start({ document, input: currentRunInput(), store, companyId });
  if (!record) {
    const error = runStore.getState().view.error;
    toast('error', error?.message ?? 'The run could not start.');
  }
}

export function stopRun(): void {
  runStore.getState().stop();
}

export function undo(): void {
  editorStore.getState().undo();
}

export function redo(): void {
  editorStore.getState().redo();
}
