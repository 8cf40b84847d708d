/**
 * The browser half of the keys-panel benchmark: bundles `keys-browser-page.ts` with esbuild,
 * serves it from a made-up origin inside Chromium (Playwright route, no server), and returns
 * the figures the page measured.
 */
import { build } from 'esbuild';
import { chromium } from 'playwright';
import type { BrowserKeysFigures } from './keys-browser-page';

// localhost is a secure context (WebCrypto); the route answers before any connection is made.
const ORIGIN = 'http://localhost:9';

export async function measureBrowserKeys(count: number): Promise<BrowserKeysFigures> {
  const bundle = await build({
    entryPoints: [new URL('./keys-browser-page.ts', import.meta.url).pathname],
    bundle: true,
    write: false,
    format: 'iife',
    target: 'es2022',
  });
  const script = bundle.outputFiles[0]!.text;
  const browser = await chromium.launch({
    executablePath: process.env.KVB_CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  try {
    const page = await browser.newPage();
    await page.route(`${ORIGIN}/**`, (route) =>
      route.fulfill({
        contentType: 'text/html',
        body: `<!doctype html><meta charset="utf-8"><title>kvb keys bench</title><script>${script.replace(/<\/script/g, '<\\/script')}</script>`,
      }),
    );
    await page.goto(`${ORIGIN}/`);
    return await page.evaluate((n) => window.runKeysBench!(n), count);
  } finally {
    await browser.close();
  }
}
