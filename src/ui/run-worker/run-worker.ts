/**
 * The Web Worker the editor runs blueprints in (see executor.ts for the page's side): the
 * engine and the browser store run here, off the page's thread, so a run of any length never
 * freezes the editor. Events go to the page in batches, at most one a frame; Stop aborts the
 * run between two steps (and ends a Code block's own worker at once).
 */
import { runBlueprint } from '../../engine';
import { KvError, type KvErrorCode } from '../../kv/errors';
import { IndexedDbStore } from '../../kv/indexeddb';
import type { KeyValueStore } from '../../kv/types';
import type { RunEvent } from '../../engine/types';
import { editorCodeRunner } from '../lib/worker-code-runner';
import { EventCompactor } from './compact-events';
import type { CrossingError, FromWorker, StoreLink, StoreMethod, ToWorker } from './protocol';

/** How often events go to the page: about once a frame. */
export const EVENT_BATCH_MS = 16;

const scope = globalThis as unknown as {
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
  postMessage(message: FromWorker): void;
};
const post = (message: FromWorker) => scope.postMessage(message);

const runCode = editorCodeRunner();
let controller: AbortController | null = null;

// --- the page's store, called through messages ---------------------------------------------

const calls = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
let nextCall = 1;

function callPage(method: StoreMethod, args: unknown[]): Promise<unknown> {
  const id = nextCall++;
  return new Promise((resolve, reject) => {
    calls.set(id, { resolve, reject });
    post({ type: 'store-call', id, method, args });
  });
}

function errorFromPage(error: CrossingError): Error {
  // A store error keeps its code, so the step fails with it as it would in the page.
  return error.code ? new KvError(error.code as KvErrorCode, error.message, error.opIndex) : new Error(error.message);
}

const pageStore: KeyValueStore = {
  kind: 'page',
  batch: (companyId, ops) => callPage('batch', [companyId, ops]) as ReturnType<KeyValueStore['batch']>,
  getById: (companyId, id) => callPage('getById', [companyId, id]) as ReturnType<KeyValueStore['getById']>,
  deleteById: (companyId, id) => callPage('deleteById', [companyId, id]) as ReturnType<KeyValueStore['deleteById']>,
  close: () => Promise.resolve(),
};

function openStore(link: StoreLink): Promise<KeyValueStore> {
  return link.kind === 'indexeddb' ? IndexedDbStore.open({ dbName: link.dbName }) : Promise.resolve(pageStore);
}

// --- events, batched ------------------------------------------------------------------------

let waiting: RunEvent[] = [];
const compactor = new EventCompactor();
let timer: ReturnType<typeof setTimeout> | null = null;

function flushEvents(): void {
  if (timer !== null) clearTimeout(timer);
  timer = null;
  if (waiting.length === 0) return;
  post({ type: 'events', events: compactor.compact(waiting) });
  waiting = [];
}

function queueEvent(event: RunEvent): void {
  waiting.push(event);
  timer ??= setTimeout(flushEvents, EVENT_BATCH_MS);
}

// --- one run --------------------------------------------------------------------------------

async function run(message: Extract<ToWorker, { type: 'run' }>): Promise<void> {
  controller = new AbortController();
  let store: KeyValueStore;
  try {
    store = await openStore(message.store);
  } catch (error) {
    controller = null;
    post({ type: 'failed', message: `The run could not open the store: ${error instanceof Error ? error.message : String(error)}` });
    return;
  }
  try {
    const record = await runBlueprint(message.document, {
      ...message.options,
      store,
      signal: controller.signal,
      onEvent: queueEvent,
      runCode,
    });
    flushEvents();
    post({ type: 'done', record });
  } finally {
    controller = null;
    if (store !== pageStore) await store.close();
  }
}

scope.onmessage = ({ data }) => {
  switch (data.type) {
    case 'run':
      void run(data);
      return;
    case 'stop':
      controller?.abort();
      return;
    case 'store-answer':
    case 'store-failure': {
      const call = calls.get(data.id);
      if (!call) return;
      calls.delete(data.id);
      if (data.type === 'store-answer') call.resolve(data.result);
      else call.reject(errorFromPage(data.error));
    }
  }
};
