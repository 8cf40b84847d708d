/**
 * The Run button's mode: a test run (sandbox: the run writes to an overlay only it sees) or a
 * live run. The choice is remembered per blueprint in localStorage; a blueprint with no choice
 * runs as a test when it has a block that writes. Also what became of each test run's changes
 * (applied or discarded), so the Run panel stops offering them.
 */
import { createStore } from 'zustand/vanilla';

export const RUN_MODE_STORAGE_KEY = 'kvb.editor.v1.runMode';

export type RunMode = 'test' | 'live';
export const RUN_MODE_LABELS: Record<RunMode, string> = { test: 'Test run', live: 'Live run' };

export type ChangesOutcome = 'applied' | 'discarded';

/** The Key-Value Storage actions that change stored data. */
const WRITING_ACTIONS: ReadonlySet<string> = new Set(['save', 'delete', 'append', 'increment', 'listAdd', 'listRemove']);

/** Whether a blueprint has a block that writes stored keys. */
export function blueprintWrites(nodes: readonly { type?: string | undefined; data: unknown }[]): boolean {
  return nodes.some((node) => node.type === 'kv' && WRITING_ACTIONS.has(String((node.data as { action?: unknown }).action)));
}

/**
 * The mode for every blueprint without a choice of its own, when this localStorage item holds
 * one. Nothing in the editor sets it; the browser tests do, so that the specs written before
 * test runs existed keep running live.
 */
export const RUN_MODE_DEFAULT_STORAGE_KEY = 'kvb.editor.v1.runModeDefault';

/** The mode a run of this blueprint takes: the person's choice, else Test run when it writes. */
export function effectiveRunMode(
  chosen: Readonly<Record<string, RunMode>>,
  blueprintId: string,
  writes: boolean,
  fallback: RunMode | null = null,
): RunMode {
  return chosen[blueprintId] ?? fallback ?? (writes ? 'test' : 'live');
}

export interface RunModeState {
  /** The mode picked per blueprint id; absent: the default. */
  chosen: Readonly<Record<string, RunMode>>;
  /** The stored mode for blueprints without a choice (`RUN_MODE_DEFAULT_STORAGE_KEY`), else null. */
  fallback: RunMode | null;
  /** Test runs whose changes were applied or discarded, by run id (this session). */
  settled: Readonly<Record<string, ChangesOutcome>>;
  setMode(blueprintId: string, mode: RunMode): void;
  settle(runId: string, outcome: ChangesOutcome): void;
}

type ModeStorage = Pick<Storage, 'getItem' | 'setItem'>;

export function parseRunModes(raw: string | null): Record<string, RunMode> {
  try {
    const parsed: unknown = JSON.parse(raw ?? '{}');
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return {};
    const modes: Record<string, RunMode> = {};
    for (const [id, mode] of Object.entries(parsed)) if (mode === 'test' || mode === 'live') modes[id] = mode;
    return modes;
  } catch {
    return {};
  }
}

export function createRunModeStore(storage: ModeStorage | undefined) {
  let initial: string | null = null;
  let fallback: string | null = null;
  try {
    initial = storage?.getItem(RUN_MODE_STORAGE_KEY) ?? null;
    fallback = storage?.getItem(RUN_MODE_DEFAULT_STORAGE_KEY) ?? null;
  } catch {
    // Unreadable storage: every blueprint starts at its default.
  }
  return createStore<RunModeState>()((set, get) => ({
    chosen: parseRunModes(initial),
    fallback: fallback === 'test' || fallback === 'live' ? fallback : null,
    settled: {},
    setMode(blueprintId, mode) {
      set({ chosen: { ...get().chosen, [blueprintId]: mode } });
      try {
        storage?.setItem(RUN_MODE_STORAGE_KEY, JSON.stringify(get().chosen));
      } catch {
        // A full or blocked localStorage only costs the memory of the choice.
      }
    },
    settle(runId, outcome) {
      set({ settled: { ...get().settled, [runId]: outcome } });
    },
  }));
}

export type RunModeStoreApi = ReturnType<typeof createRunModeStore>;
