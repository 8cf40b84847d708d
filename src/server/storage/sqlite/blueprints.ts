/**
 * Blueprints saved on the server, per companyId, with their last revisions. The document is
 * sealed with the master key (it holds values: sample inputs, literal values of blocks), bound
 * to its (companyId, id) so a row copied to another company fails to open; a kept revision is
 * bound to its revision number too. Id, name, group and revision stay plain for listing.
 */
import type { Statement } from 'better-sqlite3';
import type { BlueprintRevision, BlueprintSummary } from '../../../kv/api-schema';
import type { BlueprintDocument } from '../../../engine/types';
import { migrate, type Database } from './database';
import type { ValueCipher } from '../../encryption';
import {
  checkSave,
  openRevision,
  resealAsRevision,
  revisionsOf,
  savedBlueprintOf,
  sealBlueprint,
  sealRevision,
  storedBlueprintOf,
  summaryOf,
  type RevisionRow,
  type SummaryRow,
} from '../sealed-blueprints';
import { REVISIONS_KEPT_PER_BLUEPRINT, type BlueprintStore, type SavedBlueprint, type StoredBlueprint } from '../types';

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
  // Revisions: blueprints saved before this have revision 1 and no kept row (the current
  // document is read from the blueprints table); a sandbox run's apply mark.
  `ALTER TABLE blueprints ADD COLUMN revision INTEGER NOT NULL DEFAULT 1;
   CREATE TABLE blueprint_revisions (
     company_id TEXT NOT NULL,
     blueprint_id TEXT NOT NULL,
     revision INTEGER NOT NULL,
     name TEXT NOT NULL,
     saved_at TEXT NOT NULL,
     document_ciphertext BLOB NOT NULL,
     PRIMARY KEY (company_id, blueprint_id, revision)
   );
   ALTER TABLE runs ADD COLUMN applied_at TEXT;`,
];

/** The server's tables, applied once per database (idempotent). */
export function migrateServerTables(db: Database): void {
  migrate(db, 'server', SERVER_MIGRATIONS);
}

interface BlueprintRow extends SummaryRow {
  document_ciphertext: Buffer;
}

export class SqliteBlueprintStore implements BlueprintStore {
  private readonly selectSummaries: Statement<[string], SummaryRow>;
  private readonly selectRow: Statement<[string, string], BlueprintRow>;
  private readonly selectSummary: Statement<[string, string], SummaryRow>;
  private readonly selectRevisionOf: Statement<[string, string], { revision: number }>;
  private readonly upsertRow: Statement<[string, string, string, string | null, Buffer, string, string, number]>;
  private readonly insertRevision: Statement<[string, string, number, string, string, Buffer]>;
  private readonly trimRevisions: Statement<[string, string, number]>;
  private readonly selectRevisions: Statement<[string, string], RevisionRow>;
  private readonly selectRevision: Statement<[string, string, number], { document_ciphertext: Buffer }>;
  private readonly deleteRow: Statement<[string, string]>;
  private readonly deleteRevisions: Statement<[string, string]>;
  private readonly deleteRuns: Statement<[string, string]>;

  constructor(
    private readonly db: Database,
    private readonly cipher: ValueCipher,
  ) {
    migrateServerTables(db);
    this.selectSummaries = db.prepare(
      'SELECT id, name, group_id, updated_at, revision FROM blueprints WHERE company_id = ? ORDER BY name, id',
    );
    this.selectRow = db.prepare('SELECT * FROM blueprints WHERE company_id = ? AND id = ?');
    this.selectSummary = db.prepare('SELECT id, name, group_id, updated_at, revision FROM blueprints WHERE company_id = ? AND id = ?');
    this.selectRevisionOf = db.prepare('SELECT revision FROM blueprints WHERE company_id = ? AND id = ?');
    this.upsertRow =
      db.prepare(`INSERT INTO blueprints (company_id, id, name, group_id, document_ciphertext, created_at, updated_at, revision)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (company_id, id) DO UPDATE SET name = excluded.name, group_id = excluded.group_id,
          document_ciphertext = excluded.document_ciphertext, updated_at = excluded.updated_at, revision = excluded.revision`);
    this.insertRevision =
      db.prepare(`INSERT OR REPLACE INTO blueprint_revisions (company_id, blueprint_id, revision, name, saved_at, document_ciphertext)
        VALUES (?, ?, ?, ?, ?, ?)`);
    this.trimRevisions = db.prepare('DELETE FROM blueprint_revisions WHERE company_id = ? AND blueprint_id = ? AND revision <= ?');
    this.selectRevisions = db.prepare(
      'SELECT revision, saved_at, name FROM blueprint_revisions WHERE company_id = ? AND blueprint_id = ? ORDER BY revision DESC',
    );
    this.selectRevision = db.prepare(
      'SELECT document_ciphertext FROM blueprint_revisions WHERE company_id = ? AND blueprint_id = ? AND revision = ?',
    );
    this.deleteRow = db.prepare('DELETE FROM blueprints WHERE company_id = ? AND id = ?');
    this.deleteRevisions = db.prepare('DELETE FROM blueprint_revisions WHERE company_id = ? AND blueprint_id = ?');
    this.deleteRuns = db.prepare('DELETE FROM runs WHERE company_id = ? AND blueprint_id = ?');
  }

