import { describe, expect, it } from 'vitest';
import { formatProblems, validateBlueprint } from './document';
import type { Problem } from './types';

function base() {
  return {
    format: 'kv-blueprint/1',
    id: 'cache-demo',
    name: 'Cache an expensive result',
    nodes: [
      { id: 'start', type: 'start', position: { x: 0, y: 0 }, data: { sampleInput: {} } },
      { id: 'get', type: 'kv', position: { x: 240, y: 0 }, data: { action: 'get', key: 'analysis_result', scope: 'flow' } },
    ] as Array<Record<string, unknown>>,
    edges: [{ id: 'e1', source: 'start', sourceHandle: 'success', target: 'get' }] as Array<Record<string, unknown>>,
  } as Record<string, unknown> & { nodes: Array<Record<string, unknown>>; edges: Array<Record<string, unknown>> };
}

function problemsOf(input: unknown): Problem[] {
  const result = validateBlueprint(input);
  if (result.ok) throw new Error('expected the document to be rejected');
  expect(result).not.toHaveProperty('document');
  return result.problems;
}

function lines(input: unknown): string[] {
  return problemsOf(input).map((problem) => `${problem.path}: ${problem.message}`);
}

describe('validateBlueprint', () => {
  it('accepts the example document of docs/blueprint-format.md and fills in the default settings', () => {
    const result = validateBlueprint(base());
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.document.settings).toEqual({ kvInherit: false, kvConflict: 'child', maxSteps: 1000 });
    expect(result.document.nodes[1]).toEqual({
      id: 'get',
      type: 'kv',
      position: { x: 240, y: 0 },
      data: { action: 'get', key: 'analysis_result', scope: 'flow' },
    });
  });

  it('refuses a document nesting past 64 levels (a 100,000-level import included) before walking it', () => {
    const deep = (levels: number): unknown => {
      let value: unknown = {};
      for (let i = 0; i < levels; i++) value = { inner: value };
      return value;
    };
    const document = base();
    document.nodes[0]!.data = { sampleInput: deep(100_000) };
    expect(lines(document)).toEqual([
      expect.stringMatching(
        /^\(document\)\.nodes\[0\]\.data\.sampleInput\.inner.*: nests arrays and objects more than 64 levels deep \(the limit is 64\)$/,
      ),
    ]);
    const fits = base();
    fits.nodes[0]!.data = { sampleInput: deep(59) };
    expect(validateBlueprint(fits).ok).toBe(true);
  });

  it('refuses a blueprint id with a lone UTF-16 surrogate', () => {
    expect(lines({ ...base(), id: 'bp\uD800' })).toEqual(['id: has a lone UTF-16 surrogate (half of a character)']);
  });

  it('fills the settings that are left out and keeps the ones given', () => {
    const result = validateBlueprint({ ...base(), settings: { kvInherit: true } });
    expect(result.ok && result.document.settings).toEqual({ kvInherit: true, kvConflict: 'child', maxSteps: 1000 });
  });

  it('returns a copy that does not share objects with the input', () => {
    const input = base();
    const result = validateBlueprint(input);
    if (!result.ok) throw new Error('rejected');
    (result.document.nodes[1]!.data as { key: string }).key = 'changed';
    expect((input.nodes[1]!.data as { key: string }).key).toBe('analysis_result');
  });

  it('drops React Flow view fields (selected, measured) from nodes but keeps data as is', () => {
    const input = base();
    input.nodes[1] = {
      ...input.nodes[1],
      selected: true,
      measured: { width: 10, height: 5 },
      data: { action: 'get', key: 'k', custom: 1 },
    };
    const result = validateBlueprint(input);
    if (!result.ok) throw new Error('rejected');
    expect(result.document.nodes[1]).toEqual({
      id: 'get',
      type: 'kv',
      position: { x: 240, y: 0 },
      data: { action: 'get', key: 'k', custom: 1 },
    });
  });

  it('rejects an unknown kv action with the path and the allowed values', () => {
    const input = base();
    input.nodes[1] = { ...input.nodes[1], data: { action: 'fetch', key: 'k' } };
    expect(lines(input)).toEqual([
      'nodes[1].data.action: expected one of save|get|delete|list|append|increment|listAdd|listRemove, got the text "fetch"',
    ]);
  });

  it('rejects an unknown block type', () => {
    const input = base();
    input.nodes[1] = { ...input.nodes[1], type: 'http' };
    const problems = lines(input);
    expect(problems[0]).toBe('nodes[1].type: expected one of start|kv|code|setState|transform|condition|output, got the text "http"');
  });

  it('rejects wrong field types with their paths', () => {
    const input = base();
    input.nodes[1] = { ...input.nodes[1], position: { x: '0', y: 0 } };
    input.nodes.push({ id: 'out', type: 'output', position: { x: 0, y: 0 }, data: { value: 42 } });
    input.nodes.push({ id: 'cond', type: 'condition', position: { x: 0, y: 0 }, data: { left: 'a', operator: 'equals', right: false } });
    expect(lines(input)).toEqual([
      'nodes[1].position.x: expected number, got the text "0"',
      'nodes[2].data.value: expected string, got number 42',
      'nodes[3].data.right: expected string, got boolean false',
    ]);
  });

  it('rejects a format other than kv-blueprint/1', () => {
    expect(lines({ ...base(), format: 'kv-blueprint/2' })).toEqual(['format: expected "kv-blueprint/1", got the text "kv-blueprint/2"']);
    expect(lines({ ...base(), format: undefined })[0]).toMatch(/^format: /);
  });

  it('rejects something that is not an object at all', () => {
    expect(lines('hello')).toEqual(['(document): expected object, got the text "hello"']);
  });

  it('rejects duplicate node ids and duplicate edge ids', () => {
    const input = base();
    input.nodes.push({ id: 'get', type: 'output', position: { x: 0, y: 0 }, data: {} });
    input.edges.push({ id: 'e1', source: 'get', sourceHandle: 'error', target: 'get' });
    expect(lines(input)).toEqual([
      "nodes[2].id: duplicate node id 'get' (also nodes[1])",
      "edges[1].id: duplicate edge id 'e1' (also edges[0])",
    ]);
  });

  it('rejects duplicate refs and a ref equal to another node id', () => {
    const input = base();
    input.nodes.push({ id: 'a', type: 'output', position: { x: 0, y: 0 }, data: { ref: 'config' } });
    input.nodes.push({ id: 'b', type: 'output', position: { x: 0, y: 0 }, data: { ref: 'config' } });
    input.nodes.push({ id: 'c', type: 'output', position: { x: 0, y: 0 }, data: { ref: 'get' } });
    expect(lines(input)).toEqual([
      "nodes[3].data.ref: duplicate ref 'config' (also nodes[2])",
      "nodes[4].data.ref: ref 'get' is the id of nodes[1]; @{results.get} would be ambiguous",
    ]);
  });

  it('rejects an edge to or from a missing node', () => {
    const input = base();
    input.edges.push({ id: 'e2', source: 'get', sourceHandle: 'success', target: 'nowhere' });
    input.edges.push({ id: 'e3', source: 'ghost', sourceHandle: 'success', target: 'get' });
    expect(lines(input)).toEqual(["edges[1].target: no node with id 'nowhere'", "edges[2].source: no node with id 'ghost'"]);
  });

  it('rejects an edge from an out its source block does not have', () => {
    const input = base();
    input.edges.push({ id: 'e2', source: 'get', sourceHandle: 'true', target: 'get' });
    input.edges.push({ id: 'e3', source: 'start', sourceHandle: 'error', target: 'get' });
    expect(lines(input)).toEqual([
      "edges[1].sourceHandle: a kv block has no 'true' out; expected one of success|error",
      "edges[2].sourceHandle: a start block has no 'error' out; expected one of success",
    ]);
  });

  it('rejects an out name that no block has', () => {
    const input = base();
    input.edges[0] = { ...input.edges[0], sourceHandle: 'done' };
    expect(lines(input)).toEqual(['edges[0].sourceHandle: expected one of success|error|true|false, got the text "done"']);
  });

  it('rejects an edge into the start block and the same connection twice', () => {
    const input = base();
    input.edges.push({ id: 'back', source: 'get', sourceHandle: 'success', target: 'start' });
    input.edges.push({ id: 'again', source: 'start', sourceHandle: 'success', target: 'get' });
    expect(lines(input)).toEqual([
      "edges[1].target: 'start' is the start block, which takes no incoming edges",
      'edges[2]: connects start.success to get again (as edges[0])',
    ]);
  });

  it('rejects zero start blocks and two start blocks', () => {
    const none = base();
    none.nodes = [none.nodes[1]!];
    none.edges = [];
    expect(lines(none)).toEqual(['nodes: expected exactly one start block, found none']);
    const two = base();
    two.nodes.push({ id: 'start2', type: 'start', position: { x: 0, y: 0 }, data: {} });
    expect(lines(two)).toEqual(['nodes[2].type: expected exactly one start block; nodes[0] is already one']);
  });

  it('rejects bad settings with their paths', () => {
    expect(lines({ ...base(), settings: { kvConflict: 'newest', maxSteps: 0 } })).toEqual([
      'settings.kvConflict: expected one of child|parent|merge, got the text "newest"',
      'settings.maxSteps: expected at least 1',
    ]);
  });

  it('lists problems in nodes and edges even when the top level is also wrong', () => {
    const input = { ...base(), id: 42 };
    input.nodes[1] = { ...input.nodes[1], data: { action: 'fetch' } };
    expect(lines(input)).toEqual([
      'id: expected string, got number 42',
      'nodes[1].data.action: expected one of save|get|delete|list|append|increment|listAdd|listRemove, got the text "fetch"',
    ]);
  });

  it("checks a node's data even when its position is also wrong", () => {
    const input = base();
    input.nodes[1] = { ...input.nodes[1], position: { x: 0, y: '1' }, data: { action: 'sav', key: 'k' } };
    expect(lines(input)).toEqual([
      'nodes[1].position.y: expected number, got the text "1"',
      'nodes[1].data.action: expected one of save|get|delete|list|append|increment|listAdd|listRemove, got the text "sav"',
    ]);
  });

  it('still checks ids, sources and targets of an edge whose out name is wrong', () => {
    const input = base();
    input.edges.push({ id: 'e1', source: 'ghost', sourceHandle: 'done', target: 'nowhere' });
    input.edges.push({ id: 'e3', source: 'get', target: 'start' });
    expect(lines(input)).toEqual([
      'edges[1].sourceHandle: expected one of success|error|true|false, got the text "done"',
      'edges[2].sourceHandle: is required (expected one of success|error|true|false)',
      "edges[1].id: duplicate edge id 'e1' (also edges[0])",
      "edges[1].source: no node with id 'ghost'",
      "edges[1].target: no node with id 'nowhere'",
      "edges[2].target: 'start' is the start block, which takes no incoming edges",
    ]);
  });

  it('rejects a sample input that is not JSON', () => {
    const input = base();
    input.nodes[0] = { ...input.nodes[0], data: { sampleInput: { n: Number.NaN } } };
    expect(lines(input)).toEqual(['nodes[0].data.sampleInput: expected a JSON value, but it holds NaN, which JSON cannot']);
  });

  it('accepts numbers or placeholder text in ttlSeconds, limit and by, and nothing else', () => {
    const input = base();
    input.nodes.push({
      id: 'a',
      type: 'kv',
      position: { x: 0, y: 0 },
      data: { action: 'save', key: 'k', ttlSeconds: '@{input.ttl}', by: 2 },
    });
    expect(validateBlueprint(input).ok).toBe(true);
    input.nodes.push({ id: 'b', type: 'kv', position: { x: 0, y: 0 }, data: { action: 'list', limit: true } });
    expect(lines(input)).toEqual(['nodes[3].data.limit: expected a number or text']);
  });

  it('formats problems one per line', () => {
    expect(
      formatProblems([
        { path: 'a', message: 'b' },
        { path: 'c', message: 'd' },
      ]),
    ).toBe('a: b\nc: d');
  });
});
