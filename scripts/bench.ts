// `npm run bench`: throughput of the stores, the engine and the expression language, each
// printed as a ratio against a baseline measured in the same run on the same machine, and
// written to bench/results.json. Ratios are what to compare between runs; raw numbers vary.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { MemoryStore } from '../src/kv/memory';
import { openSqliteStore } from '../src/server/storage/sqlite/sqlite-store';
import { evaluateField } from '../src/engine/expressions';
import { runBlueprint, TEMPLATES } from '../src/engine/index';
import { benchCliStart, benchHttp, type ProcessMeasurement } from './bench-processes';
import { benchEngine } from './bench-engine';
import { benchBundle } from './bench-bundle';
import { benchPostgres, printPostgres } from './bench-postgres';
import { canvasRows, measureCanvas } from './bench/canvas-browser';
import { measureBrowserKeys } from './bench/keys-browser';
import { measureServerKeys } from './bench/keys-server';

interface Measurement {
  name: string;
  opsPerSecond: number;
  baseline: string;
  ratio: number;
}

async function measure(iterations: number, body: (i: number) => unknown): Promise<number> {
  for (let i = 0; i < Math.min(50, iterations); i++) await body(i); // warm up
  const started = performance.now();
  for (let i = 0; i < iterations; i++) await body(i);
  const seconds = (performance.now() - started) / 1000;
  return iterations / seconds;
}

const results: Measurement[] = [];
/** Times of the keys panel's operations (lower is better), with their bare baseline. */
interface Timing {
  name: string;
  ms: number;
  baseline: string;
  baselineMs: number;
  ratio: number | null;
}
const keyTimings: Timing[] = [];
let keysPanel: unknown = null;
function record(name: string, opsPerSecond: number, baselineName: string, baselineOps: number) {
  results.push({
    name,
    opsPerSecond: Math.round(opsPerSecond),
    baseline: baselineName,
    ratio: Number((opsPerSecond / baselineOps).toFixed(3)),
  });
}

