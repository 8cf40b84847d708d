/**
 * Runs a blueprint (docs/runs.md): control flows like a flowchart from the start block, along the edges
 * of each block's outcome, depth first, targets ordered top to bottom then left to right. The
 * runner owns the run's state, outputs, results and events; blocks only compute their outcome.
 */
import { ChangeRecorder } from '../kv/changes';
import { OverlayStore } from '../kv/overlay';
import type { KeyValueStore } from '../kv/types';
import { manifestOf } from './blocks';
import type { BlockRunContext } from './blocks';
import { runInSandbox } from './code-sandbox';
import { settingsOf, validateBlueprint, formatProblems } from './document';
import { EngineError, toRunError } from './errors';
import type { SandboxInput, SandboxOutcome } from './code-sandbox';
import { FORBIDDEN_SEGMENTS, KV_ROOT_SCOPES, evaluateField, type ExpressionContext, type KvRoot } from './expressions';
import { KvAccess, type KvTrace } from './kv-access';
import type {
  BlueprintDocument,
  BlueprintEdge,
  BlueprintNode,
  JsonValue,
  KeyChange,
  Out,
  Problem,
  RunError,
  RunEvent,
  RunOptions,
  RunRecord,
  StepRecord,
  ValueType,
} from './types';

type JsonObject = { [key: string]: JsonValue };

/** Control waiting to enter a block: which block, and the result of the block that sent it. */
interface PendingStep {
  nodeId: string;
  previousResult: JsonValue | undefined;
}

/**
 * Sets an own property, so an id such as "__proto__" stays a plain key. Plain assignment does the
 * same for every other key (the prototype's other properties are writable data, not setters) and
 * is much cheaper for the results of a long run.
 */
function setOwn(target: JsonObject, key: string, value: JsonValue): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

/** A copy of a value that may be shared; numbers, strings, booleans and null need none. */
function copyOf(value: JsonValue): JsonValue {
  return typeof value === 'object' && value !== null ? structuredClone(value) : value;
}

function isPlainObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Sets `path` (dot separated) inside `state`, creating objects on the way. */
function setStatePath(state: JsonObject, path: string, value: JsonValue): void {
  const segments = path.split('.');
  const shown = `state.${path}`;
  if (path.trim() === '' || segments.some((segment) => segment === '')) {
    throw new EngineError('invalid_path', `Path '${path}' is empty or has an empty segment: write it like user.profile.name`);
  }
  const forbidden = segments.find((segment) => FORBIDDEN_SEGMENTS.includes(segment));
  if (forbidden) throw new EngineError('invalid_path', `Path '${path}' uses '${forbidden}', which is never allowed as a key`);
  let current = state;
  for (let i = 0; i < segments.length - 1; i++) {
    const segment = segments[i]!;
    const next = Object.hasOwn(current, segment) ? current[segment] : undefined;
    if (next === undefined) {
      const created: JsonObject = {};
      setOwn(current, segment, created);
      current = created;
    } else if (isPlainObject(next)) {
      current = next;
    } else {
      const where = `state.${segments.slice(0, i + 1).join('.')}`;
      const what = next === null ? 'null' : Array.isArray(next) ? 'an array' : `a ${typeof next}`;
      throw new EngineError('invalid_path', `Cannot set ${shown}: ${where} holds ${what}, not an object`);
    }
  }
  setOwn(current, segments[segments.length - 1]!, value);
}

/** Top to bottom, then left to right; edges to the same position keep their document order. */
function byTargetPosition(nodesById: Map<string, BlueprintNode>) {
  return (a: BlueprintEdge, b: BlueprintEdge): number => {
    const pa = nodesById.get(a.target)!.position;
    const pb = nodesById.get(b.target)!.position;
    return pa.y - pb.y || pa.x - pb.x;
  };
}

function outgoingEdges(document: BlueprintDocument, nodesById: Map<string, BlueprintNode>): Map<string, BlueprintEdge[]> {
  const outgoing = new Map<string, BlueprintEdge[]>();
  for (const edge of document.edges) {
    const slot = `${edge.source}\u0000${edge.sourceHandle}`;
    const list = outgoing.get(slot) ?? [];
    list.push(edge);
    outgoing.set(slot, list);
  }
  for (const list of outgoing.values()) list.sort(byTargetPosition(nodesById));
  return outgoing;
}

