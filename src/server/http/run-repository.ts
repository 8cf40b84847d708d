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
/** Largest run record stored (and answered); past it the largest values give way to a note. */
export const RUN_RECORD_MAX_BYTES = 4 * 1024 * 1024;

const byteSize = (value: unknown): number => Buffer.byteLength(JSON.stringify(value) ?? '');

/**
 * `record` within `maxBytes` of JSON: its largest values (input, step results, outputs,
 * top-level state entries) are replaced, largest first, by a string saying how big they were,
 * so the record keeps its shape and stays readable by every client.
 */
export function boundedRecord(record: RunRecord, maxBytes = RUN_RECORD_MAX_BYTES): RunRecord {
  let size = byteSize(record);
  if (size <= maxBytes) return record;
  const bounded: RunRecord = { ...record, steps: record.steps.map((step) => ({ ...step })), outputs: [...record.outputs], state: { ...record.state } };
  const slots: Array<{ bytes: number; replace: (note: string) => void }> = [
    { bytes: byteSize(bounded.input), replace: (note: string) => { bounded.input = note; } },
    ...bounded.steps.map((step) => ({ bytes: byteSize(step.result), replace: (note: string) => { step.result = note; } })),
    ...bounded.outputs.map((output, index) => ({ bytes: byteSize(output), replace: (note: string) => { bounded.outputs[index] = note; } })),
    ...Object.keys(bounded.state).map((key) => ({ bytes: byteSize(bounded.state[key]), replace: (note: string) => { Object.defineProperty(bounded.state, key, { value: note, enumerable: true, writable: true, configurable: true }); } })),
  ].sort((a, b) => b.bytes - a.bytes);
  for (const slot of slots) {
    if (size <= maxBytes) break;
    const note = `[${slot.bytes} bytes left out: a stored run record keeps at most ${maxBytes} bytes]`;
    slot.replace(note);
    size -= slot.bytes - byteSize(note);
  }
  return bounded;
}

function identity(companyId: string, blueprintId: string, runId: string): RowIdentity {
  return { companyId, scope: 'run', scopeKey: blueprintId, key: runId };
}

interface RunRow { run_id: string; blueprint_id: string; record_ciphertext: Buffer }

export class RunRepository {
  private readonly insertRun: Statement<[string, string, string, string, string, string, Buffer]>;
  private readonly trimRuns: Statement<[string, string, string, string, number]>;
  private readonly selectLatest: Statement<[string, string, number], RunRow>;
  private readonly selectRun: Statement<[string, string, string], RunRow>;
  private readonly deleteRun: Statement<[string, string, string]>;

  constructor(private readonly db: Database, private readonly cipher: ValueCipher) {
    migrateServerTables(db);
    this.insertRun = db.prepare(`INSERT INTO runs (company_id, blueprint_id, run_id, status, started_at, finished_at, record_ciphertext)
        VALUES (?, ?, ?, ?, ?, ?, ?)`);
    this.trimRuns = db.prepare(`DELETE FROM runs WHERE company_id = ? AND blueprint_id = ? AND seq <= (
        SELECT seq FROM runs WHERE company_id = ? AND blueprint_id = ? ORDER BY seq DESC LIMIT 1 OFFSET ?)`);
    this.selectLatest = db.prepare('SELECT run_id, blueprint_id, record_ciphertext FROM runs WHERE company_id = ? AND blueprint_id = ? ORDER BY seq DESC LIMIT ?');
    this.selectRun = db.prepare('SELECT run_id, blueprint_id, record_ciphertext FROM runs WHERE company_id = ? AND blueprint_id = ? AND run_id = ?');
    this.deleteRun = db.prepare('DELETE FROM runs WHERE company_id = ? AND blueprint_id = ? AND run_id = ?');
  }

  /** Stores `record`, within `RUN_RECORD_MAX_BYTES`, and returns what was stored. */
  add(companyId: string, run: RunRecord): RunRecord {
    const record = boundedRecord(run);
    const sealed = this.cipher.encrypt(JSON.stringify(record), identity(companyId, record.blueprintId, record.runId));
    this.db.transaction(() => {
      this.insertRun.run(companyId, record.blueprintId, record.runId, record.status, record.startedAt, record.finishedAt, sealed);
      this.trimRuns.run(companyId, record.blueprintId, companyId, record.blueprintId, RUNS_KEPT_PER_BLUEPRINT);
    }).immediate();
    return record;
  }

  /**
   * The latest `limit` runs of a blueprint, newest first. Records that fail to open (damaged or
   * tampered) are left out and counted, so one bad row does not hide the whole history.
   */
  list(companyId: string, blueprintId: string, limit: number): { runs: RunRecord[]; damaged: number } {
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
  delete(companyId: string, blueprintId: string, runId: string): boolean {
    return this.deleteRun.run(companyId, blueprintId, runId).changes > 0;
  }

  get(companyId: string, blueprintId: string, runId: string): RunRecord | null {
    const row = this.selectRun.get(companyId, blueprintId, runId);
    return row ? this.open(companyId, row) : null;
  }

  private open(companyId: string, row: RunRow): RunRecord {
    return JSON.parse(this.cipher.decrypt(row.record_ciphertext, identity(companyId, row.blueprint_id, row.run_id))) as RunRecord;
  }
}
