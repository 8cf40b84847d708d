/**
 * Undo/redo over immutable snapshots. Snapshots share structure with the live document (a
 * node object that did not change is the same object in both), so keeping 100 of them costs
 * little and restoring one keeps React Flow's identity checks cheap.
 *
 * Undo policy, in one place: an edit that changes the document (add, connect, delete, paste,
 * field edit, layout) records one step; a drag records one step when it ends; selection,
 * measurement and run status never record.
 */
export interface History<T> {
  past: readonly T[];
  future: readonly T[];
}

export const HISTORY_LIMIT = 100;

export function emptyHistory<T>(): History<T> {
  return { past: [], future: [] };
}

/** Records `before` as the state to return to; a new edit forgets what could be redone. */
export function recordStep<T>(history: History<T>, before: T, limit = HISTORY_LIMIT): History<T> {
  const past = [...history.past, before];
  return { past: past.length > limit ? past.slice(past.length - limit) : past, future: [] };
}

export interface HistoryMove<T> {
  history: History<T>;
  /** The snapshot to show now. */
  present: T;
}

export function undoStep<T>(history: History<T>, current: T): HistoryMove<T> | null {
  const previous = history.past[history.past.length - 1];
  if (previous === undefined) return null;
  return {
    present: previous,
    history: { past: history.past.slice(0, -1), future: [current, ...history.future] },
  };
}

export function redoStep<T>(history: History<T>, current: T): HistoryMove<T> | null {
  const next = history.future[0];
  if (next === undefined) return null;
  return {
    present: next,
    history: { past: [...history.past, current], future: history.future.slice(1) },
  };
}
