import { z } from 'zod';
import { EngineError } from '../errors';
import { CODE_TIMEOUT_DEFAULT_MS, CODE_TIMEOUT_MAX_MS, type SandboxOutcome } from '../code-sandbox';
import { evaluateNumber, shorten } from './fields';
import { blockDataSchema, numberOrText } from './schema-parts';
import { defineBlock, type BlockData } from './types';

const schema = blockDataSchema({ source: z.string().optional(), timeoutMs: numberOrText.optional() });
export type CodeData = BlockData<typeof schema>;

const EXAMPLE_SOURCE = '// input, state, results and result are JSON copies.\nreturn { total: (input.items ?? []).length };';

/** Runs JavaScript in the QuickJS sandbox (docs/blocks.md); what the code returns is the result. */
export const codeBlock = defineBlock({
  type: 'code',
  schema,
  label: 'Code',
  description:
    'Runs JavaScript in a sandbox. It sees input, state, results and result as JSON copies; what it returns is the result. A throw takes the error out.',
  outs: ['success', 'error'],
  group: 'Logic',
  palette: [{ label: 'Code', data: { source: EXAMPLE_SOURCE } }],
  icon: 'braces',
  color: 'slate',
  fields: [
    {
      name: 'source',
      label: 'Code',
      kind: 'code',
      default: EXAMPLE_SOURCE,
      required: true,
      help: "The body of an async function: return a JSON value (await works). console.log lines go to the step's logs. No network, files or timers.",
    },
    {
      name: 'timeoutMs',
      label: 'Timeout (ms)',
      kind: 'number',
      default: CODE_TIMEOUT_DEFAULT_MS,
      help: `CPU time the code may use, at most ${CODE_TIMEOUT_MAX_MS} ms; past it the block fails with code_error. Memory is limited to 32 MiB.`,
    },
  ],
  summary(data) {
    const firstLine = (data.source ?? '').split('\n').find((line) => line.trim() !== '' && !line.trim().startsWith('//')) ?? '';
    return shorten(firstLine) || '(no code)';
  },
  async run(context) {
    const timeoutMs = (await evaluateNumber(context, context.data.timeoutMs, {
      label: 'Timeout (ms)',
      fallback: CODE_TIMEOUT_DEFAULT_MS,
      integer: true,
      min: 1,
      max: CODE_TIMEOUT_MAX_MS,
    })) as number;
    const { state, results, result } = context.scope;
    let outcome: SandboxOutcome;
    try {
      outcome = await context.runCode({
        source: context.data.source ?? '',
        globals: { input: context.input, state, results, result },
        timeoutMs,
      });
    } catch (error) {
      // The sandbox itself (its WebAssembly module, the editor's worker) failed, not the code.
      throw new EngineError(
        'code_error',
        `The code sandbox could not run the code: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    for (const line of outcome.logs) context.log(line);
    if (!outcome.ok) throw new EngineError(outcome.cancelled ? 'cancelled' : 'code_error', outcome.message);
    return { outcome: 'success', result: outcome.value };
  },
});
