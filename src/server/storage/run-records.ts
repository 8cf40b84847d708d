/**
 * What any backend keeps of a server-side run: the policy is the server's, not the database's,
 * so every `RunStore` applies the same bounds.
 */
import type { RunRecord } from '../../engine/types';

/** Runs kept per blueprint; older ones are dropped when a new one is stored. */
export const RUNS_KEPT_PER_BLUEPRINT = 500;
/** Largest run record stored (and answered); past it the largest values give way to a note. */
export const RUN_RECORD_MAX_BYTES = 4 * 1024 * 1024;

const byteSize = (value: unknown): number => Buffer.byteLength(JSON.stringify(value) ?? '');

/**
 * `record` within `maxBytes` of JSON: its largest values (input, step results, outputs,
 * top-level state entries, change values) are replaced, largest first, by a string saying how big they were,
 * so the record keeps its shape and stays readable by every client.
 */
export function boundedRecord(record: RunRecord, maxBytes = RUN_RECORD_MAX_BYTES): RunRecord {
  let size = byteSize(record);
  if (size <= maxBytes) return record;
  const bounded: RunRecord = {
    ...record,
    steps: record.steps.map((step) => ({ ...step })),
    outputs: [...record.outputs],
    state: { ...record.state },
    ...(record.changes ? { changes: record.changes.map((change) => ({ ...change })) } : {}),
  };
  // A change value that gives way leaves a record that describes the run but cannot be applied.
  const changeSlot = (bytes: number, replace: (note: string) => void) => ({
    bytes,
    replace: (note: string) => {
      replace(note);
      bounded.changesIncomplete = true;
    },
  });
  const slots: Array<{ bytes: number; replace: (note: string) => void }> = [
    {
      bytes: byteSize(bounded.input),
      replace: (note: string) => {
        bounded.input = note;
      },
    },
    ...bounded.steps.map((step) => ({
      bytes: byteSize(step.result),
      replace: (note: string) => {
        step.result = note;
      },
    })),
    ...bounded.outputs.map((output, index) => ({
      bytes: byteSize(output),
      replace: (note: string) => {
        bounded.outputs[index] = note;
      },
    })),
    ...Object.keys(bounded.state).map((key) => ({
      bytes: byteSize(bounded.state[key]),
      replace: (note: string) => {
        Object.defineProperty(bounded.state, key, { value: note, enumerable: true, writable: true, configurable: true });
      },
    })),
    ...(bounded.changes ?? []).flatMap((change) => [
      ...(change.before ? [changeSlot(byteSize(change.before.value), (note) => (change.before = { ...change.before!, value: note }))] : []),
      ...(change.after ? [changeSlot(byteSize(change.after.value), (note) => (change.after = { ...change.after!, value: note }))] : []),
    ]),
  ].sort((a, b) => b.bytes - a.bytes);
  for (const slot of slots) {
    if (size <= maxBytes) break;
    const note = `[${slot.bytes} bytes left out: a stored run record keeps at most ${maxBytes} bytes]`;
    slot.replace(note);
    size -= slot.bytes - byteSize(note);
  }
  return bounded;
}
