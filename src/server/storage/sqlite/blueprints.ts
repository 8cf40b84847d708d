/**
 * Blueprints saved on the server, per companyId. The document is sealed with the master key
 * (it holds values: sample inputs, literal values of blocks), bound to its (companyId, id) so a
 * row copied to another company fails to open; id, name and group stay plain for listing.
 */
import type { Statement } from 'better-sqlite3';
import type { BlueprintSummary } from '../../../kv/api-schema';
import { KvError } from '../../../kv/errors';
import type { BlueprintDocument } from '../../../engine/types';
import { migrate, type Database } from './database';
import type { RowIdentity, ValueCipher } from '../../encryption';
import type { BlueprintStore, SavedBlueprint } from '../types';

export const SERVER_MIGRATIONS: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS blueprints (
     company_id TEXT NOT NULL,
     id TEXT NOT NULL,
     name TEXT NOT NULL,
     group_id TEXT,
     document_ciphertext BLOB NOT NULL,
     created_at TEXT NOT NULL,
     updated_at TEXT NOT NULL,
     PRIMARY KEY (company_id, id)
   );
   CREATE TABLE IF NOT EXISTS runs (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     company_id TEXT NOT NULL,
     blueprint_id TEXT NOT NULL,
     run_id TEXT NOT NULL,
     status TEXT NOT NULL,
     started_at TEXT NOT NULL,
     finished_at TEXT NOT NULL,
     record_ciphertext BLOB NOT NULL
   );
   CREATE UNIQUE INDEX IF NOT EXISTS runs_identity ON runs (company_id, run_id);
   CREATE INDEX IF NOT EXISTS runs_by_blueprint ON runs (company_id, blueprint_id, seq);`,
];

/** The server's tables, applied once per database (idempotent). */
export function migrateServerTables(db: Database): void {
  migrate(db, 'server', SERVER_MIGRATIONS);
}

interface BlueprintRow {
  id: string;
  name: string;
  group_id: string | null;
  document_ciphertext: Buffer;
  updated_at: string;
}

function identity(companyId: string, id: string): RowIdentity {
  return { companyId, scope: 'blueprint', scopeKey: '', key: id };
}

export class SqliteBlueprintStore implements BlueprintStore {
  private readonly selectSummaries: Statement<[string], Omit<BlueprintRow, 'document_ciphertext'>>;
  private readonly selectRow: Statement<[string, string], BlueprintRow>;
  private readonly selectExists: Statement<[string, string], { id: string }>;
  private readonly upsertRow: Statement<[string, string, string, string | null, Buffer, string, string]>;
  private readonly deleteRow: Statement<[string, string]>;
  private readonly deleteRuns: Statement<[string, string]>;

  constructor(
    private readonly db: Database,
    private readonly cipher: ValueCipher,
  ) {
    migrateServerTables(db);
    this.selectSummaries = db.prepare('SELECT id, name, group_id, updated_at FROM blueprints WHERE company_id = ? ORDER BY name, id');
    this.selectRow = db.prepare('SELECT * FROM blueprints WHERE company_id = ? AND id = ?');
    this.selectExists = db.prepare('SELECT id FROM blueprints WHERE company_id = ? AND id = ?');
    this.upsertRow = db.prepare(`INSERT INTO blueprints (company_id, id, name, group_id, document_ciphertext, created_at, updated_at)
        VALUES (?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (company_id, id) DO UPDATE SET name = excluded.name, group_id = excluded.group_id,
          document_ciphertext = excluded.document_ciphertext, updated_at = excluded.updated_at`);
    this.deleteRow = db.prepare('DELETE FROM blueprints WHERE company_id = ? AND id = ?');
    this.deleteRuns = db.prepare('DELETE FROM runs WHERE company_id = ? AND blueprint_id = ?');
  }

  async list(companyId: string): Promise<BlueprintSummary[]> {
    return this.selectSummaries
      .all(companyId)
      .map((row) => ({ id: row.id, name: row.name, groupId: row.group_id, updatedAt: row.updated_at }));
  }

  async get(companyId: string, id: string): Promise<BlueprintDocument | null> {
    const row = this.selectRow.get(companyId, id);
    if (!row) return null;
    return JSON.parse(this.cipher.decrypt(row.document_ciphertext, identity(companyId, id))) as BlueprintDocument;
  }

  /** Saves `document`; `create` refuses an existing id. Returns whether a new row was made. */
  async save(companyId: string, document: BlueprintDocument, mode: 'create' | 'upsert'): Promise<SavedBlueprint> {
    const now = new Date().toISOString();
    const sealed = this.cipher.encrypt(JSON.stringify(document), identity(companyId, document.id));
    const write = this.db.transaction((): boolean => {
      const exists = this.selectExists.get(companyId, document.id) !== undefined;
      if (exists && mode === 'create') {
        throw new KvError(
          'already_exists',
          `A blueprint with id '${document.id}' already exists; PUT /api/blueprints/${document.id} replaces it`,
        );
      }
      this.upsertRow.run(companyId, document.id, document.name, document.groupId ?? null, sealed, now, now);
      return !exists;
    });
    const created = write.immediate();
    return { created, summary: { id: document.id, name: document.name, groupId: document.groupId ?? null, updatedAt: now } };
  }

  /** Deletes the blueprint and its run history; false when there was none. */
  async delete(companyId: string, id: string): Promise<boolean> {
    return this.db
      .transaction((): boolean => {
        const removed = this.deleteRow.run(companyId, id).changes > 0;
        if (removed) this.deleteRuns.run(companyId, id);
        return removed;
      })
      .immediate();
  }
}
