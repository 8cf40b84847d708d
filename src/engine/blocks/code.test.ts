import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../kv/memory';
import { runBlueprint } from '../runner';
import { CODE_CASES } from './code-cases';
import { makeDocument, makeNode, runSingle } from './test-kit';

describe('code block', () => {
  for (const testCase of CODE_CASES) {
    it(testCase.name, async () => {
      const { step } = await runSingle(
        'code',
        { source: testCase.source, ...(testCase.timeoutMs ? { timeoutMs: testCase.timeoutMs } : {}) },
        { input: testCase.input },
      );
      if ('result' in testCase.expected) {
        expect(step.error).toBeNull();
        expect(step.outcome).toBe('success');
        expect(step.result).toEqual(testCase.expected.result);
        if (testCase.expected.logs) expect(step.logs).toEqual(testCase.expected.logs);
      } else {
        expect(step.outcome).toBe('error');
        expect(step.error?.code).toBe('code_error');
        expect(step.error?.message).toContain(testCase.expected.error);
      }
    });
  }

  it('ends an endless loop within its timeout, and at most at 10 s', async () => {
    const began = Date.now();
    const { step } = await runSingle('code', { source: 'for (;;) {}', timeoutMs: 500 });
    expect(step.error?.message).toBe('timed out after 500 ms: the code ran past its timeoutMs (an endless loop?)');
    expect(Date.now() - began).toBeLessThan(2500);
    const tooLong = await runSingle('code', { source: 'return 1', timeoutMs: 60_000 });
    expect(tooLong.step.error).toMatchObject({ code: 'invalid_value', message: 'Timeout (ms) must be at most 10000, got 60000' });
  });

  it('memory that grows step by step ends at the 32 MiB limit, before the timeout', async () => {
    const began = Date.now();
    const { step } = await runSingle('code', { source: 'const items = [];\nfor (;;) items.push({ n: items.length });', timeoutMs: 10_000 });
    expect(step.error).toMatchObject({
      code: 'code_error',
      message: expect.stringContaining('ran out of memory: the sandbox allows 32 MiB'),
    });
    expect(Date.now() - began).toBeLessThan(10_000);
  });

  it('an endless chain of promises times out too', async () => {
    const { step } = await runSingle('code', { source: 'for (;;) await null;', timeoutMs: 300 });
    expect(step.error).toMatchObject({ code: 'code_error', message: expect.stringContaining('timed out after 300 ms') });
  });

  it('sees input, state, results and result as copies it cannot change outside', async () => {
    const document = makeDocument(
      [
        makeNode('set', 'setState', { path: 'user.name', valueType: 'text', value: 'Ada' }),
        makeNode('code', 'code', {
          source:
            'state.user.name = "changed"; input.n = 0;\nreturn { name: state.user.name, prev: result, fromSet: results.set, n: input.n };',
        }),
        makeNode('after', 'transform', { valueType: 'text', value: '@{state.user.name} @{input.n}' }),
      ],
      ['start.success>set', 'set.success>code', 'code.success>after'],
    );
    const record = await runBlueprint(document, { store: new MemoryStore(), input: { n: 5 } });
    expect(record.steps[2]?.result).toEqual({ name: 'changed', prev: 'Ada', fromSet: 'Ada', n: 0 });
    expect(record.steps[3]?.result).toBe('Ada 5');
  });

  it('keeps the logs of a run that fails, and takes the error out', async () => {
    const document = makeDocument(
      [
        makeNode('code', 'code', { source: 'console.log("checking", input.id);\nthrow new Error("bad id");' }),
        makeNode('handled', 'transform', { valueType: 'text', value: '@{error.code}: @{error.message}' }),
      ],
      ['start.success>code', 'code.error>handled'],
    );
    const record = await runBlueprint(document, { store: new MemoryStore(), input: { id: 7 } });
    expect(record.status).toBe('succeeded');
    expect(record.steps[1]?.logs).toEqual(['checking 7']);
    expect(record.steps[2]?.result).toBe('code_error: Error: bad id (line 2)');
  });

  it('runs again after a block broke the sandbox with deep recursion', async () => {
    const deep = await runSingle('code', { source: 'const f = (n) => f(n + 1) + 1;\nreturn f(0);' });
    expect(deep.step.error?.code).toBe('code_error');
    expect(deep.step.error?.message).toMatch(/stack overflow/);
    const after = await runSingle('code', { source: 'return 40 + 2;' });
    expect(after.step.result).toBe(42);
  });

  it('a thrown value that is not an Error is shown as it is', async () => {
    const { step } = await runSingle('code', { source: 'throw { reason: "no stock", sku: input.sku };' }, { input: { sku: 'A1' } });
    expect(step.error).toEqual({
      code: 'code_error',
      message: 'the code threw {"reason":"no stock","sku":"A1"}, not an Error (throw new Error("…") gives the line)',
      nodeId: 'block',
    });
  });

  it("runs through the host's code runner, which gets the run's signal", async () => {
    const controller = new AbortController();
    const seen: Array<{ source: string; signal: AbortSignal | undefined }> = [];
    const { step } = await runSingle(
      'code',
      { source: 'return 1' },
      {
        signal: controller.signal,
        runCode: async (request, signal) => {
          seen.push({ source: request.source, signal });
          return { ok: true, value: 'from the host', logs: ['host line'] };
        },
      },
    );
    expect(seen).toEqual([{ source: 'return 1', signal: controller.signal }]);
    expect(step).toMatchObject({ result: 'from the host', logs: ['host line'] });
  });

  it('Stop while the code runs cancels the run, even with an error out wired', async () => {
    const document = makeDocument(
      [makeNode('code', 'code', { source: 'for (;;) {}' }), makeNode('handled', 'transform', { valueType: 'text', value: 'handled' })],
      ['start.success>code', 'code.error>handled'],
    );
    const record = await runBlueprint(document, {
      store: new MemoryStore(),
      runCode: async () => ({ ok: false, message: 'The run was stopped while the code ran', logs: [], cancelled: true }),
    });
    expect(record.status).toBe('cancelled');
    expect(record.error).toEqual({ code: 'cancelled', message: 'The run was stopped while the code ran', nodeId: 'code' });
    expect(record.steps.map((step) => step.nodeId)).toEqual(['start', 'code']);
  });

  it('a sandbox that cannot load fails the block with code_error, not as an engine bug', async () => {
    const { step } = await runSingle(
      'code',
      { source: 'return 1' },
      {
        runCode: async () => {
          throw new Error('fetch of the WebAssembly module failed');
        },
      },
    );
    expect(step.error).toEqual({
      code: 'code_error',
      message: 'The code sandbox could not run the code: fetch of the WebAssembly module failed',
      nodeId: 'block',
    });
  });

  it('a promise that never settles fails at once instead of waiting', async () => {
    const { step } = await runSingle('code', { source: 'await new Promise(() => {});' });
    expect(step.error?.message).toMatch(/never settled/);
  });
});
