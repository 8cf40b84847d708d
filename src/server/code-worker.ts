/**
 * The worker thread the server runs Code block sources in (`code-runner.ts`): the engine's
 * sandbox off the event loop, so a long computation never holds up other requests, and a
 * cancelled run ends its code by ending the thread.
 */
import { parentPort } from 'node:worker_threads';
import { runInSandbox, type SandboxInput, type SandboxOutcome } from '../engine/code-sandbox';

export interface CodeThreadRequest {
  id: number;
  request: SandboxInput;
}

export type CodeThreadAnswer = { id: number; outcome: SandboxOutcome } | { id: number; failure: string };

parentPort?.on('message', ({ id, request }: CodeThreadRequest) => {
  runInSandbox(request).then(
    (outcome) => parentPort!.postMessage({ id, outcome } satisfies CodeThreadAnswer),
    (error: unknown) =>
      parentPort!.postMessage({ id, failure: error instanceof Error ? error.message : String(error) } satisfies CodeThreadAnswer),
  );
});
