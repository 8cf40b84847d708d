/**
 * Runs a blueprint (docs/runs.md): control flows like a flowchart from the start block, along the edges
 * of each block's outcome, depth first, targets ordered top to bottom then left to right. The
 * runner owns the run's state, outputs, results and events; blocks only compute their outcome.
 */
import { manifestOf } from './blocks';
import type { BlockRunContext } from './blocks';
import { settingsOf, validateBlueprint, formatProblems } from './document';
import { EngineError, toRunError } from './errors';
import { FORBIDDEN_SEGMENTS, KV_ROOT_SCOPES, evaluateField, type ExpressionContext } from './expressions';
import { KvAccess, type KvTrace } from './kv-access';
import type {
  BlueprintDocument,
  BlueprintEdge,
  BlueprintNode,
  JsonValue,
  Out,
  RunError,
  RunEvent,
  RunOptions,
  RunRecord,
  StepRecord,
} from './types';

type JsonObject = { [key: string]: JsonValue };

/** Control waiting to enter a block: which block, and the result of the block that sent it. */
interface PendingStep {
  nodeId: string;
  previousResult: JsonValue | undefined;
}

/** Defines an own property, so an id such as "__proto__" stays a plain key. */
function setOwn(target: JsonObject, key: string, value: JsonValue): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
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

/**
 * Runs `document` against `options.store` and resolves with the run record. It never rejects:
 * an invalid document, a failing block or an engine bug all end as a `failed` record.
 */
