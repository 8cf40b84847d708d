/**
 * A run of a server blueprint, on the server: the editor saves first (the server runs what it
 * stores), starts the run without waiting (`wait: false`), then reads the run's event stream so
 * the canvas shows each block as the server runs it. Stop asks the server to cancel; the stream
 * then ends with the `cancelled` record.
 */
import type { RunEvent, RunRecord } from '../../engine/types';
import type { RemoteRunner } from '../store/run-store';
import { createServerClient, type ServerClient } from './workspace-client';

export interface ServerRunnerOptions {
  /** Saves the open blueprint to the server; throws when it could not (a conflict, the server gone). */
  beforeRun(): Promise<void>;
  client?: Pick<ServerClient, 'startRun' | 'followRun' | 'cancelRun' | 'getRun'>;
}

export function createServerRunner({ beforeRun, client = createServerClient() }: ServerRunnerOptions): RemoteRunner {
  return async ({ document, input, sandbox, signal, onEvent }) => {
    await beforeRun();
    if (signal.aborted) throw new Error('Stopped before the run started');
    const runId = await client.startRun(document.id, input, sandbox);
    const cancel = () => {
      client.cancelRun(runId).catch(() => {
        // The stream still ends the run's way; a failed cancel leaves it running to its end.
      });
    };
    if (signal.aborted) cancel();
    else signal.addEventListener('abort', cancel, { once: true });
    let finished: RunRecord | null = null;
    try {
      await client.followRun(runId, (event: RunEvent) => {
        if (event.type === 'run-finished') finished = event.record;
        onEvent(event);
      });
    } finally {
      signal.removeEventListener('abort', cancel);
    }
    if (finished) return finished;
    // The stream ended early (a proxy cut it): the record says how the run ended.
    const record = await client.getRun(runId);
    if (record.status === 'running') throw new Error(`Lost the events of run ${runId} while it was still running on the server`);
    return { ...record, status: record.status };
  };
}
