/**
 * Blueprints, their kept revisions and run records as both backends store them: the document
 * (or record) sealed with `ValueCipher`, bound to company and id (a revision to its number too,
 * a run to its blueprint and run id), so a row copied elsewhere fails to open; names, groups,
 * revisions and times stay plain for listing. Also the rules of a save both backends apply.
 */
import type { BlueprintDocument, RunRecord } from '../../engine/types';
import type { BlueprintRevision, BlueprintSummary } from '../../kv/api-schema';
import { KvError } from '../../kv/errors';
import type { RowIdentity, ValueCipher } from '../encryption';
import { RevisionConflictError, type SavedBlueprint, type StoredBlueprint } from './types';

function blueprintIdentity(companyId: string, id: string): RowIdentity {
  return { companyId, scope: 'blueprint', scopeKey: '', key: id };
}

function revisionIdentity(companyId: string, id: string, revision: number): RowIdentity {
  return { companyId, scope: 'blueprint-revision', scopeKey: id, key: String(revision) };
}

function runIdentity(companyId: string, blueprintId: string, runId: string): RowIdentity {
  return { companyId, scope: 'run', scopeKey: blueprintId, key: runId };
}

/** The current document of blueprint `id`, sealed from its JSON text. */
export function sealBlueprint(cipher: ValueCipher, companyId: string, id: string, text: string): Buffer {
  return cipher.encrypt(text, blueprintIdentity(companyId, id));
}

export function openBlueprint(cipher: ValueCipher, companyId: string, id: string, sealed: Buffer): BlueprintDocument {
  return JSON.parse(cipher.decrypt(sealed, blueprintIdentity(companyId, id))) as BlueprintDocument;
}

/** Blueprint `id` as `BlueprintStore.get` answers, from its row. */
export function storedBlueprintOf(
  cipher: ValueCipher,
  companyId: string,
  id: string,
  row: { document_ciphertext: Buffer; revision: number; updated_at: string },
): StoredBlueprint {
  return { document: openBlueprint(cipher, companyId, id, row.document_ciphertext), revision: row.revision, updatedAt: row.updated_at };
}

/** What `BlueprintStore.save` answers for `document` saved at `savedAt` as `revision`. */
export function savedBlueprintOf(document: BlueprintDocument, savedAt: string, created: boolean, revision: number): SavedBlueprint {
  return {
    created,
    summary: { id: document.id, name: document.name, groupId: document.groupId ?? null, updatedAt: savedAt, revision },
  };
}

/** Kept revision `revision` of blueprint `id`, sealed from its JSON text. */
export function sealRevision(cipher: ValueCipher, companyId: string, id: string, revision: number, text: string): Buffer {
  return cipher.encrypt(text, revisionIdentity(companyId, id, revision));
}

export function openRevision(cipher: ValueCipher, companyId: string, id: string, revision: number, sealed: Buffer): BlueprintDocument {
  return JSON.parse(cipher.decrypt(sealed, revisionIdentity(companyId, id, revision))) as BlueprintDocument;
}

/**
 * The current document of blueprint `id` sealed again as its kept revision `revision`, for a
 * blueprint that has no kept row for it (saved before revisions were kept, or copied in without
 * them); null when the current document does not open, which is then not copied.
 */
export function resealAsRevision(cipher: ValueCipher, companyId: string, id: string, revision: number, sealed: Buffer): Buffer | null {
  let text: string;
  try {
    text = cipher.decrypt(sealed, blueprintIdentity(companyId, id));
  } catch {
    return null;
  }
  return sealRevision(cipher, companyId, id, revision, text);
}

export function sealRun(cipher: ValueCipher, companyId: string, record: RunRecord): Buffer {
  return cipher.encrypt(JSON.stringify(record), runIdentity(companyId, record.blueprintId, record.runId));
}

export interface RunRow {
  run_id: string;
  blueprint_id: string;
  record_ciphertext: Buffer;
}

export function openRun(cipher: ValueCipher, companyId: string, row: RunRow): RunRecord {
  return JSON.parse(cipher.decrypt(row.record_ciphertext, runIdentity(companyId, row.blueprint_id, row.run_id))) as RunRecord;
}

/** The plain columns of a blueprint row. */
export interface SummaryRow {
  id: string;
  name: string;
  group_id: string | null;
  updated_at: string;
  revision: number;
}

export function summaryOf(row: SummaryRow): BlueprintSummary {
  return { id: row.id, name: row.name, groupId: row.group_id, updatedAt: row.updated_at, revision: row.revision };
}

/**
 * Throws when a save may not go ahead: `create` of an id that exists, or `ifRevision` that is not
 * the current revision (`current`: undefined when there is no such blueprint, which is revision 0).
 */
export function checkSave(id: string, mode: 'create' | 'upsert', current: number | undefined, ifRevision: number | undefined): void {
  if (current !== undefined && mode === 'create') {
    throw new KvError('already_exists', `A blueprint with id '${id}' already exists; PUT /api/blueprints/${id} replaces it`);
  }
  if (ifRevision !== undefined && ifRevision !== (current ?? 0)) {
    throw new RevisionConflictError(id, current ?? 0, ifRevision);
  }
}

/** A kept revision's plain columns. */
export interface RevisionRow {
  revision: number;
  saved_at: string;
  name: string;
}

/** The kept revisions (rows newest first), with the current one first when no kept row holds it. */
export function revisionsOf(kept: RevisionRow[], current: SummaryRow): BlueprintRevision[] {
  const revisions = kept.map((row) => ({ revision: row.revision, savedAt: row.saved_at, name: row.name }));
  if (revisions[0]?.revision !== current.revision)
    revisions.unshift({ revision: current.revision, savedAt: current.updated_at, name: current.name });
  return revisions;
}
