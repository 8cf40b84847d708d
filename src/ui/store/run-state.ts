/**
 * The run being shown on the canvas: per-block status, the edges taken, the step log. A pure
 * reducer over the engine's run events, so it is tested without a browser; run-store.ts
 * wraps it in zustand.
 */
import type { RunError, RunEvent, RunRecord, RunStatus, StepRecord } from '../../engine/types';

export type NodeRunStatus = 'idle' | 'running' | 'success' | 'error';

export interface RunView {
  status: RunStatus | 'idle';
  runId: string | null;
  startedAt: string | null;
  nodeStatus: Readonly<Record<string, NodeRunStatus>>;
  /** The last step of each block in this run. */
  lastStep: Readonly<Record<string, StepRecord>>;
  edgesTaken: Readonly<Record<string, true>>;
  steps: readonly StepRecord[];
  record: RunRecord | null;
  /** A failure that is not pinned to a step (invalid document, store unreachable). */
  error: RunError | null;
}

export const IDLE_RUN: RunView = {
  status: 'idle',
  runId: null,
  startedAt: null,
  nodeStatus: {},
  lastStep: {},
  edgesTaken: {},
  steps: [],
  record: null,
  error: null,
};

export function reduceRunEvent(view: RunView, event: RunEvent): RunView {
  switch (event.type) {
    case 'run-started':
      return { ...IDLE_RUN, status: 'running', runId: event.runId, startedAt: event.startedAt };
    case 'step-started':
      if (event.runId !== view.runId) return view;
      return { ...view, nodeStatus: { ...view.nodeStatus, [event.nodeId]: 'running' } };
    case 'step-finished': {
      if (event.runId !== view.runId) return view;
      const { step } = event;
      const taken = { ...view.edgesTaken };
      for (const id of event.edgesTaken) taken[id] = true;
      return {
        ...view,
        nodeStatus: { ...view.nodeStatus, [step.nodeId]: step.error ? 'error' : 'success' },
        lastStep: { ...view.lastStep, [step.nodeId]: step },
        edgesTaken: taken,
        steps: [...view.steps, step],
      };
    }
    case 'run-finished': {
      if (event.runId !== view.runId) return view;
      // A block still "running" when the run ends was cancelled in flight: show it idle.
      const nodeStatus: Record<string, NodeRunStatus> = {};
      for (const [id, status] of Object.entries(view.nodeStatus)) nodeStatus[id] = status === 'running' ? 'idle' : status;
      return { ...view, status: event.record.status, record: event.record, nodeStatus, error: event.record.error };
    }
  }
}

/** Rebuilds the canvas view of a finished run (an earlier run picked from the history). */
export function viewOfRecord(record: RunRecord, edgesTaken: readonly string[] = []): RunView {
  let view = reduceRunEvent(IDLE_RUN, {
    type: 'run-started',
    runId: record.runId,
    blueprintId: record.blueprintId,
    startedAt: record.startedAt,
  });
  for (const step of record.steps) view = reduceRunEvent(view, { type: 'step-finished', runId: record.runId, step, edgesTaken: [] });
  view = reduceRunEvent(view, { type: 'run-finished', runId: record.runId, record });
  const taken: Record<string, true> = {};
  for (const id of edgesTaken) taken[id] = true;
  return { ...view, edgesTaken: taken };
}
