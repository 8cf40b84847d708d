import { z } from 'zod';
import { VALUE_TYPES } from '../../kv/types';
import { shorten, valueField, valueTypeField, valueTypeOf } from './fields';
import { blockDataSchema } from './schema-parts';
import { defineBlock, type BlockData } from './types';

const schema = blockDataSchema({ path: z.string().default(''), valueType: z.enum(VALUE_TYPES).optional(), value: z.string().optional() });
export type SetStateData = BlockData<typeof schema>;

/** Writes a value into the run's state at a dot path (`user.profile.name`). */
export const setStateBlock = defineBlock({
  type: 'setState',
  schema,
  label: 'Set state',
  description: 'Sets a value in the run state at a dot path, creating objects on the way; read it back with @{state.…}.',
  outs: ['success', 'error'],
  group: 'Logic',
  palette: [{ label: 'Set state', data: { path: '', valueType: 'text', value: '@{result}' } }],
  icon: 'assign',
  color: 'purple',
  fields: [
    {
      name: 'path',
      label: 'Path',
      kind: 'text',
      default: '',
      required: true,
      help: 'Dot path inside the run state, e.g. user.profile.',
      placeholder: 'user.profile',
    },
    valueTypeField(),
    valueField("The value to set, e.g. @{result} to keep the previous block's result."),
  ],
  summary(data) {
    const path = data.path || '(no path)';
    return `state.${path} = ${shorten(data.value ?? '', 30) || '(empty)'}`;
  },
  async run(context) {
    const value = await context.evaluate(context.data.value, valueTypeOf(context.data));
    context.setState(context.data.path, value);
    return { outcome: 'success', result: value };
  },
});
