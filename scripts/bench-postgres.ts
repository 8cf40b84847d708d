// PostgreSQL figures for `npm run bench` (or alone: `npx tsx scripts/bench-postgres.ts`, which
// adds them to bench/results.json): increments of one hot counter and GETs of one entry per
// second, through 1 and through 3 `kvb serve` processes on one database, and through one
// process on SQLite. The database is a throwaway durable server (fsync on); the load comes
// from autocannon in this process, 30 connections in all, spread evenly over the instances.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import pg from 'pg';
import { startPostgres } from './postgres.mjs';

export interface PostgresMeasurement {
  name: string;
  reqPerSecond: number;
  instances: number;
  database: 'postgres' | 'sqlite';
}

const CONNECTIONS = 30;
const SECONDS = Number(process.env.KVB_BENCH_SECONDS ?? 4);

function serve(env: NodeJS.ProcessEnv, dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['bin/kvb.mjs', 'serve', '--port', '0', '--data', dataDir], {
    env: { ...process.env, KVB_LOG_LEVEL: 'warn', ...env, KVB_TOKENS: '' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /serving (http:\/\/\S+)/.exec(out);
      if (match) resolve({ child, url: match[1]! });
    });
    child.on('exit', (code) => reject(new Error(`kvb serve exited with ${code} before listening`)));
  });
}

/** Requests per second over all `urls` together, the connections split evenly among them. */
async function throughput(
  urls: string[],
  path: (url: string) => string,
  options: { method: 'GET' | 'POST'; body?: string },
): Promise<number> {
  const runs = await Promise.all(
    urls.map((url) =>
      autocannon({
        url: path(url),
        connections: Math.round(CONNECTIONS / urls.length),
        duration: SECONDS,
        method: options.method,
        ...(options.body ? { body: options.body, headers: { 'content-type': 'application/json' } } : {}),
      }),
    ),
  );
  const failed = runs.reduce((sum, run) => sum + run.non2xx + run.errors, 0);
  if (failed > 0) throw new Error(`${failed} requests failed or were not answered 2xx`);
  return runs.reduce((sum, run) => sum + run.requests.average, 0);
}

async function measure(urls: string[]): Promise<{ increments: number; gets: number }> {
  const body = JSON.stringify({ ops: [{ op: 'increment', key: 'hot', scope: 'global' }] });
  const first = await fetch(`${urls[0]}/api/kv/ops`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const id = ((await first.json()) as { results: Array<{ entry: { id: string } }> }).results[0]!.entry.id;
  const increments = await throughput(urls, (url) => `${url}/api/kv/ops`, { method: 'POST', body });
  const gets = await throughput(urls, (url) => `${url}/api/kv/${id}`, { method: 'GET' });
  return { increments, gets };
}

async function stopAll(children: ChildProcess[]): Promise<void> {
  await Promise.all(
    children.map((child) => {
      const gone = child.exitCode === null ? new Promise((resolve) => child.once('exit', resolve)) : Promise.resolve();
      child.kill('SIGTERM');
      return gone;
    }),
  );
}

export async function benchPostgres(): Promise<PostgresMeasurement[]> {
  const dirs: string[] = [];
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'kvb-bench-pg-'));
    dirs.push(dir);
    return dir;
  };
  const server = await startPostgres({ durable: true });
  const children: ChildProcess[] = [];
  const rows: PostgresMeasurement[] = [];
  const record = (name: string, value: number, instances: number, database: 'postgres' | 'sqlite') =>
    rows.push({ name, reqPerSecond: Math.round(value), instances, database });
  try {
    const masterKey = randomBytes(32).toString('hex');
    const admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    for (const name of ['kvb_one', 'kvb_three']) await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const urlOf = (name: string) => server.url.replace(/\/postgres$/, `/${name}`);

    const sqlite = await serve({ KVB_MASTER_KEY: masterKey }, tempDir());
    children.push(sqlite.child);
    const onSqlite = await measure([sqlite.url]);
    await stopAll(children.splice(0));
    record('sqlite, 1 instance: increment (one hot key)', onSqlite.increments, 1, 'sqlite');
    record('sqlite, 1 instance: GET /api/kv/{id}', onSqlite.gets, 1, 'sqlite');

    const one = await serve({ KVB_MASTER_KEY: masterKey, KVB_DATABASE_URL: urlOf('kvb_one') }, tempDir());
    children.push(one.child);
    const onOne = await measure([one.url]);
    await stopAll(children.splice(0));
    record('postgres, 1 instance: increment (one hot key)', onOne.increments, 1, 'postgres');
    record('postgres, 1 instance: GET /api/kv/{id}', onOne.gets, 1, 'postgres');

    const three = await Promise.all(
      [0, 1, 2].map(() => serve({ KVB_MASTER_KEY: masterKey, KVB_DATABASE_URL: urlOf('kvb_three') }, tempDir())),
    );
    children.push(...three.map((instance) => instance.child));
    const onThree = await measure(three.map((instance) => instance.url));
    await stopAll(children.splice(0));
    record('postgres, 3 instances: increment (one hot key)', onThree.increments, 3, 'postgres');
    record('postgres, 3 instances: GET /api/kv/{id}', onThree.gets, 3, 'postgres');
    return rows;
  } finally {
    await stopAll(children);
    await server.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
}

function print(rows: PostgresMeasurement[]): void {
  const width = Math.max(...rows.map((row) => row.name.length));
  for (const row of rows) console.log(`${row.name.padEnd(width)}  ${String(row.reqPerSecond).padStart(7)} req/s`);
}

// Alone: measure, print, and add the rows to bench/results.json (kept as it is otherwise).
if (process.argv[1] && /bench-postgres\.ts$/.test(process.argv[1])) {
  const rows = await benchPostgres();
  print(rows);
  mkdirSync('bench', { recursive: true });
  const path = 'bench/results.json';
  const previous = existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>) : {};
  writeFileSync(path, `${JSON.stringify({ ...previous, postgres: { measuredAt: new Date().toISOString(), rows } }, null, 2)}\n`);
  console.log(`written to ${path}`);
}

export { print as printPostgres };
