import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunRecord } from '../engine/types';
import { formatRunSummary, parseArgs, type CliCommand } from './cli';

const REPO_ROOT = resolve(import.meta.dirname, '../..');
const KVB = resolve(REPO_ROOT, 'bin/kvb.mjs');

function parsed(argv: string[]): CliCommand {
  const result = parseArgs(argv);
  if (!result.ok) throw new Error(`expected ${argv.join(' ')} to parse, got: ${result.message}`);
  return result.command;
}

function usageError(argv: string[]): string {
  const result = parseArgs(argv);
  if (result.ok) throw new Error(`expected ${argv.join(' ')} to be refused`);
  return result.message;
}

describe('parseArgs', () => {
  it('reads kvb run with its defaults', () => {
    expect(parsed(['run', 'bp.json'])).toEqual({
      command: 'run',
      file: 'bp.json',
      input: null,
      json: false,
      dataDir: './data',
      server: null,
      companyId: 'default',
    });
  });

  it('reads --input as inline JSON or as @file, and --flag=value', () => {
    expect(parsed(['run', 'bp.json', '--input', '{"a":1}'])).toMatchObject({ input: { kind: 'inline', text: '{"a":1}' } });
    expect(parsed(['run', '--input=@in.json', 'bp.json', '--json', '--data', '/tmp/d'])).toMatchObject({
      input: { kind: 'file', path: 'in.json' },
      json: true,
      dataDir: '/tmp/d',
      file: 'bp.json',
    });
  });

  it('refuses unknown, repeated and value-less flags with a clear message', () => {
    expect(usageError(['run', 'bp.json', '--verbose'])).toBe("Unknown option --verbose for 'kvb run'");
    expect(usageError(['run', 'bp.json', '-x'])).toBe("Unknown option -x for 'kvb run'");
    expect(usageError(['run', 'bp.json', '--data', 'a', '--data', 'b'])).toBe('--data is given twice');
    expect(usageError(['run', 'bp.json', '--data'])).toBe('--data needs a value');
    expect(usageError(['run', 'bp.json', '--json=yes'])).toBe('--json takes no value');
    expect(usageError(['run'])).toMatch(/^Missing the blueprint file/);
    expect(usageError(['run', 'a.json', 'b.json'])).toMatch(/^Unexpected argument 'b\.json'/);
    expect(usageError(['run', 'bp.json', '--server', 'ftp://x'])).toMatch(/http or https/);
    expect(usageError(['deploy'])).toMatch(/^Unknown command 'deploy'/);
  });

  it('reads kv actions with scope, type, ttl and mode', () => {
    expect(
      parsed([
        'kv',
        'set',
        'cfg',
        '{"a":1}',
        '--type',
        'json',
        '--ttl',
        '30',
        '--scope',
        'flow',
        '--scope-key',
        'bp-1',
        '--mode',
        'create',
      ]),
    ).toEqual({
      command: 'kv',
      action: 'set',
      key: 'cfg',
      value: '{"a":1}',
      valueType: 'json',
      ttlSeconds: 30,
      mode: 'create',
      scope: 'flow',
      scopeKey: 'bp-1',
      json: false,
      dataDir: './data',
      server: null,
      companyId: 'default',
    });
    expect(parsed(['kv', 'list', '--prefix', 'user_', '--limit', '5'])).toMatchObject({
      action: 'list',
      prefix: 'user_',
      limit: 5,
      scope: 'global',
    });
    expect(parsed(['kv', 'set', 'n', '-5'])).toMatchObject({ value: '-5' });
    expect(parsed(['kv', 'set', 'n', '--', '--literal'])).toMatchObject({ value: '--literal' });
  });

  it('refuses kv usage that cannot be right', () => {
    expect(usageError(['kv', 'get', 'k', '--scope', 'flow'])).toBe('--scope flow needs --scope-key <blueprint id>');
    expect(usageError(['kv', 'get', 'k', '--scope', 'team'])).toMatch(/--scope must be one of flow, flow_group, global/);
    expect(usageError(['kv', 'get', 'k', '--prefix', 'a'])).toBe("--prefix does not apply to 'kvb kv get'");
    expect(usageError(['kv', 'set', 'k', 'v', '--ttl', '-1'])).toMatch(/--ttl must be a positive number/);
    expect(usageError(['kv', 'set', 'k'])).toMatch(/^Missing the value/);
    expect(usageError(['kv', 'rename', 'k'])).toMatch(/^Unknown kv action 'rename'/);
  });

  it('reads serve with defaults and refuses a bad port', () => {
    expect(parsed(['serve'])).toEqual({ command: 'serve', host: '127.0.0.1', port: 8787, dataDir: './data' });
    expect(parsed(['serve', '--port', '0', '--host', '::1'])).toMatchObject({ port: 0, host: '::1' });
    expect(usageError(['serve', '--port', '80a'])).toMatch(/--port must be a whole number/);
    expect(usageError(['serve', '--port', '70000'])).toMatch(/--port must be a whole number/);
  });

  it('gives help for kvb and each command', () => {
    expect(parsed([])).toEqual({ command: 'help', topic: 'kvb' });
    expect(parsed(['--help'])).toEqual({ command: 'help', topic: 'kvb' });
    expect(parsed(['run', '--help'])).toEqual({ command: 'help', topic: 'run' });
    expect(parsed(['kv', '-h'])).toEqual({ command: 'help', topic: 'kv' });
    expect(parsed(['help', 'serve'])).toEqual({ command: 'help', topic: 'serve' });
  });
});

