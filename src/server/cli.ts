/**
 * The `kvb` command line: run a blueprint, read and write stored keys, serve the web app.
 *
 * `parseArgs` turns argv into a typed command without touching the outside world; `main`
 * carries it out and returns the exit code: 0 success, 1 the work failed (a failed run, a
 * missing key, a store error), 2 bad usage or an invalid document.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describeJsonProblem, parseJson as parseJsonText } from '../kv/json';
import { DEFAULT_COMPANY_ID } from '../engine/kv-access';
import type { RunRecord } from '../engine/types';
import { KvError, exitCodeOf, isKvError } from '../kv/errors';
import {
  SAVE_MODES,
  SCOPES,
  VALUE_TYPES,
  type Entry,
  type JsonValue,
  type KeyValueStore,
  type KvOp,
  type SaveMode,
  type Scope,
  type ValueType,
} from '../kv/types';
import { IMPORT_MODES, type ImportMode } from '../kv/transfer';
import { projectRoot } from './repo-root';
import { DataDirectoryError } from './storage/types';

// ---------------------------------------------------------------------------------------------
// Commands

export type Topic = 'kvb' | 'run' | 'kv' | 'serve';

interface StoreTarget {
  dataDir: string;
  /** A kvb server's URL: use it through the HTTP store instead of the local data directory. */
  server: string | null;
  companyId: string;
}

export type InputSource = { kind: 'inline'; text: string } | { kind: 'file'; path: string };

interface KvTarget extends StoreTarget {
  scope: Scope;
  scopeKey: string | undefined;
  json: boolean;
}

export type CliCommand =
  | { command: 'help'; topic: Topic }
  | { command: 'version' }
  | ({ command: 'run'; file: string; input: InputSource | null; json: boolean } & StoreTarget)
  | ({ command: 'kv'; action: 'list'; prefix: string; limit: number | null } & KvTarget)
  | ({ command: 'kv'; action: 'get'; key: string } & KvTarget)
  | ({
      command: 'kv';
      action: 'set';
      key: string;
      value: string;
      valueType: ValueType;
      ttlSeconds: number | null;
      mode: SaveMode;
    } & KvTarget)
  | ({ command: 'kv'; action: 'delete'; key: string } & KvTarget)
  /** `scope: null`: every scope of the company (a data directory only). */
  | ({ command: 'kv'; action: 'export'; prefix: string; scope: Scope | null; scopeKey: string | undefined } & StoreTarget)
  /** `file`: the NDJSON file, or "-" for stdin. */
  | ({ command: 'kv'; action: 'import'; file: string; mode: ImportMode; json: boolean } & StoreTarget)
  | { command: 'serve'; host: string; port: number; dataDir: string };

export type ParseResult = { ok: true; command: CliCommand } | { ok: false; message: string; topic: Topic };

export const DEFAULT_DATA_DIR = './data';
export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 8787;

const KV_ACTIONS = ['list', 'get', 'set', 'delete', 'export', 'import'] as const;

/** Flags each command accepts: `true` when the flag takes a value. */
const FLAGS = {
  run: { input: true, data: true, server: true, company: true, json: false },
  kv: {
    scope: true,
    'scope-key': true,
    company: true,
    data: true,
    server: true,
    json: false,
    type: true,
    ttl: true,
    mode: true,
    prefix: true,
    limit: true,
  },
  serve: { host: true, port: true, data: true },
} as const satisfies Record<Exclude<Topic, 'kvb'>, Record<string, boolean>>;

/** Flags that only some kv actions use, so a misplaced one is reported, not ignored. */
const KV_ACTION_FLAGS: Record<(typeof KV_ACTIONS)[number], readonly string[]> = {
  list: ['prefix', 'limit'],
  get: [],
  set: ['type', 'ttl', 'mode'],
  delete: [],
  export: ['prefix'],
  import: ['mode'],
};

class UsageError extends Error {}

interface SplitArgs {
  positionals: string[];
  flags: Map<string, string | true>;
  help: boolean;
}

