import { describe, expect, it } from 'vitest';
import type { RunEvent, StepRecord } from '../../engine/types';
import { REPLAY_KEEPS_STEPS, RunReplay } from './run-coordinator';

const at = new Date(0).toISOString();
const start = { runId: 'r', blueprintId: 'b', startedAt: at, input: { n: 1 }, sandbox: true };

function step(nodeId: string, type = 'transform'): StepRecord {
  return {
    nodeId,
    type,
    outcome: 'success',
    startedAt: at,
    durationMs: 0,
    result: nodeId,
    error: null,
    reads: [],
    writes: [],
  } as StepRecord;
}

function play(replay: RunReplay, count: number): void {
  replay.add({ type: 'run-started', runId: 'r', blueprintId: 'b', startedAt: '2026-01-01T00:00:00.000Z' });
  for (let i = 0; i < count; i++) {
    replay.add({ type: 'step-started', runId: 'r', nodeId: `s${i}`, startedAt: at });
    replay.add({ type: 'step-finished', runId: 'r', step: step(`s${i}`), edgesTaken: [] });
  }
}

describe('RunReplay', () => {
  it('replays a long run as its first and last steps, like its record, and counts the others', () => {
    const replay = new RunReplay(start);
    const total = REPLAY_KEEPS_STEPS.first + REPLAY_KEEPS_STEPS.last + 1_000;
    play(replay, total);
    replay.add({ type: 'step-started', runId: 'r', nodeId: 'in-flight', startedAt: at });
    const events = replay.events();
    const finished = events.filter((event): event is Extract<RunEvent, { type: 'step-finished' }> => event.type === 'step-finished');
    expect(finished).toHaveLength(REPLAY_KEEPS_STEPS.first + REPLAY_KEEPS_STEPS.last);
    expect(finished[0]!.step.nodeId).toBe('s0');
    expect(finished.at(-1)!.step.nodeId).toBe(`s${total - 1}`);
    // Every finished step is preceded by its start; the step in flight comes last.
    expect(events[0]).toMatchObject({ type: 'run-started', startedAt: '2026-01-01T00:00:00.000Z' });
    expect(events.at(-1)).toMatchObject({ type: 'step-started', nodeId: 'in-flight' });
    expect(events.slice(1, 3).map((event) => event.type)).toEqual(['step-started', 'step-finished']);

    const snapshot = replay.snapshot();
    expect(snapshot).toMatchObject({
      status: 'running',
      sandbox: true,
      stepsOmitted: 1_000,
      startedAt: '2026-01-01T00:00:00.000Z',
      input: { n: 1 },
    });
    expect(snapshot.steps).toHaveLength(REPLAY_KEEPS_STEPS.first + REPLAY_KEEPS_STEPS.last);
  });

  it('lists the outputs of the output blocks finished so far', () => {
    const replay = new RunReplay({ ...start, sandbox: false });
    play(replay, 1);
    replay.add({ type: 'step-finished', runId: 'r', step: { ...step('out', 'output'), result: 'hello' }, edgesTaken: [] });
    expect(replay.snapshot()).toMatchObject({ outputs: ['hello'], steps: [{ nodeId: 's0' }, { nodeId: 'out' }] });
    expect(replay.snapshot()).not.toHaveProperty('sandbox');
  });

  it('replays a finished record as start, each step, and the end', () => {
    const record = {
      runId: 'r',
      blueprintId: 'b',
      status: 'succeeded' as const,
      startedAt: at,
      finishedAt: at,
      input: {},
      steps: [step('a'), step('b')],
      outputs: [],
      state: {},
      error: null,
    };
    expect(RunReplay.ofRecord(record).map((event) => event.type)).toEqual([
      'run-started',
      'step-started',
      'step-finished',
      'step-started',
      'step-finished',
      'run-finished',
    ]);
  });
});
