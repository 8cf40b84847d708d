import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../kv/memory';
import { makeDocument, makeNode } from './blocks/test-kit';
import { runBlueprint } from './runner';
import type { BlueprintDocument, RunEvent } from './types';

const store = () => new MemoryStore();
const outputOf = (id: string, value: string, x: number, y: number) => makeNode(id, 'output', { value }, { x, y });

describe('runBlueprint: input', () => {
  it('runs on the given input', async () => {
    const document = makeDocument([outputOf('out', '@{input.n}', 0, 0)], ['start.success>out'], { sampleInput: { n: 1 } });
    const record = await runBlueprint(document, { store: store(), input: { n: 2 } });
    expect(record.input).toEqual({ n: 2 });
    expect(record.outputs).toEqual([2]);
  });

  it("defaults to the start block's sampleInput, else {}", async () => {
    const withSample = makeDocument([outputOf('out', '@{input}', 0, 0)], ['start.success>out'], { sampleInput: { n: 1 } });
    expect((await runBlueprint(withSample, { store: store() })).outputs).toEqual([{ n: 1 }]);
    const without = makeDocument([outputOf('out', '@{input}', 0, 0)], ['start.success>out']);
    expect((await runBlueprint(without, { store: store() })).outputs).toEqual([{}]);
  });

  it('runs on an explicit null input instead of the sample input', async () => {
    const document = makeDocument([outputOf('out', '@{input}', 0, 0)], ['start.success>out'], { sampleInput: { n: 1 } });
    expect((await runBlueprint(document, { store: store(), input: null })).outputs).toEqual([null]);
  });

  it("never changes the caller's input object", async () => {
    const input = { user: { name: 'Ada' } };
    const document = makeDocument(
      [
        makeNode('set', 'setState', { path: 'user', value: '@{input.user}' }),
        makeNode('rename', 'setState', { path: 'user.name', value: 'Bob' }, { x: 300, y: 0 }),
      ],
      ['start.success>set', 'set.success>rename'],
    );
    const record = await runBlueprint(document, { store: store(), input });
    expect(record.state).toEqual({ user: { name: 'Bob' } });
    expect(input).toEqual({ user: { name: 'Ada' } });
    expect(record.input).toEqual({ user: { name: 'Ada' } });
  });
});

