/**
 * The editor's user actions, registered once: a toolbar button and its keyboard shortcut run
 * the same command, and the tooltip shows the shortcut from here.
 */
import type { ReactFlowInstance } from '@xyflow/react';
import type { JsonValue } from '../../engine/types';
import { storageStore } from '../api/storage';
import { layoutPositions } from '../canvas/auto-layout';
import { FIT_VIEW_OPTIONS } from '../canvas/view-options';
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

/** Fits the blueprint into the canvas with a short animation (Fit view, after import and layout). */
export function fitViewSmoothly(flow: Pick<ReactFlowInstance, 'fitView'>): void {
  void flow.fitView({ ...FIT_VIEW_OPTIONS, duration: 200 });
}

export async function autoLayout(fitView: () => void): Promise<void> {
  const { nodes, edges, moveNodes } = editorStore.getState();
  try {
    moveNodes(await layoutPositions(nodes, edges));
    globalThis.requestAnimationFrame(() => fitView());
  } catch (error) {
    toast('error', `Auto layout failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}

export function exportCurrentBlueprint(): void {
  const doc = editorStore.getState().toDocument();
  const blob = new Blob([`${JSON.stringify(doc, null, 2)}\n`], { type: 'application/json' });
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = `${doc.id}.kv-blueprint.json`;
  link.click();
  globalThis.setTimeout(() => URL.revokeObjectURL(url), 1000);
}
