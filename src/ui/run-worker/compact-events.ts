/**
 * What the run worker sends of a batch of events. A fast run makes thousands of steps a frame,
 * and while it goes the page shows only its last few steps (and, once it ends, the record's): copying
 * every step to the page would cost it more than the whole view. So a batch keeps the steps the
 * page can still show as the run's first ones, and its own last `LIVE_STEPS`; the steps
 * in between become one `steps-skipped` summary (their count, each block's last step, the
 * edges they took).
 */
import type { RunEvent, StepRecord } from '../../engine/types';
import { LIVE_STEPS, STEPS_KEPT, type RunViewEvent } from '../store/run-state';

export class EventCompactor {
  /** Steps of the current run passed on so far, one by one or skipped. */
  private stepsSeen = 0;

  constructor(private readonly keep: { first: number; last: number } = { first: STEPS_KEPT.first, last: LIVE_STEPS }) {}

  compact(events: readonly RunEvent[]): RunViewEvent[] {
    const finishedAt: number[] = [];
    events.forEach((event, index) => {
      if (event.type === 'run-started') this.stepsSeen = 0;
      if (event.type === 'step-finished') finishedAt.push(index);
    });
    const headRoom = Math.max(0, this.keep.first - this.stepsSeen);
    const firstSkipped = headRoom;
    const lastSkipped = finishedAt.length - this.keep.last - 1;
    this.stepsSeen += finishedAt.length;
    if (lastSkipped < firstSkipped) return [...events];

    const from = finishedAt[firstSkipped]!;
    const to = finishedAt[lastSkipped]!;
    // Step events only: the region is bounded by step-finished events of one run.
    const lastSteps = new Map<string, StepRecord>();
    const edges = new Set<string>();
    let runId = '';
    for (let i = from; i <= to; i++) {
      const event = events[i]!;
      if (event.type !== 'step-finished') continue;
      runId = event.runId;
      lastSteps.delete(event.step.nodeId);
      lastSteps.set(event.step.nodeId, event.step);
      for (const id of event.edgesTaken) edges.add(id);
    }
    // The region starts after the step-started of its first step: that event goes too.
    const start = from > 0 && events[from - 1]!.type === 'step-started' ? from - 1 : from;
    return [
      ...events.slice(0, start),
      { type: 'steps-skipped', runId, count: lastSkipped - firstSkipped + 1, lastSteps: [...lastSteps.values()], edgesTaken: [...edges] },
      ...events.slice(to + 1),
    ];
  }
}
