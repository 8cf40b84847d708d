import { describe, expect, it } from 'vitest';
import type { RunRecord, StepRecord } from '../../engine/types';
import { IDLE_RUN, reduceRunEvent, viewOfRecord } from './run-state';

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
