import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteStore } from './storage/sqlite/sqlite-store';

const FIXTURE = resolve(import.meta.dirname, 'fixtures/kv-writer.ts');
const REPO_ROOT = resolve(import.meta.dirname, '../..');

let dataDir: string;
const children: ChildProcessWithoutNullStreams[] = [];

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'kvb-durability-'));
});
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

interface Writer {
  child: ChildProcessWithoutNullStreams;
  /** Resolves with the first stdout line matching `predicate`. */
  waitForLine(predicate: (line: string) => boolean): Promise<string>;
  acknowledged: number[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr: () => string;
}

function startWriter(...args: string[]): Writer {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, dataDir, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, KVB_MASTER_KEY: '' },
  });
  children.push(child);
  const acknowledged: number[] = [];
  const waiters: { predicate: (line: string) => boolean; resolve: (line: string) => void }[] = [];
  let errorText = '';
  child.stderr.on('data', (chunk: Buffer) => {
    errorText += chunk.toString();
  });
  createInterface({ input: child.stdout }).on('line', (line) => {
    const ack = /^ack (\d+)$/.exec(line);
    if (ack) acknowledged.push(Number(ack[1]));
    for (const waiter of [...waiters]) {
      if (waiter.predicate(line)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => {
    child.on('exit', (code, signal) => done({ code, signal }));
  });
  return {
    child,
    acknowledged,
    exited,
    stderr: () => errorText,
    waitForLine: (predicate) =>
      new Promise((resolveLine, reject) => {
        waiters.push({ predicate, resolve: resolveLine });
        void exited.then(({ code, signal }) =>
          reject(new Error(`writer exited (${code ?? signal}) before the expected line: ${errorText}`)),
        );
      }),
  };
}

describe('SQLite store durability', () => {
  it('keeps every acknowledged write when the writing process is killed with SIGKILL', async () => {
    const writer = startWriter('writes');
    await writer.waitForLine((line) => line === 'ready');
    writer.child.stdin.write('go\n');
    // Kill right after an acknowledgement, while the next write is in flight.
    await writer.waitForLine((line) => line === 'ack 40');
    writer.child.kill('SIGKILL');
    const { signal } = await writer.exited;
    expect(signal).toBe('SIGKILL');

    const acknowledged = [...writer.acknowledged];
    expect(acknowledged.length).toBeGreaterThanOrEqual(41);
    const store = openSqliteStore({ dataDir, env: {} });
    try {
      const results = await store.batch(
        'default',
        acknowledged.map((i) => ({ op: 'get' as const, key: `key_${i}`, scope: 'global' as const })),
      );
      const missing = acknowledged.filter((i, index) => {
        const result = results[index];
        return !(result?.op === 'get' && result.entry && (result.entry.value as { i: number }).i === i);
      });
      expect(missing).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it('ends exact when two processes increment the same key on one file at once', async () => {
    const perProcess = 150;
    const writers = [startWriter('increment', String(perProcess)), startWriter('increment', String(perProcess))];
    await Promise.all(writers.map((writer) => writer.waitForLine((line) => line === 'ready')));
    for (const writer of writers) writer.child.stdin.write('go\n');
    const exits = await Promise.all(writers.map((writer) => writer.exited));
    expect(
      exits.map((exit) => exit.code),
      writers.map((w) => w.stderr()).join('\n'),
    ).toEqual([0, 0]);
    expect(writers.map((writer) => writer.acknowledged.length)).toEqual([perProcess, perProcess]);

    const store = openSqliteStore({ dataDir, env: {} });
    try {
      const [result] = await store.batch('default', [{ op: 'get', key: 'shared', scope: 'global' }]);
      expect(result?.op === 'get' && result.entry?.value).toBe(2 * perProcess);
    } finally {
      await store.close();
    }
  }, 60_000);
});
