/**
 * Readable, unique ids for new blocks and edges. Node ids show up in expressions
 * (`@{results.get_2}`), so they are short words rather than random strings.
 */
import { defaultTitleOf, isBlockType, manifestOf } from '../../engine';
import type { BlockType } from '../../engine/types';

const ID_UNSAFE = /[^A-Za-z0-9_]/g;

/**
 * The word a new block's id starts with: the field that tells its palette presets apart
 * (the action, for KV blocks), else the type.
 */
export function idBaseFor(type: BlockType, data: Record<string, unknown>): string {
  const presetKey = isBlockType(type) ? manifestOf(type).presetKey : undefined;
  const preset = presetKey === undefined ? undefined : data[presetKey];
  const base = typeof preset === 'string' ? preset : type;
  const safe = base.replace(ID_UNSAFE, '_');
  return safe === '' ? 'block' : safe;
}

export function uniqueId(base: string, taken: ReadonlySet<string>): string {
  if (!taken.has(base)) return base;
  for (let n = 2; ; n += 1) {
    const candidate = `${base}_${n}`;
    if (!taken.has(candidate)) return candidate;
  }
}

export function edgeIdFor(source: string, sourceHandle: string, target: string, taken: ReadonlySet<string>): string {
  return uniqueId(`e_${source}_${sourceHandle}_${target}`, taken);
}

function titleOf(type: BlockType, data: Record<string, unknown>): string {
  return typeof data.label === 'string' && data.label.trim() !== '' ? data.label : defaultTitleOf(type, data as never);
}

/**
 * The display name a new block needs so that no two blocks are called alike ("Output 2" beside
 * "Output"), or null when its own title is free.
 */
export function numberedTitle(
  type: BlockType,
  data: Record<string, unknown>,
  nodes: readonly { type?: string; data: Record<string, unknown> }[],
): string | null {
  const taken = new Set(nodes.filter((n) => n.type !== undefined && isBlockType(n.type)).map((n) => titleOf(n.type as BlockType, n.data)));
  const base = titleOf(type, data);
  if (!taken.has(base)) return null;
  for (let n = 2; ; n += 1) {
    const candidate = `${base} ${n}`;
    if (!taken.has(candidate)) return candidate;
  }
}
