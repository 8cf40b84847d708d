/**
 * Runs the source of a Code block in QuickJS compiled to WebAssembly — the same engine
 * in the browser, the server and the CLI, so a blueprint computes the same result everywhere.
 * The WebAssembly module is loaded on first use with a dynamic import, so the editor's initial
 * bundle does not carry it. Each run gets a fresh runtime and context with a memory limit, a
 * stack limit and a CPU deadline; the code sees only JSON copies of its inputs and a `console`
 * whose lines are collected, and nothing of the host (no `process`, `require`, `fetch`, timers).
 */
import type { QuickJSContext, QuickJSHandle, QuickJSWASMModule } from 'quickjs-emscripten-core';
import type { JsonValue } from './types';

export const CODE_TIMEOUT_DEFAULT_MS = 1000;
export const CODE_TIMEOUT_MAX_MS = 10_000;
export const CODE_MEMORY_LIMIT_BYTES = 32 * 1024 * 1024;
const STACK_LIMIT_BYTES = 256 * 1024;
const MAX_LOG_LINES = 200;
const MAX_LOG_LINE_CHARS = 2000;
/** The name the code carries in stack traces, from which the failing line is read. */
const SOURCE_NAME = 'code.js';

export interface SandboxInput {
  source: string;
  /** Globals the code sees, each a JSON copy. */
  globals: Record<string, JsonValue | undefined>;
  timeoutMs: number;
}

export type SandboxOutcome =
  | { ok: true; value: JsonValue; logs: string[] }
  /** `cancelled`: the run was stopped while the code ran (a runner that can stop it says so). */
  | { ok: false; message: string; logs: string[]; cancelled?: true };

/**
 * How a host runs Code block sources: `runInSandbox` itself (Node, tests), or the editor's
 * Web Worker around it, so the page stays responsive and Stop ends the code at once. `signal`
 * is the run's: a runner that can, stops the code when it aborts.
 */
export type CodeRunner = (request: SandboxInput, signal?: AbortSignal) => Promise<SandboxOutcome>;

let quickJs: Promise<QuickJSWASMModule> | null = null;

/** The QuickJS module, loaded once per process or page (and again after one broke). */
function loadQuickJs(): Promise<QuickJSWASMModule> {
  // The core and the one variant used (release, sync), not the package's index: that one names
  // four variants, and the bundler would ship the WebAssembly file of each.
  quickJs ??= Promise.all([import('quickjs-emscripten-core'), import('@jitl/quickjs-wasmfile-release-sync')])
    .then(([core, variant]) => core.newQuickJSWASMModuleFromVariant(variant.default))
    .catch((error: unknown) => {
      quickJs = null;
      throw error;
    });
  return quickJs;
}

/**
 * Checks the returned value is plain JSON and gives its JSON text. Evaluated before the
 * code, so the code cannot replace what it uses.
 */
const PRELUDE = `(() => {
  const stringify = JSON.stringify, isArray = Array.isArray, getProto = Object.getPrototypeOf,
    keys = Object.keys, objectProto = Object.prototype, isFinite = Number.isFinite;
  const describe = (value) => typeof value === 'function' ? 'a function'
    : typeof value === 'number' ? String(value) : typeof value === 'bigint' ? 'a bigint'
    : typeof value === 'symbol' ? 'a symbol' : value === undefined ? 'undefined' : 'an object that is not plain JSON (' + Object.prototype.toString.call(value) + ')';
  const notJson = (message) => { const error = new TypeError(message); error.name = 'NotJson'; return error; };
  const check = (value, where, depth) => {
    if (depth > 200) throw notJson(where + ' nests too deeply');
    if (value === null || typeof value === 'string' || typeof value === 'boolean') return;
    if (typeof value === 'number') { if (isFinite(value)) return; throw notJson(where + ' is ' + describe(value) + ', which JSON cannot carry'); }
    if (isArray(value)) { for (let i = 0; i < value.length; i++) check(value[i], where + '[' + i + ']', depth + 1); return; }
    if (typeof value === 'object') {
      const proto = getProto(value);
      if (proto !== objectProto && proto !== null) throw notJson(where + ' is ' + describe(value) + ', which JSON cannot carry');
      for (const key of keys(value)) check(value[key], where + '.' + key, depth + 1);
      return;
    }
    throw notJson(where + ' is ' + describe(value) + ', which JSON cannot carry');
  };
  return (value) => { check(value, 'the returned value', 0); return stringify(value); };
})()`;

/** A line of `console.log`: strings as they are, other values as JSON. */
function logLine(context: QuickJSContext, args: QuickJSHandle[]): string {
  const parts = args.map((arg) => {
    const value: unknown = context.dump(arg);
    if (typeof value === 'string') return value;
    try {
      return JSON.stringify(value) ?? String(value);
    } catch {
      return String(value);
    }
  });
  const line = parts.join(' ');
  return line.length > MAX_LOG_LINE_CHARS ? `${line.slice(0, MAX_LOG_LINE_CHARS - 1)}…` : line;
}

/** The 1-based line in the code a QuickJS error points at, from its stack. */
function lineOf(error: { stack?: unknown; lineNumber?: unknown }): number | null {
  if (typeof error.lineNumber === 'number') return error.lineNumber;
  const match = typeof error.stack === 'string' ? new RegExp(`${SOURCE_NAME.replace('.', '\\.')}:(\\d+)`).exec(error.stack) : null;
  return match ? Number(match[1]) : null;
}

