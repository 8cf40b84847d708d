/**
 * Which of the right column's panels (Inspector, Stored keys, Run) are folded to their header,
 * remembered in localStorage so a person who gave the Inspector room keeps it after a reload.
 */
import { createStore } from 'zustand/vanilla';

export const SIDE_PANELS = ['inspector', 'keys', 'run'] as const;
export type SidePanel = (typeof SIDE_PANELS)[number];
export type CollapsedPanels = Readonly<Record<SidePanel, boolean>>;

export const SIDE_PANELS_STORAGE_KEY = 'kvb.editor.v1.panels';

/** How tall each open panel is relative to the others: the Inspector gets the most. */
const OPEN_ROW_WEIGHTS: Record<SidePanel, string> = { inspector: '1.45fr', keys: '1fr', run: '0.95fr' };

const ALL_OPEN: CollapsedPanels = { inspector: false, keys: false, run: false };

/** Reads the remembered state; anything unreadable means every panel open, the default. */
export function parseCollapsedPanels(raw: string | null): CollapsedPanels {
  if (!raw) return ALL_OPEN;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return ALL_OPEN;
  }
  if (parsed === null || typeof parsed !== 'object') return ALL_OPEN;
  const record = parsed as Record<string, unknown>;
  return { inspector: record.inspector === true, keys: record.keys === true, run: record.run === true };
}

/** The side column's grid rows: a folded panel takes its header's height, open ones share the rest. */
export function sideGridRows(collapsed: CollapsedPanels, without: readonly SidePanel[] = []): string {
  return SIDE_PANELS.filter((panel) => !without.includes(panel))
    .map((panel) => (collapsed[panel] ? 'auto' : `minmax(0, ${OPEN_ROW_WEIGHTS[panel]})`))
    .join(' ');
}

export interface SidePanelsState {
  collapsed: CollapsedPanels;
  toggle(panel: SidePanel): void;
}

type PanelStorage = Pick<Storage, 'getItem' | 'setItem'>;

export function createSidePanelsStore(storage: PanelStorage | undefined) {
  return createStore<SidePanelsState>()((set, get) => ({
    collapsed: parseCollapsedPanels(readSafely(storage)),
    toggle(panel) {
      const collapsed = { ...get().collapsed, [panel]: !get().collapsed[panel] };
      set({ collapsed });
      try {
        storage?.setItem(SIDE_PANELS_STORAGE_KEY, JSON.stringify(collapsed));
      } catch {
        // A full or blocked localStorage only costs the memory of the choice, not the choice.
      }
    },
  }));
}

function readSafely(storage: PanelStorage | undefined): string | null {
  try {
    return storage?.getItem(SIDE_PANELS_STORAGE_KEY) ?? null;
  } catch {
    return null;
  }
}