/** Splits argv into positionals and known flags (`--name value`, `--name=value`). */
function splitArgs(args: readonly string[], known: Record<string, boolean>, commandName: string): SplitArgs {
  const positionals: string[] = [];
  const flags = new Map<string, string | true>();
  let help = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (arg === '--help' || arg === '-h') {
      help = true;
      continue;
    }
    // A lone "-" (stdin) and negative numbers are values, not flags.
    if (!arg.startsWith('-') || arg === '-' || /^-\d/.test(arg)) {
      positionals.push(arg);
      continue;
    }
    if (!arg.startsWith('--')) throw new UsageError(`Unknown option ${arg} for '${commandName}'`);
    const equals = arg.indexOf('=');
    const name = arg.slice(2, equals === -1 ? undefined : equals);
    if (!Object.hasOwn(known, name)) throw new UsageError(`Unknown option --${name} for '${commandName}'`);
    if (flags.has(name)) throw new UsageError(`--${name} is given twice`);
    if (!known[name]) {
      if (equals !== -1) throw new UsageError(`--${name} takes no value`);
      flags.set(name, true);
      continue;
    }
    const value = equals !== -1 ? arg.slice(equals + 1) : args[++i];
    if (value === undefined) throw new UsageError(`--${name} needs a value`);
    flags.set(name, value);
  }
  return { positionals, flags, help };
}

function text(flags: Map<string, string | true>, name: string): string | undefined {
  const value = flags.get(name);
  return typeof value === 'string' ? value : undefined;
}

function oneOf<T extends string>(flag: string, value: string | undefined, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value))
    throw new UsageError(`--${flag} must be one of ${allowed.join(', ')}; got '${value}'`);
  return value as T;
}