/**
 * Where a run begins: the start block, or (`startAt`) the chosen block, with every other pinned
 * output put into `results` and, as `@{result}`, the pin of a block that has an edge into it.
 */
function startingPoint(blueprint: BlueprintDocument, startAt: string | undefined, results: JsonObject): PendingStep | null {
  if (startAt === undefined) return { nodeId: blueprint.nodes.find((node) => node.type === 'start')!.id, previousResult: undefined };
  if (!blueprint.nodes.some((node) => node.id === startAt)) return null;
  const pins = blueprint.pins ?? {};
  for (const node of blueprint.nodes) {
    if (node.id === startAt || !Object.hasOwn(pins, node.id)) continue;
    const pinned = structuredClone(pins[node.id]!);
    setOwn(results, node.id, pinned);
    if (node.data.ref) setOwn(results, node.data.ref, pinned);
  }
  const feeder = blueprint.edges.find((edge) => edge.target === startAt && edge.source !== startAt && Object.hasOwn(pins, edge.source));
  return { nodeId: startAt, previousResult: feeder ? structuredClone(pins[feeder.source]!) : undefined };
}

/** Longest stretch of steps run without letting the host's event loop in (a server's other requests, a page's clicks). */
export const RUN_SLICE_MS = 10;

const pauseWithTimer = (): Promise<void> =>
  new Promise((resolve) => {
    globalThis.setTimeout(resolve, 0);
  });

// --- events ---------------------------------------------------------------------------------

/** `onEvent` made safe: a listener that throws (a closed tab, a broken socket) must not change the run. */
function eventEmitter(onEvent: RunOptions['onEvent']): (event: RunEvent) => void {
  return (event) => {
    try {
      onEvent?.(event);
    } catch {
      // Ignored on purpose, see above.
    }
  };
}

// --- validation -----------------------------------------------------------------------------

function invalidDocumentRecord(
  document: BlueprintDocument,
  options: RunOptions,
  runId: string,
  startedAt: string,
  finishedAt: string,
  problems: Problem[],
): RunRecord {
  return {
    runId,
    blueprintId: typeof document?.id === 'string' ? document.id : '',
    status: 'failed',
    startedAt,
    finishedAt,
    input: structuredClone(options.input === undefined ? {} : options.input),
    steps: [],
    outputs: [],
    state: {},
    error: { code: 'invalid_blueprint', message: `The blueprint is not valid:\n${formatProblems(problems)}`, nodeId: null },
    ...(options.sandbox ? { sandbox: true as const } : {}),
    changes: [],
  };
}

// --- limits ---------------------------------------------------------------------------------

/**
 * What a run may spend: its step limit (the document's, lowered by the host's), how many steps
 * it records (first and last only, when the host asks), and how long it holds the event loop.
 */
class RunLimits {
  private count = 0;
  private readonly head: StepRecord[] = [];
  private readonly tail: StepRecord[] = [];
  private sliceStartedAt = globalThis.performance.now();
  readonly maxSteps: number;

  constructor(
    private readonly documentMaxSteps: number,
    private readonly options: RunOptions,
  ) {
    this.maxSteps = Math.min(documentMaxSteps, options.maxSteps ?? documentMaxSteps);
  }

  /** The limit error when one more step would pass the limit, else null. */
  beforeStep(nodeId: string): RunError | null {
    if (this.count < this.maxSteps) return null;
    const message =
      this.maxSteps < this.documentMaxSteps
        ? `The run reached the limit of ${this.maxSteps} steps this host allows per run (settings.maxSteps is ${this.documentMaxSteps}) before block '${nodeId}': check for an endless loop`
        : `The run reached its limit of ${this.maxSteps} steps before block '${nodeId}': check for an endless loop, or raise settings.maxSteps`;
    return { code: 'limit', message, nodeId };
  }

  record(step: StepRecord): void {
    this.count++;
    const keep = this.options.keepSteps;
    if (keep === undefined || this.head.length < keep.first) {
      this.head.push(step);
      return;
    }
    this.tail.push(step);
    if (this.tail.length > keep.last) this.tail.shift();
  }

