/**
 * The `kv-blueprint/1` document (docs/blueprint-format.md): its schema, and `validateBlueprint`, which either returns
 * a complete document with defaults filled in or every problem found, each with a precise path
 * (`nodes[3].data.action: expected one of save|get|…`). A document is never half-loaded.
 */
import { z } from 'zod';
import { findTooDeep } from '../kv/json';
import { hasLoneSurrogate } from '../kv/operations';
import { JSON_MAX_DEPTH } from '../kv/types';
import { BLOCK_MANIFESTS, BLOCK_TYPES, outsOf } from './blocks';
import {
  BLUEPRINT_FORMAT,
  DEFAULT_SETTINGS,
  OUTS,
  type BlockType,
  type BlueprintDocument,
  type BlueprintEdge,
  type BlueprintNode,
  type BlueprintSettings,
  type Out,
  type Problem,
  type ValidationResult,
} from './types';

/** Largest `settings.maxSteps` accepted: enough for any real loop, small enough to end. */
export const MAX_STEPS_CEILING = 1_000_000;

/** Refs are used as `@{results.<ref>}`, so they keep to characters a path segment allows. */
const REF_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]*$/;

// ---------------------------------------------------------------------------------------------
// Schema

const nodeShape = z.object({
  id: z.string().min(1, 'expected a non-empty id'),
  type: z.enum(BLOCK_TYPES),
  position: z.object({ x: z.number(), y: z.number() }),
  data: z.record(z.string(), z.unknown()),
});

const edgeShape = z.object({
  id: z.string().min(1, 'expected a non-empty id'),
  source: z.string(),
  sourceHandle: z.enum(OUTS),
  target: z.string(),
  targetHandle: z.string().nullable().optional(),
});

const settingsShape = z.object({
  kvInherit: z.boolean().default(DEFAULT_SETTINGS.kvInherit),
  kvConflict: z.enum(['child', 'parent', 'merge']).default(DEFAULT_SETTINGS.kvConflict),
  maxSteps: z
    .number()
    .int('expected a whole number')
    .min(1, 'expected at least 1')
    .max(MAX_STEPS_CEILING, `expected at most ${MAX_STEPS_CEILING}`)
    .default(DEFAULT_SETTINGS.maxSteps),
});

const documentShape = z.object({
  format: z.literal(BLUEPRINT_FORMAT),
  id: z
    .string()
    .min(1, 'expected a non-empty id')
    .refine((id) => !hasLoneSurrogate(id), 'has a lone UTF-16 surrogate (half of a character)'),
  name: z.string().optional(),
  groupId: z.string().nullable().optional(),
  settings: settingsShape.optional(),
  nodes: z.array(z.unknown()),
  edges: z.array(z.unknown()),
  pins: z.record(z.string(), z.json()).optional(),
});

// ---------------------------------------------------------------------------------------------
// Problems

type PathSegment = PropertyKey;

function formatPath(segments: readonly PathSegment[]): string {
  let path = '';
  for (const segment of segments) {
    if (typeof segment === 'number') path += `[${segment}]`;
    else path += path === '' ? String(segment) : `.${String(segment)}`;
  }
  return path || '(document)';
}

function describeInput(input: unknown): string {
  if (input === undefined) return 'nothing';
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'an array';
  if (typeof input === 'object') return 'an object';
  if (typeof input === 'string') return `the text ${JSON.stringify(input.length > 40 ? `${input.slice(0, 40)}…` : input)}`;
  return `${typeof input} ${String(input)}`;
}

function formatIssue(issue: z.core.$ZodIssue): string {
  const input = (issue as { input?: unknown }).input;
  switch (issue.code) {
    case 'invalid_value':
      if (input === undefined)
        return `is required (expected ${issue.values.length === 1 ? JSON.stringify(issue.values[0]) : `one of ${issue.values.map(String).join('|')}`})`;
      if (issue.values.length === 1) return `expected ${JSON.stringify(issue.values[0])}, got ${describeInput(input)}`;
      return `expected one of ${issue.values.map(String).join('|')}, got ${describeInput(input)}`;
    case 'invalid_type':
      if (input === undefined) return `is required (expected ${issue.expected})`;
      return `expected ${issue.expected}, got ${describeInput(input)}`;
    case 'invalid_union':
      return issue.message === 'Invalid input' ? `unexpected ${describeInput(input)}` : issue.message;
    default:
      return issue.message;
  }
}

function problemsOf(error: z.ZodError, prefix: readonly PathSegment[]): Problem[] {
  return error.issues.map((issue) => ({ path: formatPath([...prefix, ...issue.path]), message: formatIssue(issue) }));
}

// ---------------------------------------------------------------------------------------------
// Validation

/** The settings of a document with every default filled in. */
export function settingsOf(document: Pick<BlueprintDocument, 'settings'>): BlueprintSettings {
  return { ...DEFAULT_SETTINGS, ...document.settings };
}

/**
 * What the graph checks need of a node: its id and type, known even when its data is wrong,
 * so one bad field does not also report every edge to that node as dangling.
 */
