/**
 * What any backend keeps of a server-side run: the policy is the server's, not the database's,
 * so every `RunStore` applies the same bounds.
 */
import { boundedRecord as boundedTo } from '../../engine/record-bounds';
import type { RunRecord } from '../../engine/types';

/** Runs kept per blueprint; older ones are dropped when a new one is stored. */
export const RUNS_KEPT_PER_BLUEPRINT = 500;
/** Largest run record stored (and answered); past it the largest values give way to a note. */
export const RUN_RECORD_MAX_BYTES = 4 * 1024 * 1024;

/** `record` within `maxBytes` of JSON (see `boundedRecord` in engine/record-bounds.ts). */
export function boundedRecord(record: RunRecord, maxBytes = RUN_RECORD_MAX_BYTES): RunRecord {
  return boundedTo(record, maxBytes);
}
