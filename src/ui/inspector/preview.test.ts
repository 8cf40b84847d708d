import { describe, expect, it } from 'vitest';
import type { RunRecord } from '../../engine/types';
import type { FlowEdge, FlowNode } from '../store/flow-model';
import { formatPreview, previewContextFor, previewField } from './preview';

const node = (id: string, type: FlowNode['type'], data: Record<string, unknown> = {}): FlowNode => ({
  id,
  type,
  position: { x: 0, y: 0 },
  data,
});
const edge = (source: string, sourceHandle: FlowEdge['sourceHandle'], target: string): FlowEdge => ({
  id: `${source}-${target}`,
  source,
  sourceHandle,
  target,
});

const nodes = [node('start', 'start', { sampleInput: { name: 'Sample' } }), node('get', 'kv', { ref: 'profile' }), node('out', 'output')];
const edges = [edge('start', 'success', 'get'), edge('get', 'success', 'out'), edge('get', 'error', 'out')];
const meta = { id: 'bp', name: 'Demo' };
const now = new Date('2030-01-01T00:00:00.000Z');

const lastRun: RunRecord = {
  runId: 'r1',
  blueprintId: 'bp',
  status: 'succeeded',
  startedAt: '2030-01-01T00:00:00.000Z',
  finishedAt: '2030-01-01T00:00:00.010Z',
  input: { name: 'Ada Lovelace' },
  steps: [
    {
      nodeId: 'start',
      type: 'start',
      outcome: 'success',
      startedAt: '',
      durationMs: 1,
      result: { name: 'Ada Lovelace' },
      error: null,
      reads: [],
      writes: [],
    },
    {
      nodeId: 'get',
      type: 'kv',
      outcome: 'success',
      startedAt: '',
      durationMs: 1,
      result: { tasks: ['a', 'b', 'c'] },
      error: null,
      reads: [],
      writes: [],
    },
    { nodeId: 'out', type: 'output', outcome: 'success', startedAt: '', durationMs: 1, result: 1, error: null, reads: [], writes: [] },
  ],
  outputs: [],
  state: { count: 2 },
  error: null,
};

describe('expression preview', () => {
  it("evaluates against the last run's context of the block: input, state, results and the passing result", async () => {
    const context = previewContextFor({ nodeId: 'out', nodes, edges, meta, lastRun, storedEntries: [], now });
    expect(await previewField('@{length(result.tasks)}', 'text', context)).toEqual({ kind: 'value', value: 3 });
    expect(await previewField('@{upper(input.name)} has @{state.count}', 'text', context)).toEqual({
      kind: 'value',
      value: 'ADA LOVELACE has 2',
    });
    expect(await previewField('@{results.profile.tasks.1}', 'text', context)).toEqual({ kind: 'value', value: 'b' });
  });

  it('gives the error message a run would give', async () => {
    const context = previewContextFor({ nodeId: 'out', nodes, edges, meta, lastRun, storedEntries: [], now });
    expect(await previewField('@{add(result.tasks, 1)}', 'text', context)).toEqual({
      kind: 'error',
      message: '@{add(result.tasks, 1)}: add expects numbers, argument 1 is an array of 3 items',
    });
    expect(await previewField('@{result.tasks.5}', 'text', context)).toEqual({
      kind: 'error',
      message: '@{result.tasks.5}: index 5 out of range, tasks has 3 items',
    });
  });

  it('before any run, uses the sample input and the stored keys', async () => {
    const context = previewContextFor({
      nodeId: 'get',
      nodes,
      edges,
      meta,
      lastRun: null,
      storedEntries: [{ key: 'counter', value: 41 } as never],
      now,
    });
    expect(await previewField('@{lower(input.name)}', 'text', context)).toEqual({ kind: 'value', value: 'sample' });
    expect(await previewField('@{add(kv.counter, 1)}', 'text', context)).toEqual({ kind: 'value', value: 42 });
    expect(await previewField('@{result}', 'text', context)).toMatchObject({
      kind: 'error',
      message: expect.stringContaining('no block passed control'),
    });
  });

  it('shows nothing for text without placeholders, and cuts long values', async () => {
    const context = previewContextFor({ nodeId: 'get', nodes, edges, meta, lastRun, storedEntries: [], now });
    expect(await previewField('plain key', 'text', context)).toEqual({ kind: 'none' });
    expect(formatPreview('x'.repeat(500), 20)).toBe(`"${'x'.repeat(18)}…`);
  });
});