interface NodeSketch {
  id: string;
  type: BlockType | null;
  node: BlueprintNode | null;
}

function sketchOf(raw: unknown): NodeSketch | null {
  if (typeof raw !== 'object' || raw === null) return null;
  const { id, type } = raw as { id?: unknown; type?: unknown };
  if (typeof id !== 'string' || id === '') return null;
  return { id, type: (BLOCK_TYPES as readonly unknown[]).includes(type) ? (type as BlockType) : null, node: null };
}

function validateNode(raw: unknown, index: number, problems: Problem[]): NodeSketch | null {
  const shape = nodeShape.safeParse(raw, { reportInput: true });
  if (!shape.success) problems.push(...problemsOf(shape.error, ['nodes', index]));
  // The data is checked even when the node's shape is wrong (a bad position, say), so one
  // pass lists every problem of the node.
  const sketch = sketchOf(raw);
  const rawData = (raw as { data?: unknown } | null)?.data;
  if (!sketch?.type || typeof rawData !== 'object' || rawData === null || Array.isArray(rawData)) return sketch;
  const data = BLOCK_MANIFESTS[sketch.type].schema.safeParse(rawData, { reportInput: true });
  if (!data.success) problems.push(...problemsOf(data.error, ['nodes', index, 'data']));
  if (!shape.success || !data.success) return sketch;
  const { id, type, position } = shape.data;
  const node = { id, type, position: { x: position.x, y: position.y }, data: data.data } as BlueprintNode;
  return { id, type, node };
}

/**
 * What the graph checks need of an edge: the fields that are well formed, so an edge with a
 * bad out name is still checked for a missing target or a duplicate id.
 */
interface EdgeSketch {
  id: string | null;
  source: string | null;
  sourceHandle: Out | null;
  target: string | null;
  edge: BlueprintEdge | null;
}

function validateEdge(raw: unknown, index: number, problems: Problem[]): EdgeSketch | null {
  const shape = edgeShape.safeParse(raw, { reportInput: true });
  if (!shape.success) {
    problems.push(...problemsOf(shape.error, ['edges', index]));
    if (typeof raw !== 'object' || raw === null) return null;
    const fields = raw as { id?: unknown; source?: unknown; sourceHandle?: unknown; target?: unknown };
    const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : null);
    return {
      id: text(fields.id),
      source: text(fields.source),
      sourceHandle: (OUTS as readonly unknown[]).includes(fields.sourceHandle) ? (fields.sourceHandle as Out) : null,
      target: text(fields.target),
      edge: null,
    };
  }
  const { id, source, sourceHandle, target, targetHandle } = shape.data;
  const edge = { id, source, sourceHandle, target, ...(targetHandle !== undefined ? { targetHandle } : {}) };
  return { id, source, sourceHandle, target, edge };
}

/** Graph rules the schema cannot express: ids, refs, edges, exactly one start. */
function checkGraph(nodes: (NodeSketch | null)[], edges: (EdgeSketch | null)[], problems: Problem[]): void {
  const nodeIndex = new Map<string, number>();
  const refIndex = new Map<string, number>();
  const starts: number[] = [];
  nodes.forEach((node, i) => {
    if (!node) return;
    const first = nodeIndex.get(node.id);
    if (first !== undefined) problems.push({ path: `nodes[${i}].id`, message: `duplicate node id '${node.id}' (also nodes[${first}])` });
    else nodeIndex.set(node.id, i);
    if (node.type === 'start') starts.push(i);
  });
  nodes.forEach((sketch, i) => {
    const ref = sketch?.node?.data.ref;
    if (ref === undefined || ref === '') return;
    if (!REF_PATTERN.test(ref)) {
      problems.push({ path: `nodes[${i}].data.ref`, message: `ref '${ref}' must start with a letter or _ and use only A–Z a–z 0–9 _ -` });
      return;
    }
    const first = refIndex.get(ref);
    const idOwner = nodeIndex.get(ref);
    if (first !== undefined) problems.push({ path: `nodes[${i}].data.ref`, message: `duplicate ref '${ref}' (also nodes[${first}])` });
    else if (idOwner !== undefined && idOwner !== i)
      problems.push({
        path: `nodes[${i}].data.ref`,
        message: `ref '${ref}' is the id of nodes[${idOwner}]; @{results.${ref}} would be ambiguous`,
      });
    else refIndex.set(ref, i);
  });
  if (starts.length === 0 && nodes.every((sketch) => sketch?.type)) {
    problems.push({ path: 'nodes', message: 'expected exactly one start block, found none' });
  }
  for (const i of starts.slice(1)) {
    problems.push({ path: `nodes[${i}].type`, message: `expected exactly one start block; nodes[${starts[0]}] is already one` });
  }

  const edgeIds = new Map<string, number>();
  const connections = new Map<string, number>();
  edges.forEach((sketch, i) => {
    if (!sketch) return;
    if (sketch.id !== null) {
      const first = edgeIds.get(sketch.id);
      if (first !== undefined)
        problems.push({ path: `edges[${i}].id`, message: `duplicate edge id '${sketch.id}' (also edges[${first}])` });
      else edgeIds.set(sketch.id, i);
    }
    const sourceAt = sketch.source === null ? undefined : nodeIndex.get(sketch.source);
    const targetAt = sketch.target === null ? undefined : nodeIndex.get(sketch.target);
    const sourceNode = sourceAt === undefined ? undefined : nodes[sourceAt];
    const targetNode = targetAt === undefined ? undefined : nodes[targetAt];
    if (sketch.source !== null && !sourceNode) {
      problems.push({ path: `edges[${i}].source`, message: `no node with id '${sketch.source}'` });
    } else if (sourceNode?.type && sketch.sourceHandle !== null && !outsOf(sourceNode.type).includes(sketch.sourceHandle)) {
      problems.push({
        path: `edges[${i}].sourceHandle`,
        message: `a ${sourceNode.type} block has no '${sketch.sourceHandle}' out; expected one of ${outsOf(sourceNode.type).join('|')}`,
      });
    }
    if (sketch.target !== null && !targetNode) problems.push({ path: `edges[${i}].target`, message: `no node with id '${sketch.target}'` });
    else if (targetNode?.type === 'start')
      problems.push({ path: `edges[${i}].target`, message: `'${sketch.target}' is the start block, which takes no incoming edges` });
    const { edge } = sketch;
    if (!edge) return;
    const connection = `${edge.source}\u0000${edge.sourceHandle}\u0000${edge.target}`;
    const same = connections.get(connection);
    if (same !== undefined)
      problems.push({
        path: `edges[${i}]`,
        message: `connects ${edge.source}.${edge.sourceHandle} to ${edge.target} again (as edges[${same}])`,
      });
    else connections.set(connection, i);
  });
}

