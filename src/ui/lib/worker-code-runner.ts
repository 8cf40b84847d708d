/**
 * The editor's `CodeRunner`: Code block sources run in a Web Worker (`code-worker.ts`), made
 * on first use, so the page keeps answering while code runs and Stop ends the code at once by
 * ending the worker (the next run makes a new one). Where workers are missing, the sandbox
 * runs in the page.
 */
import { runInSandbox, type CodeRunner, type SandboxOutcome } from '../../engine/code-sandbox';
import type { CodeWorkerAnswer, CodeWorkerRequest } from './code-worker';

interface Pending {
  resolve(outcome: SandboxOutcome): void;
  reject(error: Error): void;
}

export function createWorkerCodeRunner(makeWorker: () => Worker): CodeRunner {
  let worker: Worker | null = null;
  let nextId = 1;
  const pending = new Map<number, Pending>();

  const drop = (settle: (entry: Pending) => void) => {
    worker?.terminate();
    worker = null;
    const entries = [...pending.values()];
    pending.clear();
    for (const entry of entries) settle(entry);
  };

  const workerNow = (): Worker => {
    if (worker) return worker;
    const made = makeWorker();
    made.onmessage = ({ data }: MessageEvent<CodeWorkerAnswer>) => {
      const entry = pending.get(data.id);
      if (!entry) return;
      pending.delete(data.id);
      if ('outcome' in data) entry.resolve(data.outcome);
      else entry.reject(new Error(`The code sandbox failed to load: ${data.failure}`));
    };
    made.onerror = (event) => {
      event.preventDefault();
      drop((entry) => entry.reject(new Error(`The code sandbox stopped: ${event.message || 'the worker failed'}`)));
    };
    worker = made;
    return made;
  };

  return (request, signal) => {
    if (signal?.aborted)
      return Promise.resolve({ ok: false, message: 'The run was stopped before the code ran', logs: [], cancelled: true });
    const id = nextId++;
    return new Promise<SandboxOutcome>((resolve, reject) => {
      const onAbort = () =>
        drop((entry) => entry.resolve({ ok: false, message: 'The run was stopped while the code ran', logs: [], cancelled: true }));
      const settle =
        <T>(finish: (value: T) => void) =>
        (value: T) => {
          signal?.removeEventListener('abort', onAbort);
          finish(value);
        };
      pending.set(id, { resolve: settle(resolve), reject: settle(reject) });
      signal?.addEventListener('abort', onAbort, { once: true });
      const message: CodeWorkerRequest = { id, request };
      workerNow().postMessage(message);
    });
  };
}

/** The runner the editor uses: a module worker when the browser has them, else this thread. */
export function editorCodeRunner(): CodeRunner {
  if (typeof Worker === 'undefined') return (request) => runInSandbox(request);
  return createWorkerCodeRunner(
    () => new Worker(new URL('./code-worker.ts', import.meta.url), { type: 'module', name: 'kvb-code-sandbox' }),
  );
}