/** A sentence for what the code threw: the error's message with the line it came from. */
function describeThrown(dumped: unknown, timeoutMs: number, deadlinePassed: boolean): string {
  if (deadlinePassed) return `timed out after ${timeoutMs} ms: the code ran past its timeoutMs (an endless loop?)`;
  if (dumped !== null && typeof dumped === 'object' && typeof (dumped as { message?: unknown }).message === 'string') {
    const error = dumped as { name?: unknown; message?: unknown; stack?: unknown; lineNumber?: unknown };
    const name = typeof error.name === 'string' ? error.name : 'Error';
    const message = error.message as string;
    if (name === 'NotJson') return message;
    if (message === 'out of memory') {
      return `ran out of memory: the sandbox allows ${CODE_MEMORY_LIMIT_BYTES / 1024 / 1024} MiB (${name}: ${message})`;
    }
    if (name === 'InternalError' && /stack overflow/.test(message)) return 'stack overflow: too deep a recursion';
    const line = lineOf(error);
    return `${name}: ${message}${line === null ? '' : ` (line ${line})`}`;
  }
  let shown: string;
  try {
    shown = JSON.stringify(dumped) ?? String(dumped);
  } catch {
    shown = String(dumped);
  }
  return `the code threw ${shown.length > 200 ? `${shown.slice(0, 199)}…` : shown}, not an Error (throw new Error("…") gives the line)`;
}

/**
 * Runs `source` as the body of an async function (so it may `return` and `await`) and gives
 * its returned value as JSON, or a message that says why it failed. Never throws for what
 * the code does; a failure to load the WebAssembly module rejects.
 */
export async function runInSandbox({ source, globals, timeoutMs }: SandboxInput): Promise<SandboxOutcome> {
  const module = await loadQuickJs();
  const runtime = module.newRuntime();
  const logs: string[] = [];
  let deadline = 0;
  let deadlinePassed = false;
  let broken = false;
  runtime.setMemoryLimit(CODE_MEMORY_LIMIT_BYTES);
  runtime.setMaxStackSize(STACK_LIMIT_BYTES);
  runtime.setInterruptHandler(() => {
    if (Date.now() > deadline) deadlinePassed = true;
    return deadlinePassed;
  });
  const context = runtime.newContext();
  const handles: QuickJSHandle[] = [];
  const keep = (handle: QuickJSHandle): QuickJSHandle => {
    handles.push(handle);
    return handle;
  };
  const fail = (message: string): SandboxOutcome => ({ ok: false, message, logs });
  const failWith = (errorHandle: QuickJSHandle): SandboxOutcome => {
    const dumped: unknown = context.dump(errorHandle);
    errorHandle.dispose();
    return fail(describeThrown(dumped, timeoutMs, deadlinePassed));
  };
  try {
    deadline = Date.now() + timeoutMs;
    const prelude = context.evalCode(PRELUDE, 'prelude.js');
    if (prelude.error) return failWith(prelude.error);
    const toJson = keep(prelude.value);

    // Inputs cross as JSON text parsed inside the sandbox: copies, never host objects.
    const jsonObject = keep(context.getProp(context.global, 'JSON'));
    const parse = keep(context.getProp(jsonObject, 'parse'));
    for (const [name, value] of Object.entries(globals)) {
      if (value === undefined) {
        context.setProp(context.global, name, context.undefined);
        continue;
      }
      const text = keep(context.newString(JSON.stringify(value)));
      const parsed = context.callFunction(parse, context.undefined, text);
      if (parsed.error) return failWith(parsed.error);
      context.setProp(context.global, name, keep(parsed.value));
    }
    const consoleObject = keep(context.newObject());
    const log = keep(
      context.newFunction('log', (...args) => {
        if (logs.length < MAX_LOG_LINES) logs.push(logLine(context, args));
        else if (logs.length === MAX_LOG_LINES) logs.push(`… more lines were dropped (at most ${MAX_LOG_LINES} are kept)`);
      }),
    );
    for (const method of ['log', 'info', 'warn', 'error', 'debug']) context.setProp(consoleObject, method, log);
    context.setProp(context.global, 'console', consoleObject);

    // The wrapper opens on the first line of the code, so the code's line numbers are its own.
    const wrapped = `(async function () {${source}\n})()`;
    const evaluated = context.evalCode(wrapped, SOURCE_NAME);
    if (evaluated.error) return failWith(evaluated.error);
    const promise = keep(evaluated.value);
    const jobs = runtime.executePendingJobs();
    if (jobs.error) return failWith(jobs.error);
    const state = context.getPromiseState(promise);
    if (state.type === 'pending') {
      return fail('the returned promise never settled: the sandbox has no timers, network or other events to wait for');
    }
    if (state.type === 'rejected') return failWith(state.error);
    const value = keep(state.value);
    const json = context.callFunction(toJson, context.undefined, value);
    if (json.error) return failWith(json.error);
    const text = context.getString(json.value);
    json.value.dispose();
    return { ok: true, value: JSON.parse(text) as JsonValue, logs };
  } catch (error) {
    // The WebAssembly instance itself gave up (its native stack, say): it cannot be trusted
    // again, so the next run loads a fresh one and this one is dropped without a teardown.
    broken = true;
    quickJs = null;
    const detail = error instanceof Error ? error.message : String(error);
    if (deadlinePassed) return fail(`timed out after ${timeoutMs} ms: the code ran past its timeoutMs (an endless loop?)`);
    if (/call stack/i.test(detail)) return fail('stack overflow: too deep a recursion');
    return fail(
      /memory/i.test(detail)
        ? `ran out of memory: the sandbox allows ${CODE_MEMORY_LIMIT_BYTES / 1024 / 1024} MiB`
        : `the sandbox failed: ${detail}`,
    );
  } finally {
    if (!broken) {
      for (const handle of handles.reverse()) if (handle.alive) handle.dispose();
      context.dispose();
      runtime.dispose();
    }
  }
}