describe('runBlueprint: control flow', () => {
  it('runs several targets of one out top to bottom, then left to right', async () => {
    const document = makeDocument(
      [
        outputOf('low', 'low', 0, 200),
        outputOf('right', 'right', 300, 100),
        outputOf('left', 'left', 0, 100),
        outputOf('top', 'top', 500, 0),
      ],
      ['start.success>low', 'start.success>right', 'start.success>left', 'start.success>top'],
    );
    const record = await runBlueprint(document, { store: store() });
    expect(record.outputs).toEqual(['top', 'left', 'right', 'low']);
  });

  it('runs depth first: a branch finishes before its sibling starts', async () => {
    const document = makeDocument(
      [outputOf('a', 'a', 0, 0), outputOf('b', 'b', 0, 100), outputOf('a2', 'a2', 300, 0), outputOf('a3', 'a3', 600, 0)],
      ['start.success>b', 'start.success>a', 'a.success>a2', 'a2.success>a3'],
    );
    const record = await runBlueprint(document, { store: store() });
    expect(record.steps.map((step) => step.nodeId)).toEqual(['start', 'a', 'a2', 'a3', 'b']);
    expect(record.status).toBe('succeeded');
  });

  it('passes each block the result of the block that sent control to it', async () => {
    const document = makeDocument(
      [
        makeNode('t1', 'transform', { value: 'one' }, { x: 0, y: 0 }),
        makeNode('t2', 'transform', { value: 'two' }, { x: 0, y: 100 }),
        outputOf('o1', '@{result}', 300, 0),
        outputOf('o2', '@{result}', 300, 100),
      ],
      ['start.success>t1', 'start.success>t2', 't1.success>o1', 't2.success>o2'],
    );
    expect((await runBlueprint(document, { store: store() })).outputs).toEqual(['one', 'two']);
  });

  it('gives @{results.<id>} and @{results.<ref>} the latest result of a block', async () => {
    const document = makeDocument(
      [
        makeNode('t1', 'transform', { value: 'first', ref: 'greeting' }),
        makeNode('t2', 'transform', { value: 'second' }, { x: 300, y: 0 }),
        outputOf('out', '@{results.t1} @{results.greeting} @{results.t2} @{result}', 600, 0),
      ],
      ['start.success>t1', 't1.success>t2', 't2.success>out'],
    );
    expect((await runBlueprint(document, { store: store() })).outputs).toEqual(['first first second second']);
  });

  it('keeps results under ids such as __proto__ and hasOwnProperty as plain keys of their own', async () => {
    const document = makeDocument(
      [
        makeNode('__proto__', 'transform', { value: '{"polluted": true}', valueType: 'json' }),
        makeNode('hasOwnProperty', 'transform', { value: 'own' }, { x: 300, y: 0 }),
        outputOf('out', '@{results["hasOwnProperty"]} @{results.toString ?? "absent"}', 600, 0),
      ],
      ['start.success>__proto__', '__proto__.success>hasOwnProperty', 'hasOwnProperty.success>out'],
    );
    const record = await runBlueprint(document, { store: store() });
    expect(record.error).toBeNull();
    expect(record.outputs).toEqual(['own absent']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('allows loops: a block may run several times', async () => {
    const document = makeDocument(
      [
        makeNode('inc', 'kv', { action: 'increment', key: 'n' }, { x: 0, y: 0 }),
        makeNode('check', 'condition', { left: '@{result}', operator: 'lessThan', right: '3' }, { x: 300, y: 0 }),
        outputOf('done', 'done at @{results.inc}', 600, 0),
      ],
      ['start.success>inc', 'inc.success>check', 'check.true>inc', 'check.false>done'],
    );
    const record = await runBlueprint(document, { store: store() });
    expect(record.status).toBe('succeeded');
    expect(record.steps.map((step) => `${step.nodeId}:${step.outcome}`)).toEqual([
      'start:success',
      'inc:success',
      'check:true',
      'inc:success',
      'check:true',
      'inc:success',
      'check:false',
      'done:success',
    ]);
    expect(record.outputs).toEqual(['done at 3']);
  });

  it('fails with code limit on the block that would go past settings.maxSteps', async () => {
    const document = makeDocument(
      [makeNode('a', 'transform', { value: 'x' }), makeNode('b', 'transform', { value: 'y' }, { x: 300, y: 0 })],
      ['start.success>a', 'a.success>b', 'b.success>a'],
      { settings: { maxSteps: 5 } },
    );
    const record = await runBlueprint(document, { store: store() });
    expect(record.status).toBe('failed');
    expect(record.steps).toHaveLength(5);
    // start, a, b, a, b ran; the sixth would have been a.
    expect(record.error).toMatchObject({ code: 'limit', nodeId: 'a' });
    expect(record.error?.message).toContain('5 steps');
  });

  it('allows exactly maxSteps blocks', async () => {
    const document = makeDocument([outputOf('a', 'x', 0, 0), outputOf('b', 'y', 300, 0)], ['start.success>a', 'a.success>b'], {
      settings: { maxSteps: 3 },
    });
    expect((await runBlueprint(document, { store: store() })).status).toBe('succeeded');
  });

  it('ends a branch whose out has no edge, and the run succeeds', async () => {
    const document = makeDocument(
      [
        makeNode('check', 'condition', { left: 'a', operator: 'equals', right: 'b' }),
        outputOf('yes', 'yes', 300, 0),
        outputOf('after', 'after', 0, 200),
      ],
      ['start.success>check', 'check.true>yes', 'start.success>after'],
    );
    const record = await runBlueprint(document, { store: store() });
    expect(record.status).toBe('succeeded');
    expect(record.steps.map((step) => step.nodeId)).toEqual(['start', 'check', 'after']);
  });
});

describe('runBlueprint: errors', () => {
  it('sends a failing block along its error out, with @{error} set, and the run succeeds', async () => {
    const document = makeDocument(
      [makeNode('get', 'kv', { action: 'get', key: 'analysis_result' }), outputOf('fallback', '@{error}', 300, 0)],
      ['start.success>get', 'get.error>fallback'],
    );
    const record = await runBlueprint(document, { store: store() });
    expect(record.status).toBe('succeeded');
    expect(record.error).toBeNull();
    expect(record.outputs).toEqual([{ code: 'not_found', message: "Key 'analysis_result' not found in flow scope", nodeId: 'get' }]);
  });

  it('makes @{error} the most recent error that took an error out', async () => {
    const document = makeDocument(
      [
        makeNode('first', 'kv', { action: 'get', key: 'a' }),
        makeNode('second', 'kv', { action: 'delete', key: 'b' }, { x: 300, y: 0 }),
        outputOf('report', '@{error.nodeId}: @{error.code}', 600, 0),
      ],
      ['start.success>first', 'first.error>second', 'second.error>report'],
    );
    expect((await runBlueprint(document, { store: store() })).outputs).toEqual(['second: not_found']);
  });

  it('@{error} outside an error path fails the block with expression', async () => {
    const document = makeDocument([outputOf('out', '@{error.code}', 0, 0)], ['start.success>out']);
    const record = await runBlueprint(document, { store: store() });
    expect(record.error?.code).toBe('expression');
  });

  it('stops the run as failed with the error pinned to the block when no edge leaves its error out', async () => {
    const document = makeDocument(
      [makeNode('get', 'kv', { action: 'get', key: 'missing' }), outputOf('sibling', 'never', 0, 100), outputOf('next', 'never', 300, 0)],
      ['start.success>get', 'start.success>sibling', 'get.success>next'],
    );
    const record = await runBlueprint(document, { store: store() });
    expect(record.status).toBe('failed');
    expect(record.error).toEqual({ code: 'not_found', message: "Key 'missing' not found in flow scope", nodeId: 'get' });
    expect(record.steps.map((step) => step.nodeId)).toEqual(['start', 'get']);
    expect(record.outputs).toEqual([]);
  });

  it('fails an output block whose placeholder does not resolve (it has no error out)', async () => {
    const document = makeDocument([outputOf('out', '@{input.nope}', 0, 0)], ['start.success>out']);
    const record = await runBlueprint(document, { store: store(), input: {} });
    expect(record.status).toBe('failed');
    expect(record.error).toMatchObject({ code: 'expression', nodeId: 'out' });
  });

  it('fails an invalid document with invalid_blueprint and runs nothing', async () => {
    const document = makeDocument([outputOf('out', 'x', 0, 0)], ['start.success>nowhere']);
    const record = await runBlueprint(document, { store: store() });
    expect(record.status).toBe('failed');
    expect(record.steps).toEqual([]);
    expect(record.error?.code).toBe('invalid_blueprint');
    expect(record.error?.message).toContain("edges[0].target: no node with id 'nowhere'");
  });
});

describe('runBlueprint: cancellation', () => {
  it('ends cancelled after the block in flight', async () => {
    const controller = new AbortController();
    const document = makeDocument([outputOf('a', 'a', 0, 0), outputOf('b', 'b', 300, 0)], ['start.success>a', 'a.success>b']);
    const record = await runBlueprint(document, {
      store: store(),
      signal: controller.signal,
      onEvent: (event) => {
        if (event.type === 'step-started' && event.nodeId === 'a') controller.abort();
      },
    });
    expect(record.status).toBe('cancelled');
    expect(record.steps.map((step) => step.nodeId)).toEqual(['start', 'a']);
    expect(record.outputs).toEqual(['a']);
    expect(record.error?.code).toBe('cancelled');
  });

  it('ends cancelled when the signal aborts during the last block', async () => {
    const controller = new AbortController();
    const document = makeDocument([outputOf('a', 'a', 0, 0)], ['start.success>a']);
    const record = await runBlueprint(document, {
      store: store(),
      signal: controller.signal,
      onEvent: (event) => {
        if (event.type === 'step-started' && event.nodeId === 'a') controller.abort();
      },
    });
    expect(record.status).toBe('cancelled');
    expect(record.steps.map((step) => [step.nodeId, step.outcome])).toEqual([
      ['start', 'success'],
      ['a', 'success'],
    ]);
    expect(record.error).toMatchObject({ code: 'cancelled', message: expect.stringContaining("'a'") });
  });

  it('an already aborted signal gives a cancelled run with no steps', async () => {
    const controller = new AbortController();
    controller.abort();
    const document = makeDocument([outputOf('a', 'a', 0, 0)], ['start.success>a']);
    const record = await runBlueprint(document, { store: store(), signal: controller.signal });
    expect(record.status).toBe('cancelled');
    expect(record.steps).toEqual([]);
  });
});

describe('runBlueprint: events and the run record', () => {
  function branchingDocument(): BlueprintDocument {
    return makeDocument(
      [makeNode('get', 'kv', { action: 'get', key: 'k' }), outputOf('hit', 'hit', 300, 0), outputOf('miss', 'miss', 300, 100)],
      ['start.success>get', 'get.success>hit', 'get.error>miss'],
    );
  }

  it('emits run-started, step-started/step-finished per block with the edges taken, then run-finished', async () => {
    const events: RunEvent[] = [];
    const record = await runBlueprint(branchingDocument(), { store: store(), runId: 'run-1', onEvent: (event) => events.push(event) });
    expect(
      events.map((event) =>
        event.type === 'step-started'
          ? `${event.type}:${event.nodeId}`
          : event.type === 'step-finished'
            ? `${event.type}:${event.step.nodeId}:${event.edgesTaken.join(',')}`
            : event.type,
      ),
    ).toEqual([
      'run-started',
      'step-started:start',
      'step-finished:start:start-success-get',
      'step-started:get',
      'step-finished:get:get-error-miss',
      'step-started:miss',
      'step-finished:miss:',
      'run-finished',
    ]);
    expect(events.every((event) => event.runId === 'run-1')).toBe(true);
    const finished = events.at(-1);
    expect(finished?.type === 'run-finished' && finished.record).toBe(record);
  });

  it('keeps running when an event listener throws', async () => {
    const record = await runBlueprint(branchingDocument(), {
      store: store(),
      onEvent: () => {
        throw new Error('listener broke');
      },
    });
    expect(record.status).toBe('succeeded');
    expect(record.outputs).toEqual(['miss']);
  });

  it('records every step with its outcome, times, result, error, reads and writes', async () => {
    const times = ['2030-01-01T00:00:00.000Z', '2030-01-01T00:00:01.000Z'];
    let tick = 0;
    const document = makeDocument(
      [
        makeNode('get', 'kv', { action: 'get', key: 'analysis_result' }),
        makeNode('save', 'kv', { action: 'save', key: 'analysis_result', valueType: 'json', value: '{"score": 1}' }, { x: 300, y: 0 }),
        outputOf('out', '@{kv.analysis_result.score}', 600, 0),
      ],
      ['start.success>get', 'get.error>save', 'save.success>out'],
    );
    const record = await runBlueprint(document, { store: store(), runId: 'r', now: () => new Date(times[Math.min(tick++, 1)]!) });
    expect(record).toMatchObject({
      runId: 'r',
      blueprintId: 'test-blueprint',
      status: 'succeeded',
      startedAt: times[0],
      input: {},
      outputs: [1],
      state: {},
      error: null,
    });
    expect(record.finishedAt).toBe(times[1]);
    const [start, get, save, out] = record.steps;
    expect(start).toMatchObject({ nodeId: 'start', type: 'start', outcome: 'success', result: {}, error: null, reads: [], writes: [] });
    expect(start).not.toHaveProperty('action');
    expect(get).toMatchObject({
      nodeId: 'get',
      type: 'kv',
      action: 'get',
      outcome: 'error',
      result: null,
      error: { code: 'not_found', message: "Key 'analysis_result' not found in flow scope", nodeId: 'get' },
      reads: ['flow:analysis_result'],
      writes: [],
    });
    expect(save).toMatchObject({
      action: 'save',
      outcome: 'success',
      reads: [],
      writes: ['flow:analysis_result'],
      result: { key: 'analysis_result', value: { score: 1 }, created: true, version: 1 },
    });
    expect(out).toMatchObject({ type: 'output', reads: ['flow:analysis_result'], result: 1 });
    for (const step of record.steps) {
      expect(typeof step.durationMs).toBe('number');
      expect(step.durationMs).toBeGreaterThanOrEqual(0);
      expect(Number.isNaN(Date.parse(step.startedAt))).toBe(false);
    }
  });

  it('gives blocks the run, blueprint and now roots', async () => {
    const document = makeDocument(
      [outputOf('out', '@{run.id} @{run.startedAt} @{blueprint.id} @{blueprint.name} @{blueprint.groupId} @{now}', 0, 0)],
      ['start.success>out'],
      { groupId: 'grp' },
    );
    const record = await runBlueprint(document, { store: store(), runId: 'r7', now: () => new Date('2030-05-05T00:00:00.000Z') });
    expect(record.outputs).toEqual(['r7 2030-05-05T00:00:00.000Z test-blueprint Test blueprint grp 2030-05-05T00:00:00.000Z']);
  });

  it('returns the final state built by setState blocks', async () => {
    const document = makeDocument(
      [
        makeNode('a', 'setState', { path: 'user.name', value: '@{input.name}' }),
        makeNode('b', 'setState', { path: 'user.tags', valueType: 'json', value: '["x"]' }, { x: 300, y: 0 }),
        outputOf('out', '@{state.user.name} has @{state.user.tags}', 600, 0),
      ],
      ['start.success>a', 'a.success>b', 'b.success>out'],
    );
    const record = await runBlueprint(document, { store: store(), input: { name: 'Ada' } });
    expect(record.state).toEqual({ user: { name: 'Ada', tags: ['x'] } });
    expect(record.outputs).toEqual(['Ada has ["x"]']);
  });

  it('keeps earlier outputs and results unchanged when state changes later', async () => {
    const document = makeDocument(
      [
        makeNode('a', 'setState', { path: 'user', valueType: 'json', value: '{"name": "Ada"}' }),
        outputOf('snap', '@{state.user}', 300, 0),
        makeNode('b', 'setState', { path: 'user.name', value: 'Bob' }, { x: 600, y: 0 }),
      ],
      ['start.success>a', 'a.success>snap', 'snap.success>b'],
    );
    const record = await runBlueprint(document, { store: store() });
    expect(record.outputs).toEqual([{ name: 'Ada' }]);
    expect(record.steps[1]!.result).toEqual({ name: 'Ada' });
    expect(record.state).toEqual({ user: { name: 'Bob' } });
  });
});

describe('runBlueprint: host limits', () => {
  const loop = (maxSteps: number) =>
    makeDocument(
      [makeNode('a', 'transform', { value: 'x' }), makeNode('b', 'transform', { value: 'y' }, { x: 300, y: 0 })],
      ['start.success>a', 'a.success>b', 'b.success>a'],
      { settings: { maxSteps } },
    );

  it("stops at the host's maxSteps when it is lower than the document's, and says whose limit it was", async () => {
    const record = await runBlueprint(loop(1000), { store: store(), maxSteps: 7 });
    expect(record.status).toBe('failed');
    expect(record.steps).toHaveLength(7);
    expect(record.error).toMatchObject({
      code: 'limit',
      message: expect.stringContaining('limit of 7 steps this host allows per run (settings.maxSteps is 1000)'),
    });
    // A higher host limit leaves the document's own limit in force.
    const own = await runBlueprint(loop(5), { store: store(), maxSteps: 100 });
    expect(own.steps).toHaveLength(5);
    expect(own.error?.message).toContain('raise settings.maxSteps');
  });

  it('records only the first and last steps when asked, and counts the ones left out', async () => {
    const record = await runBlueprint(loop(50), { store: store(), keepSteps: { first: 3, last: 2 } });
    expect(record.stepsOmitted).toBe(45);
    // Steps 1-3 are start a b; a runs on even steps, so the 49th is b, the 50th a, the 51st would be b.
    expect(record.steps.map((step) => step.nodeId)).toEqual(['start', 'a', 'b', 'b', 'a']);
    expect(record.error).toMatchObject({ code: 'limit', nodeId: 'b' });
    const short = await runBlueprint(loop(4), { store: store(), keepSteps: { first: 3, last: 2 } });
    expect(short.steps).toHaveLength(4);
    expect(short).not.toHaveProperty('stepsOmitted');
  });

  it('lets the host in between steps while a long run holds the loop', async () => {
    let pauses = 0;
    const yieldToHost = async () => {
      pauses++;
      await new Promise((resolve) => setTimeout(resolve, 0));
    };
    // Each transform takes ~2 ms here, so 30 steps span several slices.
    const slow = (): Date => {
      const until = performance.now() + 2;
      while (performance.now() < until) {
        /* burn */
      }
      return new Date();
    };
    const record = await runBlueprint(loop(30), { store: store(), yieldToHost, now: slow });
    expect(record.steps).toHaveLength(30);
    expect(pauses).toBeGreaterThanOrEqual(2);
  });
});

describe('runBlueprint: recorded outputs', () => {
  it('keeps at most maxOutputs outputs and counts the rest', async () => {
    const document = makeDocument(
      [outputOf('a', 'a', 0, 0), outputOf('b', 'b', 300, 0)],
      ['start.success>a', 'a.success>b', 'b.success>a'],
      { settings: { maxSteps: 11 } },
    );
    const record = await runBlueprint(document, { store: store(), maxOutputs: 3 });
    expect(record.outputs).toEqual(['a', 'b', 'a']);
    expect(record.outputsOmitted).toBe(7);
    expect((await runBlueprint(document, { store: store() })).outputs).toHaveLength(10);
  });
});
