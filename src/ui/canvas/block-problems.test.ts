import { describe, expect, it } from 'vitest';
import type { FlowNode } from '../store/flow-model';
import { findProblems } from '../store/problems';
import { blockProblemsIn } from './block-problems';

const meta = { id: 'b', name: 'B' };
const start: FlowNode = { id: 'start', type: 'start', position: { x: 0, y: 0 }, data: { sampleInput: {} } };
const saveWithKey = (id: string, key: string): FlowNode => ({
  id,
  type: 'kv',
  position: { x: 0, y: 0 },
  data: { action: 'save', key, valueType: 'text', value: 'x' },
});

describe('block problems on the canvas', () => {
  it("gives each block its own problems as lines, '' for none", () => {
    const nodes = [start, saveWithKey('bad', 'bad key'), saveWithKey('good', 'ok'), saveWithKey('empty', '')];
    const state = { nodes, edges: [], meta };
    const lines = blockProblemsIn();
    for (const node of nodes) {
      const expected = findProblems(nodes, [], meta)
        .filter((p) => p.nodeId === node.id)
        .map((p) => (p.fieldLabel ? `${p.fieldLabel}: ${p.message}` : p.message))
        .join('\n');
      expect(lines(state, node.id), node.id).toBe(expected);
    }
    expect(lines(state, 'bad')).toMatch(/^Key: /);
    expect(lines(state, 'good')).toBe('');
  });

  it('follows a new state: a fixed block loses its problem', () => {
    const lines = blockProblemsIn();
    expect(lines({ nodes: [start, saveWithKey('s', 'bad key')], edges: [], meta }, 's')).not.toBe('');
    expect(lines({ nodes: [start, saveWithKey('s', 'fine')], edges: [], meta }, 's')).toBe('');
  });

  it('reads the document once per state however many blocks ask (not once per block)', () => {
    let reads = 0;
    const nodes = Array.from({ length: 300 }, (_, i) => {
      const node = saveWithKey(`s${i}`, `key${i}`);
      const data = node.data;
      Object.defineProperty(node, 'data', {
        enumerable: true,
        get: () => {
          reads++;
          return data;
        },
      });
      return node;
    });
    const lines = blockProblemsIn();
    const first = { nodes: [start, ...nodes], edges: [], meta };
    for (const node of nodes) lines(first, node.id);
    // A block moved: a new state with the same data.
    const second = { ...first, nodes: [...first.nodes] };
    reads = 0;
    for (const node of nodes) lines(second, node.id);
    // One pass over the document compares each block's data once; a pass per block reads 90,000.
    expect(reads).toBeLessThanOrEqual(2 * nodes.length);
  });
});
