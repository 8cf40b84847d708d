import { z } from 'zod';
import { VALUE_TYPES } from '../../kv/types';
import { shorten, valueField, valueTypeField, valueTypeOf } from './fields';
import { blockDataSchema } from './schema-parts';
import { defineBlock, type BlockData } from './types';

const schema = blockDataSchema({ valueType: z.enum(VALUE_TYPES).optional(), value: z.string().optional() });
export type OutputData = BlockData<typeof schema>;

/** Adds a value to the run's outputs. */
export const outputBlock = defineBlock({
  type: 'output',
  schema,
  label: 'Output',
  description: "Adds a value to the run's outputs. The value is also the result.",
  outs: ['success'],
  group: 'Logic',
  palette: [{ label: 'Output', data: { valueType: 'text', value: '@{result}' } }],
  icon: 'exit',
  color: 'emerald',
  fields: [valueTypeField(), valueField('The value to output, e.g. @{result} or "Hello @{input.name}".')],
  summary(data) {
    return `output ${shorten(data.value ?? '') || '(empty)'}`;
  },
  async run(context) {
    const value = await context.evaluate(context.data.value, valueTypeOf(context.data));
    context.emitOutput(value);
    return { outcome: 'success', result: value };
  },
});
