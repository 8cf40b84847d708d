import { shorten } from './fields';
import { blockDataSchema, jsonValue } from './schema-parts';
import { defineBlock, type BlockData } from './types';

const schema = blockDataSchema({ sampleInput: jsonValue.optional() });
export type StartData = BlockData<typeof schema>;

/** Where every run begins; its result is the run's input. */
export const startBlock = defineBlock({
  type: 'start',
  schema,
  label: 'Start',
  description: "Where the run begins. Its result is the run's input; the editor runs with the sample input.",
  outs: ['success'],
  group: 'Flow',
  palette: [{ label: 'Start', data: { sampleInput: {} } }],
  icon: 'play',
  color: 'indigo',
  fields: [
    {
      name: 'sampleInput',
      label: 'Sample input',
      kind: 'json',
      default: {},
      help: 'The input used when the blueprint is run from the editor (and by `kvb run` without --input).',
    },
  ],
  summary(data) {
    if (data.sampleInput === undefined) return 'start';
    return `input ${shorten(JSON.stringify(data.sampleInput), 34)}`;
  },
  async run(context) {
    return { outcome: 'success', result: context.input };
  },
});
