/**
 * Probes for the boundaries the tools enforce: small sources placed (virtually) in each layer
 * and linted with the repository's eslint.config.js, so a rule that silently stops firing (a
 * typo in a zone, a resolver that no longer finds `.ts` files) fails here. The last case
 * checks tsconfig.portable.json the same way with a Node-only global.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const eslint = new ESLint({ cwd: root });

interface Finding {
  rule: string | null;
  line: number;
  message: string;
}

/** The findings for `code` as if it were the file at `filePath` (relative to the repository). */
async function lint(filePath: string, code: string): Promise<Finding[]> {
  const [result] = await eslint.lintText(code, { filePath: join(root, filePath) });
  return (result?.messages ?? []).map((m) => ({ rule: m.ruleId, line: m.line, message: m.message }));
}

const rulesOf = (findings: Finding[]) => findings.map((f) => f.rule);

describe('lint boundaries', () => {
  it('kv imports nothing of ours: kv → engine is reported', async () => {
    const findings = await lint(
      'src/kv/probe.ts',
      "import { runBlueprint } from '../engine/runner';\nexport const probe = runBlueprint;\n",
    );
    expect(findings).toEqual([
      expect.objectContaining({
        rule: 'import-x/no-restricted-paths',
        line: 1,
        message: expect.stringContaining('kv uses nothing of ours'),
      }),
    ]);
  });

  it('engine imports no React, no node:fs and no bare fs', async () => {
    const findings = await lint(
      'src/engine/probe.ts',
      "import { useState } from 'react';\nimport { readFileSync } from 'node:fs';\nimport { join } from 'path';\nexport const probe = [useState, readFileSync, join];\n",
    );
    expect(findings.map((f) => [f.rule, f.line])).toEqual([
      ['no-restricted-imports', 1],
      ['no-restricted-imports', 2],
      ['no-restricted-imports', 3],
    ]);
    expect(findings[0]?.message).toContain('React');
    expect(findings[1]?.message).toContain('Node built-in');
  });

  it('engine and kv use no Buffer, process or document', async () => {
    const code = "export const probe = [Buffer.from('x'), process.env.HOME, document.title];\n";
    for (const layer of ['src/engine/probe.ts', 'src/kv/probe.ts']) {
      const findings = await lint(layer, code);
      expect(rulesOf(findings)).toEqual(['no-restricted-globals', 'no-restricted-globals', 'no-restricted-globals']);
      expect(findings.map((f) => f.message.split("'")[1])).toEqual(['Buffer', 'process', 'document']);
    }
  });

  it('a local variable named document is not the global', async () => {
    const findings = await lint('src/engine/probe.ts', 'export const probe = (document: { id: string }) => document.id;\n');
    expect(findings).toEqual([]);
  });

  it('only the browser store may use navigator, and only navigator', async () => {
    const code = 'export const probe = [navigator.locks, window.name];\n';
    expect((await lint('src/kv/indexeddb.ts', code)).map((f) => f.message.split("'")[1])).toEqual(['window']);
    expect((await lint('src/kv/memory.ts', code)).map((f) => f.message.split("'")[1])).toEqual(['navigator', 'window']);
  });

  it('ui and engine never import server', async () => {
    const code = "import { startServer } from '../server/http/serve';\nexport const probe = startServer;\n";
    const fromUi = await lint('src/ui/probe.ts', code);
    expect(fromUi).toEqual([
      expect.objectContaining({
        rule: 'import-x/no-restricted-paths',
        message: expect.stringContaining('Only src/server imports src/server'),
      }),
    ]);
    // From engine, two zones say no: engine uses only kv, and only server imports server.
    const fromEngine = await lint('src/engine/probe.ts', code);
    expect(rulesOf(fromEngine)).toEqual(['import-x/no-restricted-paths', 'import-x/no-restricted-paths']);
  });

  it('server does not import ui', async () => {
    const findings = await lint(
      'src/server/probe.ts',
      "import { blockTitle } from '../ui/lib/block-title';\nexport const probe = blockTitle;\n",
    );
    expect(findings).toEqual([
      expect.objectContaining({ rule: 'import-x/no-restricted-paths', message: expect.stringContaining('server uses only engine and kv') }),
    ]);
  });

  it('a UI feature does not import another feature', async () => {
    const findings = await lint(
      'src/ui/canvas/probe.ts',
      "import { Inspector } from '../inspector/Inspector';\nexport const probe = Inspector;\n",
    );
    expect(findings).toEqual([
      expect.objectContaining({ rule: 'import-x/no-restricted-paths', message: expect.stringContaining('src/ui/lib') }),
    ]);
  });

  it('a local module named like a Node built-in is reported', async () => {
    const findings = await lint(
      'src/engine/probe.ts',
      "import { bus } from './events';\nexport { util } from '../kv/util';\nexport const probe = bus;\n",
    );
    expect(findings.map((f) => [f.rule, f.line])).toEqual([
      ['no-restricted-syntax', 1],
      ['no-restricted-syntax', 2],
    ]);
  });

  it('the permitted arrows pass: ui → engine, kv, store; engine → kv; server → engine, kv', async () => {
    const probes: Array<[string, string]> = [
      [
        'src/ui/canvas/probe.ts',
        "import { runBlueprint } from '../../engine/runner';\nimport { KvError } from '../../kv/errors';\nimport { useEditorStore } from '../store';\nexport const probe = [runBlueprint, KvError, useEditorStore];\n",
      ],
      [
        'src/engine/probe.ts',
        "import { KvError } from '../kv/errors';\nimport { z } from 'zod';\nexport const probe = [KvError, z, globalThis.crypto.randomUUID()];\n",
      ],
      [
        'src/server/probe.ts',
        "import { readFileSync } from 'node:fs';\nimport { validateBlueprint } from '../engine/document';\nimport { MemoryStore } from '../kv/memory';\nexport const probe = [readFileSync, validateBlueprint, MemoryStore, process.env.HOME];\n",
      ],
    ];
    for (const [file, code] of probes) expect(await lint(file, code), file).toEqual([]);
  });
});

describe('portable typecheck (tsconfig.portable.json)', () => {
  mkdirSync(join(root, '.tmp'), { recursive: true });
  const dir = mkdtempSync(join(root, '.tmp/portable-probe-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a Node-only global in engine code', () => {
    writeFileSync(join(dir, 'probe.ts'), "export const probe: unknown = [Buffer.from('x'), structuredClone({ a: 1 })];\n");
    // The portable settings, for this one file instead of src/engine and src/kv.
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({ extends: '../../tsconfig.portable.json', include: ['probe.ts', '../../src/portable-globals.d.ts'], exclude: [] }),
    );
    const result = spawnSync(
      process.execPath,
      [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(dir, 'tsconfig.json'), '--noEmit'],
      { encoding: 'utf8' },
    );
    expect(result.stdout).toMatch(/probe\.ts\(1,32\): error TS\d+: Cannot find name 'Buffer'/);
    // structuredClone is one of the declared portable APIs: Buffer is the only error.
    expect(result.stdout.match(/error TS/g)).toHaveLength(1);
    expect(result.status).not.toBe(0);
  }, 60_000);
});
