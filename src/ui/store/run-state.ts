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
  /**
   * The steps kept: the first `STEPS_KEPT.first` and the last `STEPS_KEPT.last` of a long run
   * (like its record), so a run of 100,000 steps costs the page no more than one of 1,000.
   */
  steps: readonly StepRecord[];
  /** Steps run but not kept, between `steps[stepsGapAt - 1]` and `steps[stepsGapAt]`. */
  stepsOmitted: number;
  stepsGapAt: number;
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
  stepsOmitted: 0,
  stepsGapAt: 0,
  record: null,
  error: null,
};

/** How many of a run's first and last steps the editor keeps (on the canvas, in the record). */
export const STEPS_KEPT = { first: 200, last: 200 } as const;
/**
 * How many last steps a run shows while it goes: the run worker sends no more than these of a
 * frame's steps, and the step log lists them. Once the run ends, its record's steps replace them.
 */
export const LIVE_STEPS = 30;

/** The record's steps as the view keeps them (a record made without `keepSteps` may hold every step). */
function stepsOfRecord(record: RunRecord): Pick<RunView, 'steps' | 'stepsOmitted' | 'stepsGapAt'> {
  const omitted = record.stepsOmitted ?? 0;
  // A record that left steps out kept as many first steps as last ones (the editor's and the
  // server's records both do): the gap is in its middle.
  if (omitted > 0) return { steps: record.steps, stepsOmitted: omitted, stepsGapAt: Math.ceil(record.steps.length / 2) };
  const [steps, cut] = keepSteps([], 0, record.steps);
  return { steps, stepsOmitted: cut, stepsGapAt: cut > 0 ? STEPS_KEPT.first : 0 };
}

/** `next`, or `previous` when it holds the same entries (so components reading it do not re-render). */
function sameOr<T>(previous: Readonly<Record<string, T>>, next: Record<string, T>): Readonly<Record<string, T>> {
  const keys = Object.keys(next);
  if (keys.length !== Object.keys(previous).length) return next;
  for (const key of keys) if (!Object.hasOwn(previous, key) || previous[key] !== next[key]) return next;
  return previous;
}

/** `steps` with `added` appended, cut to the first and last ones kept; returns the new omitted count. */
function keepSteps(steps: readonly StepRecord[], omitted: number, added: readonly StepRecord[]): [StepRecord[], number] {
  const all = [...steps, ...added];
  const excess = all.length - STEPS_KEPT.first - STEPS_KEPT.last;
  if (excess <= 0) return [all, omitted];
  all.splice(STEPS_KEPT.first, excess);
  return [all, omitted + excess];
}

/**
 * Steps of a long run that were not sent one by one (the run worker sends the first steps and
 * each batch's last ones): how many, each block's last one among them, and the edges they took.
 * They ran after the steps already shown, before those that follow.
 */
export interface StepsSkipped {
  type: 'steps-skipped';
  runId: string;
  count: number;
  lastSteps: StepRecord[];
  edgesTaken: string[];
}

/** What the run view is built from: the engine's events, and skipped steps. */
export type RunViewEvent = RunEvent | StepsSkipped;

export function reduceRunEvent(view: RunView, event: RunViewEvent): RunView {
  switch (event.type) {
    case 'steps-skipped': {
      if (event.runId !== view.runId) return view;
      const nodeStatus = { ...view.nodeStatus };
      const lastStep = { ...view.lastStep };
      const edgesTaken = { ...view.edgesTaken };
      for (const step of event.lastSteps) {
        nodeStatus[step.nodeId] = step.error ? 'error' : 'success';
        lastStep[step.nodeId] = step;
      }
      for (const id of event.edgesTaken) edgesTaken[id] = true;
      // The steps shown after the first ones now lie before the skipped ones: they join the gap.
      const cut = Math.max(0, view.steps.length - STEPS_KEPT.first);
      return {
        ...view,
        nodeStatus,
        lastStep,
        edgesTaken,
        steps: view.steps.slice(0, view.steps.length - cut),
        stepsOmitted: view.stepsOmitted + cut + event.count,
        stepsGapAt: Math.min(view.steps.length, STEPS_KEPT.first),
      };
    }
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
        ...keptSteps(view, [step]),
      };
    }
    case 'run-finished': {
      if (event.runId !== view.runId) return view;
      // A block still "running" when the run ends was cancelled in flight: show it idle.
      const nodeStatus: Record<string, NodeRunStatus> = {};
      for (const [id, status] of Object.entries(view.nodeStatus)) nodeStatus[id] = status === 'running' ? 'idle' : status;
      // The record's steps are the run's own first and last ones (a worker's run sent only some).
      return {
        ...view,
        status: event.record.status,
        record: event.record,
        nodeStatus,
        error: event.record.error,
        ...stepsOfRecord(event.record),
      };
    }
  }
}

