/**
 * The block registry: the list of block manifests. Everything else that differs per block
 * type — the document schema, the palette, the canvas node types and minimap colours, the
 * inspector — is derived from this list, so adding a block is one new file plus one line here.
 */
import type { JsonValue, Out } from '../types';
import { BLOCK_COLORS, BLOCK_ICONS } from './appearance';
import { codeBlock } from './code';
import { conditionBlock } from './condition';
import { kvBlock } from './kv';
import { outputBlock } from './output';
import { setStateBlock } from './set-state';
import { startBlock } from './start';
import { transformBlock } from './transform';
import { PALETTE_GROUPS, type AnyBlockData, type BlockManifest, type PaletteGroup } from './types';

/** Every block type, in the order the palette lists them. */
const BLOCKS = [startBlock, kvBlock, codeBlock, setStateBlock, transformBlock, conditionBlock, outputBlock] as const;

type Block = (typeof BLOCKS)[number];
export type BlockType = Block['type'];
/** Each block type's data, as its schema parses it. */
export type BlockDataByType = { [B in Block as B['type']]: B extends BlockManifest<string, infer Data> ? Data : never };

export const BLOCK_TYPES = BLOCKS.map((block) => block.type) as [BlockType, ...BlockType[]];

export const BLOCK_MANIFESTS = Object.fromEntries(BLOCKS.map((block) => [block.type, block])) as {
  readonly [B in Block as B['type']]: B;
};

export { BLOCK_COLORS, BLOCK_ICONS, PALETTE_GROUPS };
export type { BlockColor, BlockIconName } from './appearance';
export type { AnyBlockData, BlockData, BlockManifest, BlockOutcome, BlockRunContext, PaletteGroup, PalettePreset } from './types';
export { KV_ACTIONS, type KvAction, type KvData } from './kv';
export { CONDITION_OPERATORS, type ConditionOperator, type ConditionData } from './condition';
export type { StartData } from './start';
export type { SetStateData } from './set-state';
export type { TransformData } from './transform';
export type { CodeData } from './code';
export type { OutputData } from './output';

export function isBlockType(type: unknown): type is BlockType {
  return typeof type === 'string' && Object.hasOwn(BLOCK_MANIFESTS, type);
}

/** The manifest of a block type, typed loosely for generic callers (runner, canvas, inspector). */
export function manifestOf(type: BlockType): BlockManifest<BlockType> {
  return BLOCK_MANIFESTS[type] as unknown as BlockManifest<BlockType>;
}

/** The outs of a block type, in display order. */
export function outsOf(type: BlockType): readonly Out[] {
  return BLOCK_MANIFESTS[type].outs;
}

/** One palette button: a block type with preset data. */
export interface PaletteEntry {
  /** Button name in the palette: "Save key", "Get key", "Condition"… */
  label: string;
  type: BlockType;
  group: PaletteGroup;
  data: Record<string, JsonValue>;
}

/** The palette, in the order the editor lists it; labels are stable names for tests. */
export const PALETTE: readonly PaletteEntry[] = BLOCKS.flatMap((block) =>
  block.palette.map((preset) => ({
    label: preset.label,
    type: block.type,
    group: block.group,
    data: preset.data as Record<string, JsonValue>,
  })),
);

/**
 * The palette preset a block's data matches (for kv blocks, the one with its action), or
 * undefined when none does.
 */
function presetOf(type: BlockType, data: AnyBlockData) {
  const manifest = manifestOf(type);
  const key = manifest.presetKey;
  return manifest.palette.find((preset) => key === undefined || preset.data[key] === data[key]);
}

/** What a block is called when it has no label of its own: its preset's name, else its type's. */
export function defaultTitleOf(type: BlockType, data: AnyBlockData): string {
  return presetOf(type, data)?.label ?? manifestOf(type).label;
}

/** The icon glyph and colour a block is drawn with. */
export function appearanceOf(type: BlockType, data: AnyBlockData): { glyph: string; color: string } {
  const manifest = manifestOf(type);
  const icon = presetOf(type, data)?.icon ?? manifest.icon;
  return { glyph: BLOCK_ICONS[icon], color: BLOCK_COLORS[manifest.color] };
}
