import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../kv/memory';
import { runBlueprint } from './runner';
import { TEMPLATES } from './templates';
import { validateBlueprint } from './document';
import type { BlueprintDocument, RunRecord } from './types';

const templatesDir = join(import.meta.dirname, '..', '..', 'templates');

function documentOf(id: string): BlueprintDocument {
  const found = TEMPLATES.find((entry) => entry.id === id);
  if (!found) throw new Error(`no template ${id}`);
  return found.document;
}

function path(record: RunRecord): string[] {
  return record.steps.map((step) => `${step.nodeId}:${step.outcome}`);
}

/** Runs a template twice against one store, on its sample input, at two known times. */
async function runTwice(id: string): Promise<[RunRecord, RunRecord]> {
  const store = new MemoryStore();
  const document = documentOf(id);
  const first = await runBlueprint(document, { store, now: () => new Date('2030-01-01T10:00:00.000Z') });
  const second = await runBlueprint(document, { store, now: () => new Date('2030-01-02T10:00:00.000Z') });
  return [first, second];
}

describe('templates', () => {
  it('has one valid kv-blueprint/1 file per template, named after its id, with a sample input', () => {
    const files = readdirSync(templatesDir)
      .filter((name) => name.endsWith('.json'))
      .sort();
    expect(files).toEqual(TEMPLATES.map((entry) => `${entry.id}.json`).sort());
    for (const file of files) {
      const raw: unknown = JSON.parse(readFileSync(join(templatesDir, file), 'utf8'));
      const validation = validateBlueprint(raw);
      expect(validation.ok, file).toBe(true);
      if (!validation.ok) continue;
      expect(validation.document.id).toBe(file.replace(/\.json$/, ''));
      const start = validation.document.nodes.find((node) => node.type === 'start');
      expect(start?.data).toHaveProperty('sampleInput');
      for (const node of validation.document.nodes) expect(node.data.label, `${file} ${node.id}`).toBeTruthy();
    }
  });

  it('lays every template out left to right: each edge goes to a block further right', () => {
    for (const { id, document } of TEMPLATES) {
      const x = new Map(document.nodes.map((node) => [node.id, node.position.x]));
      for (const edge of document.edges) expect(x.get(edge.target)!, `${id} ${edge.id}`).toBeGreaterThan(x.get(edge.source)!);
    }
  });

  it('cache-result computes and saves on the first run under a key made from the input docId, then outputs the cached value', async () => {
    const [first, second] = await runTwice('cache-result');
    expect(first.status).toBe('succeeded');
    expect(path(first)).toEqual(['start:success', 'get-cached:error', 'compute:success', 'save-result:success', 'output-computed:success']);
    expect(first.steps[1]!.error).toEqual({
      code: 'not_found',
      message: "Key 'analysis_fox' not found in flow scope",
      nodeId: 'get-cached',
    });
    // Computed by the Code block in the sandbox.
    const analysis = {
      text: 'The quick brown fox jumps over the lazy dog',
      wordCount: 9,
      uniqueWords: 8,
      longestWord: 'quick',
      topWords: [
        { word: 'the', count: 2 },
        { word: 'brown', count: 1 },
        { word: 'dog', count: 1 },
      ],
    };
    expect(first.steps[2]).toMatchObject({ type: 'code', logs: ['9 words, 8 different'] });
    expect(first.outputs).toEqual([{ source: 'computed', analysis }]);
    expect(first.steps[3]!.writes).toEqual(['flow:analysis_fox']);

    expect(second.status).toBe('succeeded');
    expect(path(second)).toEqual(['start:success', 'get-cached:success', 'output-cached:success']);
    expect(second.outputs).toEqual([{ source: 'cache', analysis }]);
    expect(second.steps[1]!.reads).toEqual(['flow:analysis_fox']);
  });

  it('cache-result caches each input on its own, for an hour', async () => {
    let now = new Date('2030-01-01T10:00:00.000Z');
    const store = new MemoryStore({ now: () => now });
    const document = documentOf('cache-result');
    const run = (docId: string) => runBlueprint(document, { store, input: { docId, text: `text of ${docId}` }, now: () => now });
    const sources = async (docId: string) => ((await run(docId)).outputs[0] as { source: string }).source;
    expect(await sources('one')).toBe('computed');
    expect(await sources('two')).toBe('computed');
    expect(await sources('one')).toBe('cache');
    const [listed] = await store.batch('default', [{ op: 'list', scope: 'flow', scopeKey: 'cache-result' }]);
    const entries = listed?.op === 'list' ? listed.entries : [];
    expect(entries).toHaveLength(2);
    for (const entry of entries) expect(entry.expiresAt).toBe('2030-01-01T11:00:00.000Z');
    expect(entries.map((entry) => entry.key)).toEqual(['analysis_one', 'analysis_two']);
    now = new Date('2030-01-01T11:00:01.000Z');
    expect(await sources('one')).toBe('computed');
  });

  it('app-config saves nested JSON and reads nested values back with dot paths', async () => {
    const [first, second] = await runTwice('app-config');
    const expected = { user: 'ada', theme: 'solarized', darkMode: true, maxItems: 50 };
    for (const record of [first, second]) {
      expect(record.status).toBe('succeeded');
      expect(path(record)).toEqual([
        'start:success',
        'save-config:success',
        'get-config:success',
        'settings-for-user:success',
        'output-settings:success',
      ]);
      expect(record.outputs).toEqual([expected]);
    }
    expect(first.steps[1]!.result).toMatchObject({ key: 'app_config', created: true, version: 1 });
    expect(second.steps[1]!.result).toMatchObject({ key: 'app_config', created: false, version: 2 });
  });

  it('running-counter counts 1 on the first run and 2 on the second', async () => {
    const [first, second] = await runTwice('running-counter');
    expect(path(first)).toEqual(['start:success', 'count-visit:success', 'output-count:success']);
    expect(first.outputs).toEqual([{ visits: 1 }]);
    expect(second.outputs).toEqual([{ visits: 2 }]);
    expect(second.status).toBe('succeeded');
  });

  it('idempotency-token processes an order once and skips it the second time, still succeeding', async () => {
    const [first, second] = await runTwice('idempotency-token');
    expect(first.status).toBe('succeeded');
    expect(path(first)).toEqual(['start:success', 'claim-order:success', 'output-processed:success']);
    expect(first.outputs).toEqual(['processed']);
    expect(first.steps[1]!.writes).toEqual(['flow:processed-A-1001']);

    expect(second.status).toBe('succeeded');
    expect(path(second)).toEqual(['start:success', 'claim-order:error', 'already-processed:true', 'output-skipped:success']);
    expect(second.steps[1]!.error?.code).toBe('already_exists');
    expect(second.outputs).toEqual(['skipped: order A-1001 was already processed']);
    expect(second.error).toBeNull();
  });

  it('dedupe-processed-ids processes an id once; Add to list takes the error out for an id seen before', async () => {
    const store = new MemoryStore();
    const document = documentOf('dedupe-processed-ids');
    const run = (id: string) => runBlueprint(document, { store, input: { id } });
    const first = await run('evt-1');
    expect(first.status).toBe('succeeded');
    expect(path(first)).toEqual(['start:success', 'mark-seen:success', 'output-processed:success']);
    expect(first.outputs).toEqual([{ processed: 'evt-1', processedCount: 1 }]);
    expect((await run('evt-2')).outputs).toEqual([{ processed: 'evt-2', processedCount: 2 }]);
    const again = await run('evt-1');
    expect(again.status).toBe('succeeded');
    expect(path(again)).toEqual(['start:success', 'mark-seen:error', 'seen-before:true', 'output-skipped:success']);
    expect(again.steps[1]!.error?.code).toBe('already_exists');
    expect(again.outputs).toEqual(['skipped: evt-1 was processed before']);
    const [stored] = await store.batch('default', [{ op: 'get', key: 'processed_ids', scope: 'flow', scopeKey: 'dedupe-processed-ids' }]);
    expect(stored?.op === 'get' ? stored.entry?.value : null).toEqual(['evt-1', 'evt-2']);
  });

  it("last-run-timestamp reports no previous run first, then the first run's time", async () => {
    const [first, second] = await runTwice('last-run-timestamp');
    expect(first.status).toBe('succeeded');
    expect(path(first)).toEqual(['start:success', 'get-last-run:error', 'first-run:success', 'save-now:success', 'output-times:success']);
    expect(first.outputs).toEqual([{ previous: null, current: '2030-01-01T10:00:00.000Z' }]);

    expect(second.status).toBe('succeeded');
    expect(path(second)).toEqual([
      'start:success',
      'get-last-run:success',
      'remember-previous:success',
      'save-now:success',
      'output-times:success',
    ]);
    expect(second.outputs).toEqual([{ previous: '2030-01-01T10:00:00.000Z', current: '2030-01-02T10:00:00.000Z' }]);
  });
});
