/**
 * Blueprints and run records on PostgreSQL: the same sealed documents as the SQLite tables
 * (bound to company and id, so a row copied elsewhere fails to open), keyed by company first.
 */
import type pg from 'pg';
import type { BlueprintDocument, RunRecord } from '../../../engine/types';
import type { BlueprintRevision, BlueprintSummary } from '../../../kv/api-schema';
import { isKvError } from '../../../kv/errors';
import type { ValueCipher } from '../../encryption';
import { boundedRecord, RUNS_KEPT_PER_BLUEPRINT } from '../run-records';
import {
  checkSave,
  openRevision,
  openRun,
  resealAsRevision,
  revisionsOf,
  savedBlueprintOf,
  sealBlueprint,
  sealRevision,
  sealRun,
  storedBlueprintOf,
  summaryOf,
  type RevisionRow,
  type RunRow,
  type SummaryRow,
} from '../sealed-blueprints';
import {
  RevisionConflictError,
  REVISIONS_KEPT_PER_BLUEPRINT,
  type BlueprintStore,
  type RunStore,
  type SavedBlueprint,
  type StoredBlueprint,
  type StoredRun,
} from '../types';
import { asStoreError, inTransaction, lockIdOf } from './pg-store';

/** A query whose PostgreSQL failures become `store` errors, after the storage is ready. */
export type Query = <R extends pg.QueryResultRow>(text: string, values: unknown[]) => Promise<pg.QueryResult<R>>;

type Queryable = Pick<pg.PoolClient, 'query'>;

/** Runs `work` in one transaction (committed when it returns), with PostgreSQL failures as `store` errors. */
export type Transaction = <T>(work: (client: Queryable) => Promise<T>) => Promise<T>;

export function transactionOf(pool: pg.Pool, ready: Promise<void>): Transaction {
  return async (work) => {
    await ready;
    try {
      return await inTransaction(pool, work);
    } catch (error) {
      if (error instanceof RevisionConflictError || isKvError(error)) throw error;
      throw asStoreError(error);
    }
  };
}

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
    private readonly transaction: Transaction,
    private readonly cipher: ValueCipher,
  ) {}

  async list(companyId: string): Promise<BlueprintSummary[]> {
    const { rows } = await this.query<SummaryRow>(
      'SELECT id, name, group_id, updated_at, revision FROM blueprints WHERE company_id = $1 ORDER BY name, id COLLATE "C"',
      [companyId],
    );
    return rows.map(summaryOf);
  }

  async get(companyId: string, id: string): Promise<StoredBlueprint | null> {
    const { rows } = await this.query<{ document_ciphertext: Buffer; revision: number; updated_at: string }>(
      'SELECT document_ciphertext, revision, updated_at FROM blueprints WHERE company_id = $1 AND id = $2',
      [companyId, id],
    );
    return rows[0] ? storedBlueprintOf(this.cipher, companyId, id, rows[0]) : null;
  }

  /** Saves `document` as the next revision; see `BlueprintStore.save`. Saves of one blueprint take turns (an advisory lock). */
  async save(
    companyId: string,
    document: BlueprintDocument,
    mode: 'create' | 'upsert',
    options: { ifRevision?: number } = {},
  ): Promise<SavedBlueprint> {
    const now = new Date().toISOString();
    const text = JSON.stringify(document);
    const sealed = sealBlueprint(this.cipher, companyId, document.id, text);
    const { created, revision } = await this.transaction(async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [lockIdOf(companyId, 'blueprint', '', document.id)]);
      const { rows } = await client.query<{ revision: number; name: string; updated_at: string; document_ciphertext: Buffer }>(
        'SELECT revision, name, updated_at, document_ciphertext FROM blueprints WHERE company_id = $1 AND id = $2',
        [companyId, document.id],
      );
      const current = rows[0];
      checkSave(document.id, mode, current?.revision, options.ifRevision);
      if (current) await this.keepUnkeptRevision(client, companyId, document.id, current);
      const next = (current?.revision ?? 0) + 1;
      await client.query(
        `INSERT INTO blueprints (company_id, id, name, group_id, document_ciphertext, created_at, updated_at, revision)
           VALUES ($1, $2, $3, $4, $5, $6, $6, $7)
           ON CONFLICT (company_id, id) DO UPDATE SET name = excluded.name, group_id = excluded.group_id,
             document_ciphertext = excluded.document_ciphertext, updated_at = excluded.updated_at, revision = excluded.revision`,
        [companyId, document.id, document.name, document.groupId ?? null, sealed, now, next],
      );
      await insertRevision(
        client,
        companyId,
        document.id,
        next,
        document.name,
        now,
        sealRevision(this.cipher, companyId, document.id, next, text),
      );
      await client.query('DELETE FROM blueprint_revisions WHERE company_id = $1 AND blueprint_id = $2 AND revision <= $3', [
        companyId,
        document.id,
        next - REVISIONS_KEPT_PER_BLUEPRINT,
      ]);
      return { created: current === undefined, revision: next };
    });
    return savedBlueprintOf(document, now, created, revision);
  }

  /** A blueprint copied in without its kept revisions: keep its current one before it is replaced. */
  private async keepUnkeptRevision(
    client: Queryable,
    companyId: string,
    id: string,
    current: { revision: number; name: string; updated_at: string; document_ciphertext: Buffer },
  ): Promise<void> {
    const { rowCount } = await client.query(
      'SELECT 1 FROM blueprint_revisions WHERE company_id = $1 AND blueprint_id = $2 AND revision = $3',
      [companyId, id, current.revision],
    );
    if ((rowCount ?? 0) > 0) return;
    const kept = resealAsRevision(this.cipher, companyId, id, current.revision, current.document_ciphertext);
    if (kept) await insertRevision(client, companyId, id, current.revision, current.name, current.updated_at, kept);
  }

  async delete(companyId: string, id: string): Promise<boolean> {
    // One statement: the blueprint, its revisions and its runs go together.
    const { rows } = await this.query<{ removed: boolean }>(
      `WITH gone AS (DELETE FROM blueprints WHERE company_id = $1 AND id = $2 RETURNING id),
            revisions_gone AS (DELETE FROM blueprint_revisions WHERE company_id = $1 AND blueprint_id = $2 AND EXISTS (SELECT 1 FROM gone)),
            runs_gone AS (DELETE FROM runs WHERE company_id = $1 AND blueprint_id = $2 AND EXISTS (SELECT 1 FROM gone))
       SELECT EXISTS (SELECT 1 FROM gone) AS removed`,
      [companyId, id],
    );
    return rows[0]?.removed ?? false;
  }

  async revisions(companyId: string, id: string): Promise<BlueprintRevision[] | null> {
    const { rows: currentRows } = await this.query<SummaryRow>(
      'SELECT id, name, group_id, updated_at, revision FROM blueprints WHERE company_id = $1 AND id = $2',
      [companyId, id],
    );
    const current = currentRows[0];
    if (!current) return null;
    const { rows } = await this.query<RevisionRow>(
      'SELECT revision, saved_at, name FROM blueprint_revisions WHERE company_id = $1 AND blueprint_id = $2 ORDER BY revision DESC',
      [companyId, id],
    );
    return revisionsOf(rows, current);
  }

  async revision(companyId: string, id: string, revision: number): Promise<BlueprintDocument | null> {
    const { rows } = await this.query<{ document_ciphertext: Buffer }>(
      'SELECT document_ciphertext FROM blueprint_revisions WHERE company_id = $1 AND blueprint_id = $2 AND revision = $3',
      [companyId, id, revision],
    );
    if (rows[0]) {
      return openRevision(this.cipher, companyId, id, revision, rows[0].document_ciphertext);
    }
    const stored = await this.get(companyId, id);
    return stored?.revision === revision ? stored.document : null;
  }
}

