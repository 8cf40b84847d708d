import { builtinModules } from 'node:module';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import importX, { createNodeResolver } from 'eslint-plugin-import-x';

// The architecture's one-way arrows, enforced (see ARCHITECTURE.md, "Arrows"):
//   ui and server use engine and kv; engine uses kv; kv uses nothing of ours;
//   nothing outside src/server imports src/server; ui never imports server;
//   the UI features (canvas, inspector, …) share code through src/ui/lib, atoms, store and api,
//   never by importing each other.
// engine and kv also run in the browser and in Node alike: no Node built-in, no Node-only or UI
// package, no Node or DOM global. `src/lint-boundaries.test.ts` proves each rule fires.

/** Every Node built-in module (`fs`, `fs/promises`, `events`…), from Node itself. */
const NODE_BUILTINS = builtinModules.filter((name) => !name.startsWith('_'));
/** The bare names (`fs`, `events`); a `node:*` pattern beside it takes every prefixed one. */
const nodeBuiltinPaths = (message) => NODE_BUILTINS.map((name) => ({ name, message }));
const NODE_ONLY_PACKAGES = ['better-sqlite3', 'fastify', '@fastify/*', 'tsx'];
const UI_PACKAGES = [
  'react',
  'react-dom',
  'react/*',
  'react-dom/*',
  '@xyflow/*',
  'zustand',
  'zustand/*',
  '@tanstack/*',
  'elkjs',
  'elkjs/*',
];

const portableImports = [
  'error',
  {
    paths: nodeBuiltinPaths('engine and kv run in the browser too: no Node built-in module.'),
    patterns: [
      { group: ['node:*'], message: 'engine and kv run in the browser too: no Node built-in module.' },
      { group: NODE_ONLY_PACKAGES, message: 'engine and kv run in the browser too: no Node-only package.' },
      { group: UI_PACKAGES, message: 'engine and kv must not depend on React or UI libraries.' },
    ],
  },
];

const uiImports = [
  'error',
  {
    paths: nodeBuiltinPaths('The web app runs in the browser: no Node built-in module.'),
    patterns: [
      { group: ['node:*'], message: 'The web app runs in the browser: no Node built-in module.' },
      { group: NODE_ONLY_PACKAGES, message: 'The web app runs in the browser: no Node-only package.' },
    ],
  },
];

const PORTABLE_MESSAGE = 'engine and kv run in the browser and in Node alike: pass what is needed in, or use globalThis APIs both have.';
const portableGlobals = [
  'error',
  ...['Buffer', 'process', 'global', 'require', '__dirname', '__filename', 'module', 'exports'].map((name) => ({
    name,
    message: `${name} is Node-only. ${PORTABLE_MESSAGE}`,
  })),
  ...['document', 'window', 'localStorage', 'sessionStorage', 'navigator', 'indexedDB'].map((name) => ({
    name,
    message: `${name} is browser-only. ${PORTABLE_MESSAGE}`,
  })),
];

// A relative import whose last segment is a Node built-in's name (`./events`, `../kv/http`)
// reads like the built-in and is one typo away from it.
// (`\x2F` is `/`: a selector's /regex/ may not contain a slash.)
const shadowPattern = `^\\.{1,2}\\x2F(?:[^\\x2F]*\\x2F)*(?:${NODE_BUILTINS.filter((name) => !name.includes('/')).join('|')})(?:\\.[cm]?[jt]sx?)?$`;
const SHADOW_MESSAGE = 'This local module is named like a Node built-in: rename the file (e.g. events.ts → server-events.ts).';
const shadowSyntax = [
  'error',
  ...['ImportDeclaration', 'ExportNamedDeclaration', 'ExportAllDeclaration', 'ImportExpression'].map((node) => ({
    selector: `${node}[source.value=/${shadowPattern}/]`,
    message: SHADOW_MESSAGE,
  })),
];
const UI_FEATURES = ['canvas', 'inspector', 'keys-panel', 'run-panel', 'shell', 'palette'];
const UI_SHARED = ['lib', 'atoms', 'store', 'api', 'commands', 'run-worker'];
const OURS = ['src/engine', 'src/kv', 'src/ui', 'src/server', 'src/conformance-page'];
const zones = [
  { target: 'src/kv', from: OURS.filter((dir) => dir !== 'src/kv'), message: 'kv uses nothing of ours: it is the bottom layer.' },
  { target: 'src/engine', from: ['src/ui', 'src/server', 'src/conformance-page'], message: 'engine uses only kv.' },
  { target: 'src/server', from: ['src/ui', 'src/conformance-page'], message: 'server uses only engine and kv.' },
  {
    target: ['src/engine', 'src/kv', 'src/ui', 'src/conformance-page', 'e2e'],
    from: 'src/server',
    message: 'Only src/server imports src/server (the UI talks to it over HTTP).',
  },
  ...UI_FEATURES.flatMap((feature) =>
    UI_FEATURES.filter((other) => other !== feature).map((other) => ({
      target: `src/ui/${feature}`,
      from: `src/ui/${other}`,
      message: `UI features do not import each other: move what ${feature} needs from ${other} into src/ui/lib (or atoms, store, api, commands).`,
    })),
  ),
  {
    target: UI_SHARED.map((dir) => `src/ui/${dir}`),
    from: UI_FEATURES.map((feature) => `src/ui/${feature}`),
    message: 'Shared UI code (lib, atoms, store, api, commands, run-worker) does not import a feature.',
  },
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'test-results/**', 'playwright-report/**', 'data/**', '.tmp/**', 'build/**'] },
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
    files: ['src/**', 'e2e/**'],
    plugins: { 'import-x': importX },
    settings: { 'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.tsx', '.js', '.mjs', '.json'] })] },
    rules: {
      'import-x/no-restricted-paths': ['error', { zones }],
      'no-restricted-syntax': shadowSyntax,
    },
  },
  {
    files: ['src/engine/**', 'src/kv/**'],
    ignores: ['src/**/*.test.ts'],
    rules: {
      'no-restricted-imports': portableImports,
      'no-restricted-globals': portableGlobals,
    },
  },
  {
    // The browser store needs Web Locks (navigator.locks) to keep a batch atomic across tabs.
    files: ['src/kv/indexeddb.ts'],
    rules: { 'no-restricted-globals': ['error', ...portableGlobals.slice(1).filter((entry) => entry.name !== 'navigator')] },
  },
  {
    files: ['src/ui/**', 'src/conformance-page/**'],
    rules: { 'no-restricted-imports': uiImports },
  },
);
