/**
 * The page's side of the run worker (run-worker.ts): runs a blueprint there with
 * `runBlueprint`'s arguments and result, so the run store does not care where it runs.
 *
 * - The browser store is opened by the worker itself (IndexedDB and its non-extractable key
 *   work in workers); any other store stays here and the worker calls it through messages.
 * - Events arrive in batches; each is handed to `onEvent` (the run store applies them once a frame).
 * - Stop asks the worker to stop between two steps. A worker that has not finished the run
 *   `STOP_GRACE_MS` later (stuck in a store call) is ended, and the run ends cancelled with the
 *   steps the page has seen.
 */
import { isKvError } from '../../kv/errors';
import type { IndexedDbStore } from '../../kv/indexeddb';
import type { KeyValueStore } from '../../kv/types';
import type { BlueprintDocument, RunError, RunEvent, RunOptions, RunRecord, StepRecord } from '../../engine/types';
import type { StepsSkipped } from '../store/run-state';
import type { FromWorker, StoreLink, ToWorker, WorkerRunOptions } from './protocol';

/** How long after Stop a run worker may take to end the run before it is ended itself. */
export const STOP_GRACE_MS = 500;

/** `runBlueprint`, and where a long run's middle steps go when they are not sent one by one. */
export type RunExecutor = (
  document: BlueprintDocument,
  options: RunOptions,
  onSkipped: (skipped: StepsSkipped) => void,
) => Promise<RunRecord>;

function storeLink(store: KeyValueStore): StoreLink {
  // By its kind, not instanceof: the page loads the browser store's code only when it opens one.
  return store.kind === 'indexeddb' ? { kind: 'indexeddb', dbName: (store as IndexedDbStore).dbName } : { kind: 'page' };
}

function crossingOptions(options: RunOptions): WorkerRunOptions {
  const { companyId, input, runId, maxSteps, keepSteps, maxOutputs, startAt, sandbox, maxChanges } = options;
  const crossing: WorkerRunOptions = { companyId, input, runId, maxSteps, keepSteps, maxOutputs, startAt, sandbox, maxChanges };
  for (const key of Object.keys(crossing) as Array<keyof WorkerRunOptions>) if (crossing[key] === undefined) delete crossing[key];
  return crossing;
}

/**
 * What the page saw of a run, so a run whose worker had to be ended still leaves a record:
 * its first and last steps, as the engine would have kept them.
 */
class SeenRun {
  started: Extract<RunEvent, { type: 'run-started' }> | null = null;
  private readonly head: StepRecord[] = [];
  private readonly tail: StepRecord[] = [];
  private count = 0;

  constructor(private readonly keep: RunOptions['keepSteps']) {}

  see(event: RunEvent | StepsSkipped): void {
    if (event.type === 'run-started') this.started = event;
    if (event.type === 'steps-skipped') {
      // Skipped steps come after the first ones kept, so the tail so far goes before them.
      this.count += event.count;
      this.tail.length = 0;
      return;
    }
    if (event.type !== 'step-finished') return;
    this.count++;
    if (!this.keep || this.head.length < this.keep.first) this.head.push(event.step);
    else {
      this.tail.push(event.step);
      if (this.tail.length > this.keep.last) this.tail.shift();
    }
  }

  record(document: BlueprintDocument, options: RunOptions, status: RunRecord['status'], error: RunError): RunRecord {
    let steps = [...this.head, ...this.tail];
    if (this.count > steps.length) {
      // Like the engine's records, one that leaves steps out keeps as many first steps as last
      // ones (readers find the gap in the middle): after skipped steps the tail may be shorter.
      const kept = Math.min(this.head.length, this.tail.length);
      steps = [...this.head.slice(0, kept), ...this.tail.slice(this.tail.length - kept)];
    }
    const omitted = this.count - steps.length;
    const now = new Date().toISOString();
    return {
      runId: this.started?.runId ?? options.runId ?? globalThis.crypto.randomUUID(),
      blueprintId: typeof document?.id === 'string' ? document.id : '',
      status,
      startedAt: this.started?.startedAt ?? now,
      finishedAt: now,
      input: options.input ?? {},
      steps,
      ...(omitted > 0 ? { stepsOmitted: omitted } : {}),
      outputs: [],
      state: {},
      error,
      // The worker was ended before it reported what the run changed: the record says so, and
      // a test run's changes cannot be applied from it.
      ...(options.sandbox ? { sandbox: true as const } : {}),
      changes: [],
      changesIncomplete: true,
    };
  }
}

