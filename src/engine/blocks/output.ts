import { shorten, valueField, valueTypeField, valueTypeOf } from './fields';
import type { BlockManifest } from './types';

/** Adds a value to the run's outputs. */
export const outputBlock: BlockManifest<'output'> = {
  type: 'output',
  label: 'Output',
  description: 'Adds a value to the run\'s outputs. The value is also the result.',
  outs: ['success'],
  fields: [
    valueTypeField(),
    valueField('The value to output, e.g. @{result} or "Hello @{input.name}".'),
  ],
  summary(data) {
    return `output ${shorten(data.value ?? '') || '(empty)'}`;
  },
  async run(context) {
    const value = await context.evaluate(context.data.value, valueTypeOf(context.data));
    context.emitOutput(value);
    return { outcome: 'success', result: value };
  },
};
