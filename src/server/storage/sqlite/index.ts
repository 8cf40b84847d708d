/**
 * The embedded backend: one SQLite file in the data directory (WAL), values, blueprints and run
 * records sealed with AES-256-GCM under the master key, all on one connection.
 */
import { LocalRunCoordinator } from '../run-coordinator';
import type { ServerStorage, StorageLocation } from '../types';
import { SqliteBlueprintStore } from './blueprints';
import { SqliteRunStore } from './runs';
import { openSqliteStore } from './sqlite-store';

export function openSqliteStorage(location: Extract<StorageLocation, { kind: 'sqlite' }>, env: NodeJS.ProcessEnv): ServerStorage {
  // Opens the database and the master key (creating the key file on first use) and checks the key.
  const store = openSqliteStore({ dataDir: location.dataDir, env });
  return {
    store,
    blueprints: new SqliteBlueprintStore(store.db, store.cipher),
    runs: new SqliteRunStore(store.db, store.cipher),
    // One process runs and follows its runs; several processes on one file do not share them.
    runCoordinator: new LocalRunCoordinator(),
    companyOfEntryId: async (id) => store.companyOfEntryId(id),
    close: () => store.close(),
  };
}
