/**
 * The canvas rows of `npm run bench`: the editor's production build with a blueprint of 1,000
 * blocks and 1,000 edges, against plain React Flow (`canvas-baseline-page.tsx`, bundled by
 * esbuild) given the same positions and edges as default nodes. Both are served inside
 * Chromium by a Playwright route (no server) in a 1440×900 window (React Flow's page has all of
 * it; the editor's canvas is the part between its side panels) and measured the same way:
 *
 * - import to rendered: from the file input's change (the baseline: handing it the graph) to
 *   the frame after every node and every edge is in the DOM (edges appear once React Flow has
 *   measured their nodes);
 * - pan: the pane dragged by the mouse for about 2 s, every requestAnimationFrame interval;
 * - drag: one block dragged for about 1.5 s, the same.
 *
 * Each page is measured `runs` times in a fresh tab; each figure is the median of the runs.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { execFileSync } from 'node:child_process';
import { build } from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright';
import type { BaselineGraph } from './canvas-baseline-page';

const ORIGIN = 'http://localhost:9';
const VIEWPORT = { width: 1440, height: 900 };
const PAN_MS = 2000;
const DRAG_MS = 1500;

export interface CanvasFigures {
  importMs: number;
  panMedianMs: number;
  panP95Ms: number;
  dragMedianMs: number;
  dragP95Ms: number;
}

export interface CanvasMeasurement {
  blocks: number;
  edges: number;
  runs: number;
  editor: CanvasFigures;
  reactFlow: CanvasFigures;
  /** Each run's figures, to see the spread. */
  editorRuns: CanvasFigures[];
  reactFlowRuns: CanvasFigures[];
}

/** The blueprint: Start, then Key-value blocks in a grid, chained by their success outs, plus one error edge. */
export function benchBlueprint(blocks: number) {
  const columns = 40;
  const at = (i: number) => ({ x: (i % columns) * 240, y: Math.floor(i / columns) * 140 });
  const nodes: Array<{ id: string; type: string; position: { x: number; y: number }; data: Record<string, unknown> }> = [
    { id: 'start', type: 'start', position: at(0), data: { sampleInput: {} } },
  ];
  const actions = [
    { action: 'get', key: 'visits_@{input.id}', scope: 'flow' },
    { action: 'increment', key: 'counter', by: 1, scope: 'flow' },
    { action: 'save', key: 'last', valueType: 'text', value: 'seen @{input.id}', scope: 'flow', mode: 'upsert' },
  ];
  for (let i = 1; i < blocks; i++) nodes.push({ id: `b${i}`, type: 'kv', position: at(i), data: { ...actions[i % actions.length] } });
  const edges = nodes.slice(1).map((node, i) => ({ id: `e${i + 1}`, source: nodes[i]!.id, sourceHandle: 'success', target: node.id }));
  // The first get's miss goes half way down the chain: 1,000 edges for 1,000 blocks.
  edges.push({ id: 'e-miss', source: 'b3', sourceHandle: 'error', target: nodes[Math.floor(blocks / 2)]!.id });
  return { format: 'kv-blueprint/1', id: 'canvas-bench', name: 'Canvas bench', nodes, edges };
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.map': 'application/json',
};

/** Answers the editor's files from a build directory; any other page path gets index.html. */
async function serveBuild(page: Page, dir: string): Promise<void> {
  await page.route(`${ORIGIN}/**`, async (route) => {
    const path = normalize(decodeURIComponent(new URL(route.request().url()).pathname)).replace(/^\/+/, '');
    if (path.startsWith('api/')) return route.fulfill({ status: 404, contentType: 'application/json', body: '{"error":"no server"}' });
    let file = join(dir, path);
    if (!file.startsWith(dir) || !existsSync(file) || statSync(file).isDirectory()) file = join(dir, 'index.html');
    return route.fulfill({ contentType: CONTENT_TYPES[extname(file)] ?? 'application/octet-stream', body: readFileSync(file) });
  });
}

/**
 * Page helpers, installed in both pages: frame intervals, and when the graph is on screen.
 * Plain text, not a function: tsx would wrap a function's inner names in a helper the page lacks.
 */