function serverUrl(value: string | undefined): string | null {
  if (value === undefined) return null;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`--server must be a URL such as http://127.0.0.1:8787; got '${value}'`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--server must be an http or https URL; got '${value}'`);
  return value.replace(/\/+$/, '');
}

function nonEmpty(flag: string, value: string | undefined, fallback: string): string {
  if (value === undefined) return fallback;
  if (value.trim() === '') throw new UsageError(`--${flag} must not be empty`);
  return value;
}

function positiveNumber(flag: string, value: string | undefined, wholeNumber: boolean): number | null {
  if (value === undefined) return null;
  const number = Number(value);
  if (value.trim() === '' || !Number.isFinite(number) || number <= 0 || (wholeNumber && !Number.isInteger(number))) {
    throw new UsageError(`--${flag} must be a positive ${wholeNumber ? 'whole number' : 'number'}; got '${value}'`);
  }
  return number;
}

function expectPositionals(positionals: string[], names: readonly string[], usage: string): void {
  if (positionals.length < names.length) throw new UsageError(`Missing ${names[positionals.length]}: ${usage}`);
  if (positionals.length > names.length) throw new UsageError(`Unexpected argument '${positionals[names.length]}': ${usage}`);
}

function parseRun(args: readonly string[]): CliCommand {
  const { positionals, flags, help } = splitArgs(args, FLAGS.run, 'kvb run');
  if (help) return { command: 'help', topic: 'run' };
  expectPositionals(positionals, ['the blueprint file'], 'kvb run <blueprint.json>');
  const inputFlag = text(flags, 'input');
  return {
    command: 'run',
    file: positionals[0]!,
    input:
      inputFlag === undefined
        ? null
        : inputFlag.startsWith('@')
          ? { kind: 'file', path: nonEmpty('input', inputFlag.slice(1), '') }
          : { kind: 'inline', text: inputFlag },
    json: flags.has('json'),
    dataDir: nonEmpty('data', text(flags, 'data'), DEFAULT_DATA_DIR),
    server: serverUrl(text(flags, 'server')),
    companyId: nonEmpty('company', text(flags, 'company'), DEFAULT_COMPANY_ID),
  };
}

function parseKv(args: readonly string[]): CliCommand {
  const { positionals, flags, help } = splitArgs(args, FLAGS.kv, 'kvb kv');
  if (help || positionals.length === 0) {
    if (help) return { command: 'help', topic: 'kv' };
    throw new UsageError('Missing the action: kvb kv list|get|set|delete|export|import');
  }
  const [action, ...rest] = positionals as [string, ...string[]];
  if (!(KV_ACTIONS as readonly string[]).includes(action))
    throw new UsageError(`Unknown kv action '${action}': expected list, get, set, delete, export or import`);
  const kvAction = action as (typeof KV_ACTIONS)[number];
  for (const [otherAction, only] of Object.entries(KV_ACTION_FLAGS)) {
    if (otherAction === kvAction) continue;
    for (const flag of only) {
      if (flags.has(flag) && !KV_ACTION_FLAGS[kvAction].includes(flag))
        throw new UsageError(`--${flag} does not apply to 'kvb kv ${kvAction}'`);
    }
  }
  const store: StoreTarget = {
    dataDir: nonEmpty('data', text(flags, 'data'), DEFAULT_DATA_DIR),
    server: serverUrl(text(flags, 'server')),
    companyId: nonEmpty('company', text(flags, 'company'), DEFAULT_COMPANY_ID),
  };
  if (kvAction === 'import') return parseKvImport(rest, flags, store);
  if (kvAction === 'export' && !flags.has('scope')) {
    if (flags.has('scope-key')) throw new UsageError('--scope-key needs --scope flow or flow_group');
    if (flags.has('json')) throw new UsageError("--json does not apply to 'kvb kv export' (its output is NDJSON)");
    expectPositionals(rest, [], 'kvb kv export [--scope <scope> [--scope-key <id>]] [--prefix <p>]');
    return { command: 'kv', action: 'export', prefix: text(flags, 'prefix') ?? '', scope: null, scopeKey: undefined, ...store };
  }
  const scope = oneOf('scope', text(flags, 'scope'), SCOPES, 'global');
  const scopeKeyFlag = text(flags, 'scope-key');
  if (scope !== 'global' && !scopeKeyFlag) {
    throw new UsageError(`--scope ${scope} needs --scope-key <${scope === 'flow' ? 'blueprint id' : 'group id'}>`);
  }
  if (scope === 'global' && scopeKeyFlag !== undefined) throw new UsageError('--scope-key does not apply to the global scope');
  const target: KvTarget = { scope, scopeKey: scopeKeyFlag, json: flags.has('json'), ...store };
  switch (kvAction) {
    case 'export':
      if (flags.has('json')) throw new UsageError("--json does not apply to 'kvb kv export' (its output is NDJSON)");
      expectPositionals(rest, [], 'kvb kv export [--scope <scope> [--scope-key <id>]] [--prefix <p>]');
      return { command: 'kv', action: 'export', prefix: text(flags, 'prefix') ?? '', scope, scopeKey: scopeKeyFlag, ...store };
    case 'list':
      expectPositionals(rest, [], 'kvb kv list [--prefix <p>] [--limit <n>]');
      return {
        command: 'kv',
        action: 'list',
        prefix: text(flags, 'prefix') ?? '',
        limit: positiveNumber('limit', text(flags, 'limit'), true),
        ...target,
      };
    case 'get':
    case 'delete':
      expectPositionals(rest, ['the key'], `kvb kv ${kvAction} <key>`);
      return { command: 'kv', action: kvAction, key: rest[0]!, ...target };
    case 'set':
      expectPositionals(
        rest,
        ['the key', 'the value'],
        'kvb kv set <key> <value|-> [--type text|json] [--ttl <seconds>] [--mode upsert|create|update]',
      );
      return {
        command: 'kv',
        action: 'set',
        key: rest[0]!,
        value: rest[1]!,
        valueType: oneOf('type', text(flags, 'type'), VALUE_TYPES, 'text'),
        ttlSeconds: positiveNumber('ttl', text(flags, 'ttl'), false),
        mode: oneOf('mode', text(flags, 'mode'), SAVE_MODES, 'upsert'),
        ...target,
      };
  }
}

function parseKvImport(rest: string[], flags: Map<string, string | true>, store: StoreTarget): CliCommand {
  for (const flag of ['scope', 'scope-key']) {
    if (flags.has(flag)) throw new UsageError(`--${flag} does not apply to 'kvb kv import': each line names its scope`);
  }
  expectPositionals(rest, ['the NDJSON file (or - for stdin)'], 'kvb kv import <file.ndjson|-> [--mode upsert|create]');
  return {
    command: 'kv',
    action: 'import',
    file: rest[0]!,
    mode: oneOf('mode', text(flags, 'mode'), IMPORT_MODES, 'upsert'),
    json: flags.has('json'),
    ...store,
  };
}

function parseServe(args: readonly string[]): CliCommand {
  const { positionals, flags, help } = splitArgs(args, FLAGS.serve, 'kvb serve');
  if (help) return { command: 'help', topic: 'serve' };
  expectPositionals(positionals, [], 'kvb serve [--host <host>] [--port <port>] [--data <dir>]');
  const portText = text(flags, 'port');
  const port = portText === undefined ? DEFAULT_PORT : Number(portText);
  if (!/^\d+$/.test(portText ?? '0') || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UsageError(`--port must be a whole number from 0 to 65535; got '${portText}'`);
  }
  return {
    command: 'serve',
    host: nonEmpty('host', text(flags, 'host'), DEFAULT_HOST),
    port,
    dataDir: nonEmpty('data', text(flags, 'data'), DEFAULT_DATA_DIR),
  };
}

/** Parses `kvb`'s arguments (without `node` and the script path). Pure: reads no file. */
export function parseArgs(argv: readonly string[]): ParseResult {
  const [name, ...rest] = argv;
  const topic: Topic = name === 'run' || name === 'kv' || name === 'serve' ? name : 'kvb';
  try {
    switch (name) {
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        return { ok: true, command: { command: 'help', topic: helpTopic(rest[0]) } };
      case '--version':
      case '-v':
        return { ok: true, command: { command: 'version' } };
      case 'run':
        return { ok: true, command: parseRun(rest) };
      case 'kv':
        return { ok: true, command: parseKv(rest) };
      case 'serve':
        return { ok: true, command: parseServe(rest) };
      default:
        throw new UsageError(name.startsWith('-') ? `Unknown option ${name}` : `Unknown command '${name}': expected run, kv or serve`);
    }
  } catch (error) {
    if (error instanceof UsageError) return { ok: false, message: error.message, topic };
    throw error;
  }
}

function helpTopic(name: string | undefined): Topic {
  return name === 'run' || name === 'kv' || name === 'serve' ? name : 'kvb';
}

export const HELP: Record<Topic, string> = {
  kvb: `kvb — run KV blueprints and manage their stored keys

Usage:
  kvb run <blueprint.json> [options]    run a blueprint (kvb run --help)
  kvb kv list|get|set|delete|export|import [options]
                                        read, write, export and import stored keys (kvb kv --help)
  kvb serve [options]                   serve the web app and the HTTP API (kvb serve --help)
  kvb --version

Exit codes: 0 success, 1 the run failed or the key is missing, 2 bad usage or an invalid document.
Set KVB_DEBUG=1 to see stack traces.`,
  run: `kvb run <blueprint.json> [options]

Runs a kv-blueprint/1 document and prints a summary (or the run record with --json).

Options:
  --input <json>      the run's input as JSON (default: the start block's sampleInput, else {})
  --input @<file>     read the input from a JSON file
  --data <dir>        data directory of the SQLite store (default ${DEFAULT_DATA_DIR})
  --server <url>      use a kvb server's store instead (token from KVB_TOKEN)
  --company <id>      the tenant to act for (default ${DEFAULT_COMPANY_ID})
  --json              print exactly the run record as JSON on stdout

