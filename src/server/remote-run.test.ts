/** `kvb run --server`: the run happens on a real `kvb serve`, its steps printed as they finish. */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunRecord } from '../engine/types';
import { loopingBlueprint, spawnServe, temporaryDataDir, type SpawnedServer } from './http/test-support';

const KVB = fileURLToPath(new URL('../../bin/kvb.mjs', import.meta.url));
const TOKEN = 'remote-run-token-0123456789';

let server: SpawnedServer;
let dataDir: string;
let workDir: string;

beforeAll(async () => {
  dataDir = temporaryDataDir();
  workDir = mkdtempSync(join(tmpdir(), 'kvb-remote-'));
  server = await spawnServe(dataDir, { KVB_TOKENS: `${TOKEN}:acme` });
}, 60_000);

afterAll(async () => {
  server.child.kill('SIGTERM');
  await server.exited;
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(workDir, { recursive: true, force: true });
});

function kvb(args: string[], env: NodeJS.ProcessEnv = {}) {
  const result = spawnSync(process.execPath, [KVB, ...args], {
    cwd: workDir,
    encoding: 'utf8',
    env: { ...process.env, KVB_TOKEN: '', KVB_DEBUG: '', ...env },
    timeout: 30_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function greeter(name = 'Greeter') {
  return {
    format: 'kv-blueprint/1',
    id: 'remote-greeter',
    name,
    nodes: [
      { id: 'start', type: 'start', position: { x: 0, y: 0 }, data: { sampleInput: { name: 'Sample' } } },
      { id: 'save', type: 'kv', position: { x: 240, y: 0 }, data: { action: 'save', key: 'last', value: '@{input.name}', scope: 'flow' } },
      { id: 'out', type: 'output', position: { x: 480, y: 0 }, data: { valueType: 'text', value: 'Hello, @{input.name}!' } },
    ],
    edges: [
      { id: 'e1', source: 'start', sourceHandle: 'success', target: 'save' },
      { id: 'e2', source: 'save', sourceHandle: 'success', target: 'out' },
    ],
  };
}

function write(name: string, value: unknown): string {
  const path = join(workDir, name);
  writeFileSync(path, JSON.stringify(value, null, 2));
  return path;
}

describe('kvb run --server', () => {
  it('uploads the blueprint the server lacks, runs it there and prints its steps and outcome', async () => {
    const file = write('greeter.json', greeter());
    const first = kvb(['run', file, '--server', server.url, '--token', TOKEN, '--input', '{"name":"Ada"}']);
    expect(first.stderr).toBe("kvb: uploaded blueprint 'remote-greeter' (revision 1)\n");
    expect(first.status).toBe(0);
    expect(first.stdout).toMatch(
      /^ {4}1\. start \(start\) +success .*\n {4}2\. save \(kv save\) +success .*\n {4}3\. out \(output\) +success .*\nRun succeeded — remote-greeter \(3 steps, .*\)\nOutputs:\n {2}Hello, Ada!\n/,
    );

    // It ran on the server: the key is in the server's store and the run in its history.
    const headers = { authorization: `Bearer ${TOKEN}` };
    const stored = (await (await fetch(`${server.url}/api/kv?scope=flow&scopeKey=remote-greeter`, { headers })).json()) as {
      entries: Array<{ value: unknown }>;
    };
    expect(stored.entries.map((entry) => entry.value)).toEqual(['Ada']);
    const history = (await (await fetch(`${server.url}/api/blueprints/remote-greeter/runs`, { headers })).json()) as { runs: RunRecord[] };
    expect(history.runs).toHaveLength(1);

    // The same file again: nothing to upload; --json prints exactly the record (the token from KVB_TOKEN).
    const again = kvb(['run', file, '--server', server.url, '--json'], { KVB_TOKEN: TOKEN });
    expect(again.status).toBe(0);
    expect(again.stderr).toBe('');
    expect(JSON.parse(again.stdout)).toMatchObject({ status: 'succeeded', outputs: ['Hello, Sample!'] });
  });

  it('stops with exit 2 when the server has another version of the blueprint, and --replace saves the file first', async () => {
    const file = write('greeter-v2.json', greeter('Greeter v2'));
    const refused = kvb(['run', file, '--server', server.url, '--token', TOKEN]);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/blueprint 'remote-greeter' \(revision 1\) differs from .*greeter-v2\.json: pass --replace/);
    const replaced = kvb(['run', file, '--server', server.url, '--token', TOKEN, '--replace']);
    expect(replaced.status).toBe(0);
    expect(replaced.stderr).toMatch(/saved .*greeter-v2\.json as revision 2 of blueprint 'remote-greeter'/);
  });

  it('exits 1 for a failed run, an unknown token or an unreachable server, with the reason', () => {
    const failing = write('failing.json', {
      ...greeter(),
      id: 'remote-failing',
      nodes: [
        { id: 'start', type: 'start', position: { x: 0, y: 0 }, data: {} },
        { id: 'get', type: 'kv', position: { x: 240, y: 0 }, data: { action: 'get', key: 'absent', scope: 'global' } },
      ],
      edges: [{ id: 'e1', source: 'start', sourceHandle: 'success', target: 'get' }],
    });
    const failed = kvb(['run', failing, '--server', server.url, '--token', TOKEN]);
    expect(failed.status).toBe(1);
    expect(failed.stdout).toMatch(/Run failed — remote-failing/);
    expect(failed.stdout).toMatch(/Error at get: not_found: /);

    const unknown = kvb(['run', failing, '--server', server.url, '--token', 'not-a-known-token-at-all']);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toMatch(
      /The server refused to read blueprint 'remote-failing': The API token is not known to this server \(unauthorized\)/,
    );

    const nowhere = kvb(['run', failing, '--server', 'http://127.0.0.1:9', '--token', TOKEN]);
    expect(nowhere.status).toBe(1);
    expect(nowhere.stderr).toMatch(/Cannot reach the server at http:\/\/127\.0\.0\.1:9/);
  });

  it('cancels the run on the server at Ctrl+C and exits 1 with the cancelled record', async () => {
    const file = write('loop.json', loopingBlueprint('remote-loop', 1_000_000, 'Loop'));
    const child = spawn(process.execPath, [KVB, 'run', file, '--server', server.url, '--token', TOKEN, '--json'], {
      cwd: workDir,
      env: { ...process.env, KVB_TOKEN: '', KVB_DEBUG: '' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    let interrupted = false;
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      // Once the upload is done the run starts; give it a moment of steps, then one Ctrl+C.
      if (!interrupted && stderr.includes('uploaded')) {
        interrupted = true;
        setTimeout(() => child.kill('SIGINT'), 400);
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(stderr).toMatch(/cancelling run .* on the server/);
    expect(code).toBe(1);
    const record = JSON.parse(stdout) as RunRecord;
    expect(record.status).toBe('cancelled');
    expect(record.steps.length + (record.stepsOmitted ?? 0)).toBeLessThan(1_000_000);
  }, 30_000);
});
