/**
 * What the server stores: the KV store (SQLite, values sealed with AES-256-GCM) and the
 * server's own tables (blueprints, runs) on the store's connection, sealed with the same
 * master key. One function opens it all, so switching backends is a change here only.
 */
import type { Database } from '../database';
import type { ValueCipher } from '../encryption';
import { openSqliteStore } from '../sqlite-store';
import type { KeyValueStore } from '../../kv/types';

export interface ServerStorage {
  store: KeyValueStore;
  /** The database of the server's own tables (blueprints, runs). */
  db: Database;
  cipher: ValueCipher;
  /** The companyId holding KV entry `id`, or null (loopback mode: the seed's DELETE names no company). */
  companyOfEntryId(id: string): string | null;
  close(): Promise<void>;
}

export function openServerStorage(dataDir: string, env: NodeJS.ProcessEnv = process.env): ServerStorage {
  // Opens the database and the master key (creating the key file on first use) and checks the key.
  const store = openSqliteStore({ dataDir, env });
  return {
    store,
    db: store.db,
    cipher: store.cipher,
    companyOfEntryId: (id) => store.companyOfEntryId(id),
    close: () => store.close(),
  };
}