  get lastNodeId(): string | undefined {
    return (this.tail.at(-1) ?? this.head.at(-1))?.nodeId;
  }

  /** The recorded steps, and how many were left out between the first and the last ones. */
  recordedSteps(): { steps: StepRecord[]; stepsOmitted?: number } {
    const omitted = this.count - this.head.length - this.tail.length;
    return omitted > 0 ? { steps: [...this.head, ...this.tail], stepsOmitted: omitted } : { steps: [...this.head, ...this.tail] };
  }

  /**
   * Lets the host in once the current slice of work is spent: a promise to await then, and null
   * while the slice lasts, so the steps in between do not each wait on a promise.
   */
  pace(): Promise<void> | null {
    if (globalThis.performance.now() - this.sliceStartedAt < RUN_SLICE_MS) return null;
    return this.yieldToHost();
  }

  private async yieldToHost(): Promise<void> {
    await (this.options.yieldToHost ?? pauseWithTimer)();
    this.sliceStartedAt = globalThis.performance.now();
  }
}

// --- context --------------------------------------------------------------------------------

/** The run's data, which blocks read through expressions and change through their context. */
class RunScope {
  readonly state: JsonObject = {};
  readonly results: JsonObject = {};
  readonly outputs: JsonValue[] = [];
  outputsOmitted = 0;
  private readonly maxOutputs: number;
  /** The error of the last failed step whose `error` out was wired, for `@{error}`. */
  routedError: RunError | null = null;
  readonly kv: KvAccess;
  readonly runRoot: JsonValue;
  readonly blueprintRoot: JsonValue;

  constructor(
    blueprint: BlueprintDocument,
    readonly options: RunOptions,
    readonly input: JsonValue,
    runId: string,
    startedAt: string,
    readonly clock: () => Date,
    store: KeyValueStore,
  ) {
    this.maxOutputs = options.maxOutputs ?? Number.POSITIVE_INFINITY;
    this.kv = new KvAccess({ store, companyId: options.companyId, blueprint, settings: settingsOf(blueprint) });
    this.runRoot = { id: runId, startedAt };
    this.blueprintRoot = { id: blueprint.id, name: blueprint.name, groupId: blueprint.groupId ?? null };
  }

  /** Stores a finished step's result under the node's id and its ref. */
  keepResult(node: BlueprintNode, result: JsonValue): void {
    setOwn(this.results, node.id, result);
    if (node.data.ref) setOwn(this.results, node.data.ref, result);
  }

  contextFor(node: BlueprintNode, pending: PendingStep, trace: KvTrace, logs: string[]): BlockRunContext {
    return new StepContext(this, node, pending, trace, logs);
  }

  /** Reads a stored key for `@{kv.*}` and records it in the step's trace. */
  async readKv(root: KvRoot, key: string, trace: KvTrace): Promise<JsonValue | undefined> {
    const read = await this.kv.read(KV_ROOT_SCOPES[root], key, trace);
    return read.found ? read.value : undefined;
  }

  setState(path: string, value: JsonValue): void {
    // A copy, so a later change to state never rewrites a value already recorded elsewhere.
    setStatePath(this.state, path, copyOf(value));
  }

  emitOutput(value: JsonValue): void {
    if (this.outputs.length < this.maxOutputs) this.outputs.push(copyOf(value));
    else this.outputsOmitted++;
  }
}

/**
 * A block's context for one step, and the expression context of its fields. Methods rather than
 * closures: a run of many steps builds one small object per step, not a dozen functions.
 */
class StepContext implements BlockRunContext, ExpressionContext {
  readonly data: BlueprintNode['data'];
  readonly input: JsonValue;
  readonly kv: KvAccess;
  readonly scope: BlockRunContext['scope'];
  readonly roots: ExpressionContext['roots'];
  private readonly clock: () => Date;
  private readonly options: RunOptions;

  constructor(
    private readonly run: RunScope,
    readonly node: BlueprintNode,
    pending: PendingStep,
    readonly trace: KvTrace,
    private readonly logs: string[],
  ) {
    const { kv, clock, options, runRoot, blueprintRoot } = run;
    this.data = node.data;
    this.input = run.input;
    this.kv = kv;
    this.clock = clock;
    this.options = options;
    this.roots = {
      result: pending.previousResult,
      results: run.results,
      state: run.state,
      input: run.input,
      error: run.routedError ? { ...run.routedError } : undefined,
      run: runRoot,
      blueprint: blueprintRoot,
    };
    this.scope = { state: run.state, results: run.results, result: pending.previousResult };
  }

