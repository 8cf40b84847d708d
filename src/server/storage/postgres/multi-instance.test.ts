/**
 * Three real `kvb serve` processes on one PostgreSQL database behave as one server: counters
 * stay exact under concurrent increments spread over them, and a write through one instance
 * reaches the event streams of another.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnServe, type SpawnedServer } from '../../http/test-support';
import { useTestPostgres } from './test-postgres';

const postgres = useTestPostgres();
const dirs: string[] = [];
let servers: SpawnedServer[] = [];

beforeAll(async () => {
  const url = await postgres.freshDatabase();
  const env = { KVB_DATABASE_URL: url, KVB_MASTER_KEY: randomBytes(32).toString('hex'), KVB_DATABASE_POOL: '4' };
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
});
