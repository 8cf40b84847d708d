/**
 * The engine's public types: the `kv-blueprint/1` document, the run record and run events,
 * and the field specs of block manifests. Pure TypeScript: no React, DOM or Node-only module.
 */
import type { KeyChange } from '../kv/changes';
import type { ErrorCode } from '../kv/errors';
import type { JsonValue, KeyValueStore, SaveMode, Scope, ValueType } from '../kv/types';
// Type-only: the block types and their data are derived from the list of block manifests.
import type { BlockDataByType, BlockType, KvAction } from './blocks';
import type { CodeRunner } from './code-sandbox';

export type { JsonValue, Scope, ValueType, SaveMode, KeyChange };
export type {
  BlockDataByType,
  BlockType,
  ConditionData,
  ConditionOperator,
  KvAction,
  KvData,
  OutputData,
  PaletteEntry,
  SetStateData,
  StartData,
  TransformData,
  CodeData,
} from './blocks';

export const BLUEPRINT_FORMAT = 'kv-blueprint/1';

export const OUTS = ['success', 'error', 'true', 'false'] as const;
export type Out = (typeof OUTS)[number];

export type KvConflict = 'child' | 'parent' | 'merge';

export interface BlueprintSettings {
  kvInherit: boolean;
  kvConflict: KvConflict;
  maxSteps: number;
}

export const DEFAULT_SETTINGS: BlueprintSettings = { kvInherit: false, kvConflict: 'child', maxSteps: 1000 };

/** React Flow's node shape, so the editor can hold the document as is. */
export interface BlueprintNode<T extends BlockType = BlockType> {
  id: string;
  type: T;
  position: { x: number; y: number };
  data: BlockDataByType[T];
}

export interface BlueprintEdge {
  id: string;
  source: string;
  sourceHandle: Out;
  target: string;
  targetHandle?: string | null;
}

export interface BlueprintDocument {
  format: typeof BLUEPRINT_FORMAT;
  id: string;
  name: string;
  groupId?: string;
  settings?: Partial<BlueprintSettings>;
  nodes: BlueprintNode[];
  edges: BlueprintEdge[];
  /**
   * Pinned outputs, by node id: results kept from a run that stand in for their blocks when a
   * run starts from a later block (`RunOptions.startAt`). A full run ignores them.
   */
  pins?: { [nodeId: string]: JsonValue };
}

/** One problem found in a document: where (`nodes[3].data.action`) and what. */
export interface Problem {
  path: string;
  message: string;
}

export type ValidationResult = { ok: true; document: BlueprintDocument } | { ok: false; problems: Problem[] };

// ---------------------------------------------------------------------------------------------
// Runs

export type RunStatus = 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface RunError {
  code: ErrorCode;
  message: string;
  nodeId: string | null;
}

export interface StepRecord {
  nodeId: string;
  type: BlockType;
  action?: KvAction;
  outcome: Out;
  startedAt: string;
  durationMs: number;
  result: JsonValue;
  error: RunError | null;
  /** `scope:key` of every stored key read (`flow:analysis_result`). */
  reads: string[];
  writes: string[];
  /** Lines the block logged (a Code block's `console.log`); absent when there are none. */
  logs?: string[];
}

export interface RunRecord {
  runId: string;
  blueprintId: string;
  status: Exclude<RunStatus, 'running'>;
  startedAt: string;
  finishedAt: string;
  input: JsonValue;
  steps: StepRecord[];
  /**
   * Steps left out of `steps` because the run kept only its first and last ones
   * (`RunOptions.keepSteps`): they ran between `steps[keepSteps.first - 1]` and the step after.
   * Absent when every step is recorded.
   */
  stepsOmitted?: number;
  outputs: JsonValue[];
  /** Outputs left out past `RunOptions.maxOutputs`; absent when every output is recorded. */
  outputsOmitted?: number;
  state: { [key: string]: JsonValue };
  error: RunError | null;
  /** Present and true when the run wrote to a sandbox overlay, not to the store (`RunOptions.sandbox`). */
  sandbox?: true;
  /**
   * One item per key the run changed, sorted by scope, scopeKey, key, with the row before the
   * run's first write and the row it left. Every run made by this engine lists them (empty when
   * it wrote nothing); records from older versions have none.
   */
  changes?: KeyChange[];
  /** Changes left out past `RunOptions.maxChanges`; absent when every change is listed. */
  changesOmitted?: number;
  /**
   * True when a stored copy of the record replaced some change values with a size note (see the
   * server's record bound): the changes describe the run but can no longer be applied.
   */
  changesIncomplete?: true;
}

