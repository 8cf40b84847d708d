import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { LogConfigError, logLevelFrom, requestLogSettings } from './serve-logging';
import { startTestServer, temporaryDataDir } from './test-support';

describe('the built web app', () => {
  it('serves files from the static directory and index.html for editor routes', async () => {
    const dataDir = temporaryDataDir();
    const staticDir = join(dataDir, 'dist');
    mkdirSync(join(staticDir, 'assets'), { recursive: true });
    writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>KV Blueprints app</title>');
    writeFileSync(join(staticDir, 'assets', 'app.js'), 'console.log("app")');
    const t = await startTestServer({ dataDir, staticDir });
    try {
      expect((await t.call('GET', '/')).text).toContain('KV Blueprints app');
      expect((await t.call('GET', '/blueprints/cache-demo')).text).toContain('KV Blueprints app');
      const asset = await t.call('GET', '/assets/app.js');
      expect(asset.text).toBe('console.log("app")');
      expect(asset.headers.get('content-type')).toContain('javascript');
      const api = await t.call('GET', '/api/not-a-route');
      expect(api.status).toBe(404);
      expect(api.headers.get('content-type')).toContain('application/json');
    } finally {
      await t.stop();
    }
  });
});

/** Runs `serve-main.ts --log` with `env`, makes a read and a write, stops it; its stdout, stderr and exit code. */
async function serveAndLog(env: NodeJS.ProcessEnv, token: string, secretValue: string) {
  const dataDir = temporaryDataDir();
  const entry = fileURLToPath(new URL('./serve-main.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', entry, '--port', '0', '--data', dataDir, '--log'], {
    env: { ...process.env, KVB_LOG_LEVEL: '', KVB_TOKENS: `${token}:acme`, KVB_MASTER_KEY: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  try {
    const url = await new Promise<string | null>((resolve) => {
      const timer = setInterval(() => {
        const match = /\{"url":"([^"]+)"/.exec(stdout);
        if (match) {
          clearInterval(timer);
          resolve(match[1]!);
        }
      }, 20);
      void exited.then(() => {
        clearInterval(timer);
        resolve(null);
      });
    });
    if (url === null) return { stdout, stderr, code: await exited };
    const response = await fetch(`${url}/api/kv?scope=global`, { method: 'GET', headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(200);
    const saved = await fetch(`${url}/api/kv`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ key: 'secret', value: secretValue, scope: 'global' }),
    });
    expect(saved.status).toBe(201);
    // A refused request: 4xx answers are logged at info, not warn.
    expect((await fetch(`${url}/api/kv/not-an-id`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(404);
    child.kill('SIGTERM');
    return { stdout, stderr, code: await exited };
  } finally {
    child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
}

describe('request logs', () => {
  const token = 'log-test-token-0123456789';
  const secretValue = 'the-secret-value-42';

  it('at KVB_LOG_LEVEL=info, log requests as JSON lines (stdout is not a terminal) without values or tokens', async () => {
    const { stdout, code } = await serveAndLog({ KVB_LOG_LEVEL: 'info' }, token, secretValue);
    expect(code).toBe(0);
    const logLines = stdout.split('\n').filter((line) => line.startsWith('{"level"'));
    expect(logLines.length).toBeGreaterThan(2);
    expect(logLines.some((line) => line.includes('"url":"/api/kv"'))).toBe(true);
    expect(stdout).not.toContain(secretValue);
    expect(stdout).not.toContain(token);
  });

  it('log nothing per request by default (level warn): a read, a write and a refused request leave no line', async () => {
    const { stdout, code } = await serveAndLog({}, token, secretValue);
    expect(code).toBe(0);
    expect(stdout.split('\n').filter((line) => line !== '')).toEqual([expect.stringMatching(/^\{"url":/)]);
  });

  it('refuse to start on a level that does not exist, and say which ones do', async () => {
    const { stderr, code } = await serveAndLog({ KVB_LOG_LEVEL: 'loud' }, token, secretValue);
    expect(code).toBe(2);
    expect(stderr).toContain("KVB_LOG_LEVEL is 'loud': use one of fatal, error, warn, info, debug, trace, silent");
  });
});

describe('request log settings', () => {
  it('default to warn and read KVB_LOG_LEVEL in any case', () => {
    expect(logLevelFrom({})).toBe('warn');
    expect(logLevelFrom({ KVB_LOG_LEVEL: ' Info ' })).toBe('info');
    expect(() => logLevelFrom({ KVB_LOG_LEVEL: 'verbose' })).toThrow(LogConfigError);
  });

  it('write pretty lines to a terminal and JSON elsewhere', async () => {
    const written: string[] = [];
    const terminal = Object.assign(
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          written.push(chunk.toString());
          done();
        },
      }),
      { isTTY: true },
    );
    const pretty = await requestLogSettings({ KVB_LOG_LEVEL: 'info' }, terminal);
    expect(pretty.stream).toBeDefined();
    pino({ level: pretty.level }, pretty.stream).info({ url: '/api/kv' }, 'request completed');
    const text = written.join('');
    expect(text).toContain('request completed');
    expect(text).toContain('INFO');
    expect(text.trimStart().startsWith('{')).toBe(false);

    const pipe = Object.assign(new Writable({ write: (_chunk, _encoding, done) => done() }), { isTTY: false });
    expect(await requestLogSettings({}, pipe)).toEqual({ level: 'warn' });
  });
});
