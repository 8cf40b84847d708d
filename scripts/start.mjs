// `npm start`: builds the web app when the build is missing or older than the sources, then
// serves the editor and the HTTP API on the embedded SQLite store (`kvb serve`).
import { execSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

const built = existsSync('dist/index.html') ? statSync('dist/index.html').mtimeMs : 0;
const sources = Math.max(newestMtime('src'), statSync('index.html').mtimeMs);
// A build for the browser tests (KVB_TEST_HOOKS=1, see vite.config.ts) is never served as is.
const testBuild = existsSync('dist/kvb-test-build.txt');
if (built < sources || testBuild) {
  console.log('Building the web app…');
  execSync('npx vite build --logLevel warn', { stdio: 'inherit' });
}

const child = spawn(process.execPath, ['bin/kvb.mjs', 'serve', ...process.argv.slice(2)], { stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code) => process.exit(code ?? 0));
