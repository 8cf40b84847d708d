import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

// The one-way arrows of the architecture: engine and kv are portable (no React, DOM-only or
// Node-only modules); only src/server may use Node, and nothing outside src/server imports it.
const nodeBuiltins = ['fs', 'path', 'os', 'crypto', 'child_process', 'http', 'https', 'net', 'url', 'worker_threads', 'stream', 'util', 'events', 'zlib', 'readline', 'process', 'buffer'];
const nodeOnly = [...nodeBuiltins, ...nodeBuiltins.map((m) => `node:${m}`), 'better-sqlite3', 'fastify', '@fastify/*', 'tsx'];
const portableRules = {
  'no-restricted-imports': ['error', {
    patterns: [
      { group: ['react', 'react-dom', 'react/*', 'react-dom/*', '@xyflow/*', 'zustand', 'zustand/*', '@tanstack/*', 'elkjs', 'elkjs/*'], message: 'engine and kv must not depend on React or UI libraries.' },
      { group: nodeOnly, message: 'engine and kv must run in the browser too: no Node-only modules.' },
      { group: ['**/server', '**/server/*', '**/ui', '**/ui/*'], message: 'engine and kv do not import server or ui.' },
    ],
  }],
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'test-results/**', 'playwright-report/**', 'data/**', '.tmp/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.browser, ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-eval': 'error',
      'no-new-func': 'error',
    },
  },
  {
    files: ['src/engine/**', 'src/kv/**'],
    ignores: ['src/**/*.test.ts'],
    languageOptions: { globals: { ...globals['shared-node-browser'] } },
    rules: portableRules,
  },
  {
    files: ['src/ui/**', 'src/engine/**', 'src/kv/**', 'e2e/**'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['**/server', '**/server/*'], message: 'Only src/server imports src/server.' },
          ...portableRules['no-restricted-imports'][1].patterns.slice(0, 0),
        ],
      }],
    },
  },
  {
    files: ['src/engine/**', 'src/kv/**'],
    ignores: ['src/**/*.test.ts'],
    rules: portableRules,
  },
);
