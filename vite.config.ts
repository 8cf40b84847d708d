import { defineConfig, type Plugin } from 'vitest/config';
import react from '@vitejs/plugin-react';

/**
 * `KVB_TEST_HOOKS=1` builds the app for the browser tests: it exposes `window.kvb` (the typed
 * test handle, see src/ui/test-handle.ts) and adds conformance.html (the IndexedDB store
 * conformance page). A default build (`npm run build`, `npm start`) has neither: the flag is
 * replaced by `false` at build time and the handle's code is dropped as dead code.
 */
const testHooks = process.env.KVB_TEST_HOOKS === '1';

/** The name of the file a test build leaves in dist/, so `npm start` knows to rebuild. */
const TEST_BUILD_MARKER = 'kvb-test-build.txt';

function markTestBuild(): Plugin {
  return {
    name: 'kvb-mark-test-build',
    apply: 'build',
    generateBundle() {
      this.emitFile({
        type: 'asset',
        fileName: TEST_BUILD_MARKER,
        source: 'Built with KVB_TEST_HOOKS=1 for the browser tests; not for production.\n',
      });
    },
  };
}

export default defineConfig({
  plugins: [react(), ...(testHooks ? [markTestBuild()] : [])],
  define: { __KVB_TEST_HOOKS__: JSON.stringify(testHooks) },
  // Module workers: the run worker (src/ui/run-worker) starts the Code block's worker in turn,
  // and loads QuickJS with a dynamic import, which needs ES module output.
  worker: { format: 'es' },
  build: {
    outDir: 'dist',
    sourcemap: true,
    chunkSizeWarningLimit: 2000,
    rollupOptions: { input: testHooks ? { main: 'index.html', conformance: 'conformance.html' } : { main: 'index.html' } },
  },
  server: { port: 5173, host: '127.0.0.1' },
  preview: { port: 4173, host: '127.0.0.1' },
  test: {
    include: ['src/**/*.test.ts', 'src/**/*.test.tsx'],
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
