/**
 * The runs executing in this process: what the embedded backend uses as its `RunCoordinator`,
 * and `RunReplay`, the bounded memory of one run's events that any coordinator can keep so a
 * late follower gets every event so far.
 */
import type { RunEvent, RunningRecord, RunRecord, StepRecord } from '../../engine/types';
import type { JsonValue } from '../../kv/types';
import { TooManyRunsError, type RunCoordinator, type RunFollow, type RunHandle, type RunStart } from './types';

/** Steps a replay keeps from the start and from the end of a run, as a stored record does. */
export const REPLAY_KEEPS_STEPS = { first: 100, last: 100 };

type StepFinished = Extract<RunEvent, { type: 'step-finished' }>;
type StepStarted = Extract<RunEvent, { type: 'step-started' }>;

/**
 * One run's events so far, bounded like its record: `run-started`, the first and last steps
 * (each as `step-started` then `step-finished`), the step in flight, and `run-finished`. A run
 * of 100,000 steps replays 200 of them; `stepsOmitted` counts the others.
 */
export class RunReplay {
  private readonly head: Array<[StepStarted, StepFinished]> = [];
  private readonly tail: Array<[StepStarted, StepFinished]> = [];
  private omitted = 0;
  private inFlight: StepStarted | null = null;
  private finishedEvent: Extract<RunEvent, { type: 'run-finished' }> | null = null;
  /** The engine's own start time once its `run-started` came (the record carries that one). */
  private startedAt: string;

  constructor(
    readonly start: RunStart,
    private readonly keep = REPLAY_KEEPS_STEPS,
  ) {
    this.startedAt = start.startedAt;
  }

  add(event: RunEvent): void {
    switch (event.type) {
      case 'run-started':
        this.startedAt = event.startedAt;
        return;
      case 'step-started':
        this.inFlight = event;
        return;
      case 'step-finished': {
        const started: StepStarted = this.inFlight ?? {
          type: 'step-started',
          runId: event.runId,
          nodeId: event.step.nodeId,
          startedAt: event.step.startedAt,
        };
        this.inFlight = null;
        if (this.head.length < this.keep.first) {
          this.head.push([started, event]);
          return;
        }
        this.tail.push([started, event]);
        if (this.tail.length > this.keep.last) {
          this.tail.shift();
          this.omitted++;
        }
        return;
      }
      case 'run-finished':
        this.inFlight = null;
        this.finishedEvent = event;
        return;
    }
  }

  get finished(): boolean {
    return this.finishedEvent !== null;
  }

  /** Every event kept, in the order they happened. */
  events(): RunEvent[] {
    const started: RunEvent = {
      type: 'run-started',
      runId: this.start.runId,
      blueprintId: this.start.blueprintId,
      startedAt: this.startedAt,
    };
    const events: RunEvent[] = [started];
    for (const [stepStarted, stepFinished] of [...this.head, ...this.tail]) events.push(stepStarted, stepFinished);
    if (this.inFlight) events.push(this.inFlight);
    if (this.finishedEvent) events.push(this.finishedEvent);
    return events;
  }

  /** The record so far: the finished steps, and the outputs of the output blocks among them. */
  snapshot(): RunningRecord {
    const steps: StepRecord[] = [...this.head, ...this.tail].map(([, finished]) => finished.step);
    const outputs: JsonValue[] = steps.filter((step) => step.type === 'output' && step.error === null).map((step) => step.result);
    return {
      runId: this.start.runId,
      blueprintId: this.start.blueprintId,
      status: 'running',
      startedAt: this.startedAt,
      finishedAt: null,
      input: this.start.input,
      steps,
      ...(this.omitted > 0 ? { stepsOmitted: this.omitted } : {}),
      outputs,
      state: {},
      error: null,
      ...(this.start.sandbox ? { sandbox: true as const } : {}),
    };
  }

  /** The events of a finished run from its record, for a follower that comes after the end. */
  static ofRecord(record: RunRecord): RunEvent[] {
    const events: RunEvent[] = [{ type: 'run-started', runId: record.runId, blueprintId: record.blueprintId, startedAt: record.startedAt }];
    for (const step of record.steps) {
      events.push({ type: 'step-started', runId: record.runId, nodeId: step.nodeId, startedAt: step.startedAt });
      events.push({ type: 'step-finished', runId: record.runId, step, edgesTaken: [] });
    }
    events.push({ type: 'run-finished', runId: record.runId, record });
    return events;
  }
}

interface Follower {
  listener: (event: RunEvent) => void;
  onEnd: () => void;
}

interface LocalRun {
  replay: RunReplay;
  followers: Set<Follower>;
  cancel: () => void;
  cancelled: boolean;
}

/** Calls a follower without letting a broken one (a closed stream) stop the others. */
function tell(follower: Follower, event: RunEvent): void {
  try {
    follower.listener(event);
  } catch {
    /* its stream is gone; its close handler stops it */
  }
}

/** The in-memory `RunCoordinator`: runs are followed and cancelled in the process that runs them. */
export class LocalRunCoordinator implements RunCoordinator {
  private readonly runs = new Map<string, LocalRun>();
  private readonly executing = new Map<string, number>();

  private static keyOf(companyId: string, runId: string): string {
    return `${companyId}\u0000${runId}`;
  }

  async begin(companyId: string, start: RunStart, maxRuns: number, onCancel: () => void): Promise<RunHandle> {
    const now = this.executing.get(companyId) ?? 0;
    if (now >= maxRuns) throw new TooManyRunsError(now, maxRuns);
    this.executing.set(companyId, now + 1);
    const key = LocalRunCoordinator.keyOf(companyId, start.runId);
    const run: LocalRun = { replay: new RunReplay(start), followers: new Set(), cancel: onCancel, cancelled: false };
    this.runs.set(key, run);
    let finished = false;
    return {
      publish: (event) => {
        if (finished || event.type === 'run-finished') return;
        run.replay.add(event);
        for (const follower of run.followers) tell(follower, event);
      },
      finish: async (record) => {
        if (finished) return;
        finished = true;
        this.runs.delete(key);
        const left = (this.executing.get(companyId) ?? 1) - 1;
        if (left > 0) this.executing.set(companyId, left);
        else this.executing.delete(companyId);
        const event: RunEvent = { type: 'run-finished', runId: record.runId, record };
        run.replay.add(event);
        for (const follower of run.followers) {
          tell(follower, event);
          follower.onEnd();
        }
        run.followers.clear();
      },
    };
  }

  async snapshot(companyId: string, runId: string): Promise<RunningRecord | null> {
    return this.runs.get(LocalRunCoordinator.keyOf(companyId, runId))?.replay.snapshot() ?? null;
  }

  async follow(companyId: string, runId: string, listener: (event: RunEvent) => void, onEnd: () => void): Promise<RunFollow | null> {
    const run = this.runs.get(LocalRunCoordinator.keyOf(companyId, runId));
    if (!run) return null;
    const follower: Follower = { listener, onEnd };
    for (const event of run.replay.events()) tell(follower, event);
    run.followers.add(follower);
    return { stop: () => run.followers.delete(follower) };
  }

  async cancel(companyId: string, runId: string): Promise<boolean> {
    const run = this.runs.get(LocalRunCoordinator.keyOf(companyId, runId));
    if (!run) return false;
    if (!run.cancelled) {
      run.cancelled = true;
      run.cancel();
    }
    return true;
  }
}