Exit codes: 0 the run succeeded, 1 it failed or was cancelled, 2 bad usage or an invalid document
(the problems are listed on stderr, one per line, path first).`,
  kv: `kvb kv <action> [options]

Actions:
  kvb kv list [--prefix <p>] [--limit <n>]   the keys of a scope, sorted, one per line
  kvb kv get <key>                           the value (text as is, JSON pretty-printed)
  kvb kv set <key> <value|->                 store a value ("-" reads it from stdin)
      --type text|json    how to read <value> (default text)
      --ttl <seconds>     expire the key after this many seconds
      --mode upsert|create|update   (default upsert)
  kvb kv delete <key>                        remove a key
  kvb kv export [--prefix <p>]               the entries as NDJSON on stdout, one a line; without
                                             --scope, every scope of the company (--data only)
  kvb kv import <file.ndjson|->              write the entries of an export, all or none
      --mode upsert|create   create skips keys that exist (default upsert)

Options for every action (import takes the scope from each line):
  --scope flow|flow_group|global   (default global)
  --scope-key <id>    the blueprint id (flow) or group id (flow_group)
  --company <id>      the tenant (default ${DEFAULT_COMPANY_ID})
  --data <dir>        data directory of the SQLite store (default ${DEFAULT_DATA_DIR})
  --server <url>      use a kvb server's store instead (token from KVB_TOKEN)
  --json              print entries as JSON

