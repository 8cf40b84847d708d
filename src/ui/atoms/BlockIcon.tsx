import { appearanceOf } from '../../engine';
import type { BlockType } from '../../engine/types';

/** A small glyph on the block's colour that tells block kinds apart at a glance (both from its manifest). */
export function BlockIcon({ type, data }: { type: BlockType; data: Record<string, unknown> }) {
  const { glyph, color } = appearanceOf(type, data);
  return (
    <span className={`block-icon block-icon--${type}`} style={{ background: color }} aria-hidden="true">
      {glyph}
    </span>
  );
}
