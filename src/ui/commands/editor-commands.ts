/**
 * The editor's commands, one list: the toolbar renders buttons from it, `useShortcuts` matches
 * keys against it, and tooltips and hints take their shortcut labels from it.
 */
import type { ReactFlowInstance } from '@xyflow/react';
import type { JsonValue } from '../../engine/types';
import { storageStore } from '../api/storage';
import { layoutPositions } from '../lib/auto-layout';
import { FIT_VIEW_OPTIONS } from '../lib/view-options';
import { connectStore, editorStore, problemsNow, runInputStore, runModeNow, runStore, toast } from '../store';
import { draftProblem } from '../store/run-input-store';
import type { IconName } from '../atoms/Icon';
import type { Command } from './registry';

/** What `enabled` and `disabledReason` look at: a snapshot of the stores. */
export interface CommandState {
  canUndo: boolean;
  canRedo: boolean;
  running: boolean;
  storageReady: boolean;
  storageMessage: string | null;
  /** Why the typed input payload cannot be used (it does not parse), or null. */
  inputProblem: string | null;
  /** How many problems the blocks have (the Problems list); Run waits until there are none. */
  problemCount: number;
  /** The one selected block (Run from here starts there), or null. */
  selectedBlock: string | null;
}

/** What `perform` may use: the canvas, for commands that move the view. */
export interface CommandContext {
  flow: Pick<ReactFlowInstance, 'fitView'>;
}

export type EditorCommand = Command<CommandState, CommandContext> & {
  /** The icon its button shows; `iconOnly` buttons show no text (the label stays their name). */
  readonly icon?: IconName;
  readonly iconOnly?: boolean;
};

export function commandStateNow(): CommandState {
  const history = editorStore.getState().history;
  const storage = storageStore.getState();
  return {
    canUndo: history.past.length > 0,
    canRedo: history.future.length > 0,
    running: runStore.getState().view.status === 'running',
    storageReady: storage.status === 'ready',
    storageMessage: storage.message,
    inputProblem: draftProblem(runInputStore.getState()),
    problemCount: problemsNow().length,
    selectedBlock: singleSelection(editorStore.getState().nodes),
  };
}

/** The id of the only selected block, or null. */
export function singleSelection(nodes: readonly { id: string; selected?: boolean }[]): string | null {
  let found: string | null = null;
  for (const node of nodes) {
    if (!node.selected) continue;
    if (found !== null) return null;
    found = node.id;
  }
  return found;
}

/** The input of a run started from the editor: the start block's sample input. */
export function currentRunInput(): JsonValue {
  const start = editorStore.getState().nodes.find((n) => n.type === 'start');
  return (start?.data.sampleInput as JsonValue | undefined) ?? {};
}

async function runCurrentBlueprint(startAt?: string): Promise<void> {
  const { store, companyId, message } = storageStore.getState();
  if (!store) {
    toast('error', message ?? 'The store is not ready yet: wait a moment and run again.');
    return;
  }
  if (runStore.getState().view.status === 'running') return;
  const { nodes, toDocument } = editorStore.getState();
  const ranWith = Object.fromEntries(nodes.map((node) => [node.id, node.data]));
  const record = await runStore.getState().start({
    document: toDocument(),
    input: currentRunInput(),
    store,
    companyId,
    ranWith,
    sandbox: runModeNow() === 'test',
    ...(startAt ? { startAt } : {}),
  });
  if (!record) {
    const error = runStore.getState().view.error;
    toast('error', error?.message ?? 'The run could not start.');
  }
}

/** Fits the blueprint into the canvas with a short animation (Fit view, after import and layout). */
export function fitViewSmoothly(flow: CommandContext['flow']): void {
  void flow.fitView({ ...FIT_VIEW_OPTIONS, duration: 200 });
}

