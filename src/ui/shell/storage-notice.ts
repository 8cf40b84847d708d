import type { WorkspaceWhere } from '../store/library';

/** What switching Storage changes, in a sentence or two (shown as a notice). */
export function storageSwitchNotice(where: WorkspaceWhere): string {
  return where === 'server'
    ? 'Storage is now Server: the blueprint menu, saves, runs, run history and stored keys are the kvb server’s, shared with everyone on it. Your browser blueprints stay in this browser (Copy to Server brings one over).'
    : 'Storage is now Browser: blueprints, runs and stored keys are this browser’s own. The server’s blueprints and keys stay on the server (Copy to Browser brings one over).';
}