  readKv(root: KvRoot, key: string): Promise<JsonValue | undefined> {
    return this.run.readKv(root, key, this.trace);
  }

  evaluate(text: string | undefined, valueType: ValueType): Promise<JsonValue> {
    this.roots.now = this.clock().toISOString();
    return evaluateField(text ?? '', valueType, this);
  }

  setState(path: string, value: JsonValue): void {
    this.run.setState(path, value);
  }

  emitOutput(value: JsonValue): void {
    this.run.emitOutput(value);
  }

  log(line: string): void {
    this.logs.push(line);
  }

  runCode(request: SandboxInput): Promise<SandboxOutcome> {
    return (this.options.runCode ?? runInSandbox)(request, this.options.signal);
  }
}

// --- one step -------------------------------------------------------------------------------

async function executeStep(
  scope: RunScope,
  node: BlueprintNode,
  pending: PendingStep,
  clock: () => Date,
  onStarted: (nodeId: string, startedAt: string) => void,
): Promise<StepRecord> {
  const trace: KvTrace = { reads: [], writes: [] };
  const logs: string[] = [];
  const stepStartedAt = clock().toISOString();
  onStarted(node.id, stepStartedAt);
  const began = globalThis.performance.now();
  let outcome: Out;
  let result: JsonValue = null;
  let error: RunError | null = null;
  try {
    const ended = await manifestOf(node.type).run(scope.contextFor(node, pending, trace, logs));
    outcome = ended.outcome;
    result = copyOf(ended.result);
  } catch (thrown) {
    outcome = 'error';
    error = toRunError(thrown, node.id);
  }
  return {
    nodeId: node.id,
    type: node.type,
    ...(node.type === 'kv' ? { action: (node as BlueprintNode<'kv'>).data.action } : {}),
    outcome,
    startedAt: stepStartedAt,
    durationMs: globalThis.performance.now() - began,
    result,
    error,
    reads: trace.reads,
    writes: trace.writes,
    ...(logs.length > 0 ? { logs } : {}),
  };
}

// --- scheduling -----------------------------------------------------------------------------

interface RunEnding {
  status: RunRecord['status'];
  error: RunError | null;
}

/** What the walk over the graph works with; built once per run by `runBlueprint`. */
interface RunInProgress {
  runId: string;
  blueprint: BlueprintDocument;
  /** The first step: the start block, or the block a "Run from here" begins at. */
  from: PendingStep;
  scope: RunScope;
  limits: RunLimits;
  options: RunOptions;
  clock: () => Date;
  emit: (event: RunEvent) => void;
}

/** Walks the graph depth first from the start block until nothing is waiting, a step fails unrouted, a limit binds or the run is cancelled. */
async function walk({ runId, blueprint, from, scope, limits, options, clock, emit }: RunInProgress): Promise<RunEnding> {
  const nodesById = new Map(blueprint.nodes.map((node) => [node.id, node] as const));
  const outgoing = outgoingEdges(blueprint, nodesById);
  const waiting: PendingStep[] = [from];
  const onStarted = (nodeId: string, startedAt: string): void => emit({ type: 'step-started', runId, nodeId, startedAt });
  while (waiting.length > 0) {
    const pause = limits.pace();
    if (pause) await pause;
    const pending = waiting.pop()!;
    if (options.signal?.aborted) {
      return {
        status: 'cancelled',
        error: { code: 'cancelled', message: `The run was cancelled before block '${pending.nodeId}'`, nodeId: null },
      };
    }
    const limit = limits.beforeStep(pending.nodeId);
    if (limit) return { status: 'failed', error: limit };
    const node = nodesById.get(pending.nodeId)!;
    const step = await executeStep(scope, node, pending, clock, onStarted);
    limits.record(step);
    scope.keepResult(node, step.result);

    const next = outgoing.get(`${node.id}\u0000${step.outcome}`) ?? [];
    // A block stopped by Stop (a Code block's worker ended) cancels the run, error out or not.
    if (step.error?.code === 'cancelled') {
      emit({ type: 'step-finished', runId, step, edgesTaken: [] });
      return { status: 'cancelled', error: step.error };
    }
    emit({ type: 'step-finished', runId, step, edgesTaken: next.map((edge) => edge.id) });
    if (step.error) {
      if (next.length === 0) return { status: 'failed', error: step.error };
      scope.routedError = step.error;
    }
    // Pushed in reverse so the top-left target runs first and its branch finishes first.
    for (let k = next.length - 1; k >= 0; k--) waiting.push({ nodeId: next[k]!.target, previousResult: step.result });
  }
  // Stop pressed while the last block ran: the person asked for a cancel, so the run says so,
  // even though nothing was left to skip.
  if (options.signal?.aborted) {
    const last = limits.lastNodeId ?? from.nodeId;
    return {
      status: 'cancelled',
      error: { code: 'cancelled', message: `The run was cancelled during block '${last}', its last block`, nodeId: null },
    };
  }
  return { status: 'succeeded', error: null };
}

