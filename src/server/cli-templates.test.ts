/**
 * Every template in templates/ run twice through `kvb run --json` on one SQLite data directory:
 * the second run must see what the first one stored.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunRecord, StepRecord } from '../engine/types';

const REPO_ROOT = resolve(import.meta.dirname, '../..');
const KVB = resolve(REPO_ROOT, 'bin/kvb.mjs');
const dataDir = mkdtempSync(join(tmpdir(), 'kvb-templates-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

function runTemplate(name: string): Promise<{ status: number | null; record: RunRecord }> {
  return new Promise((done, failed) => {
    const child = spawn(process.execPath, [KVB, 'run', `templates/${name}.json`, '--data', dataDir, '--json'], {
      cwd: REPO_ROOT,
      env: { ...process.env, KVB_MASTER_KEY: '' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', failed);
    child.on('close', (status) => {
      try {
        done({ status, record: JSON.parse(stdout) as RunRecord });
      } catch {
        failed(new Error(`kvb run ${name} exited ${status} without a run record: ${stderr}`));
      }
    });
  });
}

/** Runs a template twice, one run after the other, and checks both succeeded. */
async function runTwice(name: string): Promise<[RunRecord, RunRecord]> {
  const first = await runTemplate(name);
  const second = await runTemplate(name);
  expect([first.status, first.record.status, first.record.error]).toEqual([0, 'succeeded', null]);
  expect([second.status, second.record.status, second.record.error]).toEqual([0, 'succeeded', null]);
  return [first.record, second.record];
}

function kvStep(record: RunRecord, action: string): StepRecord {
  const step = record.steps.find((candidate) => candidate.type === 'kv' && candidate.action === action);
  if (!step) throw new Error(`run of ${record.blueprintId} has no kv ${action} step: ${record.steps.map((s) => s.nodeId).join(', ')}`);
  return step;
}

describe('templates run twice through kvb on one data directory', () => {
  it('covers every template file', () => {
    const files = readdirSync(resolve(REPO_ROOT, 'templates'))
      .filter((file) => file.endsWith('.json'))
      .sort();
    expect(files).toEqual([
      'app-config.json',
      'cache-result.json',
      'dedupe-processed-ids.json',
      'idempotency-token.json',
      'last-run-timestamp.json',
      'running-counter.json',
    ]);
  });

  it.concurrent('cache-result: the first run misses and computes, the second is served from the cache', async () => {
    const [first, second] = await runTwice('cache-result');
    expect(kvStep(first, 'get')).toMatchObject({ outcome: 'error', error: { code: 'not_found' } });
    expect(kvStep(first, 'save').outcome).toBe('success');
    expect(kvStep(second, 'get')).toMatchObject({ outcome: 'success', error: null });
    expect(second.steps.some((step) => step.type === 'kv' && step.action === 'save')).toBe(false);
    const [computed] = first.outputs as [{ source: string; analysis: unknown }];
    const [cached] = second.outputs as [{ source: string; analysis: unknown }];
    expect([computed.source, cached.source]).toEqual(['computed', 'cache']);
    // The very object the first run computed in its Code block and stored.
    expect(cached.analysis).toEqual(computed.analysis);
  });

  it.concurrent('app-config: both runs save and read back the same configuration', async () => {
    const [first, second] = await runTwice('app-config');
    expect(kvStep(first, 'save').result).toMatchObject({ created: true, version: 1 });
    expect(kvStep(second, 'save').result).toMatchObject({ created: false, version: 2 });
    expect(kvStep(second, 'get').result).toEqual(kvStep(first, 'get').result);
    expect(second.outputs).toEqual(first.outputs);
    expect(first.outputs).toHaveLength(1);
  });

  it.concurrent('running-counter: counts 1 then 2', async () => {
    const [first, second] = await runTwice('running-counter');
    expect([kvStep(first, 'increment').result, kvStep(second, 'increment').result]).toEqual([1, 2]);
    expect([first.outputs, second.outputs]).toEqual([[{ visits: 1 }], [{ visits: 2 }]]);
  });

  it.concurrent('idempotency-token: the second run takes the error out with already_exists and skips', async () => {
    const [first, second] = await runTwice('idempotency-token');
    expect(kvStep(first, 'save').outcome).toBe('success');
    expect(first.outputs).toEqual(['processed']);
    expect(kvStep(second, 'save')).toMatchObject({ outcome: 'error', error: { code: 'already_exists' } });
    expect(second.outputs).toHaveLength(1);
    expect(second.outputs[0]).toMatch(/^skipped/);
  });

  it.concurrent('dedupe-processed-ids: the first run adds the id, the second finds it seen before and skips', async () => {
    const [first, second] = await runTwice('dedupe-processed-ids');
    expect(kvStep(first, 'listAdd')).toMatchObject({ outcome: 'success', result: ['evt-1001'] });
    expect(kvStep(second, 'listAdd')).toMatchObject({ outcome: 'error', error: { code: 'already_exists' } });
    expect(second.outputs).toEqual(['skipped: evt-1001 was processed before']);
  });

  it.concurrent('last-run-timestamp: the second run outputs the time the first run stored', async () => {
    const [first, second] = await runTwice('last-run-timestamp');
    expect(kvStep(first, 'get')).toMatchObject({ outcome: 'error', error: { code: 'not_found' } });
    const [firstTimes] = first.outputs as [{ previous: string | null; current: string }];
    const [secondTimes] = second.outputs as [{ previous: string | null; current: string }];
    expect(firstTimes.previous).toBeNull();
    expect(secondTimes.previous).toBe(firstTimes.current);
    expect(Date.parse(secondTimes.current)).toBeGreaterThanOrEqual(Date.parse(firstTimes.current));
  });
});
