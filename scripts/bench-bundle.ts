// The editor's initial JavaScript: what a first visit downloads before the first paint (the
// entry script and the chunks index.html preloads), gzipped, against the goal. Built into a
// temporary directory, so dist/ (which the browser tests use) is left alone. Chunks loaded later
// (the Inspector and keys panel, CodeMirror, elkjs, the run worker) are not counted.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

export const INITIAL_JS_GOAL_KB = 180;

export interface BundleMeasurement {
  name: string;
  /** gzip (level 6, like the build report) of each file counted, KB. */
  files: Array<{ file: string; gzipKb: number }>;
  gzipKb: number;
  goalKb: number;
  met: boolean;
}

/** The scripts index.html loads at once: module scripts and module preloads. */
export function initialScripts(html: string): string[] {
  const found = new Set<string>();
  for (const match of html.matchAll(/<script[^>]*type="module"[^>]*src="([^"]+)"/g)) found.add(match[1]!);
  for (const match of html.matchAll(/<link[^>]*rel="modulepreload"[^>]*href="([^"]+)"/g)) found.add(match[1]!);
  return [...found];
}

export function benchBundle(): BundleMeasurement {
  const outDir = mkdtempSync(join(tmpdir(), 'kvb-bundle-'));
  try {
    execFileSync(process.execPath, ['node_modules/vite/bin/vite.js', 'build', '--logLevel', 'error', '--outDir', outDir, '--emptyOutDir'], {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, KVB_TEST_HOOKS: '' },
    });
    const html = readFileSync(join(outDir, 'index.html'), 'utf8');
    const files = initialScripts(html).map((src) => {
      const bytes = gzipSync(readFileSync(join(outDir, src.replace(/^\//, ''))), { level: 6 }).length;
      return { file: src, gzipKb: Number((bytes / 1024).toFixed(1)) };
    });
    const gzipKb = Number(files.reduce((sum, f) => sum + f.gzipKb, 0).toFixed(1));
    return { name: 'editor: initial JS (gzip)', files, gzipKb, goalKb: INITIAL_JS_GOAL_KB, met: gzipKb <= INITIAL_JS_GOAL_KB };
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(JSON.stringify(benchBundle(), null, 2));
