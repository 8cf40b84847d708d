// Whole-process benchmarks for `npm run bench`: the HTTP API against a bare Node server that
// answers the same JSON, both as child processes loaded by autocannon from this one; and the
// `kvb` start-up against `node -e 0`. Each figure comes with its baseline from the same run.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';

export interface ProcessMeasurement {
  name: string;
  value: number;
  unit: 'req/s' | 'ops/s' | 'ms';
  baseline: string;
  baselineValue: number;
  /** What the goal of the speed issue asks of value ÷ baseline (≥ for req/s, ≤ for ms). */
  goal: number;
}

const BARE_SERVER = `
const http = require('node:http');
const body = process.argv[1];
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => { res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }); res.end(body); });
});
server.listen(0, '127.0.0.1', () => console.log('serving http://127.0.0.1:' + server.address().port));
`;

function listening(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /serving (http:\/\/\S+)/.exec(out);
      if (match) resolve(match[1]!);
    });
    child.on('exit', (code) => reject(new Error(`server exited with ${code} before listening`)));
  });
}

async function requestsPerSecond(url: string, options: { method?: 'GET' | 'POST'; body?: string } = {}): Promise<number> {
  const result = await autocannon({
    url,
    connections: 10,
    duration: 4,
    method: options.method ?? 'GET',
    ...(options.body ? { body: options.body, headers: { 'content-type': 'application/json' } } : {}),
  });
  if (result.non2xx > 0) throw new Error(`${url}: ${result.non2xx} answers were not 2xx`);
  return result.requests.average;
}

export async function benchHttp(): Promise<ProcessMeasurement[]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'kvb-bench-http-'));
  const env: NodeJS.ProcessEnv = { ...process.env, KVB_LOG_LEVEL: 'warn' };
  delete env.KVB_TOKENS;
  const kvb = spawn(process.execPath, ['bin/kvb.mjs', 'serve', '--port', '0', '--data', dataDir], {
    env,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  let bare: ChildProcess | undefined;
  try {
    const url = await listening(kvb);
    for (const key of ['alpha', 'beta', 'gamma']) {
      await fetch(`${url}/api/kv`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ key, value: { n: 1 }, scope: 'global' }),
      });
    }
    const listBody = await (await fetch(`${url}/api/kv?scope=global`)).text();
    const opsBody = JSON.stringify({ ops: [{ op: 'increment', key: 'ctr', scope: 'global', by: 1 }] });
    const incrementBody = await (
      await fetch(`${url}/api/kv/ops`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: opsBody })
    ).text();

    bare = spawn(process.execPath, ['-e', BARE_SERVER, listBody], { stdio: ['ignore', 'pipe', 'ignore'] });
    const bareUrl = await listening(bare);
    const bareList = await requestsPerSecond(`${bareUrl}/`);
    const ourList = await requestsPerSecond(`${url}/api/kv?scope=global`);
    bare.kill();
    bare = spawn(process.execPath, ['-e', BARE_SERVER, incrementBody], { stdio: ['ignore', 'pipe', 'ignore'] });
    const bareOpsUrl = await listening(bare);
    const bareIncrement = await requestsPerSecond(`${bareOpsUrl}/`, { method: 'POST', body: opsBody });
    const ourIncrement = await requestsPerSecond(`${url}/api/kv/ops`, { method: 'POST', body: opsBody });
    const hundredBody = JSON.stringify({
      ops: Array.from({ length: 100 }, () => ({ op: 'increment', key: 'ctr', scope: 'global', by: 1 })),
    });
    const ourHundred = 100 * (await requestsPerSecond(`${url}/api/kv/ops`, { method: 'POST', body: hundredBody }));
    const redis = redisIncrPerSecond();
    return [
      {
        name: 'http: GET /api/kv (3 entries), 10 connections',
        value: ourList,
        unit: 'req/s',
        baseline: 'bare node:http, same JSON',
        baselineValue: bareList,
        goal: 0.5,
      },
      {
        name: 'http: POST /api/kv/ops, 1 increment (durable)',
        value: ourIncrement,
        unit: 'req/s',
        baseline: 'bare node:http, same body',
        baselineValue: bareIncrement,
        goal: 0.25,
      },
      ...(redis === null
        ? []
        : [
            {
              name: 'http: POST /api/kv/ops, 100 increments a request (durable)',
              value: ourHundred,
              unit: 'ops/s' as const,
              baseline: 'Redis INCR, redis-benchmark, 10 clients (in memory, no fsync)',
              baselineValue: redis,
              goal: 1,
            },
          ]),
    ];
  } finally {
    bare?.kill();
    // The server writes its last WAL pages on the way out: remove its data once it is gone.
    const gone = kvb.exitCode === null ? new Promise((resolve) => kvb.once('exit', resolve)) : Promise.resolve();
    kvb.kill();
    await gone;
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * INCRs per second of a throwaway `redis-server` (no persistence, a free port) measured by
 * `redis-benchmark` with 10 clients: the baseline of the batched-increment row. Null, said on
 * stderr, when Redis is not installed (Debian: `apt-get install redis-server`).
 */
function redisIncrPerSecond(): number | null {
  if (spawnSync('redis-server', ['--version']).status !== 0 || spawnSync('redis-benchmark', ['--version']).status !== 0) {
    console.error('bench: redis-server / redis-benchmark not found, so the Redis row is left out (apt-get install redis-server)');
    return null;
  }
  const port = String(20000 + Math.floor(Math.random() * 30000));
  const server = spawn('redis-server', ['--port', port, '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  try {
    for (let i = 0; i < 50 && spawnSync('redis-cli', ['-p', port, 'ping']).stdout?.toString().trim() !== 'PONG'; i++) {
      spawnSync('sleep', ['0.1']);
    }
    const result = spawnSync('redis-benchmark', ['-p', port, '-t', 'incr', '-n', '200000', '-c', '10', '-q', '--csv'], {
      encoding: 'utf8',
    });
    const match = /"INCR","([\d.]+)"/.exec(result.stdout ?? '');
    if (!match) throw new Error(`redis-benchmark gave no INCR figure: ${result.stdout}${result.stderr}`);
    return Number(match[1]);
  } finally {
    server.kill();
  }
}

function medianMs(command: string, args: string[], runs: number): number {
  const times: number[] = [];
  for (let i = 0; i < runs + 1; i++) {
    const started = performance.now();
    const result = spawnSync(command, args, { stdio: 'ignore' });
    if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${result.status}`);
    if (i > 0) times.push(performance.now() - started); // the first run warms the disk cache
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

export function benchCliStart(): ProcessMeasurement[] {
  const node = medianMs(process.execPath, ['-e', '0'], 7);
  const help = medianMs(process.execPath, ['bin/kvb.mjs', '--help'], 7);
  return [{ name: 'cli: kvb --help (whole process)', value: help, unit: 'ms', baseline: 'node -e 0', baselineValue: node, goal: 3 }];
}