  async list(companyId: string): Promise<BlueprintSummary[]> {
    return this.selectSummaries.all(companyId).map(summaryOf);
  }

  async get(companyId: string, id: string): Promise<StoredBlueprint | null> {
    const row = this.selectRow.get(companyId, id);
    return row ? storedBlueprintOf(this.cipher, companyId, id, row) : null;
  }

  /** Saves `document` as the next revision; see `BlueprintStore.save`. */
  async save(
    companyId: string,
    document: BlueprintDocument,
    mode: 'create' | 'upsert',
    options: { ifRevision?: number } = {},
  ): Promise<SavedBlueprint> {
    const now = new Date().toISOString();
    const text = JSON.stringify(document);
    const sealed = sealBlueprint(this.cipher, companyId, document.id, text);
    const write = this.db.transaction((): { created: boolean; revision: number } => {
      const current = this.selectRevisionOf.get(companyId, document.id)?.revision;
      checkSave(document.id, mode, current, options.ifRevision);
      if (current !== undefined) this.keepLegacyRevision(companyId, document.id, current);
      const revision = (current ?? 0) + 1;
      this.upsertRow.run(companyId, document.id, document.name, document.groupId ?? null, sealed, now, now, revision);
      const kept = sealRevision(this.cipher, companyId, document.id, revision, text);
      this.insertRevision.run(companyId, document.id, revision, document.name, now, kept);
      this.trimRevisions.run(companyId, document.id, revision - REVISIONS_KEPT_PER_BLUEPRINT);
      return { created: current === undefined, revision };
    });
    const { created, revision } = write.immediate();
    return savedBlueprintOf(document, now, created, revision);
  }

  /**
   * A blueprint saved before revisions were kept has no kept row for its current revision: keep
   * it before it is replaced, so it stays restorable. A row that fails to open is not copied.
   */
  private keepLegacyRevision(companyId: string, id: string, current: number): void {
    if (this.selectRevision.get(companyId, id, current)) return;
    const row = this.selectRow.get(companyId, id);
    if (!row) return;
    const kept = resealAsRevision(this.cipher, companyId, id, current, row.document_ciphertext);
    if (kept) this.insertRevision.run(companyId, id, current, row.name, row.updated_at, kept);
  }

  /** Deletes the blueprint, its revisions and its run history; false when there was none. */
  async delete(companyId: string, id: string): Promise<boolean> {
    return this.db
      .transaction((): boolean => {
        const removed = this.deleteRow.run(companyId, id).changes > 0;
        if (removed) {
          this.deleteRevisions.run(companyId, id);
          this.deleteRuns.run(companyId, id);
        }
        return removed;
      })
      .immediate();
  }

  async revisions(companyId: string, id: string): Promise<BlueprintRevision[] | null> {
    const current = this.selectSummary.get(companyId, id);
    if (!current) return null;
    // A blueprint saved before revisions were kept has no row for its current revision.
    return revisionsOf(this.selectRevisions.all(companyId, id), current);
  }

  async revision(companyId: string, id: string, revision: number): Promise<BlueprintDocument | null> {
    const row = this.selectRevision.get(companyId, id, revision);
    if (row) {
      return openRevision(this.cipher, companyId, id, revision, row.document_ciphertext);
    }
    const stored = await this.get(companyId, id);
    return stored?.revision === revision ? stored.document : null;
  }
}
