/**
 * The shape of a block: a typed manifest (what the palette, canvas and inspector render) and
 * its `run`. One file per block type implements it; `blocks/index.ts` registers them.
 */
import type { KvAccess, KvTrace } from '../kv-access';
import type {
  BlockDataByType,
  BlockType,
  BlueprintNode,
  FieldSpec,
  JsonValue,
  Out,
  ValueType,
} from '../types';

/** How a block ended when it did not fail. A failure is thrown (see `errors.ts`). */
export interface BlockOutcome {
  outcome: Exclude<Out, 'error'>;
  result: JsonValue;
}

/** What the runner hands a block for one execution. */
export interface BlockRunContext<T extends BlockType = BlockType> {
  readonly node: BlueprintNode<T>;
  readonly data: BlockDataByType[T];
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
}

export interface BlockManifest<T extends BlockType = BlockType> {
  readonly type: T;
  /** Display name of the block type ("Key-Value Storage"). */
  readonly label: string;
  readonly description: string;
  /** The outs, in the order the canvas shows them. */
  readonly outs: readonly Out[];
  /** Inspector fields, in order. */
  readonly fields: readonly FieldSpec[];
  /** One line for the canvas (`get analysis_result`, `increment visits by 1`). */
  summary(data: BlockDataByType[T]): string;
  run(context: BlockRunContext<T>): Promise<BlockOutcome>;
}
