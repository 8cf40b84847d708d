// Builds the web app, makes sure Debian's Chromium is there, then runs the Playwright suites.
import { execSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { ensureChromium } from './chromium.mjs';
import { freePort } from './free-port.mjs';

ensureChromium();
// The tests need the build's test hooks (window.kvb, conformance.html): see vite.config.ts.
// KVB_SKIP_BUILD=1 reuses dist/ only when it is such a build.
if (!process.env.KVB_SKIP_BUILD || !existsSync('dist/kvb-test-build.txt')) {
  execSync('npx vite build --logLevel warn', { stdio: 'inherit', env: { ...process.env, KVB_TEST_HOOKS: '1' } });
}
const port = process.env.KVB_E2E_PORT ?? String(await freePort());
const result = spawnSync('npx', ['playwright', 'test', ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: { ...process.env, KVB_E2E_PORT: port },
});
process.exit(result.status ?? 1);
