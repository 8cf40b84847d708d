/**
 * Opens the server's storage from a location. Each backend is a folder beside this file that
 * exports one opener; `BACKENDS` lists them, so a second backend is a new folder plus one line.
 */
import { openPostgresStorage } from './postgres';
import { openSqliteStorage } from './sqlite';
import type { ServerStorage, StorageLocation } from './types';

export type {
  BlueprintStore,
  RunCoordinator,
  RunFollow,
  RunHandle,
  RunStart,
  RunStore,
  SavedBlueprint,
  ServerStorage,
  StorageLocation,
  StoredBlueprint,
  StoredRun,
} from './types';
export { RevisionConflictError, REVISIONS_KEPT_PER_BLUEPRINT, TooManyRunsError } from './types';
export { LocalRunCoordinator, RunReplay } from './run-coordinator';

type Opener<K extends StorageLocation['kind']> = (location: Extract<StorageLocation, { kind: K }>, env: NodeJS.ProcessEnv) => ServerStorage;

const BACKENDS: { [K in StorageLocation['kind']]: Opener<K> } = {
  sqlite: openSqliteStorage,
  postgres: openPostgresStorage,
};

/** Opens the storage at `location`, creating what a first start needs (a data directory, a master key). */
export function openServerStorage(location: StorageLocation, env: NodeJS.ProcessEnv = process.env): ServerStorage {
  const open = BACKENDS[location.kind] as Opener<typeof location.kind>;
  return open(location, env);
}

/** The environment variable naming a PostgreSQL database, as `--database` does. */
export const DATABASE_URL_ENV = 'KVB_DATABASE_URL';

/**
 * The location `kvb` options name: `--database <url>` (or `KVB_DATABASE_URL`) for PostgreSQL,
 * else `--data <dir>` (resolved against `cwd`) for the embedded SQLite file.
 */
export function storageLocationOf(options: { dataDir: string; database?: string }, env: NodeJS.ProcessEnv = process.env): StorageLocation {
  const url = options.database ?? env[DATABASE_URL_ENV];
  if (url !== undefined && url !== '') return { kind: 'postgres', url };
  return { kind: 'sqlite', dataDir: options.dataDir };
}