async function insertRevision(
  client: Queryable,
  companyId: string,
  id: string,
  revision: number,
  name: string,
  savedAt: string,
  sealed: Buffer,
): Promise<void> {
  await client.query(
    `INSERT INTO blueprint_revisions (company_id, blueprint_id, revision, name, saved_at, document_ciphertext)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (company_id, blueprint_id, revision) DO UPDATE SET name = excluded.name, saved_at = excluded.saved_at,
         document_ciphertext = excluded.document_ciphertext`,
    [companyId, id, revision, name, savedAt, sealed],
  );
}

export class PostgresRunStore implements RunStore {
  constructor(
    private readonly query: Query,
    private readonly cipher: ValueCipher,
  ) {}

  async add(companyId: string, run: RunRecord): Promise<RunRecord> {
    const record = boundedRecord(run);
    const sealed = sealRun(this.cipher, companyId, record);
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

  async find(companyId: string, runId: string): Promise<StoredRun | null> {
    const { rows } = await this.query<RunRow & { applied_at: string | null }>(
      'SELECT run_id, blueprint_id, record_ciphertext, applied_at FROM runs WHERE company_id = $1 AND run_id = $2',
      [companyId, runId],
    );
    const row = rows[0];
    return row ? { record: this.open(companyId, row), appliedAt: row.applied_at } : null;
  }

  async markApplied(companyId: string, runId: string, appliedAt: string | null): Promise<boolean> {
    const { rowCount } =
      appliedAt === null
        ? await this.query('UPDATE runs SET applied_at = NULL WHERE company_id = $1 AND run_id = $2 AND applied_at IS NOT NULL', [
            companyId,
            runId,
          ])
        : await this.query('UPDATE runs SET applied_at = $3 WHERE company_id = $1 AND run_id = $2 AND applied_at IS NULL', [
            companyId,
            runId,
            appliedAt,
          ]);
    return (rowCount ?? 0) > 0;
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
    return openRun(this.cipher, companyId, row);
  }
}
