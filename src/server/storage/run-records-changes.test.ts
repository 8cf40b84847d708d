import { describe, expect, it } from 'vitest';
import { applicableChanges } from '../../kv/changes';
import type { RunRecord } from '../../engine/types';
import { boundedRecord } from './run-records';

const record = (afterValue: string): RunRecord => ({
  runId: 'r1',
  blueprintId: 'bp',
  status: 'succeeded',
  startedAt: '2026-01-01T00:00:00.000Z',
  finishedAt: '2026-01-01T00:00:01.000Z',
  input: {},
  steps: [],
  outputs: [],
  state: {},
  error: null,
  sandbox: true,
  changes: [
    {
      scope: 'global',
      scopeKey: '',
      key: 'big',
      change: 'created',
      before: null,
      after: { value: afterValue, valueType: 'text', expiresAt: null },
    },
  ],
});

describe('boundedRecord and changes', () => {
  it('keeps a small record whole, so its changes stay applicable', () => {
    const small = record('x');
    expect(boundedRecord(small, 10_000)).toBe(small);
    expect(applicableChanges(small)).toHaveLength(1);
  });

  it('replaces a large change value with a note and marks the changes as not applicable', () => {
    const bounded = boundedRecord(record('x'.repeat(5000)), 2000);
    expect(JSON.stringify(bounded).length).toBeLessThanOrEqual(2000);
    expect(bounded.changes![0]!.after!.value).toMatch(/^\[\d+ bytes left out/);
    expect(bounded.changesIncomplete).toBe(true);
    expect(() => applicableChanges(bounded)).toThrow(/cannot be applied/);
  });

  it('refuses to apply a live run', () => {
    const live = { ...record('x') };
    delete live.sandbox;
    expect(() => applicableChanges(live)).toThrow("Run 'r1' was a live run");
  });
});
