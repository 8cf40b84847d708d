import { afterEach, describe, expect, it } from 'vitest';
import { createThreadCodeRunner, type ThreadCodeRunner } from './code-runner';

const runners: ThreadCodeRunner[] = [];
afterEach(async () => {
  await Promise.all(runners.splice(0).map((runner) => runner.close()));
});

const globals = { input: { a: 41 }, state: {}, results: {}, result: null };

describe("the server's code threads", () => {
  it('run code off the calling thread, with its logs', async () => {
    const runner = createThreadCodeRunner(1);
    runners.push(runner);
    const outcome = await runner.run({ source: 'console.log("hi"); return input.a + 1;', globals, timeoutMs: 1000 });
    expect(outcome).toEqual({ ok: true, value: 42, logs: ['hi'] });
  });

  it('queue past their number and answer every request', async () => {
    const runner = createThreadCodeRunner(2);
    runners.push(runner);
    const outcomes = await Promise.all([1, 2, 3, 4, 5].map((n) => runner.run({ source: `return ${n} * 2;`, globals, timeoutMs: 1000 })));
    expect(outcomes.map((outcome) => outcome.ok && outcome.value)).toEqual([2, 4, 6, 8, 10]);
  });

  it('end the code of a cancelled run at once, and the next run gets a fresh thread', async () => {
    const runner = createThreadCodeRunner(1);
    runners.push(runner);
    const controller = new AbortController();
    const spinning = runner.run({ source: 'for (;;) {}', globals, timeoutMs: 10_000 }, controller.signal);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const began = performance.now();
    controller.abort();
    expect(await spinning).toMatchObject({ ok: false, cancelled: true });
    expect(performance.now() - began).toBeLessThan(1_000);
    expect(await runner.run({ source: 'return "again";', globals, timeoutMs: 1000 })).toMatchObject({ ok: true, value: 'again' });
  });

  it('refuse work once closed', async () => {
    const runner = createThreadCodeRunner(1);
    await runner.close();
    await expect(runner.run({ source: 'return 1;', globals, timeoutMs: 1000 })).rejects.toThrow(/closed/);
  });
});
