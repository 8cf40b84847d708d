/** What a block is called on the canvas, in the inspector and in the run panel. */
import { defaultTitleOf } from '../../engine';
import type { BlockType } from '../../engine/types';

export function blockTitle(type: BlockType, data: Record<string, unknown>): string {
  return typeof data.label === 'string' && data.label.trim() !== '' ? data.label : defaultTitleOf(type, data);
}
