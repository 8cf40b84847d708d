/**
 * Where the Run panel sits: in the right column (the default) or docked under the canvas at a
 * height the person drags, both remembered in localStorage.
 */
import { createStore } from 'zustand/vanilla';

export const RUN_DOCK_STORAGE_KEY = 'kvb.editor.v1.runDock';

/** The docked panel's height in pixels: at least this, and at most 75 % of the window. */
export const MIN_DOCK_HEIGHT = 160;
export const DEFAULT_DOCK_HEIGHT = 320;

export interface RunDockState {
  docked: boolean;
  height: number;
  setDocked(docked: boolean): void;
  setHeight(height: number): void;
}

type DockStorage = Pick<Storage, 'getItem' | 'setItem'>;

export function clampDockHeight(height: number, windowHeight: number): number {
  const max = Math.max(MIN_DOCK_HEIGHT, Math.round(windowHeight * 0.75));
  return Math.round(Math.min(max, Math.max(MIN_DOCK_HEIGHT, height)));
}

export function parseRunDock(raw: string | null): { docked: boolean; height: number } {
  try {
    const parsed = JSON.parse(raw ?? 'null') as { docked?: unknown; height?: unknown } | null;
    return {
      docked: parsed?.docked === true,
      height: typeof parsed?.height === 'number' && Number.isFinite(parsed.height) ? parsed.height : DEFAULT_DOCK_HEIGHT,
    };
  } catch {
    return { docked: false, height: DEFAULT_DOCK_HEIGHT };
  }
}

export function createRunDockStore(storage: DockStorage | undefined) {
  let initial: string | null = null;
  try {
    initial = storage?.getItem(RUN_DOCK_STORAGE_KEY) ?? null;
  } catch {
    // Unreadable storage: the defaults.
  }
  return createStore<RunDockState>()((set, get) => {
    const save = () => {
      try {
        storage?.setItem(RUN_DOCK_STORAGE_KEY, JSON.stringify({ docked: get().docked, height: get().height }));
      } catch {
        // A full or blocked localStorage only costs the memory of the choice.
      }
    };
    return {
      ...parseRunDock(initial),
      setDocked(docked) {
        set({ docked });
        save();
      },
      setHeight(height) {
        set({ height: Math.round(height) });
        save();
      },
    };
  });
}
