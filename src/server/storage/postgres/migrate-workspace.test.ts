import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { BlueprintDocument, RunRecord } from '../../../engine/types';
import type { Entry } from '../../../kv/types';
import { main, type CliIo } from '../../cli';
import { openServerStorage } from '../index';
import type { ServerStorage } from '../types';
import { migrateWorkspace } from './migrate-workspace';
import { useTestPostgres } from './test-postgres';

const postgres = useTestPostgres();
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kvb-migrate-'));
  dirs.push(dir);
  return dir;
}

function blueprint(name: string): BlueprintDocument {
  return { format: 'kv-blueprint/1', id: 'bp', name, nodes: [], edges: [] } as unknown as BlueprintDocument;
}

function run(runId: string): RunRecord {
  const at = new Date(0).toISOString();
  return {
    runId,
    blueprintId: 'bp',
    status: 'succeeded',
    startedAt: at,
    finishedAt: at,
    input: { runId },
    steps: [],
    outputs: [],
    state: {},
    error: null,
  } as unknown as RunRecord;
}

/** Everything a copy must keep, read through the storage seam. */
async function workspaceOf(storage: ServerStorage) {
  const [listed] = await storage.store.batch('acme', [{ op: 'list', scope: 'flow', scopeKey: 'bp', limit: 100 }]);
  const [other] = await storage.store.batch('globex', [{ op: 'get', key: 'g', scope: 'global' }]);
  const stored = await storage.blueprints.get('acme', 'bp');
  const [history] = await storage.store.batch('acme', [{ op: 'history', key: 'count', scope: 'flow', scopeKey: 'bp' }]);
  return {
    entries: (listed as { entries: Entry[] }).entries,
    history: (history as { versions: unknown[] }).versions,
    other: (other as { entry: Entry | null }).entry,
    blueprint: stored,
    revisions: await storage.blueprints.revisions('acme', 'bp'),
    first: await storage.blueprints.revision('acme', 'bp', 1),
    runs: (await storage.runs.list('acme', 'bp', 10)).runs.map((record) => record.runId),
    applied: (await storage.runs.find('acme', 'r1'))?.appliedAt ?? null,
  };
}

function captureIo(env: NodeJS.ProcessEnv): CliIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, stdout: (text) => out.push(text), stderr: (text) => err.push(text), readStdin: async () => '', env, cwd: '/' };
}

describe('kvb migrate', () => {
  it('copies a workspace from SQLite into PostgreSQL and back, keeping versions, revisions and runs', async () => {
    const source = tempDir();
    const sqlite = openServerStorage({ kind: 'sqlite', dataDir: source }, {});
    await sqlite.store.batch('acme', [
      { op: 'set', key: 'a', value: { deep: [1, 'two'] }, scope: 'flow', scopeKey: 'bp' },
      { op: 'increment', key: 'count', scope: 'flow', scopeKey: 'bp' },
    ]);
    await sqlite.store.batch('acme', [{ op: 'increment', key: 'count', scope: 'flow', scopeKey: 'bp', by: 5 }]);
    await sqlite.store.batch('acme', [{ op: 'set', key: 'ttl', value: 'soon', scope: 'flow', scopeKey: 'bp', ttlSeconds: 3600 }]);
    await sqlite.store.batch('globex', [{ op: 'set', key: 'g', value: 'other company', scope: 'global' }]);
    await sqlite.blueprints.save('acme', blueprint('First'), 'create');
    await sqlite.blueprints.save('acme', blueprint('Second'), 'upsert');
    for (const id of ['r1', 'r2', 'r3']) await sqlite.runs.add('acme', run(id));
    await sqlite.runs.markApplied('acme', 'r1', new Date(5).toISOString());
    const before = await workspaceOf(sqlite);
    await sqlite.close();
    expect(before.entries.find((entry) => entry.key === 'count')).toMatchObject({ value: 6, version: 2 });
    expect(before.revisions).toHaveLength(2);
    expect(before.history).toMatchObject([{ version: 1, value: 1 }]);

    const url = await postgres.freshDatabase();
    const io = captureIo({});
    expect(await main(['migrate', '--from', source, '--to', url], io)).toBe(0);
    expect(io.out.join('')).toMatch(/copied 4 entries, 1 history, 1 blueprints, 2 revisions, 3 runs/);
    expect(io.out.join('')).toMatch(/start every instance with KVB_MASTER_KEY/);

    const key = readFileSync(join(source, 'master.key'), 'utf8').trim();
    const pg = openServerStorage({ kind: 'postgres', url }, { KVB_MASTER_KEY: key });
    await pg.ready;
    expect(await workspaceOf(pg)).toEqual(before);
    // The copy is a working store: versions go on from where they were.
    const [next] = await pg.store.batch('acme', [{ op: 'increment', key: 'count', scope: 'flow', scopeKey: 'bp' }]);
    expect(next).toMatchObject({ entry: { value: 7, version: 3 } });
    await pg.store.batch('acme', [{ op: 'increment', key: 'count', scope: 'flow', scopeKey: 'bp', by: -1 }]);
    await pg.close();

    // Into a non-empty target: refused, nothing copied.
    const refused = await migrateWorkspace({ from: { kind: 'sqlite', dataDir: source }, to: { kind: 'postgres', url }, env: {} }).catch(
      (error: unknown) => error,
    );
    expect(String(refused)).toMatch(/already holds entries: kvb migrate copies into an empty workspace only/);

    const back = join(tempDir(), 'copy');
    const summary = await migrateWorkspace({
      from: { kind: 'postgres', url },
      to: { kind: 'sqlite', dataDir: back },
      env: { KVB_MASTER_KEY: key },
    });
    expect(summary.copied).toEqual({ entries: 4, history: 3, blueprints: 1, revisions: 2, runs: 3 });
    const copy = openServerStorage({ kind: 'sqlite', dataDir: back }, { KVB_MASTER_KEY: key });
    const after = await workspaceOf(copy);
    await copy.close();
    expect({ ...after, entries: after.entries.map((entry) => ({ ...entry, updatedAt: '', version: 0 })), history: [] }).toEqual({
      ...before,
      entries: before.entries.map((entry) => ({ ...entry, updatedAt: '', version: 0 })),
      history: [],
    });
    // The history written in SQLite, then in PostgreSQL, came back whole: versions 3, 2 and 1.
    expect((after.history as Array<{ version: number }>).map((version) => version.version)).toEqual([3, 2, 1]);
    expect(after.entries.find((entry) => entry.key === 'count')).toMatchObject({ value: 6, version: 4 });
  });

  it('refuses two places of one kind, saying what it copies', async () => {
    const io = captureIo({});
    expect(await main(['migrate', '--from', './a', '--to', './b'], io)).toBe(2);
    expect(io.err.join('')).toMatch(/copies between a data directory and a postgres:\/\/ URL/);
  });
});
