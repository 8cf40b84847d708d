/** What a block is called on the canvas and in the inspector. */
import { manifestOf, PALETTE } from '../../engine';
import type { BlockType } from '../../engine/types';

/** The palette entry a block came from: for KV blocks the one with its action. */
export function paletteLabelOf(type: BlockType, data: Record<string, unknown>): string {
  const entry = PALETTE.find((p) => p.type === type && (type !== 'kv' || p.data.action === data.action));
  return entry?.label ?? manifestOf(type).label;
}

export function blockTitle(type: BlockType, data: Record<string, unknown>): string {
  return typeof data.label === 'string' && data.label.trim() !== '' ? data.label : paletteLabelOf(type, data);
}
