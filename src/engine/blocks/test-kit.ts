/**
 * Small builders for engine tests: documents from a few nodes and `a.success>b` edge specs,
 * and a one-block run. Only tests import this file.
 */
import { MemoryStore } from '../../kv/memory';
import type { KeyValueStore } from '../../kv/types';
import { runBlueprint } from '../runner';
import type {
  BlockDataByType,
  BlockType,
  BlueprintDocument,
  BlueprintEdge,
  BlueprintNode,
  BlueprintSettings,
  JsonValue,
  Out,
  RunOptions,
  RunRecord,
  StepRecord,
} from '../types';

export function makeNode<T extends BlockType>(id: string, type: T, data: BlockDataByType[T], position = { x: 0, y: 0 }): BlueprintNode<T> {
  return { id, type, position, data } as BlueprintNode<T>;
}

/** `"get.error>fallback"` → an edge from get's error out to fallback. */
export function makeEdge(spec: string): BlueprintEdge {
  const match = /^([^.>]+)\.([a-z]+)>(.+)$/.exec(spec);
  if (!match) throw new Error(`bad edge spec ${spec}`);
  const [, source, handle, target] = match;
  return { id: `${source}-${handle}-${target}`, source: source!, sourceHandle: handle as Out, target: target! };
}

export interface DocumentExtras {
  id?: string;
  groupId?: string;
  settings?: Partial<BlueprintSettings>;
  sampleInput?: JsonValue;
}

/** A document with a start block (id `start`) plus `nodes`, wired by `edges` specs. */
export function makeDocument(nodes: BlueprintNode[], edges: string[], extras: DocumentExtras = {}): BlueprintDocument {
  const start = makeNode('start', 'start', extras.sampleInput === undefined ? {} : { sampleInput: extras.sampleInput }, { x: -300, y: 0 });
  return {
    format: 'kv-blueprint/1',
    id: extras.id ?? 'test-blueprint',
    name: 'Test blueprint',
    ...(extras.groupId ? { groupId: extras.groupId } : {}),
    ...(extras.settings ? { settings: extras.settings } : {}),
    nodes: [start, ...nodes],
    edges: edges.map(makeEdge),
  };
}

export interface SingleRun {
  record: RunRecord;
  /** The step of the block under test (the first step after start). */
  step: StepRecord;
  store: KeyValueStore;
}

/** Runs start → `node` (nothing after it) and returns the block's step. */
export async function runSingle<T extends BlockType>(
  type: T,
  data: BlockDataByType[T],
  options: Partial<RunOptions> & DocumentExtras = {},
): Promise<SingleRun> {
  const store = options.store ?? new MemoryStore();
  const document = makeDocument([makeNode('block', type, data)], ['start.success>block'], options);
  const record = await runBlueprint(document, { ...options, store });
  const step = record.steps[1];
  if (!step) throw new Error(`the block did not run: ${JSON.stringify(record.error)}`);
  return { record, step, store };
}
