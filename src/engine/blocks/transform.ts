import { z } from 'zod';
import { VALUE_TYPES } from '../../kv/types';
import { shorten, valueField, valueTypeField, valueTypeOf } from './fields';
import { blockDataSchema } from './schema-parts';
import { defineBlock, type BlockData } from './types';

const schema = blockDataSchema({ valueType: z.enum(VALUE_TYPES).optional(), value: z.string().optional() });
export type TransformData = BlockData<typeof schema>;

/** Computes a value from placeholders; the value is the block's result. */
export const transformBlock = defineBlock({
  type: 'transform',
  schema,
  label: 'Transform',
  description: 'Builds a value from text or JSON with @{…} placeholders. The value is the result.',
  outs: ['success', 'error'],
  group: 'Logic',
  palette: [{ label: 'Transform', data: { valueType: 'text', value: '@{result}' } }],
  icon: 'function',
  color: 'purple',
  fields: [valueTypeField(), valueField('The value to compute, e.g. {"total": @{result.count}} with Value type json.')],
  summary(data) {
    return `= ${shorten(data.value ?? '') || '(empty)'}`;
  },
  async run(context) {
    const value = await context.evaluate(context.data.value, valueTypeOf(context.data));
    return { outcome: 'success', result: value };
  },
});