export async function runBlueprint(document: BlueprintDocument, options: RunOptions): Promise<RunRecord> {
  const clock = options.now ?? (() => new Date());
  const runId = options.runId ?? globalThis.crypto.randomUUID();
  const startedAt = clock().toISOString();
  const emit = (event: RunEvent): void => {
    try {
      options.onEvent?.(event);
    } catch {
      // A listener that throws (a closed editor tab, a broken socket) must not change the run.
    }
  };

  const validation = validateBlueprint(document);
  emit({ type: 'run-started', runId, blueprintId: typeof document?.id === 'string' ? document.id : '', startedAt });
  if (!validation.ok) {
    const record: RunRecord = {
      runId,
      blueprintId: typeof document?.id === 'string' ? document.id : '',
      status: 'failed',
      startedAt,
      finishedAt: clock().toISOString(),
      input: structuredClone(options.input === undefined ? {} : options.input),
      steps: [],
      outputs: [],
      state: {},
      error: { code: 'invalid_blueprint', message: `The blueprint is not valid:\n${formatProblems(validation.problems)}`, nodeId: null },
    };
    emit({ type: 'run-finished', runId, record });
    return record;
  }

  const blueprint = validation.document;
  const settings = settingsOf(blueprint);
  const nodesById = new Map(blueprint.nodes.map((node) => [node.id, node] as const));
  const outgoing = outgoingEdges(blueprint, nodesById);
  const start = blueprint.nodes.find((node) => node.type === 'start') as BlueprintNode<'start'>;
  // An explicit null input is a value like any other; only a missing input falls back.
  const input: JsonValue = structuredClone(options.input !== undefined ? options.input : start.data.sampleInput ?? {});
  const kv = new KvAccess({ store: options.store, companyId: options.companyId, blueprint, settings });

  const state: JsonObject = {};
  const results: JsonObject = {};
  const outputs: JsonValue[] = [];
  const steps: StepRecord[] = [];
  let routedError: RunError | null = null;
  let runError: RunError | null = null;
  let status: RunRecord['status'] = 'succeeded';

  // Run from here: the pins stand in for the blocks before the chosen one (see RunOptions.startAt).
  const from = startingPoint(blueprint, options.startAt, results);
  const runRoot: JsonValue = { id: runId, startedAt };
  const blueprintRoot: JsonValue = { id: blueprint.id, name: blueprint.name, groupId: blueprint.groupId ?? null };

  const contextFor = (node: BlueprintNode, pending: PendingStep, trace: KvTrace): BlockRunContext => {
    const expressions: ExpressionContext = {
      roots: {
        result: pending.previousResult,
        results,
        state,
        input,
        error: routedError ? { ...routedError } : undefined,
        run: runRoot,
        blueprint: blueprintRoot,
      },
      readKv: async (root, key) => {
        const read = await kv.read(KV_ROOT_SCOPES[root], key, trace);
        return read.found ? read.value : undefined;
      },
    };
    return {
      node,
      data: node.data,
      input,
      evaluate: (text, valueType) => {
        expressions.roots.now = clock().toISOString();
        return evaluateField(text ?? '', valueType, expressions);
      },
      kv,
      trace,
      // Copies, so a later change to state never rewrites a value already recorded elsewhere.
      setState: (path, value) => setStatePath(state, path, structuredClone(value)),
      emitOutput: (value) => {
        outputs.push(structuredClone(value));
      },
    };
  };

  const executeStep = async (node: BlueprintNode, pending: PendingStep): Promise<StepRecord> => {
    const trace: KvTrace = { reads: [], writes: [] };
    const stepStartedAt = clock().toISOString();
    emit({ type: 'step-started', runId, nodeId: node.id, startedAt: stepStartedAt });
    const began = globalThis.performance.now();
    let outcome: Out;
    let result: JsonValue = null;
    let error: RunError | null = null;
    try {
      const ended = await manifestOf(node.type).run(contextFor(node, pending, trace));
      outcome = ended.outcome;
      result = structuredClone(ended.result);
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
    };
  };

  try {
    if (!from) throw new EngineError('invalid_blueprint', `Cannot run from block '${options.startAt}': the blueprint has no such block`);
    const waiting: PendingStep[] = [from];
    while (waiting.length > 0) {
      const pending = waiting.pop()!;
      if (options.signal?.aborted) {
        status = 'cancelled';
        runError = { code: 'cancelled', message: `The run was cancelled before block '${pending.nodeId}'`, nodeId: null };
        break;
      }
      if (steps.length >= settings.maxSteps) {
        status = 'failed';
        runError = {
          code: 'limit',
          message: `The run reached its limit of ${settings.maxSteps} steps before block '${pending.nodeId}': check for an endless loop, or raise settings.maxSteps`,
          nodeId: pending.nodeId,
        };
        break;
      }
      const node = nodesById.get(pending.nodeId)!;
      const step = await executeStep(node, pending);
      steps.push(step);
      setOwn(results, node.id, step.result);
      if (node.data.ref) setOwn(results, node.data.ref, step.result);

      const next = outgoing.get(`${node.id}\u0000${step.outcome}`) ?? [];
      emit({ type: 'step-finished', runId, step, edgesTaken: next.map((edge) => edge.id) });
      if (step.error) {
        if (next.length === 0) {
          status = 'failed';
          runError = step.error;
          break;
        }
        routedError = step.error;
      }
      // Pushed in reverse so the top-left target runs first and its branch finishes first.
      for (const edge of [...next].reverse()) waiting.push({ nodeId: edge.target, previousResult: step.result });
    }
    // Stop pressed while the last block ran: the person asked for a cancel, so the run says so,
    // even though nothing was left to skip.
    if (status === 'succeeded' && options.signal?.aborted) {
      status = 'cancelled';
      const last = steps.at(-1)?.nodeId ?? start.id;
      runError = { code: 'cancelled', message: `The run was cancelled during block '${last}', its last block`, nodeId: null };
    }
  } catch (thrown) {
    status = 'failed';
    runError = toRunError(thrown, null);
  }

  const record: RunRecord = {
    runId,
    blueprintId: blueprint.id,
    status,
    startedAt,
    finishedAt: clock().toISOString(),
    input,
    steps,
    outputs,
    state,
    error: runError,
  };
  emit({ type: 'run-finished', runId, record });
  return record;
}
