/**
 * What the server stores: the KV store (SQLite, values sealed with AES-256-GCM) and the
 * server's own tables (blueprints, runs) in the same database file, sealed with the same
 * master key. One function opens it all, so switching backends is a change here only.
 */
import { openDatabase, type Database } from '../database';
import { ValueCipher, loadMasterKey } from '../encryption';
import { openSqliteStore } from '../sqlite-store';
import type { KeyValueStore } from '../../kv/types';

export interface ServerStorage {
  store: KeyValueStore;
  /** The server's own connection to the data directory's database (blueprints, runs). */
  db: Database;
  cipher: ValueCipher;
  close(): Promise<void>;
}

export function openServerStorage(dataDir: string, env: NodeJS.ProcessEnv = process.env): ServerStorage {
  // The store opens (and checks) the master key first, creating the key file on first use.
  const store = openSqliteStore({ dataDir, env });
  let db: Database | undefined;
  try {
    db = openDatabase(dataDir);
    const cipher = new ValueCipher(loadMasterKey(dataDir, env).key);
    const ownDb = db;
    return {
      store,
      db: ownDb,
      cipher,
      async close() {
        await store.close();
        ownDb.close();
      },
    };
  } catch (error) {
    db?.close();
    void store.close();
    throw error;
  }
}

/**
 * The companyId holding entry `id`, or null. Only for loopback mode without tokens, where
 * every caller is trusted and the seed's `DELETE /api/kv/{id}` names no company. It reads
 * the SQLite store's table directly (same server package, documented in sqlite-store.ts).
 */
export function companyOfEntryId(db: Database, id: string): string | null {
  try {
    const row = db.prepare<[string], { company_id: string }>('SELECT company_id FROM kv_entries WHERE id = ?').get(id);
    return row?.company_id ?? null;
  } catch {
    return null;
  }
}
