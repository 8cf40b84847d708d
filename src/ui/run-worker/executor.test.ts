import { describe, expect, it } from 'vitest';
import type { BlueprintDocument, RunEvent, RunRecord, StepRecord } from '../../engine/types';
import { MemoryStore } from '../../kv/memory';
import { createWorkerExecutor, STOP_GRACE_MS } from './executor';
import type { FromWorker, ToWorker } from './protocol';

/** A stand-in for the run worker: records what the page sends, and answers as the test says. */
class FakeWorker {
  onmessage: ((event: MessageEvent<FromWorker>) => void) | null = null;
  onerror: ((event: ErrorEvent) => void) | null = null;
  received: ToWorker[] = [];
  terminated = false;
  postMessage(message: ToWorker): void {
    this.received.push(structuredClone(message));
  }
  terminate(): void {
    this.terminated = true;
  }
  send(message: FromWorker): void {
    this.onmessage?.({ data: structuredClone(message) } as MessageEvent<FromWorker>);
  }
}

const document = { id: 'loop' } as BlueprintDocument;
const step = (nodeId: string): StepRecord => ({
  nodeId,
  type: 'kv',
  outcome: 'success',
  startedAt: '',
  durationMs: 0,
  result: 1,
  error: null,
  reads: [],
  writes: [],
});

function executorWith(worker: FakeWorker) {
  return createWorkerExecutor(() => worker as unknown as Worker);
}

const waitFor = async (check: () => boolean) => {
  for (let i = 0; i < 100 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
};

describe('run worker executor', () => {
  it('sends the run with a store the worker opens itself or calls here, and resolves with the worker’s record', async () => {
    const worker = new FakeWorker();
    const store = new MemoryStore();
    const events: RunEvent[] = [];
    const running = executorWith(worker)(document, { store, companyId: 'c', input: { a: 1 }, onEvent: (e) => events.push(e) }, () => {});
    expect(worker.received[0]).toMatchObject({ type: 'run', store: { kind: 'page' }, options: { companyId: 'c', input: { a: 1 } } });

    // The worker calls the page's store: the answer comes back, and a store error keeps its code.
    worker.send({
      type: 'store-call',
      id: 1,
      method: 'batch',
      args: ['c', [{ op: 'set', scope: 'global', key: 'k', value: 2, valueType: 'json' }]],
    });
    worker.send({ type: 'store-call', id: 2, method: 'batch', args: ['c', [{ op: 'get', scope: 'nowhere', key: 'k' }]] });
    await waitFor(() => worker.received.length >= 3);
    expect(worker.received.find((m) => m.type === 'store-answer')).toMatchObject({ id: 1 });
    const failure = worker.received.find((m) => m.type === 'store-failure');
    expect(failure).toMatchObject({ id: 2, error: { code: expect.any(String) as unknown } });
    const [read] = await store.batch('c', [{ op: 'get', scope: 'global', key: 'k' }]);
    expect(read).toMatchObject({ entry: { value: 2 } });

    worker.send({ type: 'events', events: [{ type: 'run-started', runId: 'r', blueprintId: 'loop', startedAt: 't' }] });
    const record = { runId: 'r', status: 'succeeded', steps: [] } as unknown as RunRecord;
    worker.send({ type: 'done', record });
    await expect(running).resolves.toEqual(record);
    expect(events.map((e) => e.type)).toEqual(['run-started']);
    expect(worker.terminated).toBe(false);
  });

  it("sends a test run as one: the worker's engine writes to an overlay, never to the store", async () => {
    const worker = new FakeWorker();
    void executorWith(worker)(document, { store: new MemoryStore(), sandbox: true, maxChanges: 50 }, () => {});
    expect(worker.received[0]).toMatchObject({ type: 'run', options: { sandbox: true, maxChanges: 50 } });
  });

  it('ends a worker that does not stop within the grace time, with a cancelled record of the steps seen', async () => {
    const worker = new FakeWorker();
    const controller = new AbortController();
    const skipped: number[] = [];
    const events: RunEvent[] = [];
    const running = executorWith(worker)(
      document,
      { store: new MemoryStore(), signal: controller.signal, keepSteps: { first: 2, last: 2 }, onEvent: (e) => events.push(e) },
      (s) => skipped.push(s.count),
    );
    worker.send({
      type: 'events',
      events: [
        { type: 'run-started', runId: 'r', blueprintId: 'loop', startedAt: 't' },
        ...['a', 'b', 'c'].map((id) => ({ type: 'step-finished' as const, runId: 'r', step: step(id), edgesTaken: [] })),
        { type: 'steps-skipped', runId: 'r', count: 10, lastSteps: [], edgesTaken: [] },
        ...['y', 'z'].map((id) => ({ type: 'step-finished' as const, runId: 'r', step: step(id), edgesTaken: [] })),
      ],
    });
    const stoppedAt = Date.now();
    controller.abort();
    expect(worker.received.at(-1)).toEqual({ type: 'stop' });
    const record = await running;
    expect(Date.now() - stoppedAt).toBeGreaterThanOrEqual(STOP_GRACE_MS - 5);
    expect(worker.terminated).toBe(true);
    expect(record).toMatchObject({ runId: 'r', status: 'cancelled', error: { code: 'cancelled' }, stepsOmitted: 11 });
    expect(record.steps.map((s) => s.nodeId)).toEqual(['a', 'b', 'y', 'z']);
    expect(skipped).toEqual([10]);
    expect(events.at(-1)).toMatchObject({ type: 'run-finished', record: { status: 'cancelled' } });
  });

  it('keeps as many first steps as last ones in such a record, so its gap is in the middle', async () => {
    const worker = new FakeWorker();
    const controller = new AbortController();
    const running = executorWith(worker)(
      document,
      { store: new MemoryStore(), signal: controller.signal, keepSteps: { first: 3, last: 3 } },
      () => {},
    );
    worker.send({
      type: 'events',
      events: [
        { type: 'run-started', runId: 'r', blueprintId: 'loop', startedAt: 't' },
        ...['a', 'b', 'c', 'd'].map((id) => ({ type: 'step-finished' as const, runId: 'r', step: step(id), edgesTaken: [] })),
        { type: 'steps-skipped', runId: 'r', count: 10, lastSteps: [], edgesTaken: [] },
        { type: 'step-finished', runId: 'r', step: step('z'), edgesTaken: [] },
      ],
    });
    controller.abort();
    const record = await running;
    expect(record.steps.map((s) => s.nodeId)).toEqual(['a', 'z']);
    expect(record.stepsOmitted).toBe(13);
  });

  it('makes a new worker for the next run after one was ended', async () => {
    const workers: FakeWorker[] = [];
    const execute = createWorkerExecutor(() => {
      workers.push(new FakeWorker());
      return workers.at(-1) as unknown as Worker;
    });
    const first = execute(document, { store: new MemoryStore() }, () => {});
    workers[0]!.onerror?.({ message: 'boom', preventDefault: () => {} } as ErrorEvent);
    await expect(first).resolves.toMatchObject({ status: 'failed', error: { message: expect.stringContaining('boom') as unknown } });
    void execute(document, { store: new MemoryStore() }, () => {});
    expect(workers).toHaveLength(2);
  });
});
