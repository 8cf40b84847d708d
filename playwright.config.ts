import { existsSync } from 'node:fs';
import { defineConfig } from '@playwright/test';

// Real Chromium from Debian, against the production build served by `vite preview`, made with
// KVB_TEST_HOOKS=1 so it carries the test handle and conformance.html (see vite.config.ts).
// `npm run test:e2e` builds first; see scripts/e2e.mjs.
if (!existsSync('dist/kvb-test-build.txt')) {
  throw new Error('dist/ is not a test build: run `KVB_TEST_HOOKS=1 npx vite build` first (npm run test:e2e does)');
}
const chromium = process.env.KVB_CHROMIUM ?? '/usr/bin/chromium';
const port = Number(process.env.KVB_E2E_PORT ?? 4173);

export default defineConfig({
  testDir: 'e2e',
  testMatch: '**/*.spec.ts',
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [['list'], ['json', { outputFile: 'test-results/e2e-results.json' }]],
  outputDir: 'test-results/artifacts',
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    viewport: { width: 1440, height: 900 },
    screenshot: 'only-on-failure',
    trace: 'off',
    launchOptions: {
      executablePath: chromium,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-dev-shm-usage',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
      ],
    },
  },
  webServer: {
    command: `npx vite preview --port ${port} --strictPort --host 127.0.0.1`,
    url: `http://127.0.0.1:${port}`,
    reuseExistingServer: false,
    timeout: 60_000,
  },
});
