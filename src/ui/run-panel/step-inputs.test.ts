import { describe, expect, it } from 'vitest';
import type { StepRecord } from '../../engine/types';
import { stepInputs } from './step-inputs';

const step = (nodeId: string, outcome: StepRecord['outcome'], result: StepRecord['result']): StepRecord => ({
  nodeId,
  type: 'transform',
  outcome,
  startedAt: '',
  durationMs: 0,
  result,
  error: null,
  reads: [],
  writes: [],
});
const at = (id: string, x: number, y: number) => ({ id, position: { x, y } });

describe('what came into each step', () => {
  it('follows the depth-first walk: a block fed by two branches gets each branch’s result in turn', () => {
    // a → b (top) and a → c (below); b → c. Order: a, b, c (from b), c (from a).
    const nodes = [at('a', 0, 0), at('b', 200, 0), at('c', 400, 100)];
    const edges = [
      { source: 'a', sourceHandle: 'success', target: 'b' },
      { source: 'a', sourceHandle: 'success', target: 'c' },
      { source: 'b', sourceHandle: 'success', target: 'c' },
    ];
    const steps = [step('a', 'success', 'A'), step('b', 'success', 'B'), step('c', 'success', 'C1'), step('c', 'success', 'C2')];
    const inputs = stepInputs(steps, { run: 'input' }, nodes, edges);
    expect(inputs.map((i) => i.from)).toEqual([null, 0, 1, 0]);
    expect(inputs.map((i) => i.value)).toEqual([{ run: 'input' }, 'A', 'B', 'A']);
  });

  it('takes the edge of the outcome, so an error path gets what the failed block gave', () => {
    const nodes = [at('get', 0, 0), at('hit', 200, 0), at('miss', 200, 100)];
    const edges = [
      { source: 'get', sourceHandle: 'success', target: 'hit' },
      { source: 'get', sourceHandle: 'error', target: 'miss' },
    ];
    const inputs = stepInputs([step('get', 'error', null), step('miss', 'success', 7)], {}, nodes, edges);
    expect(inputs[1]).toEqual({ from: 0, value: null });
  });

  it('falls back to the latest earlier step with an edge in when the graph moved since the run', () => {
    const nodes = [at('a', 0, 0), at('b', 200, 0)];
    const edges = [{ source: 'a', sourceHandle: 'success', target: 'b' }];
    // The record says x ran second, which the graph no longer explains.
    const inputs = stepInputs([step('a', 'success', 1), step('x', 'success', 2), step('b', 'success', 3)], {}, nodes, edges);
    expect(inputs[1]).toEqual({ from: null, value: undefined });
    expect(inputs[2]).toEqual({ from: 0, value: 1 });
  });
});
