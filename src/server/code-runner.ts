/**
 * The server's `CodeRunner`: Code block sources run in worker threads (`code-worker.ts`), so a
 * block computing for up to its `timeoutMs` (at most 10 s) never holds up other requests. A few
 * threads are kept and reused; a run that is cancelled ends its thread, and the next run makes
 * a new one.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { CodeRunner, SandboxInput, SandboxOutcome } from '../engine/code-sandbox';
import type { CodeThreadAnswer, CodeThreadRequest } from './code-worker';
import { projectRoot } from './repo-root';

/** What the thread runs: the bundle's entry when the server runs from build/cli, else the sources. */
function workerEntry(): string {
  const root = projectRoot();
  const bundled = join(root, 'build', 'cli', 'code-worker.js');
  return import.meta.url.endsWith('.ts') || !existsSync(bundled) ? join(root, 'src', 'server', 'code-worker-sources.mjs') : bundled;
}

interface Job {
  id: number;
  request: SandboxInput;
  signal: AbortSignal | undefined;
  resolve(outcome: SandboxOutcome): void;
  reject(error: Error): void;
}

export interface ThreadCodeRunner {
  run: CodeRunner;
  /** Ends every thread; jobs still waiting or running fail. */
  close(): Promise<void>;
}

export function createThreadCodeRunner(threads = 2): ThreadCodeRunner {
  const idle: Worker[] = [];
  const busy = new Map<Worker, Job>();
  const queue: Job[] = [];
  let live = 0;
  let nextId = 1;
  let closed = false;

  const retire = (worker: Worker) => {
    busy.delete(worker);
    const at = idle.indexOf(worker);
    if (at >= 0) idle.splice(at, 1);
    live--;
    void worker.terminate();
  };

  const spawnWorker = (): Worker => {
    const worker = new Worker(workerEntry());
    live++;
    worker.unref();
    worker.on('message', (answer: CodeThreadAnswer) => {
      const job = busy.get(worker);
      if (!job || job.id !== answer.id) return;
      busy.delete(worker);
      finish(job);
      if ('outcome' in answer) job.resolve(answer.outcome);
      else job.reject(new Error(`The code sandbox failed to load: ${answer.failure}`));
      idle.push(worker);
      pump();
    });
    worker.on('error', (error) => {
      const job = busy.get(worker);
      retire(worker);
      if (job) {
        finish(job);
        job.reject(new Error(`The code sandbox stopped: ${error.message}`));
      }
      pump();
    });
    return worker;
  };

  const onAbort = new Map<Job, () => void>();
  const finish = (job: Job) => {
    const listener = onAbort.get(job);
    if (listener) job.signal?.removeEventListener('abort', listener);
    onAbort.delete(job);
  };

  const pump = () => {
    while (!closed && queue.length > 0) {
      const worker = idle.pop() ?? (live < threads ? spawnWorker() : null);
      if (!worker) return;
      const job = queue.shift()!;
      busy.set(worker, job);
      worker.postMessage({ id: job.id, request: job.request } satisfies CodeThreadRequest);
    }
  };

  const run: CodeRunner = (request, signal) => {
    if (closed) return Promise.reject(new Error('The code sandbox is closed: the server is stopping'));
    if (signal?.aborted)
      return Promise.resolve({ ok: false, message: 'The run was stopped before the code ran', logs: [], cancelled: true });
    return new Promise<SandboxOutcome>((resolve, reject) => {
      const job: Job = { id: nextId++, request, signal, resolve, reject };
      const cancel = () => {
        finish(job);
        const waiting = queue.indexOf(job);
        if (waiting >= 0) queue.splice(waiting, 1);
        for (const [worker, running] of busy) if (running === job) retire(worker);
        resolve({ ok: false, message: 'The run was stopped while the code ran', logs: [], cancelled: true });
        pump();
      };
      if (signal) {
        onAbort.set(job, cancel);
        signal.addEventListener('abort', cancel, { once: true });
      }
      queue.push(job);
      pump();
    });
  };

  return {
    run,
    async close() {
      closed = true;
      const failed = new Error('The code sandbox is closed: the server is stopping');
      for (const job of queue.splice(0)) {
        finish(job);
        job.reject(failed);
      }
      for (const [worker, job] of [...busy]) {
        finish(job);
        job.reject(failed);
        retire(worker);
      }
      await Promise.all(idle.splice(0).map((worker) => worker.terminate()));
      live = 0;
    },
  };
}
