/**
 * The Web Worker the editor runs Code block sources in: the engine's sandbox, off the page's
 * thread, so a long computation never freezes the editor and Stop can end it by ending the
 * worker. One request at a time per message, answered with the same id.
 */
import { runInSandbox, type SandboxInput, type SandboxOutcome } from '../../engine/code-sandbox';

export interface CodeWorkerRequest {
  id: number;
  request: SandboxInput;
}

export type CodeWorkerAnswer = { id: number; outcome: SandboxOutcome } | { id: number; failure: string };

const scope = globalThis as unknown as {
  onmessage: ((event: MessageEvent<CodeWorkerRequest>) => void) | null;
  postMessage(answer: CodeWorkerAnswer): void;
};

scope.onmessage = ({ data }) => {
  runInSandbox(data.request).then(
    (outcome) => scope.postMessage({ id: data.id, outcome }),
    (error: unknown) => scope.postMessage({ id: data.id, failure: error instanceof Error ? error.message : String(error) }),
  );
};
