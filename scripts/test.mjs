// `npm test`: typecheck, lint, the unit and integration suites (vitest) and the browser suites
// (Playwright on Debian's Chromium, against the production build). Ends with one line:
// `tests: N passed, N failed` over all suites.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { ensureChromium } from './chromium.mjs';
import { freePort } from './free-port.mjs';

mkdirSync('test-results', { recursive: true });
const summary = { passed: 0, failed: 0 };
const lines = [];

function run(label, command, args, env = {}) {
  console.log(`\n=== ${label}: ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, { stdio: 'inherit', env: { ...process.env, ...env } });
  return result.status ?? 1;
}

function readJson(path) {
  try { return JSON.parse(readFileSync(path, 'utf8')); } catch { return null; }
}

// Checks count as one test each, so a type or lint error shows in the summary line.
for (const [label, args] of [['typecheck', ['tsc', '-p', 'tsconfig.json', '--noEmit']], ['lint', ['eslint', '.', '--max-warnings=0']]]) {
  const status = run(label, 'npx', args);
  if (status === 0) summary.passed += 1; else summary.failed += 1;
  lines.push(`${label}: ${status === 0 ? 'ok' : 'FAILED'}`);
}

rmSync('test-results/unit.json', { force: true });
const unitStatus = run('unit and integration (vitest)', 'npx', ['vitest', 'run', '--reporter=default', '--reporter=json', '--outputFile.json=test-results/unit.json']);
const unit = readJson('test-results/unit.json');
if (unit) {
  summary.passed += unit.numPassedTests;
  summary.failed += unit.numFailedTests;
  lines.push(`vitest: ${unit.numPassedTests} passed, ${unit.numFailedTests} failed${unit.numPendingTests ? `, ${unit.numPendingTests} skipped` : ''}`);
  // A suite that fails to load has no failed test but fails the run: count it.
  const brokenFiles = (unit.testResults ?? []).filter((f) => f.status === 'failed' && (f.assertionResults ?? []).every((a) => a.status !== 'failed')).length;
  if (brokenFiles > 0) { summary.failed += brokenFiles; lines.push(`vitest: ${brokenFiles} test file(s) failed to load`); }
} else {
  summary.failed += 1;
  lines.push(`vitest: no results (exit ${unitStatus})`);
}
if (unitStatus !== 0 && unit && unit.numFailedTests === 0 && summary.failed === 0) { summary.failed += 1; lines.push(`vitest: exited ${unitStatus}`); }

if (process.env.KVB_SKIP_E2E === '1') {
  lines.push('e2e: skipped (KVB_SKIP_E2E=1)');
} else {
  ensureChromium();
  const buildStatus = run('production build', 'npx', ['vite', 'build', '--logLevel', 'warn']);
  if (buildStatus !== 0 || !existsSync('dist/index.html')) {
    summary.failed += 1;
    lines.push('build: FAILED');
  } else {
    rmSync('test-results/e2e-results.json', { force: true });
    const e2eStatus = run('browser (Playwright, Chromium)', 'npx', ['playwright', 'test'], { KVB_E2E_PORT: process.env.KVB_E2E_PORT ?? String(await freePort()) });
    const e2e = readJson('test-results/e2e-results.json');
    if (e2e?.stats) {
      const passed = e2e.stats.expected + (e2e.stats.flaky ?? 0);
      const failed = e2e.stats.unexpected;
      summary.passed += passed;
      summary.failed += failed;
      lines.push(`playwright: ${passed} passed, ${failed} failed${e2e.stats.skipped ? `, ${e2e.stats.skipped} skipped` : ''}`);
      if (e2eStatus !== 0 && failed === 0) { summary.failed += 1; lines.push(`playwright: exited ${e2eStatus}`); }
    } else {
      summary.failed += 1;
      lines.push(`playwright: no results (exit ${e2eStatus})`);
    }
  }
}

console.log('\n' + lines.join('\n'));
console.log(`tests: ${summary.passed} passed, ${summary.failed} failed`);
process.exit(summary.failed === 0 ? 0 : 1);