async function autoLayout(flow: CommandContext['flow']): Promise<void> {
  const { nodes, edges, moveNodes } = editorStore.getState();
  try {
    moveNodes(await layoutPositions(nodes, edges));
    globalThis.requestAnimationFrame(() => fitViewSmoothly(flow));
  } catch (error) {
    toast('error', `Auto layout failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function exportCurrentBlueprint(): void {
  const doc = editorStore.getState().toDocument();
  const blob = new Blob([`${JSON.stringify(doc, null, 2)}\n`], { type: 'application/json' });
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = `${doc.id}.kv-blueprint.json`;
  link.click();
  globalThis.setTimeout(() => URL.revokeObjectURL(url), 1000);
}

const editor = () => editorStore.getState();

/** The block a keyboard user means: the focused one, else the only selected one. */
function blockInFocus(): string | null {
  const focused = document.activeElement?.closest('.react-flow__node')?.getAttribute('data-id');
  if (focused) return focused;
  const selected = editor().nodes.filter((n) => n.selected);
  return selected.length === 1 ? selected[0]!.id : null;
}

function openConnectDialog(): void {
  const source = blockInFocus();
  if (source) connectStore.getState().openConnectDialog(source);
  else toast('error', 'Focus or select one block first (Tab to a block), then Connect to… picks the out and the block to connect.');
}

function problemsWord(count: number): string {
  return count === 1 ? '1 problem' : `${count} problems`;
}

function canRun(s: CommandState): boolean {
  return !s.running && s.storageReady && s.inputProblem === null && s.problemCount === 0;
}

/** The few words beside the disabled Run button; the full reason is its tooltip. */
export function runBlockedShort(s: CommandState): string | undefined {
  if (s.running || !s.storageReady) return undefined;
  if (s.inputProblem !== null) return 'Input is not valid JSON';
  if (s.problemCount > 0) return problemsWord(s.problemCount);
  return undefined;
}

/** Why Run is disabled, in the words the toolbar and the Run panel show; undefined while a run is in flight (the key then does nothing). */
export function runBlockedReason(s: CommandState): string | undefined {
  if (s.running) return undefined;
  if (!s.storageReady) return s.storageMessage ?? 'The store is not ready yet: wait a moment and run again.';
  if (s.inputProblem !== null) return `the input payload is not valid JSON (${s.inputProblem})`;
  if (s.problemCount > 0) return `${problemsWord(s.problemCount)} in the blocks: fix them first (see the Problems list)`;
  return undefined;
}

/** Names each command after its key in the table, so the two cannot disagree. */
function register<const Table extends Record<string, Omit<EditorCommand, 'name'>>>(
  table: Table,
): { readonly [Name in keyof Table & string]: Table[Name] & { readonly name: Name } } {
  return Object.fromEntries(Object.entries(table).map(([name, command]) => [name, { ...command, name }])) as never;
}

export const COMMANDS = register({
  run: {
    icon: 'play',
    label: 'Run',
    shortcuts: [{ key: 'Enter', mod: true }],
    inTextFields: true,
    enabled: canRun,
    disabledReason: runBlockedReason,
    perform: () => void runCurrentBlueprint(),
  },
  runFromHere: {
    icon: 'play',
    label: 'Run from here',
    description: 'Run from the selected block, with the pinned outputs standing in for the blocks before it',
    shortcuts: [{ key: 'Enter', mod: true, shift: true }],
    inTextFields: true,
    enabled: (s) => canRun(s) && s.selectedBlock !== null,
    disabledReason: (s) => runBlockedReason(s) ?? (s.selectedBlock === null && !s.running ? 'select the block to start from' : undefined),
    perform: () => {
      const from = singleSelection(editorStore.getState().nodes);
      if (from) void runCurrentBlueprint(from);
    },
  },
  stop: {
    icon: 'stop',
    label: 'Stop',
    description: 'Stop after the block in flight',
    enabled: (s) => s.running,
    perform: () => runStore.getState().stop(),
  },
  undo: {
    icon: 'undo',
    iconOnly: true,
    label: 'Undo',
    shortcuts: [{ key: 'z', mod: true }],
    enabled: (s) => s.canUndo,
    perform: () => editor().undo(),
  },
  redo: {
    icon: 'redo',
    iconOnly: true,
    label: 'Redo',
    shortcuts: [
      { key: 'z', mod: true, shift: true },
      { key: 'y', mod: true },
    ],
    enabled: (s) => s.canRedo,
    perform: () => editor().redo(),
  },
  autoLayout: {
    icon: 'layout',
    label: 'Auto layout',
    shortcuts: [{ key: 'l', shift: true }],
    perform: ({ flow }) => void autoLayout(flow),
  },
  fitView: {
    icon: 'fit',
    label: 'Fit view',
    shortcuts: [{ key: '1', shift: true, code: 'Digit1' }],
    perform: ({ flow }) => fitViewSmoothly(flow),
  },
  export: {
    icon: 'download',
    label: 'Export',
    description: 'Download this blueprint as a kv-blueprint/1 file',
    perform: exportCurrentBlueprint,
  },
  connectTo: {
    label: 'Connect to…',
    description: 'Connect an out of the focused or selected block to another block',
    shortcuts: [{ key: 'c' }],
    perform: openConnectDialog,
  },
  copy: { label: 'Copy', shortcuts: [{ key: 'c', mod: true }], perform: () => void editor().copy() },
  paste: { label: 'Paste', shortcuts: [{ key: 'v', mod: true }], perform: () => void editor().paste() },
  duplicate: { label: 'Duplicate', shortcuts: [{ key: 'd', mod: true }], perform: () => void editor().duplicate() },
  selectAll: { label: 'Select all', shortcuts: [{ key: 'a', mod: true }], perform: () => editor().selectAll() },
  deleteSelection: {
    label: 'Delete',
    description: 'Delete (Delete or Backspace)',
    keyTest: (event) => event.key === 'Delete' || event.key === 'Backspace',
    perform: () => void editor().deleteSelection(),
  },
  selectNone: {
    label: 'Select none',
    keyTest: (event) => event.key === 'Escape',
    perform: () => editor().selectOnly([]),
  },
});

export type CommandName = keyof typeof COMMANDS;

/** Every command, in the order keys are matched. */
export const COMMAND_LIST: readonly EditorCommand[] = Object.values(COMMANDS);
