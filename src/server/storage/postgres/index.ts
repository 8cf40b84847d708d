/**
 * The shared backend: entries, blueprints and runs in one PostgreSQL database that any number
 * of `kvb serve` processes use together. Values are sealed with the master key every instance
 * shares (`KVB_MASTER_KEY`); events cross instances by LISTEN/NOTIFY (`pg-events.ts`).
 */
import pg from 'pg';
import { KvError } from '../../../kv/errors';
import type { BatchOptions } from '../../../kv/operations';
import { MASTER_KEY_ENV, ValueCipher, parseMasterKey } from '../../encryption';
import { DataDirectoryError, type ServerStorage, type StorageLocation } from '../types';
import { PostgresBlueprintStore, PostgresRunStore, queryOf, transactionOf } from './blueprints';
import { PostgresEventRelay, PostgresNotifier } from './pg-events';
import { PostgresRunCoordinator } from './pg-run-coordinator';
import { PostgresStore, describePgError } from './pg-store';
import { migrate } from './schema';

/** Connections per instance unless `KVB_DATABASE_POOL` says otherwise. */
export const DEFAULT_POOL_SIZE = 10;

export interface PostgresStorage extends ServerStorage {
  store: PostgresStore;
  events: PostgresEventRelay;
  runCoordinator: PostgresRunCoordinator;
  ready: Promise<void>;
  /** The connection pool, for the workspace copy (`migrate-workspace.ts`). */
  pool: pg.Pool;
}

export interface OpenPostgresOptions {
  url: string;
  /** The master key; else `KVB_MASTER_KEY` from `env`. */
  masterKey?: Buffer;
  env?: NodeJS.ProcessEnv;
  batchOptions?: BatchOptions;
  /** Without it, no LISTEN connection is made: no events or runs cross to other instances (a one-shot command). */
  relayEvents?: boolean;
  onWarning?: (message: string) => void;
}

export function openPostgresStorage(location: Extract<StorageLocation, { kind: 'postgres' }>, env: NodeJS.ProcessEnv): ServerStorage {
  return openPostgres({ url: location.url, env, relayEvents: true });
}

/**
 * Opens the database at `url`: a pool, the migrations (under an advisory lock) and the master
 * key check run in the background, and `ready` says when (or why not) it is usable; every call
 * waits for it. Throws at once for what needs no connection (a URL or key that is not valid).
 */
export function openPostgres(options: OpenPostgresOptions): PostgresStorage {
  const env = options.env ?? process.env;
  const key = options.masterKey ?? masterKeyFrom(env);
  const cipher = new ValueCipher(key);
  const config = connectionConfig(options.url);
  const poolSize = Number(env.KVB_DATABASE_POOL ?? DEFAULT_POOL_SIZE);
  if (!Number.isInteger(poolSize) || poolSize < 1 || poolSize > 1000) {
    throw new DataDirectoryError(`KVB_DATABASE_POOL must be a whole number from 1 to 1000, got '${env.KVB_DATABASE_POOL}'`);
  }
  const warn = options.onWarning ?? ((message: string) => process.stderr.write(`kvb: ${message}\n`));
  const pool = new pg.Pool({ ...config, max: poolSize, idleTimeoutMillis: 30_000 });
  // A pooled connection that breaks while idle (a database restart) is dropped, not fatal.
  pool.on('error', (error) => warn(`a PostgreSQL connection failed while idle: ${error.message}`));
  const notifier = new PostgresNotifier(config, warn);
  const events = new PostgresEventRelay(notifier);
  const where = describeUrl(options.url);
  const ready = (async () => {
    try {
      await migrate(pool);
      await checkMasterKey(pool, cipher, where);
      if (options.relayEvents) await notifier.start();
    } catch (error) {
      if (error instanceof KvError) throw error;
      throw new DataDirectoryError(`Cannot use the PostgreSQL database ${where}: ${describePgError(error)}`);
    }
  })();
  // Callers await `ready` (or any call, which does); this keeps an unawaited failure quiet.
  ready.catch(() => undefined);
  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= (async () => {
      await ready.catch(() => undefined);
      await notifier.close();
      await pool.end();
    })());
  const store = new PostgresStore({ pool, cipher, ready, batchOptions: options.batchOptions, onClose: close });
  const query = queryOf(pool, ready);
  const runs = new PostgresRunStore(query, cipher);
  return {
    store,
    blueprints: new PostgresBlueprintStore(query, transactionOf(pool, ready), cipher),
    runs,
    runCoordinator: new PostgresRunCoordinator(notifier, query, runs),
    companyOfEntryId: (id) => store.companyOfEntryId(id),
    ready,
    events,
    pool,
    close: () => store.close(),
  };
}

function masterKeyFrom(env: NodeJS.ProcessEnv): Buffer {
  const text = env[MASTER_KEY_ENV];
  if (text === undefined || text === '') {
    throw new DataDirectoryError(
      `A PostgreSQL database needs ${MASTER_KEY_ENV}: the master key every instance shares (64 hex characters; make one with: openssl rand -hex 32)`,
    );
  }
  return parseMasterKey(text, MASTER_KEY_ENV);
}

function connectionConfig(url: string): pg.ClientConfig {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new DataDirectoryError(`The database URL is not a URL: expected postgres://user:password@host:5432/database`);
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new DataDirectoryError(`The database URL ${describeUrl(url)} is not a postgres:// URL`);
  }
  return { connectionString: url, application_name: 'kvb' };
}

/** The URL without its password, for messages and logs. */
export function describeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(a URL that does not parse)';
  }
}

/** Records the key's fingerprint on first use; afterwards refuses another key. */
async function checkMasterKey(pool: pg.Pool, cipher: ValueCipher, where: string): Promise<void> {
  const fingerprint = cipher.fingerprint();
  await pool.query('INSERT INTO kvb_master_key (key_id, fingerprint, created_at) VALUES (1, $1, $2) ON CONFLICT (key_id) DO NOTHING', [
    fingerprint,
    new Date().toISOString(),
  ]);
  const { rows } = await pool.query<{ fingerprint: string }>('SELECT fingerprint FROM kvb_master_key WHERE key_id = 1');
  if (rows[0]?.fingerprint !== fingerprint) {
    throw new KvError(
      'integrity',
      `The master key is not the one the values in ${where} were encrypted with: set ${MASTER_KEY_ENV} to the key the other instances use`,
    );
  }
}
