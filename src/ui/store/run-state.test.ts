import { describe, expect, it } from 'vitest';
import type { RunRecord, StepRecord } from '../../engine/types';
import { frameBatcher, IDLE_RUN, reduceRunEvent, reduceRunEvents, STEPS_KEPT, viewOfRecord, type RunViewEvent } from './run-state';

const step = (nodeId: string, failed = false): StepRecord => ({
  nodeId,
  type: 'kv',
  outcome: failed ? 'error' : 'success',
  startedAt: '',
  durationMs: 1,
  result: failed ? null : 1,
  error: failed ? { code: 'not_found', message: 'missing', nodeId } : null,
  reads: [],
  writes: [],
});

const record = (steps: StepRecord[], status: RunRecord['status'] = 'succeeded'): RunRecord => ({
  runId: 'r1',
  blueprintId: 'b',
  status,
  startedAt: '',
  finishedAt: '',
  input: {},
  steps,
  outputs: [],
  state: {},
  error: null,
});

describe('run view', () => {
  it('marks blocks running, then success or error, and collects the edges taken', () => {
    let view = reduceRunEvent(IDLE_RUN, { type: 'run-started', runId: 'r1', blueprintId: 'b', startedAt: 't' });
    view = reduceRunEvent(view, { type: 'step-started', runId: 'r1', nodeId: 'get', startedAt: 't' });
    expect(view.nodeStatus.get).toBe('running');
    view = reduceRunEvent(view, { type: 'step-finished', runId: 'r1', step: step('get', true), edgesTaken: ['e-miss'] });
    expect(view.nodeStatus.get).toBe('error');
    expect(view.edgesTaken).toEqual({ 'e-miss': true });
    expect(view.lastStep.get?.error?.code).toBe('not_found');
    view = reduceRunEvent(view, { type: 'run-finished', runId: 'r1', record: record([step('get', true)]) });
    expect(view.status).toBe('succeeded');
  });

  it('ignores events of another run', () => {
    const view = reduceRunEvent(IDLE_RUN, { type: 'run-started', runId: 'r1', blueprintId: 'b', startedAt: 't' });
    expect(reduceRunEvent(view, { type: 'step-started', runId: 'old', nodeId: 'x', startedAt: 't' })).toBe(view);
  });

  it('shows a cancelled block that was in flight as idle', () => {
    let view = reduceRunEvent(IDLE_RUN, { type: 'run-started', runId: 'r1', blueprintId: 'b', startedAt: 't' });
    view = reduceRunEvent(view, { type: 'step-started', runId: 'r1', nodeId: 'slow', startedAt: 't' });
    view = reduceRunEvent(view, { type: 'run-finished', runId: 'r1', record: record([], 'cancelled') });
    expect(view.nodeStatus.slow).toBe('idle');
    expect(view.status).toBe('cancelled');
  });

  it('rebuilds the canvas view of an earlier run from its record', () => {
    const view = viewOfRecord(record([step('a'), step('b', true)], 'failed'), ['e1']);
    expect(view.nodeStatus).toEqual({ a: 'success', b: 'error' });
    expect(view.edgesTaken).toEqual({ e1: true });
    expect(view.steps).toHaveLength(2);
  });
});

const started: RunViewEvent = { type: 'run-started', runId: 'r1', blueprintId: 'b', startedAt: 't' };
const finished = (n: number): RunViewEvent[] =>
  Array.from({ length: n }, (_, i) => ({ type: 'step-finished', runId: 'r1', step: step(`n${i}`), edgesTaken: [`e${i}`] }));

describe('run view of a long run', () => {
  const total = STEPS_KEPT.first + STEPS_KEPT.last + 300;

  it('keeps the first and last steps and counts the rest, one event at a time or in batches', () => {
    let oneByOne = reduceRunEvent(IDLE_RUN, started);
    for (const event of finished(total)) oneByOne = reduceRunEvent(oneByOne, event);
    const batched = reduceRunEvents(IDLE_RUN, [started, ...finished(total)]);
    for (const view of [oneByOne, batched]) {
      expect(view.steps).toHaveLength(STEPS_KEPT.first + STEPS_KEPT.last);
      expect(view.stepsOmitted).toBe(300);
      expect(view.stepsGapAt).toBe(STEPS_KEPT.first);
      expect(view.steps[STEPS_KEPT.first]!.nodeId).toBe(`n${STEPS_KEPT.first + 300}`);
      expect(view.steps.at(-1)!.nodeId).toBe(`n${total - 1}`);
      expect(Object.keys(view.edgesTaken)).toHaveLength(total);
    }
  });

  it('counts skipped steps, takes their blocks and edges, and puts the steps shown after the first ones in the gap', () => {
    let view = reduceRunEvents(IDLE_RUN, [started, ...finished(STEPS_KEPT.first + 5)]);
    view = reduceRunEvents(view, [
      { type: 'steps-skipped', runId: 'r1', count: 50, lastSteps: [step('far', true)], edgesTaken: ['e-far'] },
      { type: 'step-finished', runId: 'r1', step: step('after'), edgesTaken: [] },
    ]);
    expect(view.steps.map((s) => s.nodeId).slice(STEPS_KEPT.first)).toEqual(['after']);
    expect(view.stepsOmitted).toBe(55);
    expect(view.stepsGapAt).toBe(STEPS_KEPT.first);
    expect(view.nodeStatus.far).toBe('error');
    expect(view.edgesTaken['e-far']).toBe(true);
  });

  it('keeps the status map when a batch changes no status, so the canvas does not re-render', () => {
    const once = reduceRunEvents(IDLE_RUN, [started, { type: 'step-finished', runId: 'r1', step: step('tick'), edgesTaken: ['loop'] }]);
    const again = reduceRunEvents(once, [
      { type: 'step-started', runId: 'r1', nodeId: 'tick', startedAt: 't' },
      { type: 'step-finished', runId: 'r1', step: step('tick'), edgesTaken: ['loop'] },
    ]);
    expect(again.nodeStatus).toBe(once.nodeStatus);
    expect(again.edgesTaken).toBe(once.edgesTaken);
    expect(again.steps).toHaveLength(2);
  });

  it('shows the record’s own steps when the run ends, with the gap in its middle', () => {
    const view = reduceRunEvents(IDLE_RUN, [started, ...finished(3)]);
    const kept = [step('a'), step('b'), step('y'), step('z')];
    const ended = reduceRunEvent(view, { type: 'run-finished', runId: 'r1', record: { ...record(kept), stepsOmitted: 96 } });
    expect(ended.steps).toBe(kept);
    expect(ended.stepsOmitted).toBe(96);
    expect(ended.stepsGapAt).toBe(2);
  });
});

describe('frameBatcher', () => {
  it('hands on what was pushed once per frame, and at once on flush', () => {
    const frames: Array<() => void> = [];
    const applied: number[][] = [];
    const batcher = frameBatcher<number>(
      (items) => applied.push(items),
      (callback) => frames.push(callback),
    );
    batcher.push(1);
    batcher.push(2);
    expect(frames).toHaveLength(1);
    frames.shift()!();
    batcher.push(3);
    batcher.flush();
    frames.shift()!(); // the frame asked for 3 finds nothing left
    expect(applied).toEqual([[1, 2], [3]]);
  });
});
