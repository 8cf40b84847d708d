/**
 * Where the `@{` suggestions list goes. It is drawn with `position: fixed` so the scrolling
 * Inspector cannot clip it; it opens below the field, or above when the room below is short.
 */
export interface FieldRect {
  left: number;
  top: number;
  bottom: number;
  width: number;
}

export interface CompletionPlacement {
  left: number;
  width: number;
  /** Set when the list opens below the field. */
  top?: number;
  /** Set when the list opens above the field: distance from the viewport's bottom edge. */
  bottom?: number;
  maxHeight: number;
}

export const COMPLETIONS_MAX_HEIGHT = 220;
const GAP = 2;
const MARGIN = 8;

export function placeCompletions(field: FieldRect, viewportHeight: number, wanted = COMPLETIONS_MAX_HEIGHT): CompletionPlacement {
  const roomBelow = viewportHeight - field.bottom - GAP - MARGIN;
  const roomAbove = field.top - GAP - MARGIN;
  const base = { left: field.left, width: field.width };
  if (roomBelow >= wanted || roomBelow >= roomAbove) {
    return { ...base, top: field.bottom + GAP, maxHeight: Math.max(0, Math.min(wanted, roomBelow)) };
  }
  return { ...base, bottom: viewportHeight - field.top + GAP, maxHeight: Math.max(0, Math.min(wanted, roomAbove)) };
}
