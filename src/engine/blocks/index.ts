/**
 * The block registry: every block type's manifest, and the palette the editor shows. Adding a
 * block is one new file plus one line here.
 */
import type { BlockType, JsonValue, Out, PaletteEntry } from '../types';
import { conditionBlock } from './condition';
import { kvBlock } from './kv';
import { outputBlock } from './output';
import { setStateBlock } from './set-state';
import { startBlock } from './start';
import { transformBlock } from './transform';
import type { BlockManifest } from './types';

export type { BlockManifest, BlockOutcome, BlockRunContext } from './types';

export const BLOCK_MANIFESTS: { readonly [T in BlockType]: BlockManifest<T> } = {
  start: startBlock,
  kv: kvBlock,
  setState: setStateBlock,
  transform: transformBlock,
  condition: conditionBlock,
  output: outputBlock,
};

/** The manifest of a block type, typed loosely for generic callers (canvas, inspector). */
export function manifestOf(type: BlockType): BlockManifest {
  return BLOCK_MANIFESTS[type] as unknown as BlockManifest;
}

/** The outs of a block type, in display order. */
export function outsOf(type: BlockType): readonly Out[] {
  return BLOCK_MANIFESTS[type].outs;
}

function kvEntry(label: string, data: Record<string, JsonValue>): PaletteEntry {
  return { label, type: 'kv', data: { scope: 'flow', ...data } };
}

/** The palette, in the order the editor lists it; labels are stable names for tests. */
export const PALETTE: readonly PaletteEntry[] = [
  { label: 'Start', type: 'start', data: { sampleInput: {} } },
  kvEntry('Save key', { action: 'save', key: '', valueType: 'text', value: '', mode: 'upsert' }),
  kvEntry('Get key', { action: 'get', key: '' }),
  kvEntry('Delete key', { action: 'delete', key: '' }),
  kvEntry('List keys', { action: 'list', prefix: '', limit: 1000 }),
  kvEntry('Append to key', { action: 'append', key: '', valueType: 'json', value: '' }),
  kvEntry('Increment key', { action: 'increment', key: '', by: 1 }),
  { label: 'Set state', type: 'setState', data: { path: '', valueType: 'text', value: '@{result}' } },
  { label: 'Transform', type: 'transform', data: { valueType: 'text', value: '@{result}' } },
  { label: 'Condition', type: 'condition', data: { left: '@{result}', operator: 'equals', right: '' } },
  { label: 'Output', type: 'output', data: { valueType: 'text', value: '@{result}' } },
];
