import { shorten, valueField, valueTypeField, valueTypeOf } from './fields';
import type { BlockManifest } from './types';

/** Computes a value from placeholders; the value is the block's result. */
export const transformBlock: BlockManifest<'transform'> = {
  type: 'transform',
  label: 'Transform',
  description: 'Builds a value from text or JSON with @{…} placeholders. The value is the result.',
  outs: ['success', 'error'],
  fields: [
    valueTypeField(),
    valueField('The value to compute, e.g. {"total": @{result.count}} with Value type json.'),
  ],
  summary(data) {
    return `= ${shorten(data.value ?? '') || '(empty)'}`;
  },
  async run(context) {
    const value = await context.evaluate(context.data.value, valueTypeOf(context.data));
    return { outcome: 'success', result: value };
  },
};
