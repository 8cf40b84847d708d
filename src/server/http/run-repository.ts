/**
 * Run history of server-side runs, per companyId and blueprint, latest first. Records are
 * sealed like values (they carry results and state read from the store). Only the most recent
 * `RUNS_KEPT_PER_BLUEPRINT` runs of a blueprint are kept.
 */
import type { Statement } from 'better-sqlite3';
import type { RunRecord } from '../../engine/types';
import type { Database } from '../database';
import type { RowIdentity, ValueCipher } from '../encryption';
import { migrateServerTables } from './blueprint-repository';

export const RUNS_KEPT_PER_BLUEPRINT = 500;

function identity(companyId: string, blueprintId: string, runId: string): RowIdentity {
  return { companyId, scope: 'run', scopeKey: blueprintId, key: runId };
}

interface RunRow { run_id: string; blueprint_id: string; record_ciphertext: Buffer }

export class RunRepository {
  private readonly insertRun: Statement<[string, string, string, string, string, string, Buffer]>;
  private readonly trimRuns: Statement<[string, string, string, string, number]>;
  private readonly selectLatest: Statement<[string, string, number], RunRow>;
  private readonly selectRun: Statement<[string, string, string], RunRow>;

  constructor(private readonly db: Database, private readonly cipher: ValueCipher) {
    migrateServerTables(db);
    this.insertRun = db.prepare(`INSERT INTO runs (company_id, blueprint_id, run_id, status, started_at, finished_at, record_ciphertext)
        VALUES (?, ?, ?, ?, ?, ?, ?)`);
    this.trimRuns = db.prepare(`DELETE FROM runs WHERE company_id = ? AND blueprint_id = ? AND seq <= (
        SELECT seq FROM runs WHERE company_id = ? AND blueprint_id = ? ORDER BY seq DESC LIMIT 1 OFFSET ?)`);
    this.selectLatest = db.prepare('SELECT run_id, blueprint_id, record_ciphertext FROM runs WHERE company_id = ? AND blueprint_id = ? ORDER BY seq DESC LIMIT ?');
    this.selectRun = db.prepare('SELECT run_id, blueprint_id, record_ciphertext FROM runs WHERE company_id = ? AND blueprint_id = ? AND run_id = ?');
  }

  add(companyId: string, record: RunRecord): void {
    const sealed = this.cipher.encrypt(JSON.stringify(record), identity(companyId, record.blueprintId, record.runId));
    this.db.transaction(() => {
      this.insertRun.run(companyId, record.blueprintId, record.runId, record.status, record.startedAt, record.finishedAt, sealed);
      this.trimRuns.run(companyId, record.blueprintId, companyId, record.blueprintId, RUNS_KEPT_PER_BLUEPRINT);
    }).immediate();
  }

  /** The latest `limit` runs of a blueprint, newest first. */
  list(companyId: string, blueprintId: string, limit: number): RunRecord[] {
    return this.selectLatest.all(companyId, blueprintId, limit).map((row) => this.open(companyId, row));
  }

  get(companyId: string, blueprintId: string, runId: string): RunRecord | null {
    const row = this.selectRun.get(companyId, blueprintId, runId);
    return row ? this.open(companyId, row) : null;
  }

  private open(companyId: string, row: RunRow): RunRecord {
    return JSON.parse(this.cipher.decrypt(row.record_ciphertext, identity(companyId, row.blueprint_id, row.run_id))) as RunRecord;
  }
}
