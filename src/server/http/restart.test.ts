import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { Entry } from '../../kv/types';
import { spawnServe, startTestServer, temporaryDataDir } from './test-support';

const counter = {
  format: 'kv-blueprint/1',
  id: 'counter',
  name: 'Counter',
  nodes: [
    { id: 'start', type: 'start', position: { x: 0, y: 0 }, data: {} },
    { id: 'inc', type: 'kv', position: { x: 240, y: 0 }, data: { action: 'increment', key: 'total', scope: 'global' } },
  ],
  edges: [{ id: 'e1', source: 'start', sourceHandle: 'success', target: 'inc' }],
};

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function json(url: string, init?: RequestInit): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url, { ...init, headers: { 'content-type': 'application/json', ...init?.headers } });
  const text = await response.text();
  return { status: response.status, body: text === '' ? null : JSON.parse(text) };
}

describe('shutdown', () => {
  it('close() ends open event streams (after heartbeats) instead of waiting on them', async () => {
    const t = await startTestServer({ heartbeatMs: 50 });
    const response = await fetch(`${t.url}/api/events`);
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    while (!text.includes(': heartbeat')) text += (await reader.read()).value ?? '';
    const started = Date.now();
    await t.stop();
    expect(Date.now() - started).toBeLessThan(2000);
    let ended = false;
    while (!ended) ended = (await reader.read()).done;
    expect(ended).toBe(true);
  });
});

describe('restart', () => {
  it('keeps entries, blueprints and runs when the server is closed and started again in process', async () => {
    const first = await startTestServer();
    cleanups.push(() => rmSync(first.dataDir, { recursive: true, force: true }));
    const saved = (
      await first.call('POST', '/api/kv', { body: { key: 'kept', value: { deep: [1, 'two'] }, scope: 'flow', scopeKey: 'counter' } })
    ).body as Entry;
    await first.call('POST', '/api/blueprints', { body: counter });
    const run = (await first.call('POST', '/api/blueprints/counter/runs', { body: {} })).body as { runId: string };
    await first.stop({ keepData: true });

    const second = await startTestServer({ dataDir: first.dataDir });
    cleanups.push(() => second.stop({ keepData: true }));
    expect((await second.call('GET', `/api/kv/${saved.id}`)).body).toEqual(saved);
    expect((await second.call('GET', '/api/blueprints/counter')).body).toMatchObject({ id: 'counter', nodes: counter.nodes });
    expect(
      ((await second.call('GET', '/api/blueprints/counter/runs')).body as { runs: Array<{ runId: string }> }).runs.map((r) => r.runId),
    ).toEqual([run.runId]);
  });

  it('a real kvb serve process finishes in-flight runs on SIGTERM, exits 0, and a new process sees every acknowledged write', async () => {
    const dataDir = temporaryDataDir();
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const first = await spawnServe(dataDir);
    cleanups.push(() => {
      first.child.kill('SIGKILL');
    });
    expect((await json(`${first.url}/api/blueprints`, { method: 'POST', body: JSON.stringify(counter) })).status).toBe(201);

    let signalledAt = Number.POSITIVE_INFINITY;
    let answeredAfterSignal = 0;
    const runs = Array.from({ length: 40 }, () =>
      json(`${first.url}/api/blueprints/counter/runs`, { method: 'POST', body: '{}' })
        .then(
          (r) => r.status,
          () => 'refused',
        )
        .finally(() => {
          if (Date.now() > signalledAt) answeredAfterSignal += 1;
        }),
    );
    await new Promise((resolve) => setTimeout(resolve, 30));
    signalledAt = Date.now();
    first.child.kill('SIGTERM');
    const statuses = await Promise.all(runs);
    // The signal arrived while requests were in flight (else this test proves nothing).
    expect(answeredAfterSignal).toBeGreaterThan(0);
    expect(await first.exited).toBe(0);
    const acknowledged = statuses.filter((s) => s === 201).length;
    expect(acknowledged).toBeGreaterThan(0);
    // Anything not acknowledged was refused cleanly, never cut off halfway.
    expect(statuses.every((s) => s === 201 || s === 503 || s === 'refused')).toBe(true);

    const second = await spawnServe(dataDir);
    cleanups.push(async () => {
      second.child.kill('SIGTERM');
      await second.exited;
    });
    const total = await json(`${second.url}/api/kv/ops`, {
      method: 'POST',
      body: JSON.stringify({ ops: [{ op: 'get', key: 'total', scope: 'global' }] }),
    });
    expect((total.body as { results: Array<{ entry: Entry }> }).results[0]!.entry.value).toBe(acknowledged);
    expect((await json(`${second.url}/api/blueprints/counter`)).body).toMatchObject({ id: 'counter' });
  });
});