describe('formatRunSummary', () => {
  it('shows the status, each step with outcome and duration, the outputs and the error', () => {
    const record: RunRecord = {
      runId: 'r1',
      blueprintId: 'demo',
      status: 'failed',
      startedAt: '2030-01-01T00:00:00.000Z',
      finishedAt: '2030-01-01T00:00:00.012Z',
      input: {},
      state: {},
      outputs: [{ n: 1 }],
      steps: [
        {
          nodeId: 'start',
          type: 'start',
          outcome: 'success',
          startedAt: '2030-01-01T00:00:00.000Z',
          durationMs: 0.25,
          result: {},
          error: null,
          reads: [],
          writes: [],
        },
        {
          nodeId: 'get',
          type: 'kv',
          action: 'get',
          outcome: 'error',
          startedAt: '2030-01-01T00:00:00.001Z',
          durationMs: 11.4,
          result: null,
          error: { code: 'not_found', message: "Key 'x' not found", nodeId: 'get' },
          reads: ['flow:x'],
          writes: [],
        },
      ],
      error: { code: 'not_found', message: "Key 'x' not found", nodeId: 'get' },
    };
    const lines = formatRunSummary(record).trimEnd().split('\n');
    expect(lines[0]).toBe('Run failed — demo (2 steps, 12 ms)');
    expect(lines[1]).toMatch(/^\s+1\. start \(start\)\s+success\s+0\.3 ms$/);
    expect(lines[2]).toMatch(/^\s+2\. get \(kv get\)\s+error\s+11 ms\s+not_found: Key 'x' not found$/);
    expect(lines.slice(3)).toEqual(['Outputs:', '  {"n":1}', "Error at get: not_found: Key 'x' not found"]);
  });
});

// ---------------------------------------------------------------------------------------------
// The real command, as a user runs it.

let workDir: string;
beforeEach(() => {
  workDir = mkdtempSync(join(tmpdir(), 'kvb-cli-'));
});
afterEach(() => rmSync(workDir, { recursive: true, force: true }));

interface Outcome {
  status: number | null;
  stdout: string;
  stderr: string;
}

