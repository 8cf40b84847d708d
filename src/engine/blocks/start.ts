import { shorten } from './fields';
import type { BlockManifest } from './types';

/** Where every run begins; its result is the run's input. */
export const startBlock: BlockManifest<'start'> = {
  type: 'start',
  label: 'Start',
  description: 'Where the run begins. Its result is the run\'s input; the editor runs with the sample input.',
  outs: ['success'],
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
};
