/**
 * How blocks look, as data the editor renders: a small set of named glyphs and colour
 * tokens. A block's manifest picks one of each by name, so a misspelt icon or colour fails
 * the type check, and the engine stays free of React and the DOM.
 */

/** Glyphs drawn inside a block's coloured square (text, so no icon font is needed). */
export const BLOCK_ICONS = {
  play: '▶',
  download: '⤓',
  upload: '⤒',
  cross: '✕',
  list: '☰',
  plus: '+',
  listAdd: '⊕',
  listRemove: '⊖',
  arrowUp: '↑',
  assign: '≔',
  function: 'ƒ',
  diamond: '◇',
  exit: '⇥',
  braces: '{}',
} as const;
export type BlockIconName = keyof typeof BLOCK_ICONS;

/** Colour tokens for block icons and the minimap. */
export const BLOCK_COLORS = {
  indigo: '#6366f1',
  sky: '#0ea5e9',
  purple: '#a855f7',
  amber: '#f59e0b',
  emerald: '#10b981',
  slate: '#475569',
} as const;
export type BlockColor = keyof typeof BLOCK_COLORS;
