import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeServerStorageContract } from '../contract';
import { openServerStorage } from '../index';
import { SERVER_MIGRATIONS } from './blueprints';
import { migrate } from './database';
import { openSqliteStore } from './sqlite-store';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describeServerStorageContract('SQLite', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'kvb-storage-'));
  dirs.push(dataDir);
  return openServerStorage({ kind: 'sqlite', dataDir }, {});
});

describe('SQLite server tables migration', () => {
  it('gives a blueprint saved before revisions revision 1, kept and restorable once it is saved again', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'kvb-storage-'));
    dirs.push(dataDir);
    // A database as the previous layout left it: the first server migration only, one blueprint.
    const old = openSqliteStore({ dataDir, env: {} });
    migrate(old.db, 'server', SERVER_MIGRATIONS.slice(0, 1));
    const document = { format: 'kv-blueprint/1', id: 'old', name: 'Old one', nodes: [], edges: [] };
    const sealed = old.cipher.encrypt(JSON.stringify(document), { companyId: 'acme', scope: 'blueprint', scopeKey: '', key: 'old' });
    old.db
      .prepare(
        'INSERT INTO blueprints (company_id, id, name, group_id, document_ciphertext, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      )
      .run('acme', 'old', 'Old one', null, sealed, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z');
    await old.close();

    const storage = openServerStorage({ kind: 'sqlite', dataDir }, {});
    try {
      expect(await storage.blueprints.get('acme', 'old')).toMatchObject({ revision: 1, document: { name: 'Old one' } });
      expect(await storage.blueprints.list('acme')).toMatchObject([{ id: 'old', revision: 1 }]);
      expect(await storage.blueprints.revisions('acme', 'old')).toEqual([
        { revision: 1, savedAt: '2026-01-01T00:00:00.000Z', name: 'Old one' },
      ]);
      const saved = await storage.blueprints.save('acme', { ...document, name: 'New one' } as never, 'upsert', { ifRevision: 1 });
      expect(saved.summary.revision).toBe(2);
      expect((await storage.blueprints.revisions('acme', 'old'))?.map((kept) => kept.revision)).toEqual([2, 1]);
      expect((await storage.blueprints.revision('acme', 'old', 1))?.name).toBe('Old one');
      expect(await storage.runs.markApplied('acme', 'none', null)).toBe(false);
    } finally {
      await storage.close();
    }
  });
});