Exit codes: 0 success, 1 the key is missing or the store refused (already exists, wrong type…),
2 bad usage.`,
  serve: `kvb serve [options]

Serves the built web app and the HTTP API until interrupted (Ctrl+C).

Options:
  --host <host>   address to listen on (default ${DEFAULT_HOST}; other addresses need API tokens)
  --port <port>   port (default ${DEFAULT_PORT}; 0 picks a free one)
  --data <dir>    data directory (default ${DEFAULT_DATA_DIR})`,
};

// ---------------------------------------------------------------------------------------------
// Running a command

/** A failure the CLI reports in one line, with its exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2,
  ) {
    super(message);
  }
}

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  readStdin(): Promise<string>;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

const processIo: CliIo = {
  stdout: (chunk) => {
    process.stdout.write(chunk);
  },
  stderr: (chunk) => {
    process.stderr.write(chunk);
  },
  readStdin: async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  },
  env: process.env,
  cwd: process.cwd(),
};

/** Runs `kvb` with `argv` (without `node` and the script) and resolves with the exit code. */
export async function main(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  const parsed = parseArgs(argv);
  if (!parsed.ok) {
    io.stderr(`kvb: ${parsed.message}\nSee: ${parsed.topic === 'kvb' ? 'kvb --help' : `kvb ${parsed.topic} --help`}\n`);
    return 2;
  }
  try {
    return await execute(parsed.command, io);
  } catch (error) {
    io.stderr(`kvb: ${describeFailure(error)}\n`);
    if (io.env.KVB_DEBUG === '1' && error instanceof Error && error.stack) io.stderr(`${error.stack}\n`);
    if (error instanceof CliError) return error.exitCode;
    // A --data directory that cannot be used is the caller's to fix, like a usage mistake.
    if (error instanceof DataDirectoryError) return 2;
    if (isKvError(error)) return exitCodeOf(error.code);
    return 1;
  }
}

function describeFailure(error: unknown): string {
  if (error instanceof CliError) return error.message;
  if (isKvError(error)) return `${error.message} (${error.code})`;
  if (error instanceof Error) return `unexpected error: ${error.message}`;
  return `unexpected error: ${String(error)}`;
}

async function execute(command: CliCommand, io: CliIo): Promise<number> {
  switch (command.command) {
    case 'help':
      io.stdout(`${HELP[command.topic]}\n`);
      return 0;
    case 'version':
      io.stdout(`${packageVersion()}\n`);
      return 0;
    case 'run':
      return runCommand(command, io);
    case 'kv':
      return kvCommand(command, io);
    case 'serve':
      return serveCommand(command, io);
  }
}

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(resolve(projectRoot(), 'package.json'), 'utf8')) as { version?: string };
  return pkg.version ?? 'unknown';
}

function readJsonFile(path: string, what: string): unknown {
  let source: string;
  try {
    source = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliError(`Cannot read ${what} ${path}: ${code === 'ENOENT' ? 'no such file' : (error as Error).message}`, 2);
  }
  return parseJson(source, `${what} ${path}`);
}

function parseJson(source: string, what: string): unknown {
  // Editors on Windows often save JSON with a byte order mark, which JSON.parse refuses.
  const text = source.startsWith('\uFEFF') ? source.slice(1) : source;
  const parsed = parseJsonText(text);
  if (!parsed.ok) throw new CliError(describeJsonProblem(text, parsed.problem, { subject: what }), 2);
  return parsed.value;
}

async function runCommand(command: Extract<CliCommand, { command: 'run' }>, io: CliIo): Promise<number> {
  const document = readJsonFile(resolve(io.cwd, command.file), 'the blueprint file');
  // Loaded here, not at start-up: `kvb --help` and `kvb kv` never need the engine.
  const { formatProblems, runBlueprint, validateBlueprint } = await import('../engine/index');
  const validation = validateBlueprint(document);
  if (!validation.ok) {
    io.stderr(
      `kvb: ${command.file} is not a valid kv-blueprint/1 document (${validation.problems.length} problem${validation.problems.length === 1 ? '' : 's'}):\n`,
    );
    io.stderr(`${formatProblems(validation.problems)}\n`);
    return exitCodeOf('invalid_blueprint');
  }
  let input: JsonValue | undefined;
  if (command.input?.kind === 'inline') input = parseJson(command.input.text, '--input') as JsonValue;
  if (command.input?.kind === 'file') input = readJsonFile(resolve(io.cwd, command.input.path), 'the input file') as JsonValue;

  const store = await openStore(command, io);
  const abort = new AbortController();
  // First Ctrl+C stops the run after the block in flight; the run record still prints.
  const onInterrupt = () => abort.abort();
  process.once('SIGINT', onInterrupt);
  let record: RunRecord;
  try {
    record = await runBlueprint(validation.document, {
      store,
      companyId: command.companyId,
      ...(input !== undefined ? { input } : {}),
      signal: abort.signal,
    });
  } finally {
    process.off('SIGINT', onInterrupt);
    await store.close();
  }
  io.stdout(command.json ? `${JSON.stringify(record, null, 2)}\n` : formatRunSummary(record));
  return record.status === 'succeeded' ? 0 : 1;
}

/** A readable account of a run: status, each step with outcome and duration, outputs, error. */
export function formatRunSummary(record: RunRecord): string {
  const lines: string[] = [];
  const totalMs = Date.parse(record.finishedAt) - Date.parse(record.startedAt);
  lines.push(
    `Run ${record.status} — ${record.blueprintId} (${record.steps.length} step${record.steps.length === 1 ? '' : 's'}, ${formatMs(totalMs)})`,
  );
  const labels = record.steps.map((step) =>
    step.action ? `${step.nodeId} (${step.type} ${step.action})` : `${step.nodeId} (${step.type})`,
  );
  const width = Math.max(0, ...labels.map((label) => label.length));
  record.steps.forEach((step, i) => {
    const detail = step.error ? `  ${step.error.code}: ${step.error.message}` : '';
    lines.push(
      `  ${String(i + 1).padStart(3)}. ${labels[i]!.padEnd(width)}  ${step.outcome.padEnd(7)} ${formatMs(step.durationMs).padStart(9)}${detail}`,
    );
  });
  if (record.outputs.length > 0) {
    lines.push('Outputs:');
    for (const output of record.outputs) lines.push(`  ${typeof output === 'string' ? output : JSON.stringify(output)}`);
  }
  if (record.error)
    lines.push(`Error${record.error.nodeId ? ` at ${record.error.nodeId}` : ''}: ${record.error.code}: ${record.error.message}`);
  return `${lines.join('\n')}\n`;
}

function formatMs(ms: number): string {
  return ms < 10 ? `${ms.toFixed(1)} ms` : `${Math.round(ms)} ms`;
}

async function openStore(target: StoreTarget, io: CliIo): Promise<KeyValueStore> {
  if (target.server) {
    const { HttpStore } = await import('../kv/http-store');
    const token = io.env.KVB_TOKEN;
    return new HttpStore({ baseUrl: target.server, ...(token ? { token } : {}) });
  }
  // Lazily, like the HTTP store: `kvb --help` and `kvb run --server` never load SQLite.
  const { openServerStorage, storageLocationOf } = await import('./storage/index');
  return openServerStorage(storageLocationOf({ dataDir: resolve(io.cwd, target.dataDir) }), io.env).store;
}

async function kvCommand(command: Extract<CliCommand, { command: 'kv' }>, io: CliIo): Promise<number> {
  if (command.action === 'export') return kvExport(command, io);
  if (command.action === 'import') return kvImport(command, io);
  let value: JsonValue | null = null;
  if (command.action === 'set') {
    const raw = command.value === '-' ? (await io.readStdin()).replace(/\r?\n$/, '') : command.value;
    value = command.valueType === 'json' ? (parseJson(raw, 'The value') as JsonValue) : raw;
  }
  const store = await openStore(command, io);
  try {
    const ref = { scope: command.scope, ...(command.scopeKey !== undefined ? { scopeKey: command.scopeKey } : {}) };
    const where = command.scope === 'global' ? 'global scope' : `${command.scope} scope '${command.scopeKey}'`;
    switch (command.action) {
      case 'list': {
        const { entries, damaged } = await listAll(store, command.companyId, ref, command.prefix, command.limit);
        if (damaged.length > 0) {
          io.stderr(
            `kvb: skipped ${damaged.length} stored value${damaged.length === 1 ? '' : 's'} in ${where} that failed to decrypt (damaged or tampered): ${damaged.map((key) => `'${key}'`).join(', ')}; 'kvb kv delete <key>' removes one\n`,
          );
        }
        io.stdout(command.json ? `${JSON.stringify(entries, null, 2)}\n` : entries.map((entry) => `${entry.key}\n`).join(''));
        return 0;
      }
      case 'get': {
        const [result] = await store.batch(command.companyId, [{ op: 'get', key: command.key, ...ref }]);
        const entry = result?.op === 'get' ? result.entry : null;
        if (!entry) throw new CliError(`Key '${command.key}' not found in ${where}`, exitCodeOf('not_found'));
        io.stdout(command.json ? `${JSON.stringify(entry, null, 2)}\n` : `${renderValue(entry)}\n`);
        return 0;
      }
      case 'set': {
        const [result] = await store.batch(command.companyId, [
          {
            op: 'set',
            key: command.key,
            value: value as JsonValue,
            valueType: command.valueType,
            mode: command.mode,
            ...(command.ttlSeconds !== null ? { ttlSeconds: command.ttlSeconds } : {}),
            ...ref,
          },
        ]);
        if (result?.op !== 'set') throw new KvError('store', 'The store answered a set with another kind of result');
        io.stdout(
          command.json
            ? `${JSON.stringify(result.entry, null, 2)}\n`
            : `${result.created ? 'Created' : 'Updated'} '${command.key}' in ${where} (version ${result.entry.version}${result.entry.expiresAt ? `, expires ${result.entry.expiresAt}` : ''})\n`,
        );
        return 0;
      }
      case 'delete': {
        const [result] = await store.batch(command.companyId, [{ op: 'delete', key: command.key, ...ref }]);
        if (result?.op !== 'delete' || !result.deleted)
          throw new CliError(`Key '${command.key}' not found in ${where}`, exitCodeOf('not_found'));
        io.stdout(command.json ? `${JSON.stringify({ key: command.key, deleted: true })}\n` : `Deleted '${command.key}' from ${where}\n`);
        return 0;
      }
    }
  } finally {
    await store.close();
  }
}

/** The scopes holding entries of a company, when the store can tell (the data directory's can). */
interface ScopeLister {
  scopesOf(companyId: string): Promise<Array<{ scope: Scope; scopeKey: string }>>;
}

function canListScopes(store: KeyValueStore): store is KeyValueStore & ScopeLister {
  return typeof (store as Partial<ScopeLister>).scopesOf === 'function';
}

async function kvExport(command: Extract<CliCommand, { command: 'kv'; action: 'export' }>, io: CliIo): Promise<number> {
  const store = await openStore(command, io);
  try {
    let scopes: Array<{ scope: Scope; scopeKey?: string }>;
    if (command.scope !== null)
      scopes = [{ scope: command.scope, ...(command.scopeKey !== undefined ? { scopeKey: command.scopeKey } : {}) }];
    else if (canListScopes(store)) scopes = await store.scopesOf(command.companyId);
    else throw new CliError('kvb kv export --server needs --scope (a server exports one scope at a time)', 2);
    const { exportPages, ndjsonLine } = await import('../kv/transfer');
    const damaged: string[] = [];
    for (const ref of scopes) {
      // Page by page: memory stays flat however many entries there are.
      for await (const page of exportPages(store, command.companyId, ref, command.prefix)) {
        if (page.lines.length > 0) io.stdout(page.lines.map(ndjsonLine).join(''));
        damaged.push(...page.damagedKeys);
      }
    }
    if (damaged.length > 0)
      io.stderr(
        `kvb: left out ${damaged.length} stored value${damaged.length === 1 ? '' : 's'} that failed to decrypt (damaged or tampered): ${damaged.map((key) => `'${key}'`).join(', ')}\n`,
      );
    return 0;
  } finally {
    await store.close();
  }
}

async function kvImport(command: Extract<CliCommand, { command: 'kv'; action: 'import' }>, io: CliIo): Promise<number> {
  let text: string;
  if (command.file !== '-') {
    const path = resolve(io.cwd, command.file);
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      throw new CliError(`Cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? 'unreadable'}`, 2);
    }
  } else text = await io.readStdin();
  const { applyImport, parseImport } = await import('../kv/transfer');
  const parsed = parseImport(text);
  const store = await openStore(command, io);
  try {
    const summary = await applyImport(store, command.companyId, parsed, command.mode);
    io.stdout(
      command.json
        ? `${JSON.stringify(summary)}\n`
        : `Imported ${parsed.length} line${parsed.length === 1 ? '' : 's'}: ${summary.created} created, ${summary.updated} updated, ${summary.skipped} skipped\n`,
    );
    return 0;
  } finally {
    await store.close();
  }
}

/** Every entry of a scope (page after page), or the first `limit`. */
async function listAll(
  store: KeyValueStore,
  companyId: string,
  ref: Pick<Extract<KvOp, { op: 'list' }>, 'scope' | 'scopeKey'>,
  prefix: string,
  limit: number | null,
): Promise<{ entries: Entry[]; damaged: string[] }> {
  const entries: Entry[] = [];
  const damaged: string[] = [];
  let cursor: string | null = null;
  do {
    const pageLimit = Math.min(1000, limit === null ? 1000 : limit - entries.length);
    const [result] = await store.batch(companyId, [{ op: 'list', prefix, limit: pageLimit, cursor, ...ref }]);
    if (result?.op !== 'list') throw new KvError('store', 'The store answered a list with another kind of result');
    entries.push(...result.entries);
    damaged.push(...(result.damagedKeys ?? []));
    cursor = result.nextCursor;
  } while (cursor !== null && (limit === null || entries.length < limit));
  return { entries, damaged };
}

function renderValue(entry: Entry): string {
  return typeof entry.value === 'string' ? entry.value : JSON.stringify(entry.value, null, 2);
}

async function serveCommand(command: Extract<CliCommand, { command: 'serve' }>, io: CliIo): Promise<number> {
  // Imported here so that run and kv do not load Fastify.
  const { startServer, ServerStartError, DEFAULT_STATIC_DIR } = await import('./http/serve');
  if (!existsSync(resolve(DEFAULT_STATIC_DIR, 'index.html')))
    io.stderr('kvb: the web app is not built (run npm run build); serving the HTTP API only\n');
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer({
      host: command.host,
      port: command.port,
      dataDir: resolve(io.cwd, command.dataDir),
      // Structured request logs (pino) on stdout; values and tokens are never logged.
      logger: true,
    });
  } catch (error) {
    // The server explains why it refused to start (no tokens for a public address, port taken).
    if (error instanceof ServerStartError) throw new CliError(error.message, error.code === 'listen_failed' ? 1 : 2);
    throw error;
  }
  io.stdout(`kvb serving ${server.url}\n`);
  await new Promise<void>((done) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      done();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.close();
  return 0;
}
