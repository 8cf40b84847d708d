import { describe, expect, it } from 'vitest';
import { runInSandbox } from '../../engine/code-sandbox';
import type { CodeWorkerAnswer, CodeWorkerRequest } from './code-worker';
import { createWorkerCodeRunner } from './worker-code-runner';

/** A stand-in for the module worker: the same sandbox, answered asynchronously, or never. */
class FakeWorker {
  static made: FakeWorker[] = [];
  onmessage: ((event: MessageEvent<CodeWorkerAnswer>) => void) | null = null;
  onerror: ((event: ErrorEvent) => void) | null = null;
  terminated = false;
  constructor(private readonly answer: 'run' | 'hang' | 'crash') {
    FakeWorker.made.push(this);
  }
  postMessage({ id, request }: CodeWorkerRequest): void {
    if (this.answer === 'hang') return;
    if (this.answer === 'crash') {
      queueMicrotask(() => this.onerror?.({ message: 'boom', preventDefault() {} } as ErrorEvent));
      return;
    }
    void runInSandbox(request).then((outcome) => {
      if (!this.terminated) this.onmessage?.({ data: { id, outcome } } as MessageEvent<CodeWorkerAnswer>);
    });
  }
  terminate(): void {
    this.terminated = true;
  }
}

const request = (source: string) => ({ source, globals: { input: { n: 2 } }, timeoutMs: 1000 });

describe('the editor runs Code blocks in a worker', () => {
  it('answers each request with its own outcome, from one worker made on first use', async () => {
    FakeWorker.made = [];
    const run = createWorkerCodeRunner(() => new FakeWorker('run') as unknown as Worker);
    expect(FakeWorker.made).toHaveLength(0);
    const [a, b] = await Promise.all([run(request('return input.n * 10')), run(request('console.log("hi"); return "b"'))]);
    expect(a).toEqual({ ok: true, value: 20, logs: [] });
    expect(b).toEqual({ ok: true, value: 'b', logs: ['hi'] });
    expect(FakeWorker.made).toHaveLength(1);
  });

  it('Stop ends the worker at once and the code fails as cancelled; the next run gets a new worker', async () => {
    FakeWorker.made = [];
    let kind: 'hang' | 'run' = 'hang';
    const run = createWorkerCodeRunner(() => new FakeWorker(kind) as unknown as Worker);
    const controller = new AbortController();
    const pending = run(request('for (;;) {}'), controller.signal);
    controller.abort();
    expect(await pending).toEqual({ ok: false, message: 'The run was stopped while the code ran', logs: [], cancelled: true });
    expect(FakeWorker.made[0]?.terminated).toBe(true);
    kind = 'run';
    expect(await run(request('return 1'))).toMatchObject({ ok: true, value: 1 });
    expect(FakeWorker.made).toHaveLength(2);
  });

  it('a worker that fails rejects what it was running, with a message', async () => {
    const run = createWorkerCodeRunner(() => new FakeWorker('crash') as unknown as Worker);
    await expect(run(request('return 1'))).rejects.toThrow('The code sandbox stopped: boom');
  });
});
