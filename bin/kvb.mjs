#!/usr/bin/env node
// The `kvb` command. Runs the bundle that `npm ci` builds (build/cli, scripts/build-cli.mjs);
// when it is missing or older than one of its sources (an edit since), runs the TypeScript
// sources through tsx instead, so `npx kvb` always runs the code as it is.
import { existsSync, readFileSync, statSync } from 'node:fs';

const root = new URL('../', import.meta.url);

function bundleIsFresh() {
  const bundle = new URL('build/cli/cli.js', root);
  const sourcesFile = new URL('build/cli/sources.json', root);
  if (!existsSync(bundle) || !existsSync(sourcesFile)) return false;
  const builtAt = statSync(bundle).mtimeMs;
  try {
    const sources = JSON.parse(readFileSync(sourcesFile, 'utf8'));
    return sources.every((path) => statSync(new URL(path, root)).mtimeMs <= builtAt);
  } catch {
    return false; // a source moved or went away: the sources are the truth
  }
}

let cli;
if (bundleIsFresh()) {
  cli = await import('../build/cli/cli.js');
} else {
  const { register } = await import('tsx/esm/api');
  register();
  cli = await import('../src/server/cli.ts');
}
process.exitCode = await cli.main(process.argv.slice(2));