/**
 * Runs `document` against `options.store` and resolves with the run record. It never rejects:
 * an invalid document, a failing block or an engine bug all end as a `failed` record.
 */
export async function runBlueprint(document: BlueprintDocument, options: RunOptions): Promise<RunRecord> {
  const clock = options.now ?? (() => new Date());
  const runId = options.runId ?? globalThis.crypto.randomUUID();
  const startedAt = clock().toISOString();
  const emit = eventEmitter(options.onEvent);

  const validation = validateBlueprint(document);
  emit({ type: 'run-started', runId, blueprintId: typeof document?.id === 'string' ? document.id : '', startedAt });
  if (!validation.ok) {
    const record = invalidDocumentRecord(document, options, runId, startedAt, clock().toISOString(), validation.problems);
    emit({ type: 'run-finished', runId, record });
    return record;
  }

  const blueprint = validation.document;
  const start = blueprint.nodes.find((node) => node.type === 'start') as BlueprintNode<'start'>;
  // An explicit null input is a value like any other; only a missing input falls back.
  const input: JsonValue = structuredClone(options.input !== undefined ? options.input : (start.data.sampleInput ?? {}));
  // Every write goes through the recorder, so the record lists what the run changed; a test
  // run's writes stop at an overlay of its own.
  const recorder = new ChangeRecorder(options.sandbox ? new OverlayStore(options.store, { now: clock }) : options.store);
  const scope = new RunScope(blueprint, options, input, runId, startedAt, clock, recorder);
  const limits = new RunLimits(settingsOf(blueprint).maxSteps, options);

  let ending: RunEnding;
  try {
    // Run from here: the pins stand in for the blocks before the chosen one (see RunOptions.startAt).
    const from = startingPoint(blueprint, options.startAt, scope.results);
    if (!from) throw new EngineError('invalid_blueprint', `Cannot run from block '${options.startAt}': the blueprint has no such block`);
    ending = await walk({ runId, blueprint, from, scope, limits, options, clock, emit });
  } catch (thrown) {
    ending = { status: 'failed', error: toRunError(thrown, null) };
  }

  const record: RunRecord = {
    runId,
    blueprintId: blueprint.id,
    status: ending.status,
    startedAt,
    finishedAt: clock().toISOString(),
    input,
    ...limits.recordedSteps(),
    outputs: scope.outputs,
    ...(scope.outputsOmitted > 0 ? { outputsOmitted: scope.outputsOmitted } : {}),
    state: scope.state,
    error: ending.error,
    ...(options.sandbox ? { sandbox: true as const } : {}),
    ...changesPart(recorder.changes(scope.kv.companyId), options.maxChanges),
  };
  emit({ type: 'run-finished', runId, record });
  return record;
}

/** The record's `changes`, cut at `maxChanges` with the rest counted. */
function changesPart(changes: KeyChange[], maxChanges = Number.POSITIVE_INFINITY): Pick<RunRecord, 'changes' | 'changesOmitted'> {
  if (changes.length <= maxChanges) return { changes };
  return { changes: changes.slice(0, maxChanges), changesOmitted: changes.length - maxChanges };
}
