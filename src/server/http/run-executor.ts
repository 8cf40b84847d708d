/**
 * Server-side runs: the same engine as the browser and the CLI, bounded by the server's limits,
 * registered with the storage's `RunCoordinator` (slots, live events, cancel) and stored in the
 * run history when they end. The app keeps one executor; its `close` stops every run in flight
 * before the database closes.
 */
import type { FastifyBaseLogger } from 'fastify';
import { runBlueprint } from '../../engine';
import type { BlueprintDocument, RunError, RunEvent, RunRecord, StepRecord } from '../../engine/types';
import type { JsonValue, KeyValueStore } from '../../kv/types';
import type { CodeRunner } from '../../engine/code-sandbox';
import type { ServerEventBus } from './event-bus';
import type { ServerLimits } from './limits';
import type { RunCoordinator, RunStore } from '../storage';

/** Run error codes whose messages quote a failure's own text (a stack overflow, SQLite's words, a path). */
const QUOTING_CODES: Readonly<Record<string, string>> = {
  internal: 'An unexpected engine failure',
  store: "The server's store failed",
};

/**
 * Those texts are for the server log, not for clients: the record and the events keep the code
 * and say where, and the log has the detail.
 */
function scrubError(error: RunError | null, log: (error: RunError) => void): RunError | null {
  if (error === null || !Object.hasOwn(QUOTING_CODES, error.code)) return error;
  log(error);
  const where = error.nodeId === null ? 'the run' : `block '${error.nodeId}'`;
  return { ...error, message: `${QUOTING_CODES[error.code]} in ${where}; the server logged it` };
}

function scrubStep(step: StepRecord, log: (error: RunError) => void): StepRecord {
  return step.error !== null && Object.hasOwn(QUOTING_CODES, step.error.code) ? { ...step, error: scrubError(step.error, log) } : step;
}

/** A macrotask pause: pending I/O (other requests) is served before the run goes on. */
const yieldToEventLoop = (): Promise<void> =>
  new Promise((resolve) => {
    setImmediate(resolve);
  });

export interface RunExecutorOptions {
  store: KeyValueStore;
  runs: RunStore;
  coordinator: RunCoordinator;
  bus: ServerEventBus;
  limits: ServerLimits;
  runCode: CodeRunner;
  log: FastifyBaseLogger;
}

export interface StartedRun {
  runId: string;
  /** The stored record once the run has ended; rejects only when storing it failed. */
  finished: Promise<RunRecord>;
}

export class RunExecutor {
  private readonly inFlight = new Map<string, { controller: AbortController; finished: Promise<unknown> }>();

  constructor(private readonly options: RunExecutorOptions) {}

  /**
   * Starts `document` for `companyId`. Resolves once the run is registered (so it can be
   * followed and cancelled at once); refuses with `TooManyRunsError` past the company's slots.
   */
  async start(companyId: string, document: BlueprintDocument, request: { input?: JsonValue; sandbox?: boolean }): Promise<StartedRun> {
    const { store, runs, coordinator, bus, limits, runCode, log } = this.options;
    const runId = globalThis.crypto.randomUUID();
    const controller = new AbortController();
    const start = document.nodes.find((node) => node.type === 'start');
    const sampleInput = (start?.data as { sampleInput?: JsonValue } | undefined)?.sampleInput;
    const input: JsonValue = request.input !== undefined ? request.input : (sampleInput ?? {});
    const handle = await coordinator.begin(
      companyId,
      { runId, blueprintId: document.id, startedAt: new Date().toISOString(), input, sandbox: request.sandbox === true },
      limits.maxRunsPerCompany,
      () => controller.abort(),
    );
    const logError = (error: RunError): void =>
      log.error({ runId, code: error.code, nodeId: error.nodeId, detail: error.message }, 'engine failure in a run');
    const publish = (event: RunEvent): void => {
      if (event.type === 'run-finished') return;
      handle.publish(event.type === 'step-finished' ? { ...event, step: scrubStep(event.step, () => {}) } : event);
    };

    const finished = (async (): Promise<RunRecord> => {
      // Bounded: the host's step limit, first and last steps kept, the event loop shared.
      const ran = await runBlueprint(document, {
        store,
        companyId,
        input,
        runId,
        ...(request.sandbox === true ? { sandbox: true } : {}),
        signal: controller.signal,
        onEvent: publish,
        maxSteps: limits.maxSteps,
        keepSteps: limits.keepSteps,
        maxOutputs: limits.maxOutputs,
        yieldToHost: yieldToEventLoop,
        runCode,
      });
      const record: RunRecord = {
        ...ran,
        steps: ran.steps.map((step) => scrubStep(step, logError)),
        error: scrubError(ran.error, logError),
      };
      let stored: RunRecord;
      try {
        stored = await runs.add(companyId, record);
      } finally {
        // Followers end, and the slot is given back, whether or not the record could be stored.
        await handle.finish(record);
      }
      bus.publish({
        type: 'run',
        data: { companyId, blueprintId: document.id, runId, status: stored.status, finishedAt: stored.finishedAt },
      });
      return stored;
    })();
    const key = `${companyId}\u0000${runId}`;
    this.inFlight.set(key, { controller, finished });
    void finished.then(
      () => this.inFlight.delete(key),
      (error: unknown) => {
        this.inFlight.delete(key);
        log.warn({ runId, err: error }, 'a finished run could not be stored');
      },
    );
    return { runId, finished };
  }

  /** Cancels every run in flight and waits for them to end (and be stored): before the database closes. */
  async close(): Promise<void> {
    const running = [...this.inFlight.values()];
    for (const run of running) run.controller.abort();
    await Promise.allSettled(running.map((run) => run.finished));
  }
}
