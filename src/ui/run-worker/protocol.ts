/**
 * The messages between the page and the run worker (run-worker.ts). The page sends one run at
 * a time; the worker answers with its events in batches, then the record. A store the worker
 * cannot open itself (the Server store, a test's store) stays in the page and is called
 * through `store-call` messages.
 */
import type { BlueprintDocument, JsonValue, RunRecord } from '../../engine/types';
import type { RunViewEvent } from '../store/run-state';

/** Which store the run uses: the browser's IndexedDB, opened in the worker, or the page's, called through messages. */
export type StoreLink = { kind: 'indexeddb'; dbName: string } | { kind: 'page' };

/** The `RunOptions` that cross to the worker (functions stay in the page). */
export interface WorkerRunOptions {
  companyId?: string;
  input?: JsonValue;
  runId?: string;
  maxSteps?: number;
  keepSteps?: { first: number; last: number };
  maxOutputs?: number;
  startAt?: string;
  /** A test run: the worker's engine writes to an overlay, never to the store. */
  sandbox?: boolean;
  maxChanges?: number;
}

export type StoreMethod = 'batch' | 'getById' | 'deleteById';

/** An error thrown by the page's store, as it crosses (a KvError keeps its code). */
export interface CrossingError {
  message: string;
  code?: string;
  opIndex?: number;
}

export type ToWorker =
  | { type: 'run'; document: BlueprintDocument; options: WorkerRunOptions; store: StoreLink }
  | { type: 'stop' }
  | { type: 'store-answer'; id: number; result: unknown }
  | { type: 'store-failure'; id: number; error: CrossingError };

export type FromWorker =
  /** A batch of events, about one a frame; a long run's middle steps come as `steps-skipped`. */
  | { type: 'events'; events: RunViewEvent[] }
  | { type: 'done'; record: RunRecord }
  /** The run could not happen at all (the store did not open): the message says why. */
  | { type: 'failed'; message: string }
  | { type: 'store-call'; id: number; method: StoreMethod; args: unknown[] };