const PROBES = `
window.canvasProbe = (() => {
  const probe = { frames: [], recording: false };
  // Resolves with the ms from start to the frame after the nodes and edges are all in the DOM.
  probe.rendered = (start, nodes, edges) => new Promise((resolve) => {
    const check = () => {
      const done = document.querySelectorAll('.react-flow__node').length >= nodes
        && document.querySelectorAll('.react-flow__edge').length >= edges;
      if (done) requestAnimationFrame(() => resolve(performance.now() - start));
      else requestAnimationFrame(check);
    };
    requestAnimationFrame(check);
  });
  probe.startFrames = () => {
    probe.frames = [];
    probe.recording = true;
    let last = 0;
    const tick = (now) => {
      if (!probe.recording) return;
      probe.frames.push(now - last);
      last = now;
      requestAnimationFrame(tick);
    };
    requestAnimationFrame((now) => { last = now; requestAnimationFrame(tick); });
  };
  probe.stopFrames = () => { probe.recording = false; return probe.frames; };
  return probe;
})();
`;
type Probe = {
  rendered(start: number, nodes: number, edges: number): Promise<number>;
  startFrames(): void;
  stopFrames(): number[];
};
declare global {
  interface Window {
    canvasProbe?: Probe;
  }
}

function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}
const median = (values: readonly number[]) => quantile(values, 0.5);
const round1 = (n: number) => Math.round(n * 10) / 10;

/** A point on the empty pane near the canvas's centre (not on a node, edge or panel). */
async function emptyPanePoint(page: Page): Promise<{ x: number; y: number }> {
  const point = await page.evaluate(() => {
    const pane = document.querySelector('.react-flow__pane')!.getBoundingClientRect();
    const cx = pane.left + pane.width / 2;
    const cy = pane.top + pane.height / 2;
    for (let r = 0; r < Math.max(pane.width, pane.height) / 2; r += 4) {
      for (let a = 0; a < 16; a++) {
        const x = Math.round(cx + r * Math.cos((a * Math.PI) / 8));
        const y = Math.round(cy + r * Math.sin((a * Math.PI) / 8));
        const under = document.elementFromPoint(x, y);
        if (under?.classList.contains('react-flow__pane')) return { x, y };
      }
    }
    return null;
  });
  if (!point) throw new Error('canvas bench: found no empty spot on the pane to pan from');
  return point;
}

/**
 * Moves the pressed mouse in a drifting circle for `ms`, recording frame intervals meanwhile. With
 * `KVB_BENCH_CANVAS_TRACE=<dir>`, a Chromium trace of the gesture is written there too (open it
 * in chrome://tracing or the DevTools Performance panel).
 */
async function dragFor(page: Page, from: { x: number; y: number }, ms: number, traceName: string): Promise<number[]> {
  const traceDir = process.env.KVB_BENCH_CANVAS_TRACE;
  const browser = page.context().browser()!;
  if (traceDir) await browser.startTracing(page, { path: join(traceDir, `${traceName}.json`) });
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  await page.evaluate(() => window.canvasProbe!.startFrames());
  const started = Date.now();
  let step = 0;
  while (Date.now() - started < ms) {
    step++;
    const angle = (step / 60) * Math.PI * 2;
    // A slow circle that drifts right, so the view keeps moving and ends elsewhere than it began.
    await page.mouse.move(from.x + 100 * Math.sin(angle) + Math.min(step, 60), from.y + 60 * (1 - Math.cos(angle)));
    await page.waitForTimeout(8);
  }
  const frames = await page.evaluate(() => window.canvasProbe!.stopFrames());
  await page.mouse.up();
  if (traceDir) await browser.stopTracing();
  return frames;
}

const RENDER_LIMIT_MS = 60_000;

/** The page's answer, or an error saying what did not happen when it takes too long. */
async function withinLimit<T>(answer: Promise<T>, failure: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`canvas bench: ${failure}`)), RENDER_LIMIT_MS);
  });
  try {
    return await Promise.race([answer, limit]);
  } finally {
    clearTimeout(timer);
  }
}

