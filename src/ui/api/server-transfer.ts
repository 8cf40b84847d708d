/**
 * Export and import through the server's own routes (`GET /api/kv/export`, `POST /api/kv/import`):
 * the export streams (counted line by line for the progress bar) and the import is one atomic
 * request however many lines it has, which a series of `/api/kv/ops` batches could not be.
 */
import { isKvErrorCode } from '../../kv/errors';
import { HttpStore } from '../../kv/http-store';
import type { KeyValueStore } from '../../kv/types';
import { applyImport } from '../../kv/transfer';
import { checkImportFile, exportScope, ImportLineError, type ExportProgress, type ImportMode, type ImportSummary } from './key-transfer';
import type { ScopeAddress } from './keys';
import { readServerToken } from './server-backend';
import { readRefusal } from './refusal';

function serverOrigin(): string {
  return globalThis.location?.origin ?? '';
}

function headers(accept: string, contentType?: string): Record<string, string> {
  const token = readServerToken();
  return {
    accept,
    ...(contentType ? { 'content-type': contentType } : {}),
    ...(token ? { authorization: `Bearer ${token}` } : {}),
  };
}

/** The server's `{ error: { message } }` as an Error, or a plain description of the answer. */
async function refusal(response: Response, what: string): Promise<Error> {
  const refusal = await readRefusal(response);
  // Not our error body: the status says enough.
  const message = refusal.message ?? `${response.status} ${response.statusText}`.trim();
  const code = refusal.code ?? 'invalid_value';
  // The import's 422 names the line first: "Line 3: …".
  const line = response.status === 422 ? /^Line (\d+): (.*)$/s.exec(message) : null;
  if (line && isKvErrorCode(code)) return new ImportLineError(code, Number(line[1]), line[2]!);
  return new Error(`The server refused the ${what}: ${message}`);
}

/** Streams a scope's export from the server, counting lines as they arrive. */
export async function exportFromServer(
  address: ScopeAddress,
  total: number,
  onProgress: ExportProgress,
  signal?: AbortSignal,
): Promise<string[]> {
  const query = new URLSearchParams({ scope: address.scope, scopeKey: address.scopeKey });
  const response = await fetch(`${serverOrigin()}/api/kv/export?${query}`, {
    headers: headers('application/x-ndjson'),
    ...(signal ? { signal } : {}),
  });
  if (!response.ok || !response.body) throw await refusal(response, 'export');
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  const chunks: string[] = [];
  let lines = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    chunks.push(value);
    for (let at = value.indexOf('\n'); at >= 0; at = value.indexOf('\n', at + 1)) lines++;
    onProgress(lines, Math.max(lines, total));
  }
  onProgress(lines, lines);
  return chunks;
}

/** Sends an NDJSON file to the server's import: all lines or none. */
export async function importIntoServer(text: string, mode: ImportMode): Promise<ImportSummary> {
  const response = await fetch(`${serverOrigin()}/api/kv/import?mode=${mode}`, {
    method: 'POST',
    headers: headers('application/json', 'application/x-ndjson'),
    body: text,
  });
  if (!response.ok) throw await refusal(response, 'import');
  return (await response.json()) as ImportSummary;
}

/** Export with whichever path the store has: the server's stream, else the store API. */
export function exportKeys(
  store: KeyValueStore,
  companyId: string,
  address: ScopeAddress,
  total: number,
  onProgress: ExportProgress,
  signal?: AbortSignal,
): Promise<string[]> {
  return store instanceof HttpStore
    ? exportFromServer(address, total, onProgress, signal)
    : exportScope(store, companyId, address, total, onProgress, signal);
}

/**
 * Import with whichever path the store has. The file is checked here first either way, so a
 * bad line is named before anything is sent.
 */
export async function importKeys(store: KeyValueStore, companyId: string, text: string, mode: ImportMode): Promise<ImportSummary> {
  const lines = checkImportFile(text);
  return store instanceof HttpStore ? importIntoServer(text, mode) : applyImport(store, companyId, lines, mode);
}