function keptSteps(view: RunView, added: readonly StepRecord[]): Pick<RunView, 'steps' | 'stepsOmitted' | 'stepsGapAt'> {
  const [steps, stepsOmitted] = keepSteps(view.steps, view.stepsOmitted, added);
  return { steps, stepsOmitted, stepsGapAt: stepsOmitted > 0 ? STEPS_KEPT.first : 0 };
}

/**
 * Applies a batch of events (those of one animation frame) at once: one new view, and the step
 * list and status maps copied once per batch rather than once per event.
 */
export function reduceRunEvents(view: RunView, events: readonly RunViewEvent[]): RunView {
  let current = view;
  let i = 0;
  while (i < events.length) {
    const event = events[i]!;
    if (event.type !== 'step-started' && event.type !== 'step-finished') {
      current = reduceRunEvent(current, event);
      i++;
      continue;
    }
    // A stretch of step events of the current run: folded into fresh copies in place.
    if (event.runId !== current.runId) {
      i++;
      continue;
    }
    const nodeStatus = { ...current.nodeStatus };
    const lastStep = { ...current.lastStep };
    const edgesTaken = { ...current.edgesTaken };
    const added: StepRecord[] = [];
    for (; i < events.length; i++) {
      const next = events[i]!;
      if (next.type !== 'step-started' && next.type !== 'step-finished') break;
      if (next.runId !== current.runId) continue;
      if (next.type === 'step-started') {
        nodeStatus[next.nodeId] = 'running';
        continue;
      }
      const { step } = next;
      nodeStatus[step.nodeId] = step.error ? 'error' : 'success';
      lastStep[step.nodeId] = step;
      for (const id of next.edgesTaken) edgesTaken[id] = true;
      added.push(step);
      // Keep the batch itself bounded: a frame of many thousand steps keeps only its last ones.
      if (added.length > STEPS_KEPT.first + STEPS_KEPT.last) {
        current = { ...current, ...keptSteps(current, added.splice(0)) };
      }
    }
    current = {
      ...current,
      nodeStatus: sameOr(current.nodeStatus, nodeStatus),
      lastStep,
      edgesTaken: sameOr(current.edgesTaken, edgesTaken),
      ...keptSteps(current, added),
    };
  }
  return current;
}

/** Rebuilds the canvas view of a finished run (an earlier run picked from the history). */
export function viewOfRecord(record: RunRecord, edgesTaken: readonly string[] = []): RunView {
  let view = reduceRunEvent(IDLE_RUN, {
    type: 'run-started',
    runId: record.runId,
    blueprintId: record.blueprintId,
    startedAt: record.startedAt,
  });
  view = reduceRunEvents(
    view,
    record.steps.map((step) => ({ type: 'step-finished', runId: record.runId, step, edgesTaken: [] })),
  );
  // run-finished puts the record's steps in place, gap included.
  view = reduceRunEvent(view, { type: 'run-finished', runId: record.runId, record });
  const taken: Record<string, true> = {};
  for (const id of edgesTaken) taken[id] = true;
  return { ...view, edgesTaken: taken };
}

/** Calls `callback` on the next animation frame (a timer where there are none: tests, workers). */
function nextFrame(callback: () => void): void {
  if (typeof globalThis.requestAnimationFrame === 'function') globalThis.requestAnimationFrame(callback);
  else globalThis.setTimeout(callback, 16);
}

/**
 * Hands the items pushed to it on in one call per animation frame, so a run of thousands of
 * steps a second updates the page once a frame; `flush` hands on what waits at once.
 */
export function frameBatcher<T>(apply: (items: T[]) => void, schedule: (callback: () => void) => void = nextFrame) {
  let waiting: T[] = [];
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (waiting.length === 0) return;
    const items = waiting;
    waiting = [];
    apply(items);
  };
  return {
    push(item: T): void {
      waiting.push(item);
      if (!scheduled) {
        scheduled = true;
        schedule(flush);
      }
    },
    flush,
  };
}
