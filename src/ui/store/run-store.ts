/**
 * The current run: starts the engine on the open document, feeds its events through
 * `reduceRunEvent`, and hands the finished record on (run history, keys refresh).
 */
import { createStore } from 'zustand/vanilla';
import type { CodeRunner } from '../../engine/code-sandbox';
import type { BlueprintDocument, JsonValue, RunEvent, RunOptions, RunRecord } from '../../engine/types';
import type { KeyValueStore } from '../../kv/types';
import {
  IDLE_RUN,
  STEPS_KEPT,
  frameBatcher,
  reduceRunEvents,
  viewOfRecord,
  type RunView,
  type RunViewEvent,
  type StepsSkipped,
} from './run-state';

export interface RunStoreState {
  view: RunView;
  /** Ids of the edges taken, per finished run, so an earlier run can be shown again. */
  edgesByRun: Readonly<Record<string, readonly string[]>>;
  /**
   * Each block's data object as it was when the shown run started (the editor replaces a
   * block's data object on every edit). A block whose data is no longer this one has changed
   * since the run, so its old status and error are not shown on it. Empty for a run picked
   * from the history: its blocks are shown as they ran.
   */
  ranWith: Readonly<Record<string, unknown>>;
}

export interface RunRequest {
  document: BlueprintDocument;
  input: JsonValue;
  store: KeyValueStore;
  companyId: string;
  /** Run from here: the block to start at (the document's pins stand in for those before it). */
  startAt?: string;
  /** The blocks' data objects at the start (see `ranWith`). */
  ranWith?: Readonly<Record<string, unknown>>;
  /** A test run: writes go to an overlay only the run sees (the record lists them as changes). */
  sandbox?: boolean;
}

export interface RunStoreActions {
  start(request: RunRequest): Promise<RunRecord | null>;
  stop(): void;
  show(record: RunRecord): void;
  reset(): void;
}

export type RunStore = RunStoreState & RunStoreActions;

/** Runs a blueprint somewhere else (the kvb server), reporting the engine's events as they come. */
export type RemoteRunner = (run: {
  document: BlueprintDocument;
  input: JsonValue;
  /** A test run: writes go to an overlay and come back as the record's changes. */
  sandbox?: boolean;
  signal: AbortSignal;
  onEvent: (event: RunEvent) => void;
}) => Promise<RunRecord>;

export interface RunHooks {
  onFinished(record: RunRecord): void;
  /** Where a run goes instead of the engine here, when it does (Storage = Server); asked at each start. */
  remote?: () => RemoteRunner | null;
  /** How Code blocks run (the editor: in a Web Worker); the engine's default when absent. */
  runCode?: CodeRunner;
  /**
   * Where the engine runs: the editor passes its Web Worker (src/ui/run-worker), which takes
   * `runBlueprint`'s arguments; `runBlueprint` in this thread when absent (tests).
   */
  execute?: (document: BlueprintDocument, options: RunOptions, onSkipped: (skipped: StepsSkipped) => void) => Promise<RunRecord>;
}

export function createRunStore(hooks: RunHooks) {
  let controller: AbortController | null = null;
  return createStore<RunStore>()((set, get) => ({
    view: IDLE_RUN,
    edgesByRun: {},
    ranWith: {},

    async start({ document, input, store, companyId, ranWith = {}, startAt, sandbox }) {
      if (controller) return null;
      controller = new AbortController();
      set({ ranWith });
      // Events reach the view once per animation frame, however fast the steps come.
      const events = frameBatcher<RunViewEvent>((batch) => set((s) => ({ view: reduceRunEvents(s.view, batch) })));
      try {
        const options: RunOptions = {
          store,
          companyId,
          input,
          signal: controller.signal,
          onEvent: (event) => events.push(event),
          keepSteps: STEPS_KEPT,
          ...(hooks.runCode ? { runCode: hooks.runCode } : {}),
          ...(startAt ? { startAt } : {}),
          ...(sandbox ? { sandbox } : {}),
        };
        // "Run from here" needs the pins of this editor: it stays here.
        const remote = startAt ? null : (hooks.remote?.() ?? null);
        const record = remote
          ? await remote({
              document,
              input,
              signal: controller.signal,
              onEvent: (event) => events.push(event),
              ...(sandbox ? { sandbox } : {}),
            })
          : hooks.execute
            ? await hooks.execute(document, options, (skipped) => events.push(skipped))
            : await (await import('../../engine/runner')).runBlueprint(document, options);
        events.flush();
        const taken = record.runId === get().view.runId ? Object.keys(get().view.edgesTaken) : [];
        // The engine's run-finished event normally got here first; this covers a runner that
        // returned without emitting it.
        if (get().view.runId !== record.runId || get().view.status === 'running') set({ view: viewOfRecord(record, taken) });
        set((s) => ({ edgesByRun: { ...s.edgesByRun, [record.runId]: taken } }));
        hooks.onFinished(record);
        return record;
      } catch (error) {
        events.flush();
        const message = error instanceof Error ? error.message : String(error);
        set({ view: { ...IDLE_RUN, status: 'failed', error: { code: 'internal', message, nodeId: null } } });
        return null;
      } finally {
        controller = null;
      }
    },

    stop() {
      controller?.abort();
    },

    show(record) {
      set((s) => ({ view: viewOfRecord(record, s.edgesByRun[record.runId] ?? []), ranWith: {} }));
    },

    reset() {
      controller?.abort();
      set({ view: IDLE_RUN, ranWith: {} });
    },
  }));
}

export type RunStoreApi = ReturnType<typeof createRunStore>;

/** Whether a block changed since the shown run started (so what that run said of it is stale). */
export function changedSinceRun(state: Pick<RunStoreState, 'ranWith'>, nodeId: string, data: unknown): boolean {
  return Object.hasOwn(state.ranWith, nodeId) && state.ranWith[nodeId] !== data;
}
