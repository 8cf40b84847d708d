// Builds the web app, makes sure Debian's Chromium is there, then runs the Playwright suites.
import { execSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { ensureChromium } from './chromium.mjs';

ensureChromium();
if (!process.env.KVB_SKIP_BUILD || !existsSync('dist/index.html')) {
  execSync('npx vite build --logLevel warn', { stdio: 'inherit' });
}
const result = spawnSync('npx', ['playwright', 'test', ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(result.status ?? 1);
