// Starts `code-worker.ts` in a worker thread when the server runs from its TypeScript sources
// (tsx, vitest): the thread registers tsx for itself first. The bundle has a code-worker.js.
import { register } from 'tsx/esm/api';

register();
await import('./code-worker.ts');
