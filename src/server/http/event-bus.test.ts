import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../kv/memory';
import type { KvOp } from '../../kv/types';
import { changesOfBatch } from './event-bus';

describe('changesOfBatch', () => {
  it('announces listAdd, listRemove and restore as writes, and history and deleted as nothing', async () => {
    const store = new MemoryStore();
    const ref = { scope: 'flow', scopeKey: 'bp' } as const;
    await store.batch('c', [{ op: 'set', key: 'doc', value: 1, ...ref }]);
    await store.batch('c', [{ op: 'set', key: 'doc', value: 2, ...ref }]);
    const ops: KvOp[] = [
      { op: 'listAdd', key: 'seen', value: 'a', ...ref },
      { op: 'listRemove', key: 'seen', value: 'a', ...ref },
      { op: 'restore', key: 'doc', version: 1, ...ref },
      { op: 'history', key: 'doc', ...ref },
      { op: 'deleted', ...ref },
    ];
    const results = await store.batch('c', ops);
    expect(changesOfBatch(ops, results)).toEqual([
      { scope: 'flow', scopeKey: 'bp', key: 'seen', change: 'set' },
      { scope: 'flow', scopeKey: 'bp', key: 'seen', change: 'set' },
      { scope: 'flow', scopeKey: 'bp', key: 'doc', change: 'set' },
    ]);
  });
});
