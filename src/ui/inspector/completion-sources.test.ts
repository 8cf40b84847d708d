import { describe, expect, it } from 'vitest';
import { suggestCompletions } from '../../engine/completions';
import type { RunRecord } from '../../engine/types';
import type { Entry } from '../../kv/types';
import type { FlowEdge, FlowNode } from '../store/flow-model';
import { completionSourcesFor, stateShapeFromBlocks, upstreamOf } from './completion-sources';

const nodes: FlowNode[] = [
  { id: 'start', type: 'start', position: { x: 0, y: 0 }, data: { sampleInput: { user: { name: 'Ada' } } } },
  { id: 'get', type: 'kv', position: { x: 0, y: 0 }, data: { action: 'get', key: 'profile', ref: 'cached' } },
  { id: 'remember', type: 'setState', position: { x: 0, y: 0 }, data: { path: 'user.profile', value: '' } },
  { id: 'out', type: 'output', position: { x: 0, y: 0 }, data: { value: '' } },
];
const edges: FlowEdge[] = [
  { id: 'a', source: 'start', sourceHandle: 'success', target: 'get' },
  { id: 'b', source: 'get', sourceHandle: 'error', target: 'remember' },
  { id: 'c', source: 'remember', sourceHandle: 'success', target: 'out' },
];
const entry = (key: string, value: Entry['value']): Entry => ({
  id: key,
  companyId: 'default',
  scope: 'flow',
  scopeKey: 'demo',
  key,
  value,
  valueType: 'json',
  version: 1,
  createdAt: '2026-01-01T00:00:00Z',
  updatedAt: '2026-01-01T00:00:00Z',
  expiresAt: null,
});

describe('autocomplete sources', () => {
  it('knows which blocks run before a block and whether an error out leads there', () => {
    expect(upstreamOf('out', edges)).toEqual({ ids: new Set(['remember', 'get', 'start']), viaError: true });
    expect(upstreamOf('get', edges).viaError).toBe(false);
  });

  it('builds a state shape from Set state paths', () => {
    expect(stateShapeFromBlocks(nodes)).toEqual({ user: { profile: '' } });
  });

  it('offers stored keys and their nested paths after kv.', () => {
    const sources = completionSourcesFor({
      nodeId: 'out',
      nodes,
      edges,
      lastRun: null,
      storedEntries: [entry('profile', { address: { city: 'Paris' } })],
    });
    expect(suggestCompletions('@{kv.', sources).items.map((i) => i.label)).toEqual(['profile']);
    expect(suggestCompletions('@{kv.profile.address.', sources).items.map((i) => i.label)).toEqual(['city']);
  });

  it('offers earlier results by id and ref, with paths from the last run', () => {
    const lastRun = { steps: [{ nodeId: 'get', result: { score: 3 }, error: null }], state: {} } as unknown as RunRecord;
    const sources = completionSourcesFor({ nodeId: 'out', nodes, edges, lastRun, storedEntries: [] });
    const ids = suggestCompletions('@{results.', sources).items.map((i) => i.label);
    expect(ids).toEqual(expect.arrayContaining(['get', 'cached', 'start', 'remember']));
    expect(ids).not.toContain('out');
    expect(suggestCompletions('@{results.cached.', sources).items.map((i) => i.label)).toEqual(['score']);
  });

  it('offers input paths and error only where an error out leads', () => {
    const atOut = completionSourcesFor({ nodeId: 'out', nodes, edges, lastRun: null, storedEntries: [] });
    expect(suggestCompletions('@{input.user.', atOut).items.map((i) => i.label)).toEqual(['name']);
    expect(suggestCompletions('@{', atOut).items.map((i) => i.label)).toContain('error');
    const atGet = completionSourcesFor({ nodeId: 'get', nodes, edges, lastRun: null, storedEntries: [] });
    expect(suggestCompletions('@{', atGet).items.map((i) => i.label)).not.toContain('error');
  });
});
