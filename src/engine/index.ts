/**
 * The engine's public entry: the `kv-blueprint/1` document and its validation, the block
 * manifests and palette, the runner, and the templates. The editor, the server and the CLI
 * import from here only.
 */
export * from './types';
export { validateBlueprint, settingsOf, formatProblems } from './document';
export { runBlueprint } from './runner';
export {
  BLOCK_MANIFESTS,
  BLOCK_TYPES,
  CONDITION_OPERATORS,
  KV_ACTIONS,
  PALETTE,
  PALETTE_GROUPS,
  appearanceOf,
  defaultTitleOf,
  isBlockType,
  manifestOf,
  outsOf,
} from './blocks';
export type { BlockManifest, BlockOutcome, BlockRunContext, PaletteGroup } from './blocks';
export { summarizeBlock, validateNodeData, type FieldProblem } from './summary';
export { EngineError, toRunError } from './errors';
export { ERROR_CODES, helpOf, type ErrorCode } from '../kv/errors';
export { KvAccess, DEFAULT_COMPANY_ID, type KvTrace } from './kv-access';
export { TEMPLATES, type BlueprintTemplate } from './templates';
