/**
 * The shape of a block: everything the engine and the editor need to know about one block
 * type, in one object — its data schema, inspector fields, outs, palette entries, icon and
 * colour, a one-line summary and `run`. One file per block type builds it with `defineBlock`;
 * `blocks/index.ts` lists them, and the document schema, the palette, the canvas and the
 * inspector are derived from that list.
 */
import type { z } from 'zod';
import type { SandboxInput, SandboxOutcome } from '../code-sandbox';
import type { KvAccess, KvTrace } from '../kv-access';
import type { FieldSpec, JsonValue, Out, ValueType } from '../types';
import type { BlockColor, BlockIconName } from './appearance';

/** How a block ended when it did not fail. A failure is thrown (see `errors.ts`). */
export interface BlockOutcome {
  outcome: Exclude<Out, 'error'>;
  result: JsonValue;
}

/** The data of a block as its schema parses it, without the index signature of a loose object. */
export type BlockData<Schema extends z.ZodType> = KnownKeys<z.output<Schema>>;
type KnownKeys<T> = { [K in keyof T as string extends K ? never : K]: T[K] };

/** Data typed loosely, for callers that handle every block type alike (runner, canvas). */
export type AnyBlockData = Record<string, unknown>;

/** What the runner hands a block for one execution. */
export interface BlockRunContext<Data = AnyBlockData> {
  readonly node: { readonly id: string; readonly type: string };
  readonly data: Data;
  /** The run's input. */
  readonly input: JsonValue;
  /**
   * Fills the `@{…}` placeholders of one field (docs/expressions.md). Absent text counts as "". Throws code
   * `expression` for a path that does not resolve, `invalid_value` for JSON that does not parse.
   */
  evaluate(text: string | undefined, valueType: ValueType): Promise<JsonValue>;
  /** Store access for this blueprint; record reads and writes in `trace`. */
  readonly kv: KvAccess;
  readonly trace: KvTrace;
  /** Sets a dot path in the run's state, creating objects on the way. */
  setState(path: string, value: JsonValue): void;
  /** Appends a value to the run's `outputs`. */
  emitOutput(value: JsonValue): void;
  /** The run's state, results and result as they are when the block runs (read only). */
  readonly scope: { readonly state: JsonValue; readonly results: JsonValue; readonly result: JsonValue | undefined };
  /** Adds a line to the step's `logs` (kept when the block fails too). */
  log(line: string): void;
  /** Runs JavaScript in the sandbox, the way the host chose (see `CodeRunner`). */
  runCode(request: SandboxInput): Promise<SandboxOutcome>;
}

/** The palette's sections, in the order it shows them. */
export const PALETTE_GROUPS = ['Flow', 'Key-Value Storage', 'Logic'] as const;
export type PaletteGroup = (typeof PALETTE_GROUPS)[number];

/** One button in the palette: a block type with preset data ("Save key" is a kv block with action save). */
export interface PalettePreset<Data> {
  /** Button name in the palette, a stable name for tests: "Save key", "Condition"… */
  readonly label: string;
  readonly data: Data;
  /** The icon of blocks made from this preset, when it differs from the block's icon. */
  readonly icon?: BlockIconName;
}

export interface BlockManifest<Type extends string = string, Data = AnyBlockData> {
  readonly type: Type;
  /** Display name of the block type ("Key-Value Storage"). */
  readonly label: string;
  readonly description: string;
  /**
   * The zod schema of `node.data`. Its messages and paths are part of the document format
   * (`nodes[3].data.action: expected one of save|get|…`), so a change here is a format change.
   */
  readonly schema: z.ZodType;
  /** The outs, in the order the canvas shows them. */
  readonly outs: readonly Out[];
  /** Inspector fields, in order, each with its default; names are checked against the schema. */
  readonly fields: readonly FieldSpec<keyof Data & string>[];
  /** The palette section and the buttons this block type adds to it, in order. */
  readonly group: PaletteGroup;
  readonly palette: readonly PalettePreset<Data>[];
  /**
   * Which data field tells this block's palette presets apart (`action` for kv), so a block on
   * the canvas is named and drawn like the preset it came from.
   */
  readonly presetKey?: keyof Data & string;
  readonly icon: BlockIconName;
  readonly color: BlockColor;
  /** One line for the canvas (`get analysis_result`, `increment visits by 1`). */
  summary(data: Data): string;
  run(context: BlockRunContext<Data>): Promise<BlockOutcome>;
}

/**
 * Builds a block manifest whose data type is inferred from its schema, so `summary`, `run`
 * and the palette presets are checked against the same fields the document accepts.
 */
export function defineBlock<const Type extends string, Schema extends z.ZodType>(
  manifest: { readonly schema: Schema } & Omit<BlockManifest<Type, BlockData<Schema>>, 'schema'>,
): BlockManifest<Type, BlockData<Schema>> {
  return manifest;
}
