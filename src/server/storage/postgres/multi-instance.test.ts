/**
 * Three real `kvb serve` processes on one PostgreSQL database behave as one server: counters
 * stay exact under concurrent increments spread over them, a write through one instance
 * reaches the event streams of another, and a run started on one is read, followed and
 * cancelled through the others.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunRecord } from '../../../engine/types';
import { loopingBlueprint, readEvents, spawnServe, type SpawnedServer } from '../../http/test-support';
import { useTestPostgres } from './test-postgres';

const postgres = useTestPostgres();
const dirs: string[] = [];
let servers: SpawnedServer[] = [];

beforeAll(async () => {
  const url = await postgres.freshDatabase();
  const env = { KVB_DATABASE_URL: url, KVB_MASTER_KEY: randomBytes(32).toString('hex'), KVB_DATABASE_POOL: '4', KVB_MAX_STEPS: '1000000' };
  // Started together: the migrations take turns under their advisory lock.
  servers = await Promise.all(
    [0, 1, 2].map(() => {
      const dir = mkdtempSync(join(tmpdir(), 'kvb-multi-'));
      dirs.push(dir);
      return spawnServe(dir, env);
    }),
  );
}, 60_000);

afterAll(async () => {
  for (const server of servers) server.child.kill('SIGTERM');
  await Promise.all(servers.map((server) => server.exited));
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function ops(server: SpawnedServer, body: unknown): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${server.url}/api/kv/ops`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

describe('three kvb serve processes on one PostgreSQL', () => {
  it('end with an exact counter after 200 concurrent increments spread over them, every request answered 200', async () => {
    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, i) => ops(servers[i % 3]!, { ops: [{ op: 'increment', key: 'hot', scope: 'global' }] })),
    );
    expect(answers.filter((answer) => answer.status !== 200)).toEqual([]);
    const values = answers.map((answer) => (answer.body as { results: Array<{ entry: { value: number } }> }).results[0]!.entry.value);
    // Each increment saw a distinct previous value: 1..200, none lost, none doubled.
    expect(new Set(values).size).toBe(200);
    for (const server of servers) {
      const read = await ops(server, { ops: [{ op: 'get', key: 'hot', scope: 'global' }] });
      expect(read.body).toMatchObject({ results: [{ entry: { value: 200, version: 200 } }] });
    }
    expect(servers.map((server) => server.stderr()).join('')).not.toMatch(/deadlock|serializ/i);
  });

  it("delivers a write through one instance to another instance's event stream within a second", async () => {
    const [a, b] = servers as [SpawnedServer, SpawnedServer];
    const controller = new AbortController();
    const response = await fetch(`${b.url}/api/events`, { signal: controller.signal });
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    const readUntil = async (pattern: RegExp) => {
      while (!pattern.test(text)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended before ${pattern}`);
        text += value;
      }
    };
    try {
      await readUntil(/event: ready/);
      const sent = Date.now();
      await ops(a, { ops: [{ op: 'set', key: 'crossing', value: 'over', scope: 'global' }] });
      await readUntil(/"key":"crossing"/);
      expect(Date.now() - sent).toBeLessThan(1000);
      expect(text).toContain(
        `event: kv\ndata: ${JSON.stringify({ companyId: 'default', changes: [{ scope: 'global', scopeKey: '', key: 'crossing', change: 'set' }] })}`,
      );
      // The instance's own write is announced once on its own streams, not echoed back.
      await ops(b, { ops: [{ op: 'set', key: 'local', value: 1, scope: 'global' }] });
      await readUntil(/"key":"local"/);
      await new Promise((done) => setTimeout(done, 200));
      await ops(b, { ops: [{ op: 'set', key: 'after', value: 1, scope: 'global' }] });
      await readUntil(/"key":"after"/);
      expect(text.match(/"key":"local"/g)).toHaveLength(1);
    } finally {
      controller.abort();
    }
  });

  it('reads, follows and cancels a run started on one instance through the others', async () => {
    const [a, b, c] = servers as [SpawnedServer, SpawnedServer, SpawnedServer];
    const call = async (server: SpawnedServer, method: string, path: string, body?: unknown) => {
      const response = await fetch(`${server.url}${path}`, {
        method,
        ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    const loop = loopingBlueprint();
    const created = await call(a, 'POST', '/api/blueprints', loop);
    expect(created.body).toMatchObject({ id: 'loop' });
    const started = await call(a, 'POST', '/api/blueprints/loop/runs', { wait: false });
    expect(started.status).toBe(202);
    const runId = started.body.runId as string;

    // Through B: the record so far, from A's replay.
    let running: Record<string, unknown> | null = null;
    for (let tries = 0; tries < 50 && !running; tries++) {
      const answer = await call(b, 'GET', `/api/runs/${runId}`);
      if (answer.status === 200 && answer.body.status === 'running' && (answer.body.steps as unknown[]).length > 0) running = answer.body;
      else await new Promise((done) => setTimeout(done, 100));
    }
    expect(running).toMatchObject({ runId, blueprintId: 'loop', finishedAt: null });

    // Followed through B, cancelled through C once a step has arrived.
    let cancel: Promise<{ status: number }> | null = null;
    const { events, ended } = await readEvents(b.url, `/api/runs/${runId}/events`, {
      onEvent: (event) => {
        if (!cancel && event.event === 'step-finished') cancel = call(c, 'POST', `/api/runs/${runId}/cancel`);
      },
    });
    expect((await cancel!)?.status).toBe(202);
    expect(ended).toBe(true);
    expect(events[0]).toMatchObject({ event: 'run-started', data: { runId } });
    const last = events.at(-1)!;
    expect(last.event).toBe('run-finished');
    const record = (last.data as { record: RunRecord }).record;
    expect(record.status).toBe('cancelled');
    expect(record.steps.length + (record.stepsOmitted ?? 0)).toBeLessThan(1_000_000);
    // The stored record, read through C; a second cancel through B finds it finished.
    expect((await call(c, 'GET', `/api/runs/${runId}`)).body).toMatchObject({ runId, status: 'cancelled' });
    expect((await call(b, 'POST', `/api/runs/${runId}/cancel`)).status).toBe(409);
  }, 30_000);
});
