import { describe, expect, it } from 'vitest';
import { TEMPLATES } from '../../engine';
import { fromDocument, type FlowNode } from './flow-model';
import { createProblemsCache, findProblems } from './problems';

const start: FlowNode = { id: 'start', type: 'start', position: { x: 0, y: 0 }, data: { sampleInput: {} } };
const meta = { id: 'b', name: 'B' };

describe('blueprint problems', () => {
  it('the templates have none', () => {
    for (const template of TEMPLATES) {
      const { meta: m, graph } = fromDocument(template.document);
      expect(findProblems(graph.nodes, graph.edges, m), template.document.id).toEqual([]);
    }
  });

  it('a bad key names its block, field and label', () => {
    const save: FlowNode = {
      id: 'save',
      type: 'kv',
      position: { x: 0, y: 0 },
      data: { action: 'save', key: 'bad key', valueType: 'text', value: 'x' },
    };
    const problems = findProblems([start, save], [], meta);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ nodeId: 'save', field: 'key', fieldLabel: 'Key' });
    expect(problems[0]!.message).toMatch(/space|character/i);
  });

  it('a duplicate ref, a document rule, is tied to the second block', () => {
    const a: FlowNode = { id: 'a', type: 'transform', position: { x: 0, y: 0 }, data: { value: 'x', ref: 'same' } };
    const b: FlowNode = { id: 'b', type: 'transform', position: { x: 0, y: 0 }, data: { value: 'y', ref: 'same' } };
    const problems = findProblems([start, a, b], [], meta);
    expect(problems).toEqual([
      { nodeId: 'b', field: 'ref', fieldLabel: 'Alias (ref)', message: expect.stringContaining("duplicate ref 'same'") },
    ]);
  });

  it('a blueprint without a start block has a problem of its own', () => {
    const problems = findProblems([], [], meta);
    expect(problems).toEqual([{ nodeId: null, field: null, fieldLabel: null, message: expect.stringContaining('start block') }]);
  });

  it('the cache recomputes when data changes, not when a block only moves', () => {
    const problemsOf = createProblemsCache();
    const save: FlowNode = {
      id: 'save',
      type: 'kv',
      position: { x: 0, y: 0 },
      data: { action: 'save', key: '', valueType: 'text', value: 'x' },
    };
    const edges: never[] = [];
    const first = problemsOf({ nodes: [start, save], edges, meta });
    expect(first).toHaveLength(1);
    expect(problemsOf({ nodes: [start, { ...save, position: { x: 50, y: 9 } }], edges, meta })).toBe(first);
    expect(problemsOf({ nodes: [start, { ...save, data: { ...save.data, key: 'ok' } }], edges, meta })).toEqual([]);
  });
});
