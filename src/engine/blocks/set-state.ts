import { shorten, valueField, valueTypeField, valueTypeOf } from './fields';
import type { BlockManifest } from './types';

/** Writes a value into the run's state at a dot path (`user.profile.name`). */
export const setStateBlock: BlockManifest<'setState'> = {
  type: 'setState',
  label: 'Set state',
  description: 'Sets a value in the run state at a dot path, creating objects on the way; read it back with @{state.…}.',
  outs: ['success', 'error'],
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
    valueField('The value to set, e.g. @{result} to keep the previous block\'s result.'),
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
};
