/**
 * How a run record is kept within a size, wherever it is stored (the server's run store, the
 * editor's run history in localStorage): its largest values give way to a note saying how big
 * they were, so the record keeps its shape and stays readable by every client. Pure, for both
 * Node and the browser.
 */
import type { RunRecord } from './types';

/** UTF-8 length of a string, without building the encoded bytes. */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      // A surrogate pair is one 4-byte character.
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/** Bytes of `value` as JSON (UTF-8). */
export const jsonBytes = (value: unknown): number => utf8Length(JSON.stringify(value) ?? '');

/**
 * `record` within `maxBytes` of JSON: its largest values (input, step results, outputs,
 * top-level state entries, change values) are replaced, largest first, by a string saying how big they were.
 * The record itself when it already fits.
 */
export function boundedRecord(record: RunRecord, maxBytes: number, where = 'a stored run record'): RunRecord {
  let size = jsonBytes(record);
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
      bytes: jsonBytes(bounded.input),
      replace: (note: string) => {
        bounded.input = note;
      },
    },
    ...bounded.steps.map((step) => ({
      bytes: jsonBytes(step.result),
      replace: (note: string) => {
        step.result = note;
      },
    })),
    ...bounded.outputs.map((output, index) => ({
      bytes: jsonBytes(output),
      replace: (note: string) => {
        bounded.outputs[index] = note;
      },
    })),
    ...Object.keys(bounded.state).map((key) => ({
      bytes: jsonBytes(bounded.state[key]),
      replace: (note: string) => {
        Object.defineProperty(bounded.state, key, { value: note, enumerable: true, writable: true, configurable: true });
      },
    })),
    ...(bounded.changes ?? []).flatMap((change) => [
      ...(change.before
        ? [changeSlot(jsonBytes(change.before.value), (note) => (change.before = { ...change.before!, value: note }))]
        : []),
      ...(change.after ? [changeSlot(jsonBytes(change.after.value), (note) => (change.after = { ...change.after!, value: note }))] : []),
    ]),
  ].sort((a, b) => b.bytes - a.bytes);
  for (const slot of slots) {
    if (size <= maxBytes) break;
    const note = `[${slot.bytes} bytes left out: ${where} keeps at most ${maxBytes} bytes]`;
    slot.replace(note);
    size -= slot.bytes - jsonBytes(note);
  }
  return bounded;
}
