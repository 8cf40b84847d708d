import type { BlockType } from '../../engine/types';

const GLYPHS: Record<string, string> = {
  start: '▶',
  save: '⤓',
  get: '⤒',
  delete: '✕',
  list: '☰',
  append: '+',
  increment: '↑',
  setState: '≔',
  transform: 'ƒ',
  condition: '◇',
  output: '⇥',
};

/** A small glyph that tells block kinds apart at a glance. */
export function BlockIcon({ type, action }: { type: BlockType; action?: string | undefined }) {
  const glyph = GLYPHS[type === 'kv' ? action ?? 'get' : type] ?? '•';
  return <span className={`block-icon block-icon--${type}`} aria-hidden="true">{glyph}</span>;
}