/**
 * A `RunExecutor` over workers made by `makeWorker`. One worker serves run after run; one
 * that had to be ended (or failed) is replaced by a new one at the next run.
 */
export function createWorkerExecutor(makeWorker: () => Worker): RunExecutor {
  let worker: Worker | null = null;

  return (document, options, onSkipped) =>
    new Promise<RunRecord>((resolve) => {
      const current = worker ?? makeWorker();
      worker = current;
      const seen = new SeenRun(options.keepSteps);
      const emit = (event: RunEvent) => {
        seen.see(event);
        options.onEvent?.(event);
      };
      let graceTimer: ReturnType<typeof setTimeout> | null = null;
      let settled = false;

      const finish = (record: RunRecord, endWorker: boolean) => {
        if (settled) return;
        settled = true;
        if (graceTimer !== null) clearTimeout(graceTimer);
        options.signal?.removeEventListener('abort', onAbort);
        current.onmessage = null;
        current.onerror = null;
        if (endWorker) {
          current.terminate();
          if (worker === current) worker = null;
        }
        resolve(record);
      };
      /** Ends the run from the page's side: the worker is ended, the record made of what was seen. */
      const endHere = (status: RunRecord['status'], error: RunError) => {
        const record = seen.record(document, options, status, error);
        if (seen.started) emit({ type: 'run-finished', runId: record.runId, record });
        finish(record, true);
      };

      function onAbort(): void {
        current.postMessage({ type: 'stop' } satisfies ToWorker);
        graceTimer = setTimeout(
          () =>
            endHere('cancelled', {
              code: 'cancelled',
              message: `The run was stopped: it did not end within ${STOP_GRACE_MS} ms of Stop, so its worker was ended`,
              nodeId: null,
            }),
          STOP_GRACE_MS,
        );
      }

      const answerStoreCall = async (message: Extract<FromWorker, { type: 'store-call' }>) => {
        const store = options.store;
        try {
          const method = store[message.method] as (...args: unknown[]) => Promise<unknown>;
          const result = await method.apply(store, message.args);
          if (!settled) current.postMessage({ type: 'store-answer', id: message.id, result } satisfies ToWorker);
        } catch (error) {
          const crossing = isKvError(error)
            ? { message: error.message, code: error.code, ...(error.opIndex === undefined ? {} : { opIndex: error.opIndex }) }
            : { message: error instanceof Error ? error.message : String(error) };
          if (!settled) current.postMessage({ type: 'store-failure', id: message.id, error: crossing } satisfies ToWorker);
        }
      };

      current.onmessage = ({ data }: MessageEvent<FromWorker>) => {
        switch (data.type) {
          case 'events':
            for (const event of data.events) {
              if (event.type !== 'steps-skipped') emit(event);
              else {
                seen.see(event);
                onSkipped(event);
              }
            }
            return;
          case 'done':
            finish(data.record, false);
            return;
          case 'failed':
            endHere('failed', { code: 'store', message: data.message, nodeId: null });
            return;
          case 'store-call':
            void answerStoreCall(data);
        }
      };
      current.onerror = (event) => {
        event.preventDefault();
        endHere('failed', {
          code: 'internal',
          message: `The run's worker stopped: ${event.message || 'it failed to load or crashed'}`,
          nodeId: null,
        });
      };

      options.signal?.addEventListener('abort', onAbort, { once: true });
      const message: ToWorker = { type: 'run', document, options: crossingOptions(options), store: storeLink(options.store) };
      current.postMessage(message);
      if (options.signal?.aborted) onAbort();
    });
}

/** The run store's hooks for the editor: runs in a module worker where the browser has them, else in the page. */
export function editorRunExecutor(): { execute?: RunExecutor } {
  if (typeof Worker === 'undefined') return {};
  return {
    execute: createWorkerExecutor(() => new Worker(new URL('./run-worker.ts', import.meta.url), { type: 'module', name: 'kvb-run' })),
  };
}
