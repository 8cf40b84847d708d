// Bundles the `kvb` command (src/server/cli.ts and what it imports of ours) into build/cli/ with
// esbuild, so `npx kvb` starts Node on plain JavaScript instead of compiling TypeScript at every
// call. Run by `npm ci` / `npm install` (the `prepare` script) and by `npm test`. The list of
// source files goes beside the bundle: bin/kvb.mjs runs the sources through tsx instead when
// any of them is newer than the bundle, so an edit is never run stale.
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = `${root}build/cli`;
const staging = `${root}build/cli.staging-${process.pid}`;

let build;
try {
  ({ build } = await import('esbuild'));
} catch {
  // An install without dev dependencies: bin/kvb.mjs runs the sources through tsx instead.
  console.log('kvb: esbuild is not installed, so the CLI runs from its TypeScript sources (slower start)');
  process.exit(0);
}

rmSync(staging, { recursive: true, force: true });
const result = await build({
  absWorkingDir: root,
  entryPoints: { cli: 'src/server/cli.ts', 'code-worker': 'src/server/code-worker.ts' },
  outdir: staging,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // npm packages load from node_modules as usual (better-sqlite3 is native; Fastify is lazy).
  packages: 'external',
  chunkNames: 'chunks/[name]-[hash]',
  metafile: true,
  logLevel: 'warning',
});
const sources = Object.keys(result.metafile.inputs).filter((path) => !path.startsWith('node_modules/'));
writeFileSync(`${staging}/sources.json`, `${JSON.stringify(sources, null, 1)}\n`);
// Swapped in whole, so a `kvb` starting meanwhile sees the old bundle or the new one.
mkdirSync(`${root}build`, { recursive: true });
rmSync(out, { recursive: true, force: true });
renameSync(staging, out);
