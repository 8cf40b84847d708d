// `npm test`: typecheck, lint, format check, the unit and integration suites (vitest) and the browser suites
// (Playwright on Debian's Chromium, against the production build). Ends with one line:
// `tests: N passed, N failed` over all suites.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { ensureChromium } from './chromium.mjs';
import { freePort } from './free-port.mjs';
import { ensurePostgres, startPostgres } from './postgres.mjs';

mkdirSync('test-results', { recursive: true });
const summary = { passed: 0, failed: 0 };
const lines = [];

function run(label, command, args, env = {}) {
  console.log(`\n=== ${label}: ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, { stdio: 'inherit', env: { ...process.env, ...env } });
  return result.status ?? 1;
}

function readJson(path) {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return null;
  }
}

/** Adds a runner's counts; a run without results, or one that failed with no failed test, counts as one failure. */
function tally(label, status, counts) {
  if (!counts) {
    summary.failed += 1;
    lines.push(`${label}: no results (exit ${status})`);
    return;
  }
  summary.passed += counts.passed;
  summary.failed += counts.failed;
  lines.push(`${label}: ${counts.passed} passed, ${counts.failed} failed${counts.skipped ? `, ${counts.skipped} skipped` : ''}`);
  if (status !== 0 && counts.failed === 0) {
    summary.failed += 1;
    lines.push(`${label}: exited ${status}`);
  }
}

// Checks count as one test each, so a type, lint or format error shows in the summary line.
// typecheck is the app's tsconfig plus tsconfig.portable.json (engine and kv without DOM or Node).
const checks = [
  [
    'typecheck',
    [
      ['tsc', '-p', 'tsconfig.json', '--noEmit'],
      ['tsc', '-p', 'tsconfig.portable.json', '--noEmit'],
    ],
  ],
  ['lint', [['eslint', '.', '--max-warnings=0']]],
  ['format', [['prettier', '--check', '.']]],
];
for (const [label, commands] of checks) {
  // The first command that fails fails the check; the ones after it do not run.
  const ok = commands.every((args) => run(label, 'npx', args) === 0);
  if (ok) summary.passed += 1;
  else summary.failed += 1;
  lines.push(`${label}: ${ok ? 'ok' : 'FAILED'}`);
}

// The CLI tests run `kvb` as people do: from its bundle, rebuilt here from the sources.
const cliStatus = run('CLI bundle', 'node', ['scripts/build-cli.mjs']);
if (cliStatus === 0) summary.passed += 1;
else summary.failed += 1;
lines.push(`CLI bundle: ${cliStatus === 0 ? 'ok' : 'FAILED'}`);

// The PostgreSQL suites share one throwaway server (each test takes its own database on it);
// Debian's package is installed first when it is missing and we are root.
let postgres = null;
if (!process.env.KVB_TEST_POSTGRES_URL) {
  try {
    ensurePostgres();
    postgres = await startPostgres();
  } catch (error) {
    // The PostgreSQL test files then fail, each saying the same.
    console.error(`PostgreSQL for the tests: ${error.message}`);
  }
}
rmSync('test-results/unit.json', { force: true });
const unitStatus = run(
  'unit and integration (vitest)',
  'npx',
  ['vitest', 'run', '--reporter=default', '--reporter=json', '--outputFile.json=test-results/unit.json'],
  postgres ? { KVB_TEST_POSTGRES_URL: postgres.url } : {},
);
await postgres?.stop();
const unit = readJson('test-results/unit.json');
// A suite that fails to load has no failed test but fails the run: count each such file.
const brokenFiles = (unit?.testResults ?? []).filter(
  (f) => f.status === 'failed' && (f.assertionResults ?? []).every((a) => a.status !== 'failed'),
).length;
tally(
  'vitest',
  unitStatus,
  unit && { passed: unit.numPassedTests, failed: unit.numFailedTests + brokenFiles, skipped: unit.numPendingTests },
);
if (brokenFiles > 0) lines.push(`vitest: ${brokenFiles} of those are test files that failed to load`);

if (process.env.KVB_SKIP_E2E === '1') {
  lines.push('e2e: skipped (KVB_SKIP_E2E=1)');
} else {
  ensureChromium();
  // The production build plus the test hooks (window.kvb, conformance.html); see vite.config.ts.
  const buildStatus = run('production build with test hooks', 'npx', ['vite', 'build', '--logLevel', 'warn'], { KVB_TEST_HOOKS: '1' });
  if (buildStatus !== 0 || !existsSync('dist/index.html')) {
    summary.failed += 1;
    lines.push('build: FAILED');
  } else {
    rmSync('test-results/e2e-results.json', { force: true });
    const e2eStatus = run('browser (Playwright, Chromium)', 'npx', ['playwright', 'test'], {
      KVB_E2E_PORT: process.env.KVB_E2E_PORT ?? String(await freePort()),
    });
    const stats = readJson('test-results/e2e-results.json')?.stats;
    tally(
      'playwright',
      e2eStatus,
      stats && { passed: stats.expected + (stats.flaky ?? 0), failed: stats.unexpected, skipped: stats.skipped },
    );
  }
}

console.log('\n' + lines.join('\n'));
console.log(`tests: ${summary.passed} passed, ${summary.failed} failed`);
process.exit(summary.failed === 0 ? 0 : 1);
