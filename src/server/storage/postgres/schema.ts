/**
 * The PostgreSQL schema, as numbered migrations applied at start. Every instance runs
 * `migrate` when it opens the database; a session-level advisory lock makes instances that
 * start together take turns, and `kvb_schema` records which versions are in, so each migration
 * runs exactly once. Append only: a released migration is never edited.
 *
 * Every table's primary key starts with `company_id` and no transaction touches two companies,
 * so the tables can be distributed by `company_id` (Citus). `kvb_schema` and `kvb_master_key`
 * are the two small exceptions: one row per database, replicated (Citus reference tables).
 */
import type pg from 'pg';

/** The advisory lock id migrations run under (any constant; "kvb" in ASCII). */
export const MIGRATION_LOCK_ID = 0x6b7662;

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'entries, blueprints, runs',
    sql: `
      CREATE TABLE kvb_master_key (
        key_id integer PRIMARY KEY,
        fingerprint text NOT NULL,
        created_at text NOT NULL
      );
      CREATE TABLE kv_entries (
        company_id text NOT NULL,
        scope text NOT NULL,
        scope_key text NOT NULL,
        key text COLLATE "C" NOT NULL,
        id text NOT NULL,
        value_ciphertext bytea NOT NULL,
        value_type text NOT NULL,
        version integer NOT NULL,
        created_at text NOT NULL,
        updated_at text NOT NULL,
        expires_at text COLLATE "C",
        PRIMARY KEY (company_id, scope, scope_key, key)
      );
      CREATE INDEX kv_entries_by_id ON kv_entries (id);
      CREATE INDEX kv_entries_expiry ON kv_entries (company_id, expires_at) WHERE expires_at IS NOT NULL;
      CREATE TABLE blueprints (
        company_id text NOT NULL,
        id text NOT NULL,
        name text COLLATE "C" NOT NULL,
        group_id text,
        document_ciphertext bytea NOT NULL,
        created_at text NOT NULL,
        updated_at text NOT NULL,
        PRIMARY KEY (company_id, id)
      );
      CREATE TABLE runs (
        company_id text NOT NULL,
        run_id text NOT NULL,
        blueprint_id text NOT NULL,
        seq bigint GENERATED ALWAYS AS IDENTITY,
        status text NOT NULL,
        started_at text NOT NULL,
        finished_at text NOT NULL,
        record_ciphertext bytea NOT NULL,
        PRIMARY KEY (company_id, run_id)
      );
      CREATE INDEX runs_by_blueprint ON runs (company_id, blueprint_id, seq);
      -- Takes the advisory locks of a batch's rows, one after another in the order given (the
      -- caller sorts them), so two batches never wait on each other in a cycle.
      CREATE FUNCTION kvb_lock_rows(ids bigint[]) RETURNS void LANGUAGE plpgsql AS $$
      DECLARE id bigint;
      BEGIN
        FOREACH id IN ARRAY ids LOOP
          PERFORM pg_advisory_xact_lock(id);
        END LOOP;
      END $$;`,
  },
  {
    version: 2,
    name: 'blueprint revisions, run apply marks, executing runs',
    sql: `
      ALTER TABLE blueprints ADD COLUMN revision integer NOT NULL DEFAULT 1;
      CREATE TABLE blueprint_revisions (
        company_id text NOT NULL,
        blueprint_id text NOT NULL,
        revision integer NOT NULL,
        name text NOT NULL,
        saved_at text NOT NULL,
        document_ciphertext bytea NOT NULL,
        PRIMARY KEY (company_id, blueprint_id, revision)
      );
      ALTER TABLE runs ADD COLUMN applied_at text;
      -- The runs executing now and the instance running each (see pg-run-coordinator.ts).
      CREATE TABLE active_runs (
        company_id text NOT NULL,
        run_id text NOT NULL,
        blueprint_id text NOT NULL,
        instance_id text NOT NULL,
        instance_lock bigint NOT NULL,
        started_at text NOT NULL,
        PRIMARY KEY (company_id, run_id)
      );`,
  },
  {
    version: 3,
    name: 'key history',
    sql: `
      -- The versions writes replaced, the last HISTORY_MAX_VERSIONS per key, sealed like live values.
      CREATE TABLE kv_history (
        company_id text NOT NULL,
        scope text NOT NULL,
        scope_key text NOT NULL,
        key text COLLATE "C" NOT NULL,
        seq bigint GENERATED ALWAYS AS IDENTITY,
        version integer NOT NULL,
        value_ciphertext bytea NOT NULL,
        value_type text NOT NULL,
        updated_at text NOT NULL,
        replaced_at text NOT NULL,
        deleted smallint NOT NULL,
        PRIMARY KEY (company_id, scope, scope_key, key, seq)
      );`,
  },
];

/** Applies the migrations this database lacks; returns the versions applied now. */
export async function migrate(pool: pg.Pool, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  const client = await pool.connect();
  const applied: number[] = [];
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
    try {
      await client.query(`CREATE TABLE IF NOT EXISTS kvb_schema (
        version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
      const { rows } = await client.query<{ version: number }>('SELECT version FROM kvb_schema');
      const present = new Set(rows.map((row) => row.version));
      const newest = Math.max(0, ...present);
      const known = Math.max(0, ...migrations.map((migration) => migration.version));
      if (newest > known) {
        throw new Error(`the database schema is at version ${newest}, newer than this kvb knows (${known}): upgrade kvb on this instance`);
      }
      for (const migration of migrations) {
        if (present.has(migration.version)) continue;
        await client.query('BEGIN');
        try {
          await client.query(migration.sql);
          await client.query('INSERT INTO kvb_schema (version, name) VALUES ($1, $2)', [migration.version, migration.name]);
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK');
          throw new Error(`migration ${migration.version} (${migration.name}) failed: ${(error as Error).message}`);
        }
        applied.push(migration.version);
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_ID]);
    }
  } finally {
    client.release();
  }
  return applied;
}
