/**
 * In-process fan-out of server events (`GET /api/events`) to the listeners of one companyId.
 * A listener of one company never receives another company's events.
 */
import { isKvError } from '../../kv/errors';
import type { KeyValueStore, KvOp, KvOpResult, Entry } from '../../kv/types';
import type { KvChange, ServerEvent } from '../../kv/api-schema';

export type ServerEventListener = (event: ServerEvent) => void;

export class ServerEventBus {
  private readonly listeners = new Map<string, Set<ServerEventListener>>();

  subscribe(companyId: string, listener: ServerEventListener): () => void {
    let set = this.listeners.get(companyId);
    if (!set) {
      set = new Set();
      this.listeners.set(companyId, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(companyId);
    };
  }

  publish(event: ServerEvent): void {
    for (const listener of this.listeners.get(event.data.companyId) ?? []) {
      // One broken stream must not stop the others from hearing about the change.
      try {
        listener(event);
      } catch {
        /* the listener's stream is gone; its close handler unsubscribes it */
      }
    }
  }
}

function changeOf(entry: Entry): KvChange {
  return { scope: entry.scope, scopeKey: entry.scopeKey, key: entry.key, change: 'set' };
}

/** The keys a successful batch changed, in op order. */
export function changesOfBatch(ops: readonly KvOp[], results: readonly KvOpResult[]): KvChange[] {
  const changes: KvChange[] = [];
  results.forEach((result, index) => {
    const op = ops[index];
    switch (result.op) {
      case 'set':
      case 'append':
      case 'increment':
      case 'listAdd':
      case 'listRemove':
      case 'restore':
        changes.push(changeOf(result.entry));
        break;
      case 'delete':
        if (result.deleted && op && op.op === 'delete') {
          changes.push({ scope: op.scope, scopeKey: op.scope === 'global' ? '' : (op.scopeKey ?? ''), key: op.key, change: 'delete' });
        }
        break;
      default:
        break;
    }
  });
  return changes;
}

/**
 * A store that announces every change on the bus after it commits. The API routes and the
 * server-side runs both write through it, so the editor hears about either.
 */
export class AnnouncingStore implements KeyValueStore {
  get kind(): string {
    return this.inner.kind;
  }

  constructor(
    private readonly inner: KeyValueStore,
    private readonly bus: ServerEventBus,
  ) {}

  async batch(companyId: string, ops: KvOp[]): Promise<KvOpResult[]> {
    const results = await this.inner.batch(companyId, ops);
    const changes = changesOfBatch(ops, results);
    if (changes.length > 0) this.bus.publish({ type: 'kv', data: { companyId, changes } });
    return results;
  }

  getById(companyId: string, id: string): Promise<Entry | null> {
    return this.inner.getById(companyId, id);
  }

  async deleteById(companyId: string, id: string): Promise<boolean> {
    // Read first so the event can name the key; the delete itself decides what is reported.
    // A damaged row (integrity) is still deleted, unannounced: its key cannot be read back.
    const entry = await this.inner.getById(companyId, id).catch((error: unknown) => {
      if (isKvError(error) && error.code === 'integrity') return null;
      throw error;
    });
    const deleted = await this.inner.deleteById(companyId, id);
    if (deleted && entry) {
      this.bus.publish({ type: 'kv', data: { companyId, changes: [{ ...changeOf(entry), change: 'delete' }] } });
    }
    return deleted;
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