const dir = mkdtempSync(join(tmpdir(), 'kvb-bench-'));
try {
  // Baseline: plaintext upserts straight through better-sqlite3, one durable transaction each.
  const rawDb = new Database(join(dir, 'raw.sqlite'));
  rawDb.pragma('journal_mode = WAL');
  rawDb.pragma('synchronous = FULL');
  rawDb.exec('CREATE TABLE kv (k TEXT PRIMARY KEY, v TEXT, version INTEGER)');
  const upsert = rawDb.prepare(
    'INSERT INTO kv (k, v, version) VALUES (?, ?, 1) ON CONFLICT(k) DO UPDATE SET v = excluded.v, version = version + 1',
  );
  const rawOps = await measure(2000, (i) => rawDb.transaction(() => upsert.run(`key_${i % 100}`, JSON.stringify({ n: i })))());
  const select = rawDb.prepare('SELECT v FROM kv WHERE k = ?');
  const rawReadOps = await measure(5000, (i) => JSON.parse((select.get(`key_${i % 100}`) as { v: string }).v));
  rawDb.close();
  results.push({ name: 'baseline: raw better-sqlite3 upsert', opsPerSecond: Math.round(rawOps), baseline: '-', ratio: 1 });
  results.push({ name: 'baseline: raw better-sqlite3 select', opsPerSecond: Math.round(rawReadOps), baseline: '-', ratio: 1 });

  const sqlite = openSqliteStore({ dataDir: join(dir, 'store'), masterKey: '11'.repeat(32) });
  const setOps = await measure(2000, (i) =>
    sqlite.batch('default', [{ op: 'set', scope: 'global', key: `key_${i % 100}`, value: { n: i } }]),
  );
  record('sqlite store: encrypted set', setOps, 'raw upsert', rawOps);
  const incOps = await measure(2000, () => sqlite.batch('default', [{ op: 'increment', scope: 'global', key: 'counter' }]));
  record('sqlite store: increment', incOps, 'raw upsert', rawOps);
  const getOps = await measure(5000, (i) => sqlite.batch('default', [{ op: 'get', scope: 'global', key: `key_${i % 100}` }]));
  record('sqlite store: decrypted get', getOps, 'raw select', rawReadOps);
  await sqlite.close();

  // Engine overhead: a run of the running-counter template against the bare increment it does.
  const memory = new MemoryStore();
  const bareOps = await measure(5000, () =>
    memory.batch('default', [{ op: 'increment', scope: 'flow', scopeKey: 'bench', key: 'visits' }]),
  );
  results.push({ name: 'baseline: memory store increment', opsPerSecond: Math.round(bareOps), baseline: '-', ratio: 1 });
  const counter = TEMPLATES.find((t) => t.id === 'running-counter');
  if (!counter) throw new Error('running-counter template is missing');
  const runOps = await measure(2000, () => runBlueprint(counter.document, { store: memory, input: {} }));
  record('engine: run running-counter (memory)', runOps, 'memory increment', bareOps);

  // Expressions: JSON-aware filling against plain JSON.parse of the same document.
  const template = '{ "user": "@{input.name}", "tags": @{state.tags}, "count": @{result.count}, "nested": { "a": [1, 2, 3] } }';
  const ctx = { roots: { input: { name: 'Ada "the" Lovelace' }, state: { tags: ['a', 'b'] }, result: { count: 3 } } };
  const plain = JSON.stringify({ user: 'Ada "the" Lovelace', tags: ['a', 'b'], count: 3, nested: { a: [1, 2, 3] } });
  const parseOps = await measure(20000, () => JSON.parse(plain));
  results.push({ name: 'baseline: JSON.parse of the filled document', opsPerSecond: Math.round(parseOps), baseline: '-', ratio: 1 });
  const fillOps = await measure(20000, () => evaluateField(template, 'json', ctx));
  record('expressions: evaluateField json', fillOps, 'JSON.parse', parseOps);

  // The keys panel at 100,000 keys in one scope: milliseconds per panel operation, each beside
  // the same operation on a bare IndexedDB object store / bare SQLite table, measured now.
  const keyCount = Number(process.env.KVB_BENCH_KEYS ?? 100_000);
  const server = await measureServerKeys(dir, keyCount);
  const browser = await measureBrowserKeys(keyCount);
  keysPanel = { keyCount, server, browser };
  const panel: Array<[string, number, string, number]> = [
    ['server: write all keys (batches of 1,000)', server.server.writeMs, 'bare SQLite inserts', server.bare.writeMs],
    ['server: open (first 1,000 names + count)', server.server.openMs, 'bare SQLite page + count', server.bare.openMs],
    ['server: filter keystroke (substring)', server.server.filterMs, 'bare SQLite instr scan', server.bare.filterMs],
    ['server: next page of 1,000 names', server.server.pageMs, 'bare SQLite page + count', server.bare.openMs],
    ['server: values of 40 visible rows', server.server.visibleMs, 'bare SQLite 40 selects', server.bare.visibleMs],
    ['server: delete 5,000 keys in one batch', server.server.deleteMs, '-', 0],
    ['server: export the scope as NDJSON (95% of the keys)', server.server.exportMs, 'bare SQLite select all', server.bare.readAllMs],
    ['server: import that file into another scope (one request)', server.server.importMs, 'bare SQLite inserts', server.bare.writeMs],
    ['browser: write all keys (batches of 2,000)', browser.store.writeMs, 'bare IndexedDB puts', browser.bare.writeMs],
    [
      'browser: open, cold (first 1,000 names + count)',
      browser.store.openColdMs,
      'bare IndexedDB getAll(50) + count',
      browser.bare.openMs + browser.bare.countMs,
    ],
    [
      'browser: open, names cached',
      browser.store.openWarmMs,
      'bare IndexedDB getAll(50) + count',
      browser.bare.openMs + browser.bare.countMs,
    ],
    [
      'browser: filter keystroke (substring, names cached)',
      browser.store.filterMs,
      'bare IndexedDB getAllKeys + filter',
      browser.bare.filterMs,
    ],
    [
      'browser: first filter in a fresh tab (reads all names)',
      browser.store.filterColdMs,
      'bare IndexedDB getAllKeys + filter',
      browser.bare.filterMs,
    ],
    ['browser: values of 40 visible rows', browser.store.visibleMs, 'bare IndexedDB 40 gets', browser.bare.visibleMs],
    ['browser: delete 10,000 keys in one batch', browser.store.deleteMs, '-', 0],
    ['browser: export the scope as NDJSON (90% of the keys)', browser.store.exportMs, 'bare IndexedDB getAll', browser.bare.readAllMs],
    ['browser: import that file into another scope (one batch)', browser.store.importMs, 'bare IndexedDB puts', browser.bare.writeMs],
  ];
  for (const [name, ms, baseline, baselineMs] of panel) {
    keyTimings.push({
      name: `keys panel ${name}`,
      ms: Number(ms.toFixed(1)),
      baseline,
      baselineMs: Number(baselineMs.toFixed(1)),
      ratio: baselineMs > 0 ? Number((ms / baselineMs).toFixed(2)) : null,
    });
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

// Whole processes: the HTTP API under load and the CLI's start-up, against their baselines.
const processes: ProcessMeasurement[] = [...(await benchHttp()), ...benchCliStart(), ...(await benchEngine())];
const bundle = benchBundle();
// The editor's canvas with 1,000 blocks against plain React Flow with the same graph, in Chromium.
const canvasFigures = await measureCanvas(Number(process.env.KVB_BENCH_BLOCKS ?? 1000), Number(process.env.KVB_BENCH_CANVAS_RUNS ?? 3));
const canvas = { ...canvasFigures, rows: canvasRows(canvasFigures) };
// Several instances on one PostgreSQL against one on SQLite (scripts/bench-postgres.ts).
const postgres = { measuredAt: new Date().toISOString(), rows: await benchPostgres() };

mkdirSync('bench', { recursive: true });
writeFileSync(
  'bench/results.json',
  JSON.stringify(
    { measuredAt: new Date().toISOString(), node: process.version, results, processes, bundle, canvas, keyTimings, keysPanel, postgres },
    null,
    2,
  ) + '\n',
);
const width = Math.max(...results.map((r) => r.name.length));
for (const r of results) {
  const ratio = r.baseline === '-' ? 'baseline' : `${r.ratio.toFixed(3)}× ${r.baseline}`;
  console.log(`${r.name.padEnd(width)}  ${String(r.opsPerSecond).padStart(9)} ops/s  ${ratio}`);
}
for (const p of processes) {
  const ratio = p.value / p.baselineValue;
  const meets = p.unit === 'ms' ? ratio <= p.goal : ratio >= p.goal;
  console.log(
    `${p.name.padEnd(width)}  ${p.value.toFixed(0).padStart(9)} ${p.unit}  ${ratio.toFixed(3)}× ${p.baseline} (${p.baselineValue.toFixed(0)} ${p.unit}); goal ${p.unit === 'ms' ? '≤' : '≥'} ${p.goal}×: ${meets ? 'met' : 'not met'}`,
  );
}
console.log(
  `${bundle.name.padEnd(width)}  ${bundle.gzipKb.toFixed(1).padStart(9)} KB  goal ≤ ${bundle.goalKb} KB: ${bundle.met ? 'met' : 'not met'}`,
);
for (const c of canvas.rows) {
  const goal = c.goal === '-' ? '' : `; goal ${c.goal}: ${c.met ? 'met' : 'not met'}`;
  console.log(
    `${c.name.padEnd(width)}  ${c.ms.toFixed(1).padStart(9)} ms  ${c.ratio.toFixed(2)}× React Flow (${c.baselineMs.toFixed(1)} ms)${goal}`,
  );
}
const timingWidth = Math.max(...keyTimings.map((t) => t.name.length));
for (const t of keyTimings) {
  const ratio = t.ratio === null ? '' : `${t.ratio.toFixed(2)}× ${t.baseline} (${t.baselineMs} ms)`;
  console.log(`${t.name.padEnd(timingWidth)}  ${t.ms.toFixed(1).padStart(9)} ms  ${ratio}`);
}
printPostgres(postgres.rows);
console.log('written to bench/results.json');