/** Every pin names a block of the document (what a pin holds is checked by the schema). */
function checkPins(pins: unknown, nodes: (NodeSketch | null)[], problems: Problem[]): void {
  if (typeof pins !== 'object' || pins === null || Array.isArray(pins)) return;
  for (const pinned of Object.keys(pins)) {
    if (!nodes.some((node) => node?.id === pinned))
      problems.push({ path: `pins.${pinned}`, message: `no node with id '${pinned}' to pin` });
  }
}

/**
 * Checks that `input` is a `kv-blueprint/1` document. On success the document is a fresh copy
 * with settings filled in; otherwise every problem found is listed.
 */
export function validateBlueprint(input: unknown): ValidationResult {
  // First, and without recursion: everything below walks the document level by level.
  const tooDeep = findTooDeep(input, JSON_MAX_DEPTH, '(document)');
  if (tooDeep)
    return {
      ok: false,
      problems: [
        { path: tooDeep, message: `nests arrays and objects more than ${JSON_MAX_DEPTH} levels deep (the limit is ${JSON_MAX_DEPTH})` },
      ],
    };
  const top = documentShape.safeParse(input, { reportInput: true });
  if (!top.success) {
    const problems = problemsOf(top.error, []);
    // Nodes and edges are still checked when they are arrays, so one pass shows every problem.
    const raw = (typeof input === 'object' && input !== null ? input : {}) as { nodes?: unknown; edges?: unknown };
    const nodes = Array.isArray(raw.nodes) ? raw.nodes.map((node, i) => validateNode(node, i, problems)) : [];
    const edges = Array.isArray(raw.edges) ? raw.edges.map((edge, i) => validateEdge(edge, i, problems)) : [];
    if (Array.isArray(raw.nodes) && Array.isArray(raw.edges)) checkGraph(nodes, edges, problems);
    checkPins((input as { pins?: unknown } | null)?.pins, nodes, problems);
    return { ok: false, problems };
  }
  const problems: Problem[] = [];
  const nodes = top.data.nodes.map((node, i) => validateNode(node, i, problems));
  const edges = top.data.edges.map((edge, i) => validateEdge(edge, i, problems));
  checkGraph(nodes, edges, problems);
  const { format, id, name, groupId, settings, pins } = top.data;
  checkPins(pins, nodes, problems);
  if (problems.length > 0) return { ok: false, problems };

  const document: BlueprintDocument = {
    format,
    id,
    name: name ?? id,
    ...(groupId ? { groupId } : {}),
    settings: settings ?? { ...DEFAULT_SETTINGS },
    // No problems means every node parsed in full, so each sketch carries its node.
    nodes: nodes.map((sketch) => sketch!.node!),
    edges: edges.map((sketch) => sketch!.edge!),
    ...(pins && Object.keys(pins).length > 0 ? { pins: pins as BlueprintDocument['pins'] } : {}),
  };
  // A deep copy, so the caller's object and the validated document never share state.
  return { ok: true, document: structuredClone(document) };
}

/** Formats problems one per line, as the CLI prints them: `nodes[3].data.action: expected …`. */
export function formatProblems(problems: readonly Problem[]): string {
  return problems.map((problem) => `${problem.path}: ${problem.message}`).join('\n');
}
