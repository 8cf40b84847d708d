import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../kv/memory';
import { makeDocument, makeNode } from './blocks/test-kit';
import { validateBlueprint } from './document';
import { runBlueprint } from './runner';

// start → fetch (transform) → shape (transform) → out; fetch is what a person would pin.
const pipeline = () =>
  makeDocument(
    [
      makeNode('fetch', 'transform', { valueType: 'json', value: '{"n": 1}', ref: 'fetched' }, { x: 200, y: 0 }),
      makeNode(
        'shape',
        'transform',
        { valueType: 'json', value: '{"double": @{result.n}, "again": @{results.fetched.n}}' },
        { x: 400, y: 0 },
      ),
      makeNode('out', 'output', { value: '@{result}' }, { x: 600, y: 0 }),
    ],
    ['start.success>fetch', 'fetch.success>shape', 'shape.success>out'],
  );

describe('run from here', () => {
  it('starts at the chosen block with the pins standing in for the blocks before it', async () => {
    const document = { ...pipeline(), pins: { fetch: { n: 21 } } };
    const record = await runBlueprint(document, { store: new MemoryStore(), startAt: 'shape' });
    expect(record.status).toBe('succeeded');
    expect(record.steps.map((s) => s.nodeId)).toEqual(['shape', 'out']);
    // Both as the result handed over and under results (by id and by ref).
    expect(record.outputs).toEqual([{ double: 21, again: 21 }]);
  });

  it('a full run ignores the pins', async () => {
    const document = { ...pipeline(), pins: { fetch: { n: 21 } } };
    const record = await runBlueprint(document, { store: new MemoryStore() });
    expect(record.steps.map((s) => s.nodeId)).toEqual(['start', 'fetch', 'shape', 'out']);
    expect(record.outputs).toEqual([{ double: 1, again: 1 }]);
  });

  it('without a pin upstream, a missing result fails the block like any expression', async () => {
    const record = await runBlueprint(pipeline(), { store: new MemoryStore(), startAt: 'shape' });
    expect(record.status).toBe('failed');
    expect(record.error?.code).toBe('expression');
    expect(record.error?.nodeId).toBe('shape');
  });

  it('an unknown block to start from fails the run and says which', async () => {
    const record = await runBlueprint(pipeline(), { store: new MemoryStore(), startAt: 'nope' });
    expect(record.status).toBe('failed');
    expect(record.steps).toEqual([]);
    expect(record.error).toMatchObject({ code: 'invalid_blueprint', message: expect.stringContaining("'nope'") });
  });
});

describe('pins in the document', () => {
  it('are kept by validation', () => {
    const result = validateBlueprint({ ...pipeline(), pins: { fetch: { n: [1, 'two', null] } } });
    expect(result.ok && result.document.pins).toEqual({ fetch: { n: [1, 'two', null] } });
  });

  it('must name existing blocks and hold JSON', () => {
    const result = validateBlueprint({ ...pipeline(), pins: { gone: 1, fetch: { n: undefined, f: () => 1 } } });
    expect(result.ok).toBe(false);
    const paths = result.ok ? [] : result.problems.map((p) => p.path);
    expect(paths).toContain('pins.gone');
    expect(paths.some((p) => p.startsWith('pins.fetch'))).toBe(true);
  });
});
