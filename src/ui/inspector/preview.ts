/**
 * The live preview under an expression field: what the field evaluates to against the
 * last run's context of its block — the input, the state, the results of the blocks before
 * it and the result that passed control to it — or, before any run, the Start block's sample
 * input and the stored keys. Pure: the Inspector renders what `previewField` gives.
 */
import { ExpressionError, evaluateField, scanPlaceholders, type ExpressionContext } from '../../engine/expressions';
import type { JsonValue, RunRecord, StepRecord, ValueType } from '../../engine/types';
import type { Entry } from '../../kv/types';
import type { BlueprintMeta, FlowEdge, FlowNode } from '../store/flow-model';

type JsonObject = { [key: string]: JsonValue };

export interface PreviewInputs {
  nodeId: string;
  nodes: readonly FlowNode[];
  edges: readonly FlowEdge[];
  meta: BlueprintMeta;
  lastRun: RunRecord | null;
  /** Stored entries of the blueprint's flow scope, for `kv.` paths. */
  storedEntries: readonly Entry[];
  now: Date;
}

function setOwn(target: JsonObject, key: string, value: JsonValue): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** The expression roots as they were when the block last ran (or as far as they are known). */
export function previewContextFor({ nodeId, nodes, edges, meta, lastRun, storedEntries, now }: PreviewInputs): ExpressionContext {
  const start = nodes.find((node) => node.type === 'start');
  const steps = lastRun?.steps ?? [];
  const ownIndex = steps.findLastIndex((step) => step.nodeId === nodeId);
  // Results as the block saw them: those of the steps before it (all of them when it did not run).
  const before = ownIndex === -1 ? steps : steps.slice(0, ownIndex);
  const results: JsonObject = {};
  const refs = new Map(nodes.map((node) => [node.id, typeof node.data.ref === 'string' && node.data.ref !== '' ? node.data.ref : null]));
  for (const step of before) {
    setOwn(results, step.nodeId, step.result);
    const ref = refs.get(step.nodeId);
    if (ref) setOwn(results, ref, step.result);
  }
  const leadsHere = (step: StepRecord) =>
    edges.some((edge) => edge.source === step.nodeId && edge.sourceHandle === step.outcome && edge.target === nodeId);
  const passing = before.findLast(leadsHere);
  const entries = new Map(storedEntries.map((entry) => [entry.key, entry.value]));
  return {
    roots: {
      input: lastRun ? lastRun.input : ((start?.data.sampleInput as JsonValue | undefined) ?? {}),
      state: lastRun?.state ?? {},
      results,
      result: passing?.result,
      error: passing?.error ? { ...passing.error } : undefined,
      run: lastRun ? { id: lastRun.runId, startedAt: lastRun.startedAt } : { id: '(next run)', startedAt: now.toISOString() },
      blueprint: { id: meta.id, name: meta.name, groupId: meta.groupId ?? null },
      now: now.toISOString(),
    },
    readKv: async (root, key) => {
      if (root !== 'kv')
        throw new ExpressionError(`${root}.${key}: the preview reads only the flow scope's keys; run the blueprint to see it`);
      return entries.get(key);
    },
  };
}

export type Preview = { kind: 'none' } | { kind: 'value'; value: JsonValue } | { kind: 'error'; message: string };

/** Whether a field holds anything to preview: a placeholder (plain text previews itself). */
export function hasPlaceholder(text: string): boolean {
  const scan = scanPlaceholders(text);
  return scan.placeholders.length > 0 || scan.problems.length > 0;
}

export async function previewField(text: string, valueType: ValueType, context: ExpressionContext): Promise<Preview> {
  if (!hasPlaceholder(text)) return { kind: 'none' };
  try {
    return { kind: 'value', value: await evaluateField(text, valueType, context) };
  } catch (error) {
    return { kind: 'error', message: error instanceof Error ? error.message : String(error) };
  }
}

/** A value as the preview line shows it: JSON, cut to `max` characters. */
export function formatPreview(value: JsonValue, max = 300): string {
  const text = JSON.stringify(value) ?? 'null';
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