async function measurePage(
  browser: Browser,
  kind: 'editor' | 'reactFlow',
  buildDir: string,
  baselineScript: string,
  doc: ReturnType<typeof benchBlueprint>,
): Promise<CanvasFigures> {
  const page = await browser.newPage({ viewport: VIEWPORT });
  try {
    await page.addInitScript(PROBES);
    const nodeCount = doc.nodes.length;
    const edgeCount = doc.edges.length;
    let importMs: number;
    if (kind === 'editor') {
      await serveBuild(page, buildDir);
      await page.goto(`${ORIGIN}/`);
      await page.locator('.react-flow__node').first().waitFor();
      const input = page.getByLabel('Import blueprint');
      // The clock starts when the page sees the file chosen.
      await page.evaluate(
        ([n, e]) => {
          const field = document.querySelector<HTMLInputElement>('input[aria-label="Import blueprint"]')!;
          const holder = window as unknown as { canvasImported: Promise<number> };
          holder.canvasImported = new Promise<number>((resolve) => {
            field.addEventListener('change', () => void window.canvasProbe!.rendered(performance.now(), n, e).then(resolve), {
              capture: true,
              once: true,
            });
          });
        },
        [nodeCount, edgeCount] as const,
      );
      await input.setInputFiles({ name: 'canvas-bench.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(doc)) });
      importMs = await withinLimit(
        page.evaluate(() => (window as unknown as { canvasImported: Promise<number> }).canvasImported),
        `the editor did not show ${nodeCount} blocks and ${edgeCount} edges within ${RENDER_LIMIT_MS / 1000} s of the import (was the file refused?)`,
      );
    } else {
      await page.route(`${ORIGIN}/**`, (route) =>
        route.fulfill({
          contentType: 'text/html',
          body: `<!doctype html><meta charset="utf-8"><title>React Flow baseline</title><body><script>${baselineScript.replace(/<\/script/g, '<\\/script')}</script></body>`,
        }),
      );
      await page.goto(`${ORIGIN}/`);
      await page.waitForFunction(() => window.loadCanvasBench !== undefined);
      const graph: BaselineGraph = {
        nodes: doc.nodes.map((n) => ({ id: n.id, position: n.position, label: n.id })),
        edges: doc.edges.map((e) => ({ id: e.id, source: e.source, target: e.target })),
      };
      importMs = await withinLimit(
        page.evaluate(
          ([g, n, e]) => {
            const start = performance.now();
            window.loadCanvasBench!(g);
            return window.canvasProbe!.rendered(start, n, e);
          },
          [graph, nodeCount, edgeCount] as const,
        ),
        `plain React Flow did not show ${nodeCount} nodes and ${edgeCount} edges within ${RENDER_LIMIT_MS / 1000} s`,
      );
    }
    // Let the fit-view animation after the import end.
    await page.waitForTimeout(400);
    const transformOf = (selector: string) => page.locator(selector).evaluate((el) => (el as HTMLElement).style.transform);
    const viewportBefore = await transformOf('.react-flow__viewport');
    const pan = await dragFor(page, await emptyPanePoint(page), PAN_MS, `${kind}-pan`);
    if ((await transformOf('.react-flow__viewport')) === viewportBefore)
      throw new Error(`canvas bench (${kind}): the pan did not move the view`);
    await page.waitForTimeout(300);
    // The block nearest the pane's centre.
    const id = await page.evaluate(() => {
      const pane = document.querySelector('.react-flow__pane')!.getBoundingClientRect();
      let best: { id: string; distance: number } | null = null;
      for (const node of document.querySelectorAll('.react-flow__node')) {
        const box = node.getBoundingClientRect();
        const distance = Math.hypot(
          box.left + box.width / 2 - (pane.left + pane.width / 2),
          box.top + box.height / 2 - (pane.top + pane.height / 2),
        );
        if (!best || distance < best.distance) best = { id: node.getAttribute('data-id')!, distance };
      }
      return best?.id ?? null;
    });
    const dragged = `.react-flow__node[data-id="${id}"]`;
    const block = id === null ? null : await page.locator(dragged).boundingBox();
    if (!block) throw new Error('canvas bench: no block to drag on screen');
    const blockBefore = await transformOf(dragged);
    const drag = await dragFor(
      page,
      { x: block.x + Math.min(20, block.width / 2), y: block.y + Math.min(10, block.height / 2) },
      DRAG_MS,
      `${kind}-drag`,
    );
    if ((await transformOf(dragged)) === blockBefore) throw new Error(`canvas bench (${kind}): the drag did not move the block`);
    return {
      importMs: round1(importMs),
      panMedianMs: round1(median(pan)),
      panP95Ms: round1(quantile(pan, 0.95)),
      dragMedianMs: round1(median(drag)),
      dragP95Ms: round1(quantile(drag, 0.95)),
    };
  } finally {
    await page.close();
  }
}

/** A row of the printed table and the results file: the editor's figure beside React Flow's, and its goal. */
export interface CanvasRow {
  name: string;
  ms: number;
  baselineMs: number;
  ratio: number;
  goal: string;
  met: boolean;
}

// Frame intervals come in whole frames of 16.7 ms, give or take the timer's jitter.
const JITTER_MS = 0.5;

/** The rows of the speed issue: import within 1.2× React Flow's, pan and drag within one or two frames. */
export function canvasRows(m: CanvasMeasurement): CanvasRow[] {
  const row = (name: string, key: keyof CanvasFigures, goal: string, met: (ms: number, ratio: number) => boolean): CanvasRow => {
    const ms = m.editor[key];
    const baselineMs = m.reactFlow[key];
    const ratio = Number((ms / baselineMs).toFixed(2));
    return { name, ms, baselineMs, ratio, goal, met: met(ms, ratio) };
  };
  const blocks = `${m.blocks.toLocaleString('en-US')} blocks`;
  return [
    row(
      `canvas: import to rendered (${blocks} + ${m.edges.toLocaleString('en-US')} edges)`,
      'importMs',
      '≤ 1.2× React Flow',
      (_, r) => r <= 1.2,
    ),
    row(`canvas: pan frame median (${blocks})`, 'panMedianMs', '≤ 16.7 ms', (ms) => ms <= 16.7 + JITTER_MS),
    row(`canvas: pan frame p95 (${blocks})`, 'panP95Ms', '≤ 33 ms', (ms) => ms <= 33.3 + JITTER_MS),
    row(`canvas: drag frame median (${blocks})`, 'dragMedianMs', '-', () => true),
    row(`canvas: drag frame p95 (${blocks})`, 'dragP95Ms', '≤ 33 ms', (ms) => ms <= 33.3 + JITTER_MS),
  ];
}

function medianFigures(runs: readonly CanvasFigures[]): CanvasFigures {
  const of = (key: keyof CanvasFigures) => median(runs.map((r) => r[key]));
  return {
    importMs: of('importMs'),
    panMedianMs: of('panMedianMs'),
    panP95Ms: of('panP95Ms'),
    dragMedianMs: of('dragMedianMs'),
    dragP95Ms: of('dragP95Ms'),
  };
}

export async function measureCanvas(blocks = 1000, runs = 3): Promise<CanvasMeasurement> {
  const doc = benchBlueprint(blocks);
  // The production build (no test hooks) in a directory of its own: dist/ is the browser tests'.
  const buildDir = mkdtempSync(join(tmpdir(), 'kvb-canvas-'));
  try {
    execFileSync(
      process.execPath,
      ['node_modules/vite/bin/vite.js', 'build', '--logLevel', 'error', '--outDir', buildDir, '--emptyOutDir'],
      {
        stdio: ['ignore', 'ignore', 'inherit'],
        env: { ...process.env, KVB_TEST_HOOKS: '' },
      },
    );
    const bundle = await build({
      entryPoints: [new URL('./canvas-baseline-page.tsx', import.meta.url).pathname],
      bundle: true,
      write: false,
      minify: true,
      format: 'iife',
      target: 'es2022',
      outdir: 'out',
      define: { 'process.env.NODE_ENV': '"production"' },
    });
    const js = bundle.outputFiles.find((f) => f.path.endsWith('.js'))!.text;
    const css = bundle.outputFiles.find((f) => f.path.endsWith('.css'))?.text ?? '';
    const baselineScript = `document.head.insertAdjacentHTML('beforeend', ${JSON.stringify(`<style>${css}</style>`)});\n${js}`;
    const browser = await chromium.launch({
      executablePath: process.env.KVB_CHROMIUM ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
    });
    try {
      const editorRuns: CanvasFigures[] = [];
      const reactFlowRuns: CanvasFigures[] = [];
      // Interleaved, so a burst of load on the machine falls on both.
      for (let i = 0; i < runs; i++) {
        reactFlowRuns.push(await measurePage(browser, 'reactFlow', buildDir, baselineScript, doc));
        editorRuns.push(await measurePage(browser, 'editor', buildDir, baselineScript, doc));
      }
      return {
        blocks: doc.nodes.length,
        edges: doc.edges.length,
        runs,
        editor: medianFigures(editorRuns),
        reactFlow: medianFigures(reactFlowRuns),
        editorRuns,
        reactFlowRuns,
      };
    } finally {
      await browser.close();
    }
  } finally {
    rmSync(buildDir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const started = Date.now();
  const figures = await measureCanvas(Number(process.env.KVB_BENCH_BLOCKS ?? 1000), Number(process.env.KVB_BENCH_CANVAS_RUNS ?? 3));
  console.log(JSON.stringify(figures, null, 2));
  console.table(canvasRows(figures));
  console.log(`canvas bench took ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
