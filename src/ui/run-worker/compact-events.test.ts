import { describe, expect, it } from 'vitest';
import type { RunEvent, StepRecord } from '../../engine/types';
import { reduceRunEvents, IDLE_RUN } from '../store/run-state';
import { EventCompactor } from './compact-events';

const step = (nodeId: string): StepRecord => ({
  nodeId,
  type: 'kv',
  outcome: 'success',
  startedAt: '',
  durationMs: 0,
  result: null,
  error: null,
  reads: [],
  writes: [],
});

function stepsOf(from: number, count: number, node = (i: number) => `n${i % 7}`): RunEvent[] {
  return Array.from({ length: count }, (_, k) => {
    const i = from + k;
    return [
      { type: 'step-started', runId: 'r', nodeId: node(i), startedAt: '' },
      { type: 'step-finished', runId: 'r', step: { ...step(node(i)), durationMs: i }, edgesTaken: [`e${i % 11}`] },
    ] satisfies RunEvent[];
  }).flat();
}

describe('EventCompactor', () => {
  const keep = { first: 5, last: 3 };

  it('passes a short batch on as it is', () => {
    const events: RunEvent[] = [{ type: 'run-started', runId: 'r', blueprintId: 'b', startedAt: '' }, ...stepsOf(0, 8)];
    expect(new EventCompactor(keep).compact(events)).toEqual(events);
  });

  it('sends the run’s first steps and each batch’s last ones; the middle becomes one summary', () => {
    const compactor = new EventCompactor(keep);
    const first = compactor.compact([{ type: 'run-started', runId: 'r', blueprintId: 'b', startedAt: '' }, ...stepsOf(0, 20)]);
    const finishedIn = (events: ReturnType<EventCompactor['compact']>) =>
      events.flatMap((e) => (e.type === 'step-finished' ? [e.step.durationMs] : []));
    expect(finishedIn(first)).toEqual([0, 1, 2, 3, 4, 17, 18, 19]);
    const skipped = first.find((e) => e.type === 'steps-skipped')!;
    expect(skipped).toMatchObject({ count: 12 });
    // Each block's last step among the skipped ones, and every edge they took.
    expect(skipped.type === 'steps-skipped' && skipped.lastSteps.map((s) => s.durationMs).sort((a, b) => a - b)).toEqual([
      10, 11, 12, 13, 14, 15, 16,
    ]);
    expect(skipped.type === 'steps-skipped' && skipped.edgesTaken.length).toBe(11);

    const second = compactor.compact(stepsOf(20, 10));
    expect(finishedIn(second)).toEqual([27, 28, 29]);
    expect(second[0]).toMatchObject({ type: 'steps-skipped', count: 7 });
  });

  it('leaves the page’s view with the same steps and counts as the events themselves would', () => {
    const all: RunEvent[] = [{ type: 'run-started', runId: 'r', blueprintId: 'b', startedAt: '' }, ...stepsOf(0, 3000)];
    const compactor = new EventCompactor();
    let compacted = IDLE_RUN;
    for (let i = 0; i < all.length; i += 700) compacted = reduceRunEvents(compacted, compactor.compact(all.slice(i, i + 700)));
    const direct = reduceRunEvents(IDLE_RUN, all);
    expect(compacted.steps.length + compacted.stepsOmitted).toBe(3000);
    expect(compacted.nodeStatus).toEqual(direct.nodeStatus);
    expect(compacted.edgesTaken).toEqual(direct.edgesTaken);
    expect(compacted.lastStep).toEqual(direct.lastStep);
    expect(compacted.steps.at(-1)).toEqual(direct.steps.at(-1));
    expect(compacted.steps.slice(0, 200)).toEqual(direct.steps.slice(0, 200));
  });
});