/**
 * A run still executing, as a server shows it (`GET /api/runs/{runId}`): the steps finished so
 * far (first and last ones of a long run, like a record), no end yet.
 */
export interface RunningRecord extends Omit<RunRecord, 'status' | 'finishedAt' | 'error'> {
  status: 'running';
  finishedAt: null;
  error: null;
}

export type RunEvent =
  | { type: 'run-started'; runId: string; blueprintId: string; startedAt: string }
  | { type: 'step-started'; runId: string; nodeId: string; startedAt: string }
  | { type: 'step-finished'; runId: string; step: StepRecord; /** ids of the edges control takes next */ edgesTaken: string[] }
  | { type: 'run-finished'; runId: string; record: RunRecord };

export interface RunOptions {
  store: KeyValueStore;
  /** Tenant the run acts for; `default` when there is one tenant. */
  companyId?: string;
  /** The run's input; defaults to the start block's `sampleInput`, else `{}`. */
  input?: JsonValue;
  signal?: AbortSignal;
  onEvent?: (event: RunEvent) => void;
  now?: () => Date;
  runId?: string;
  /** The host's own step limit (a server's `KVB_MAX_STEPS`); the run stops at the lower of it and `settings.maxSteps`. */
  maxSteps?: number;
  /** Record only the first and last steps of a long run; the rest are counted in `stepsOmitted`. Default: every step. */
  keepSteps?: { first: number; last: number };
  /** Most outputs recorded; later ones are counted in `outputsOmitted`. Default: every output. */
  maxOutputs?: number;
  /**
   * A test run: the run reads the store but writes into a copy-on-write overlay only it sees,
   * so nothing reaches the store; the record has `sandbox: true` and the `changes` to apply.
   */
  sandbox?: boolean;
  /** Most changes listed; the rest are counted in `changesOmitted`. Default: every change. */
  maxChanges?: number;
  /**
   * Lets the host's event loop run; called between steps once a slice of
   * `RUN_SLICE_MS` has been spent. Default: a `setTimeout(0)` pause. A server passes `setImmediate`.
   */
  yieldToHost?: () => Promise<void>;
  /** Runs Code block sources; `runInSandbox` (in this thread) when not given. */
  runCode?: CodeRunner;
  /**
   * Start at this block instead of the start block ("Run from here"). The document's `pins`
   * stand in for the blocks before it: they fill `@{results.<id>}`, and the pin of a block with
   * an edge into this one is its `@{result}`.
   */
  startAt?: string;
}

// ---------------------------------------------------------------------------------------------
// Block manifests: the editor renders blocks and the inspector from these.

/** `code`: JavaScript source, edited in a code editor; its text is not an expression. */
export type FieldKind = 'text' | 'expression' | 'json-or-text' | 'select' | 'number' | 'json' | 'code';

export interface FieldSpec<Name extends string = string> {
  /** Key in `node.data`; a block's manifest only accepts names its data schema has. */
  name: Name;
  /** The label the inspector shows (a stable name for tests: "Action", "Key", "Value type"…). */
  label: string;
  kind: FieldKind;
  options?: readonly string[];
  default?: JsonValue;
  required?: boolean;
  help?: string;
  placeholder?: string;
  /** Shown only when this returns true for the node's data (e.g. "Value" only for save/append). */
  visible?: (data: Record<string, unknown>) => boolean;
}
