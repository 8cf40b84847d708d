import { describe, expect, it } from 'vitest';
import type { FlowEdge, FlowNode } from '../store/flow-model';
import { layoutPositions } from './auto-layout';

const node = (id: string, type: FlowNode['type']): FlowNode => ({ id, type, position: { x: 0, y: 0 }, data: {} });
const edge = (id: string, source: string, sourceHandle: FlowEdge['sourceHandle'], target: string): FlowEdge => ({
  id,
  source,
  sourceHandle,
  target,
});

describe('auto layout', () => {
  it('puts the success branch above the error branch, as the outs are drawn, so their edges do not cross', async () => {
    const nodes = [
      node('start', 'start'),
      node('get', 'kv'),
      node('hit', 'output'),
      node('miss', 'transform'),
      node('save', 'kv'),
      node('done', 'output'),
    ];
    const edges = [
      edge('e1', 'start', 'success', 'get'),
      edge('e2', 'get', 'success', 'hit'),
      edge('e3', 'get', 'error', 'miss'),
      edge('e4', 'miss', 'success', 'save'),
      edge('e5', 'save', 'success', 'done'),
    ];
    const positions = await layoutPositions(nodes, edges);
    expect(positions.get('hit')!.y).toBeLessThan(positions.get('miss')!.y);
    expect(positions.get('get')!.x).toBeLessThan(positions.get('hit')!.x);
  });

  it('puts a condition’s true branch above its false branch', async () => {
    const nodes = [node('start', 'start'), node('check', 'condition'), node('yes', 'output'), node('no', 'output')];
    const edges = [edge('e1', 'start', 'success', 'check'), edge('e2', 'check', 'false', 'no'), edge('e3', 'check', 'true', 'yes')];
    const positions = await layoutPositions(nodes, edges);
    expect(positions.get('yes')!.y).toBeLessThan(positions.get('no')!.y);
  });
});
