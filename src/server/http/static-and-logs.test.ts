import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
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

describe('structured logs', () => {
  it('log requests as JSON lines without values or tokens', async () => {
    const dataDir = temporaryDataDir();
    const token = 'log-test-token-0123456789';
    const secretValue = 'the-secret-value-42';
    const entry = fileURLToPath(new URL('./serve-main.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', entry, '--port', '0', '--data', dataDir, '--log'], {
      env: { ...process.env, KVB_TOKENS: `${token}:acme`, KVB_MASTER_KEY: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setInterval(() => {
          const match = /\{"url":"([^"]+)"/.exec(stdout);
          if (match) {
            clearInterval(timer);
            resolve(match[1]!);
          }
        }, 20);
        void exited.then((code) => {
          clearInterval(timer);
          reject(new Error(`exited ${code}`));
        });
      });
      const response = await fetch(`${url}/api/kv?scope=global`, { method: 'GET', headers: { authorization: `Bearer ${token}` } });
      expect(response.status).toBe(200);
      const saved = await fetch(`${url}/api/kv`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ key: 'secret', value: secretValue, scope: 'global' }),
      });
      expect(saved.status).toBe(201);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      const logLines = stdout.split('\n').filter((line) => line.startsWith('{"level"'));
      expect(logLines.length).toBeGreaterThan(2);
      expect(logLines.some((line) => line.includes('"url":"/api/kv"'))).toBe(true);
      expect(stdout).not.toContain(secretValue);
      expect(stdout).not.toContain(token);
    } finally {
      child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
