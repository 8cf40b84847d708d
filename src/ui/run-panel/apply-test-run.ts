/**
 * Apply changes: writes a test run's changes for real, all or nothing. Browser storage applies
 * them to its store with `applyChanges` (one batch guarded by each key's version); Server
 * storage asks the server (`POST /api/runs/{runId}/apply`), which holds the run, and falls back
 * to the same guarded batch through the HTTP store for a run the server does not know (one the
 * editor ran itself).
 */
import type { RunRecord } from '../../engine/types';
import { applyChanges, applicableChanges, describeChangedKey } from '../../kv/changes';
import { isKvError } from '../../kv/errors';
import type { KeyValueStore, Scope } from '../../kv/types';
import { readRefusal } from '../api/refusal';

export type ApplyOutcome = { ok: true } | { ok: false; conflict: boolean; message: string };

export interface ApplyTarget {
  choice: 'browser' | 'server';
  store: KeyValueStore;
  companyId: string;
  /** Server storage: the server's origin and the API token, if any. */
  baseUrl?: string;
  token?: string | undefined;
  fetch?: typeof fetch;
}

export async function applyTestRun(record: RunRecord, target: ApplyTarget): Promise<ApplyOutcome> {
  try {
    const changes = applicableChanges(record);
    if (target.choice === 'server') {
      const answered = await applyOnServer(record.runId, target);
      if (answered) return answered;
    }
    await applyChanges(target.store, target.companyId, changes);
    return { ok: true };
  } catch (error) {
    if (isKvError(error)) return { ok: false, conflict: error.code === 'conflict', message: error.message };
    return {
      ok: false,
      conflict: false,
      message: `The changes could not be applied: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
}

/** The server's answer, or null when it does not hold this run (404), so the caller applies them itself. */
async function applyOnServer(runId: string, target: ApplyTarget): Promise<ApplyOutcome | null> {
  const fetchImpl = target.fetch ?? globalThis.fetch.bind(globalThis);
  const response = await fetchImpl(`${target.baseUrl ?? ''}/api/runs/${encodeURIComponent(runId)}/apply`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(target.token ? { authorization: `Bearer ${target.token}` } : {}) },
    body: '{}',
  });
  if (response.ok) return { ok: true };
  if (response.status === 404) return null;
  const refusal = await readRefusal(response);
  const message = refusal.message ?? `The server answered ${response.status}`;
  const keys = refusal.keys ?? [];
  // The server names them as text (`global:visits`); objects `{ scope, scopeKey, key }` are read too.
  const named = keys.flatMap((k: unknown): string[] => {
    if (typeof k === 'string') return [k];
    const ref = k as { scope?: unknown; scopeKey?: unknown; key?: unknown } | null;
    if (typeof ref?.key !== 'string' || typeof ref.scope !== 'string') return [];
    return [describeChangedKey({ scope: ref.scope as Scope, scopeKey: String(ref.scopeKey ?? ''), key: ref.key })];
  });
  const full = named.length > 0 && !named.every((name) => message.includes(name)) ? `${message} (${named.join(', ')})` : message;
  return { ok: false, conflict: response.status === 409, message: full };
}