function kvb(args: string[], options: { input?: string; env?: NodeJS.ProcessEnv } = {}): Outcome {
  const result = spawnSync(process.execPath, [KVB, ...args], {
    cwd: workDir,
    encoding: 'utf8',
    input: options.input ?? '',
    env: { ...process.env, KVB_MASTER_KEY: '', KVB_DEBUG: '', ...options.env },
    timeout: 30_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function writeJson(name: string, value: unknown): string {
  const path = join(workDir, name);
  writeFileSync(path, JSON.stringify(value, null, 2));
  return path;
}

const node = (id: string, type: string, x: number, data: Record<string, unknown>) => ({ id, type, position: { x, y: 0 }, data });
const edge = (source: string, target: string, sourceHandle = 'success') => ({
  id: `${source}-${sourceHandle}-${target}`,
  source,
  sourceHandle,
  target,
});

/** Greets the input's name and remembers it under `last_name`. */
const greeter = {
  format: 'kv-blueprint/1',
  id: 'greeter',
  name: 'Greeter',
  nodes: [
    node('start', 'start', 0, { sampleInput: { name: 'sample' } }),
    node('remember', 'kv', 200, { action: 'save', key: 'last_name', valueType: 'text', value: '@{input.name}', scope: 'flow' }),
    node('greet', 'output', 400, { valueType: 'text', value: 'Hello, @{input.name}!' }),
  ],
  edges: [edge('start', 'remember'), edge('remember', 'greet')],
};

/** Reads a key that was never written, with no error edge: the run fails. */
const failing = {
  format: 'kv-blueprint/1',
  id: 'failing',
  name: 'Failing',
  nodes: [node('start', 'start', 0, {}), node('read', 'kv', 200, { action: 'get', key: 'never_written', scope: 'flow' })],
  edges: [edge('start', 'read')],
};

describe('kvb run', () => {
  it('exits 0 for a succeeded run and prints exactly the run record with --json', () => {
    const file = writeJson('greeter.json', greeter);
    const { status, stdout, stderr } = kvb(['run', file, '--data', 'store', '--input', '{"name":"Ada"}', '--json']);
    expect(stderr).toBe('');
    expect(status).toBe(0);
    const record = JSON.parse(stdout) as RunRecord;
    expect(Object.keys(record).sort()).toEqual([
      'blueprintId',
      'error',
      'finishedAt',
      'input',
      'outputs',
      'runId',
      'startedAt',
      'state',
      'status',
      'steps',
    ]);
    expect(record).toMatchObject({
      blueprintId: 'greeter',
      status: 'succeeded',
      input: { name: 'Ada' },
      outputs: ['Hello, Ada!'],
      error: null,
    });
    expect(record.steps.map((step) => [step.nodeId, step.outcome])).toEqual([
      ['start', 'success'],
      ['remember', 'success'],
      ['greet', 'success'],
    ]);
    expect(record.steps[1]).toMatchObject({ type: 'kv', action: 'save', writes: ['flow:last_name'] });
    expect(typeof record.steps[1]!.durationMs).toBe('number');
  });

  it('runs on the start block sampleInput without --input, and reads --input @file', () => {
    const file = writeJson('greeter.json', greeter);
    expect(JSON.parse(kvb(['run', file, '--data', 'store', '--json']).stdout)).toMatchObject({ outputs: ['Hello, sample!'] });
    writeJson('input.json', { name: 'from a file' });
    expect(JSON.parse(kvb(['run', file, '--data', 'store', '--json', '--input', '@input.json']).stdout)).toMatchObject({
      outputs: ['Hello, from a file!'],
    });
  });

  it('exits 1 for a failed run and prints a readable summary with the error', () => {
    const file = writeJson('failing.json', failing);
    const { status, stdout } = kvb(['run', file, '--data', 'store']);
    expect(status).toBe(1);
    expect(stdout).toMatch(/^Run failed — failing \(2 steps, /);
    expect(stdout).toMatch(/read \(kv get\)\s+error .*not_found: Key 'never_written' not found/);
    expect(stdout).toMatch(/^Error at read: not_found: /m);
  });

  it('exits 2 for an invalid document, listing every problem on stderr, path first', () => {
    const broken = {
      ...greeter,
      nodes: [...greeter.nodes, node('start', 'kv', 0, { action: 'fetch' })],
      edges: [edge('start', 'nowhere')],
    };
    const file = writeJson('broken.json', broken);
    const { status, stdout, stderr } = kvb(['run', file, '--data', 'store']);
    expect(status).toBe(2);
    expect(stdout).toBe('');
    const problems = stderr.trimEnd().split('\n').slice(1);
    expect(problems.length).toBeGreaterThanOrEqual(2);
    for (const line of problems) expect(line).toMatch(/^(nodes|edges|format|id|name|settings)[^\s:]*: \S/);
    expect(stderr).toMatch(/^nodes\[3\]\.data\.action: /m);
    expect(stderr).toMatch(/nowhere/);
  });

  it('says at which line and column a blueprint file or --input is not JSON, and accepts a byte order mark', () => {
    const broken = join(workDir, 'broken.json');
    writeFileSync(broken, '{\n  "format": "kv-blueprint/1",\n  "nodes": [,]\n}');
    const file = kvb(['run', broken, '--data', 'store']);
    expect(file.status).toBe(2);
    expect(file.stderr).toMatch(/broken\.json is not valid JSON at line 3, column 13: /);
    const input = kvb(['run', writeJson('greeter.json', greeter), '--data', 'store', '--input', '{"name":']);
    expect(input.stderr).toMatch(/^kvb: --input is not valid JSON at line 1, column 9: /);
    const withBom = join(workDir, 'bom.json');
    writeFileSync(withBom, `\uFEFF${JSON.stringify(greeter)}`);
    expect(kvb(['run', withBom, '--data', 'store']).status).toBe(0);
  });

  it('refuses JSON nesting past 64 levels in --input, a blueprint file and kv set values, exit 2, nothing stored', () => {
    const file = writeJson('greeter.json', greeter);
    const deep = `${'['.repeat(65)}1${']'.repeat(65)}`;
    const input = kvb(['run', file, '--data', 'store', '--input', deep]);
    expect(input.status).toBe(2);
    expect(input.stderr).toMatch(/^kvb: --input is not valid JSON at line 1, column 65: .*more than 64 levels/);
    const deepFile = join(workDir, 'deep.json');
    writeFileSync(deepFile, `{"format":"kv-blueprint/1","id":"x","nodes":${'['.repeat(3000)}${']'.repeat(3000)},"edges":[]}`);
    const blueprint = kvb(['run', deepFile, '--data', 'store']);
    expect(blueprint.status).toBe(2);
    expect(blueprint.stderr).toMatch(/more than 64 levels/);
    const set = kvb(['kv', 'set', 'deep', `${'['.repeat(3000)}${']'.repeat(3000)}`, '--type', 'json', '--data', 'store']);
    expect(set.status).toBe(2);
    expect(set.stderr).toMatch(/more than 64 levels/);
    expect(kvb(['kv', 'list', '--data', 'store']).stdout).toBe('');
  });

  it.runIf(process.platform === 'linux')('fails fast with exit 2 for a --data directory that cannot be created (/proc/x)', () => {
    const started = Date.now();
    const { status, stderr } = kvb(['kv', 'list', '--data', '/proc/kvb-cannot-exist']);
    expect(status).toBe(2);
    expect(stderr).toMatch(/^kvb: Cannot use the data directory \/proc\/kvb-cannot-exist: /);
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('exits 2 rather than starting an empty store when kvb.sqlite was truncated to 0 bytes', () => {
    expect(kvb(['kv', 'set', 'kept', 'v', '--data', 'store']).status).toBe(0);
    for (const suffix of ['', '-wal', '-shm']) rmSync(join(workDir, 'store', `kvb.sqlite${suffix}`), { force: true });
    writeFileSync(join(workDir, 'store', 'kvb.sqlite'), '');
    const { status, stderr } = kvb(['kv', 'list', '--data', 'store']);
    expect(status).toBe(2);
    expect(stderr).toMatch(/is empty \(0 bytes\) although this data directory has a master key/);
  });

  it('exits 2 with one line and no stack trace for usage mistakes', () => {
    const file = writeJson('greeter.json', greeter);
    for (const args of [
      ['run', file, '--colour'],
      ['run', 'missing.json'],
      ['run', file, '--input', '{not json'],
      ['run', file, '--input', '@absent.json'],
    ]) {
      const { status, stderr } = kvb(args);
      expect(status, args.join(' ')).toBe(2);
      expect(stderr).toMatch(/^kvb: /);
      expect(stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('prints help and exits 0', () => {
    const { status, stdout } = kvb(['run', '--help']);
    expect(status).toBe(0);
    expect(stdout).toMatch(/^kvb run <blueprint\.json>/);
  });
});

describe('kvb kv', () => {
  it('lists around a damaged value, saying how many it skipped, and deletes it', () => {
    const data = ['--data', 'store'];
    for (const key of ['first', 'broken', 'last']) expect(kvb(['kv', 'set', key, `value of ${key}`, ...data]).status).toBe(0);
    const raw = new BetterSqlite3(join(workDir, 'store', 'kvb.sqlite'));
    const blob = raw.prepare("SELECT value_ciphertext FROM kv_entries WHERE key = 'broken'").pluck().get() as Buffer;
    blob[20] = blob[20]! ^ 0x80;
    raw.prepare("UPDATE kv_entries SET value_ciphertext = ? WHERE key = 'broken'").run(blob);
    raw.close();
    const listed = kvb(['kv', 'list', ...data]);
    expect(listed).toMatchObject({ status: 0, stdout: 'first\nlast\n' });
    expect(listed.stderr).toMatch(/skipped 1 stored value in global scope that failed to decrypt \(damaged or tampered\): 'broken'/);
    expect(kvb(['kv', 'get', 'broken', ...data]).status).toBe(1);
    expect(kvb(['kv', 'delete', 'broken', ...data]).status).toBe(0);
    expect(kvb(['kv', 'list', ...data])).toMatchObject({ status: 0, stdout: 'first\nlast\n', stderr: '' });
  });

  it('sets, gets, lists and deletes keys for scripts', () => {
    const data = ['--data', 'store'];
    expect(kvb(['kv', 'set', 'greeting', 'hello world', ...data])).toMatchObject({
      status: 0,
      stdout: "Created 'greeting' in global scope (version 1)\n",
    });
    expect(kvb(['kv', 'set', 'config', '{"retries":3,"tags":["a"]}', '--type', 'json', ...data]).status).toBe(0);
    expect(kvb(['kv', 'set', 'piped', '-', ...data], { input: 'from stdin\n' }).status).toBe(0);

    expect(kvb(['kv', 'get', 'greeting', ...data])).toMatchObject({ status: 0, stdout: 'hello world\n' });
    expect(JSON.parse(kvb(['kv', 'get', 'config', ...data]).stdout)).toEqual({ retries: 3, tags: ['a'] });
    expect(kvb(['kv', 'get', 'piped', ...data]).stdout).toBe('from stdin\n');
    expect(JSON.parse(kvb(['kv', 'get', 'config', '--json', ...data]).stdout)).toMatchObject({
      key: 'config',
      valueType: 'json',
      version: 1,
      scope: 'global',
    });

    expect(kvb(['kv', 'list', ...data]).stdout).toBe('config\ngreeting\npiped\n');
    expect(kvb(['kv', 'list', '--prefix', 'g', ...data]).stdout).toBe('greeting\n');
    expect((JSON.parse(kvb(['kv', 'list', '--json', ...data]).stdout) as { key: string }[]).map((e) => e.key)).toEqual([
      'config',
      'greeting',
      'piped',
    ]);

    expect(kvb(['kv', 'delete', 'greeting', ...data])).toMatchObject({ status: 0, stdout: "Deleted 'greeting' from global scope\n" });
    const missing = kvb(['kv', 'get', 'greeting', ...data]);
    expect(missing).toMatchObject({ status: 1, stdout: '', stderr: "kvb: Key 'greeting' not found in global scope\n" });
    expect(kvb(['kv', 'delete', 'greeting', ...data]).status).toBe(1);
  });

  it('sees the keys a run wrote in the blueprint flow scope', () => {
    const file = writeJson('greeter.json', greeter);
    expect(kvb(['run', file, '--data', 'store', '--input', '{"name":"Grace"}']).status).toBe(0);
    expect(kvb(['kv', 'get', 'last_name', '--scope', 'flow', '--scope-key', 'greeter', '--data', 'store']).stdout).toBe('Grace\n');
    expect(kvb(['kv', 'get', 'last_name', '--data', 'store']).status).toBe(1);
  });

  it('reports store refusals with their code: exit 1 for conflicts, 2 for a bad key or bad JSON', () => {
    const data = ['--data', 'store'];
    kvb(['kv', 'set', 'once', 'v', ...data]);
    const conflict = kvb(['kv', 'set', 'once', 'v', '--mode', 'create', ...data]);
    expect(conflict.status).toBe(1);
    expect(conflict.stderr).toMatch(/already exists.*\(already_exists\)$/m);
    const badKey = kvb(['kv', 'set', 'has space', 'v', ...data]);
    expect(badKey.status).toBe(2);
    expect(badKey.stderr).toMatch(/\(invalid_key\)$/m);
    expect(kvb(['kv', 'set', 'j', '{oops', '--type', 'json', ...data]).status).toBe(2);
  });
});

describe('kvb kv export and import', () => {
  it('export of a data directory, imported into an empty one, reproduces every entry of every scope', () => {
    const from = ['--data', 'store'];
    kvb(['kv', 'set', 'greeting', 'hello', ...from]);
    kvb(['kv', 'set', 'config', '{"retries":3,"tags":["a"]}', '--type', 'json', ...from]);
    kvb(['kv', 'set', 'session', 'abc', '--ttl', '3600', ...from]);
    kvb(['kv', 'set', 'last', 'Ada', '--scope', 'flow', '--scope-key', 'bp-1', ...from]);
    kvb(['kv', 'set', 'team', '["x"]', '--type', 'json', '--scope', 'flow_group', '--scope-key', 'g-1', ...from]);
    const exported = kvb(['kv', 'export', ...from]);
    expect(exported).toMatchObject({ status: 0, stderr: '' });
    const lines = exported.stdout.trimEnd().split('\n');
    expect(lines.map((line) => (JSON.parse(line) as { scope: string; key: string }).key)).toEqual([
      'last',
      'team',
      'config',
      'greeting',
      'session',
    ]);
    writeFileSync(join(workDir, 'dump.ndjson'), exported.stdout);

    const imported = kvb(['kv', 'import', 'dump.ndjson', '--data', 'copy']);
    expect(imported).toMatchObject({ status: 0, stdout: 'Imported 5 lines: 5 created, 0 updated, 0 skipped\n', stderr: '' });
    expect(kvb(['kv', 'export', '--data', 'copy']).stdout).toBe(exported.stdout);
    const entry = (data: string) =>
      JSON.parse(kvb(['kv', 'get', 'config', '--json', '--data', data]).stdout) as { value: unknown; valueType: string };
    expect(entry('copy')).toMatchObject({ value: { retries: 3, tags: ['a'] }, valueType: 'json' });

    // From stdin, mode create: every key is there already, so every line is skipped.
    const again = kvb(['kv', 'import', '-', '--mode', 'create', '--json', '--data', 'copy'], { input: exported.stdout });
    expect(again).toMatchObject({ status: 0 });
    expect(JSON.parse(again.stdout)).toEqual({ created: 0, updated: 0, skipped: 5 });
  });

  it('exports one scope with a prefix, and names the bad line of an import, writing nothing', () => {
    const data = ['--data', 'store'];
    kvb(['kv', 'set', 'a_1', 'one', '--scope', 'flow', '--scope-key', 'bp', ...data]);
    kvb(['kv', 'set', 'b_1', 'two', '--scope', 'flow', '--scope-key', 'bp', ...data]);
    const some = kvb(['kv', 'export', '--scope', 'flow', '--scope-key', 'bp', '--prefix', 'b_', ...data]);
    expect(some.stdout).toBe('{"scope":"flow","scopeKey":"bp","key":"b_1","value":"two","valueType":"text","expiresAt":null}\n');
    writeFileSync(join(workDir, 'bad.ndjson'), `${some.stdout}{"scope":"global","key":"has space","value":1}\n`);
    const bad = kvb(['kv', 'import', 'bad.ndjson', '--data', 'other']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^kvb: Line 2: Key 'has space' has a space.*\(invalid_key\)$/m);
    expect(kvb(['kv', 'export', '--data', 'other']).stdout).toBe('');
    expect(kvb(['kv', 'import', 'missing.ndjson', ...data])).toMatchObject({ status: 2 });
  });

  it('refuses flags that do not apply', () => {
    expect(usageError(['kv', 'import', 'f.ndjson', '--scope', 'global'])).toBe(
      "--scope does not apply to 'kvb kv import': each line names its scope",
    );
    expect(usageError(['kv', 'import'])).toMatch(/^Missing the NDJSON file/);
    expect(usageError(['kv', 'import', 'f', '--mode', 'update'])).toBe("--mode must be one of upsert, create; got 'update'");
    expect(usageError(['kv', 'export', '--json'])).toMatch(/--json does not apply/);
    expect(usageError(['kv', 'export', '--scope-key', 'x'])).toBe('--scope-key needs --scope flow or flow_group');
    expect(usageError(['kv', 'export', '--ttl', '3'])).toBe("--ttl does not apply to 'kvb kv export'");
    expect(parsed(['kv', 'export'])).toMatchObject({ action: 'export', scope: null, prefix: '' });
    expect(parsed(['kv', 'import', '-', '--mode', 'create'])).toMatchObject({ action: 'import', file: '-', mode: 'create' });
  });
});

describe('kvb serve', () => {
  it('prints its URL, serves the store to --server commands, and stops on SIGTERM with exit 0', async () => {
    const child = spawn(process.execPath, [KVB, 'serve', '--port', '0', '--data', join(workDir, 'store')], {
      cwd: workDir,
      env: { ...process.env, KVB_MASTER_KEY: '', KVB_TOKENS: '' },
    });
    try {
      const url = await new Promise<string>((found, failed) => {
        createInterface({ input: child.stdout }).on('line', (line) => {
          const match = /^kvb serving (http:\/\/127\.0\.0\.1:\d+)$/.exec(line);
          if (match) found(match[1]!);
        });
        child.on('exit', (code) => failed(new Error(`kvb serve exited with ${code}`)));
      });
      const response = await fetch(`${url}/api/kv?scope=global`);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ entries: [], nextCursor: null });

      // The same commands work against the server's store.
      const file = writeJson('greeter.json', greeter);
      expect(JSON.parse(kvb(['run', file, '--server', url, '--input', '{"name":"Remote"}', '--json']).stdout)).toMatchObject({
        status: 'succeeded',
        outputs: ['Hello, Remote!'],
      });
      expect(kvb(['kv', 'get', 'last_name', '--scope', 'flow', '--scope-key', 'greeter', '--server', url])).toMatchObject({
        status: 0,
        stdout: 'Remote\n',
      });
      expect(kvb(['kv', 'get', 'absent', '--server', url]).status).toBe(1);
      const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
});
