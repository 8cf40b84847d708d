/**
 * Blueprints and run records on PostgreSQL: the same sealed documents as the SQLite tables
 * (bound to company and id, so a row copied elsewhere fails to open), keyed by company first.
 */
import type pg from 'pg';
import type { BlueprintDocument, RunRecord } from '../../../engine/types';
import type { BlueprintSummary } from '../../../kv/api-schema';
import { KvError } from '../../../kv/errors';
import type { RowIdentity, ValueCipher } from '../../encryption';
import { boundedRecord, RUNS_KEPT_PER_BLUEPRINT } from '../run-records';
import type { BlueprintStore, RunStore, SavedBlueprint } from '../types';
import { asStoreError } from './pg-store';

function blueprintIdentity(companyId: string, id: string): RowIdentity {
  return { companyId, scope: 'blueprint', scopeKey: '', key: id };
}

function runIdentity(companyId: string, blueprintId: string, runId: string): RowIdentity {
  return { companyId, scope: 'run', scopeKey: blueprintId, key: runId };
}

/** A query whose PostgreSQL failures become `store` errors, after the storage is ready. */
export type Query = <R extends pg.QueryResultRow>(text: string, values: unknown[]) => Promise<pg.QueryResult<R>>;

export function queryOf(pool: pg.Pool, ready: Promise<void>): Query {
  return async (text, values) => {
    await ready;
    try {
      return await pool.query(text, values);
    } catch (error) {
      throw asStoreError(error);
    }
  };
}

export class PostgresBlueprintStore implements BlueprintStore {
  constructor(
    private readonly query: Query,
    private readonly cipher: ValueCipher,
  ) {}

  async list(companyId: string): Promise<BlueprintSummary[]> {
    const { rows } = await this.query<{ id: string; name: string; group_id: string | null; updated_at: string }>(
      'SELECT id, name, group_id, updated_at FROM blueprints WHERE company_id = $1 ORDER BY name, id COLLATE "C"',
      [companyId],
    );
    return rows.map((row) => ({ id: row.id, name: row.name, groupId: row.group_id, updatedAt: row.updated_at }));
  }

  async get(companyId: string, id: string): Promise<BlueprintDocument | null> {
    const { rows } = await this.query<{ document_ciphertext: Buffer }>(
      'SELECT document_ciphertext FROM blueprints WHERE company_id = $1 AND id = $2',
      [companyId, id],
    );
    const row = rows[0];
    if (!row) return null;
    return JSON.parse(this.cipher.decrypt(row.document_ciphertext, blueprintIdentity(companyId, id))) as BlueprintDocument;
  }

  async save(companyId: string, document: BlueprintDocument, mode: 'create' | 'upsert'): Promise<SavedBlueprint> {
    const now = new Date().toISOString();
    const sealed = this.cipher.encrypt(JSON.stringify(document), blueprintIdentity(companyId, document.id));
    const values = [companyId, document.id, document.name, document.groupId ?? null, sealed, now];
    const insert = `INSERT INTO blueprints (company_id, id, name, group_id, document_ciphertext, created_at, updated_at)
      VALUES ($1, $2, $3, $4, $5, $6, $6)`;
    let created: boolean;
    if (mode === 'create') {
      const { rowCount } = await this.query(`${insert} ON CONFLICT (company_id, id) DO NOTHING`, values);
      if (rowCount === 0) {
        throw new KvError(
          'already_exists',
          `A blueprint with id '${document.id}' already exists; PUT /api/blueprints/${document.id} replaces it`,
        );
      }
      created = true;
    } else {
      // xmax is 0 on a row this statement inserted, and set on one it updated.
      const { rows } = await this.query<{ created: boolean }>(
        `${insert} ON CONFLICT (company_id, id) DO UPDATE SET name = excluded.name, group_id = excluded.group_id,
           document_ciphertext = excluded.document_ciphertext, updated_at = excluded.updated_at
         RETURNING (xmax = 0) AS created`,
        values,
      );
      created = rows[0]?.created ?? false;
    }
    return { created, summary: { id: document.id, name: document.name, groupId: document.groupId ?? null, updatedAt: now } };
  }

  async delete(companyId: string, id: string): Promise<boolean> {
    // One statement: the blueprint and its runs go together.
    const { rows } = await this.query<{ removed: boolean }>(
      `WITH gone AS (DELETE FROM blueprints WHERE company_id = $1 AND id = $2 RETURNING id),
            runs_gone AS (DELETE FROM runs WHERE company_id = $1 AND blueprint_id = $2 AND EXISTS (SELECT 1 FROM gone))
       SELECT EXISTS (SELECT 1 FROM gone) AS removed`,
      [companyId, id],
    );
    return rows[0]?.removed ?? false;
  }
}

interface RunRow {
  run_id: string;
  blueprint_id: string;
  record_ciphertext: Buffer;
}

export class PostgresRunStore implements RunStore {
  constructor(
    private readonly query: Query,
    private readonly cipher: ValueCipher,
  ) {}

  async add(companyId: string, run: RunRecord): Promise<RunRecord> {
    const record = boundedRecord(run);
    const sealed = this.cipher.encrypt(JSON.stringify(record), runIdentity(companyId, record.blueprintId, record.runId));
    await this.query(
      `WITH added AS (
         INSERT INTO runs (company_id, run_id, blueprint_id, status, started_at, finished_at, record_ciphertext)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING seq)
       DELETE FROM runs WHERE company_id = $1 AND blueprint_id = $3 AND seq <= (
         SELECT seq FROM runs WHERE company_id = $1 AND blueprint_id = $3 ORDER BY seq DESC LIMIT 1 OFFSET $8)`,
      [
        companyId,
        record.runId,
        record.blueprintId,
        record.status,
        record.startedAt,
        record.finishedAt,
        sealed,
        RUNS_KEPT_PER_BLUEPRINT - 1,
      ],
    );
    return record;
  }

  async list(companyId: string, blueprintId: string, limit: number): Promise<{ runs: RunRecord[]; damaged: number }> {
    const { rows } = await this.query<RunRow>(
      `SELECT run_id, blueprint_id, record_ciphertext FROM runs WHERE company_id = $1 AND blueprint_id = $2
         ORDER BY seq DESC LIMIT $3`,
      [companyId, blueprintId, limit],
    );
    const runs: RunRecord[] = [];
    let damaged = 0;
    for (const row of rows) {
      try {
        runs.push(this.open(companyId, row));
      } catch {
        damaged++;
      }
    }
    return { runs, damaged };
  }

  async get(companyId: string, blueprintId: string, runId: string): Promise<RunRecord | null> {
    const { rows } = await this.query<RunRow>(
      'SELECT run_id, blueprint_id, record_ciphertext FROM runs WHERE company_id = $1 AND blueprint_id = $2 AND run_id = $3',
      [companyId, blueprintId, runId],
    );
    return rows[0] ? this.open(companyId, rows[0]) : null;
  }

  async delete(companyId: string, blueprintId: string, runId: string): Promise<boolean> {
    const { rowCount } = await this.query('DELETE FROM runs WHERE company_id = $1 AND blueprint_id = $2 AND run_id = $3', [
      companyId,
      blueprintId,
      runId,
    ]);
    return (rowCount ?? 0) > 0;
  }

  private open(companyId: string, row: RunRow): RunRecord {
    return JSON.parse(this.cipher.decrypt(row.record_ciphertext, runIdentity(companyId, row.blueprint_id, row.run_id))) as RunRecord;
  }
}
