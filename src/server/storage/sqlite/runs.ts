/**
 * Run history of server-side runs, per companyId and blueprint, latest first. Records are
 * sealed like values (they carry results and state read from the store). Only the most recent
 * `RUNS_KEPT_PER_BLUEPRINT` runs of a blueprint are kept.
 */
import type { Statement } from 'better-sqlite3';
import type { RunRecord } from '../../../engine/types';
import type { Database } from './database';
import type { ValueCipher } from '../../encryption';
import type { RunStore, StoredRun } from '../types';
import { boundedRecord, RUNS_KEPT_PER_BLUEPRINT } from '../run-records';
import { openRun, sealRun, type RunRow } from '../sealed-blueprints';
import { migrateServerTables } from './blueprints';

export class SqliteRunStore implements RunStore {
  private readonly insertRun: Statement<[string, string, string, string, string, string, Buffer]>;
  private readonly trimRuns: Statement<[string, string, string, string, number]>;
  private readonly selectLatest: Statement<[string, string, number], RunRow>;
  private readonly selectRun: Statement<[string, string, string], RunRow>;
  private readonly deleteRun: Statement<[string, string, string]>;
  private readonly selectById: Statement<[string, string], RunRow & { applied_at: string | null }>;
  private readonly setApplied: Statement<[string, string, string]>;
  private readonly clearApplied: Statement<[string, string]>;

  constructor(
    private readonly db: Database,
    private readonly cipher: ValueCipher,
  ) {
    migrateServerTables(db);
    this.insertRun = db.prepare(`INSERT INTO runs (company_id, blueprint_id, run_id, status, started_at, finished_at, record_ciphertext)
        VALUES (?, ?, ?, ?, ?, ?, ?)`);
    this.trimRuns = db.prepare(`DELETE FROM runs WHERE company_id = ? AND blueprint_id = ? AND seq <= (
        SELECT seq FROM runs WHERE company_id = ? AND blueprint_id = ? ORDER BY seq DESC LIMIT 1 OFFSET ?)`);
    this.selectLatest = db.prepare(
      'SELECT run_id, blueprint_id, record_ciphertext FROM runs WHERE company_id = ? AND blueprint_id = ? ORDER BY seq DESC LIMIT ?',
    );
    this.selectRun = db.prepare(
      'SELECT run_id, blueprint_id, record_ciphertext FROM runs WHERE company_id = ? AND blueprint_id = ? AND run_id = ?',
    );
    this.deleteRun = db.prepare('DELETE FROM runs WHERE company_id = ? AND blueprint_id = ? AND run_id = ?');
    this.selectById = db.prepare(
      'SELECT run_id, blueprint_id, record_ciphertext, applied_at FROM runs WHERE company_id = ? AND run_id = ?',
    );
    this.setApplied = db.prepare('UPDATE runs SET applied_at = ? WHERE company_id = ? AND run_id = ? AND applied_at IS NULL');
    this.clearApplied = db.prepare('UPDATE runs SET applied_at = NULL WHERE company_id = ? AND run_id = ? AND applied_at IS NOT NULL');
  }

  /** Stores `record`, within `RUN_RECORD_MAX_BYTES`, and returns what was stored. */
  async add(companyId: string, run: RunRecord): Promise<RunRecord> {
    const record = boundedRecord(run);
    const sealed = sealRun(this.cipher, companyId, record);
    this.db
      .transaction(() => {
        this.insertRun.run(companyId, record.blueprintId, record.runId, record.status, record.startedAt, record.finishedAt, sealed);
        this.trimRuns.run(companyId, record.blueprintId, companyId, record.blueprintId, RUNS_KEPT_PER_BLUEPRINT);
      })
      .immediate();
    return record;
  }

  /**
   * The latest `limit` runs of a blueprint, newest first. Records that fail to open (damaged or
   * tampered) are left out and counted, so one bad row does not hide the whole history.
   */
  async list(companyId: string, blueprintId: string, limit: number): Promise<{ runs: RunRecord[]; damaged: number }> {
    const runs: RunRecord[] = [];
    let damaged = 0;
    for (const row of this.selectLatest.all(companyId, blueprintId, limit)) {
      try {
        runs.push(this.open(companyId, row));
      } catch {
        damaged++;
      }
    }
    return { runs, damaged };
  }

  /** Deletes one run record without opening it (so a damaged one can go); false when absent. */
  async delete(companyId: string, blueprintId: string, runId: string): Promise<boolean> {
    return this.deleteRun.run(companyId, blueprintId, runId).changes > 0;
  }

  async get(companyId: string, blueprintId: string, runId: string): Promise<RunRecord | null> {
    const row = this.selectRun.get(companyId, blueprintId, runId);
    return row ? this.open(companyId, row) : null;
  }

  async find(companyId: string, runId: string): Promise<StoredRun | null> {
    const row = this.selectById.get(companyId, runId);
    return row ? { record: this.open(companyId, row), appliedAt: row.applied_at } : null;
  }

  async markApplied(companyId: string, runId: string, appliedAt: string | null): Promise<boolean> {
    const result = appliedAt === null ? this.clearApplied.run(companyId, runId) : this.setApplied.run(appliedAt, companyId, runId);
    return result.changes > 0;
  }

  private open(companyId: string, row: RunRow): RunRecord {
    return openRun(this.cipher, companyId, row);
  }
}
