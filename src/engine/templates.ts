/**
 * The starter blueprints the editor offers (docs/editor.md). Each lives in `templates/<id>.json` at the
 * repository root as a plain `kv-blueprint/1` file, so it can also be run with `kvb run`.
 */
import appConfig from '../../templates/app-config.json';
import cacheResult from '../../templates/cache-result.json';
import dedupeProcessedIds from '../../templates/dedupe-processed-ids.json';
import idempotencyToken from '../../templates/idempotency-token.json';
import lastRunTimestamp from '../../templates/last-run-timestamp.json';
import runningCounter from '../../templates/running-counter.json';
import { formatProblems, validateBlueprint } from './document';
import type { BlueprintDocument } from './types';

export interface BlueprintTemplate {
  /** The file name without `.json`, also the document's id. */
  id: string;
  name: string;
  description: string;
  document: BlueprintDocument;
}

function template(id: string, description: string, raw: unknown): BlueprintTemplate {
  const validation = validateBlueprint(raw);
  // The files ship with the engine; a broken one is a bug to catch at load, not at first use.
  if (!validation.ok) throw new Error(`templates/${id}.json is not a valid blueprint:\n${formatProblems(validation.problems)}`);
  return { id, name: validation.document.name, description, document: validation.document };
}

export const TEMPLATES: readonly BlueprintTemplate[] = [
  template('cache-result', 'Caches a result per input docId: on a miss computes it in a Code block and saves it for an hour.', cacheResult),
  template('app-config', 'Saves a nested JSON configuration, reads it back and uses nested values with dot paths.', appConfig),
  template('running-counter', 'Increments a counter key atomically and outputs the new count.', runningCounter),
  template(
    'idempotency-token',
    'Claims an order id with save mode create; a repeated order takes the error out and is skipped.',
    idempotencyToken,
  ),
  template(
    'dedupe-processed-ids',
    'Adds each event id to a processed list; an id seen before takes the error out of Add to list and is skipped.',
    dedupeProcessedIds,
  ),
  template(
    'last-run-timestamp',
    'Outputs when the blueprint last ran (none on the first run) and saves the current time.',
    lastRunTimestamp,
  ),
];
