/**
 * The Stored keys panel's export and import over the store API (how the Browser store does
 * them; the server has routes, see `server-transfer.ts`). The NDJSON format, its checks and the
 * atomic write are the store layer's (`kv/transfer.ts`), shared with the server and the CLI;
 * this adds what the panel needs around them: text chunks with progress, a check of the file
 * when it is picked, the words of the summary and the file name.
 */
import { KvError } from '../../kv/errors';
import { assertValidKey } from '../../kv/operations';
import { ImportLineError, exportPages, ndjsonLine, parseImport, type TransferLine } from '../../kv/transfer';
import type { KeyValueStore } from '../../kv/types';
import type { ScopeAddress } from './keys';

export { ImportLineError } from '../../kv/transfer';
export type { ImportMode, ImportSummary } from '../../kv/transfer';

/** How far an export has come: entries written out of `total` (the scope's count when it started). */
export type ExportProgress = (done: number, total: number) => void;

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new DOMException('The export was cancelled', 'AbortError');
}

/**
 * Every live entry of a scope as NDJSON text chunks, one page of 1,000 entries (one read) a
 * chunk, so memory holds one page of values at a time besides the text. Entries that do not
 * decrypt are left out, as the store's list leaves them.
 */
export async function exportScope(
  store: KeyValueStore,
  companyId: string,
  address: ScopeAddress,
  total: number,
  onProgress: ExportProgress = () => undefined,
  signal?: AbortSignal,
): Promise<string[]> {
  const chunks: string[] = [];
  let done = 0;
  for await (const page of exportPages(store, companyId, address)) {
    throwIfAborted(signal);
    chunks.push(page.lines.map(ndjsonLine).join(''));
    done += page.lines.length;
    onProgress(done, Math.max(done, total));
  }
  return chunks;
}

/**
 * The entries of an import file, checked when it is picked: its format, and each key's name
 * (the store would refuse a bad one only when the import runs). The first problem throws an
 * `ImportLineError` naming its line.
 */
export function checkImportFile(text: string): Array<TransferLine & { line: number }> {
  const entries = parseImport(text);
  for (const entry of entries) {
    try {
      assertValidKey(entry.key);
    } catch (error) {
      if (error instanceof KvError) throw new ImportLineError(error.code, entry.line, error.message);
      throw error;
    }
  }
  return entries;
}

/** "Created 3, updated 1, skipped 0." */
export function importSummaryText(summary: { created: number; updated: number; skipped: number }): string {
  const count = (n: number) => n.toLocaleString('en-US');
  return `Created ${count(summary.created)}, updated ${count(summary.updated)}, skipped ${count(summary.skipped)}.`;
}

/** The file name an export of `address` is offered under. */
export function exportFileName(address: ScopeAddress): string {
  const safe = address.scopeKey.replace(/[^A-Za-z0-9_-]+/g, '_');
  return `kv-${address.scope}${safe ? `-${safe}` : ''}.ndjson`;
}
