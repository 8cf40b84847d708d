/**
 * The Key-Value Storage block (docs/blocks.md): save, get, delete, list, append, increment, listAdd
 * and listRemove, at the block's scope, with the store's error codes passed through as the block's error.
 */
import { assertStorableValue, assertValidKey } from '../../kv/operations';
import { z } from 'zod';
import { LIST_DEFAULT_LIMIT, LIST_MAX_LIMIT, SAVE_MODES, SCOPES, VALUE_TYPES, type JsonValue, type Scope } from '../../kv/types';
import { evaluateNumber, evaluateText, shorten, valueField, valueTypeField, valueTypeOf } from './fields';
import { blockDataSchema, numberOrText } from './schema-parts';
import { defineBlock, type BlockData, type BlockOutcome, type BlockRunContext, type PalettePreset } from './types';

export const KV_ACTIONS = ['save', 'get', 'delete', 'list', 'append', 'increment', 'listAdd', 'listRemove'] as const;
export type KvAction = (typeof KV_ACTIONS)[number];

const schema = blockDataSchema({
  action: z.enum(KV_ACTIONS),
  key: z.string().optional(),
  valueType: z.enum(VALUE_TYPES).optional(),
  value: z.string().optional(),
  scope: z.enum(SCOPES).optional(),
  mode: z.enum(SAVE_MODES).optional(),
  /** Seconds, or an expression string that yields a number. */
  ttlSeconds: numberOrText.optional(),
  /** save: compare-and-set against this stored version (0: only when absent). */
  expectedVersion: numberOrText.optional(),
  /** get: JSON text (placeholders allowed) a missing key gives instead of `not_found`; empty means none. */
  default: z.string().optional(),
  prefix: z.string().optional(),
  limit: numberOrText.optional(),
  by: numberOrText.optional(),
});
export type KvData = BlockData<typeof schema>;

/** One palette button per action, each at the flow scope. */
function preset(label: string, icon: PalettePreset<KvData>['icon'], data: Omit<KvData, 'scope'>): PalettePreset<KvData> {
  return { label, icon, data: { scope: 'flow', ...data } };
}

const actionOf = (data: Record<string, unknown>): unknown => data.action;
const isAction =
  (...actions: KvAction[]) =>
  (data: Record<string, unknown>) =>
    actions.includes(actionOf(data) as KvAction);

function success(result: JsonValue): BlockOutcome {
  return { outcome: 'success', result };
}

async function keyOf(context: BlockRunContext<KvData>): Promise<string> {
  // Checked here, on the text with placeholders filled in, so a bad key is the error reported
  // even when the value is also wrong (the store access checks it again).
  const key = await evaluateText(context, context.data.key, 'Key', 'invalid_key');
  assertValidKey(key);
  return key;
}

async function valueOf(context: BlockRunContext<KvData>, key: string): Promise<JsonValue> {
  const value = await context.evaluate(context.data.value, valueTypeOf(context.data));
  assertStorableValue(value, key);
  return value;
}

async function runAction(context: BlockRunContext<KvData>, scope: Scope): Promise<BlockOutcome> {
  const { data, kv, trace } = context;
  switch (data.action) {
    case 'save': {
      const key = await keyOf(context);
      const value = await valueOf(context, key);
      const ttlSeconds = await evaluateNumber(context, data.ttlSeconds, {
        label: 'TTL (seconds)',
        fallback: null,
        min: 0,
        minExclusive: true,
      });
      const expectedVersion = await evaluateNumber(context, data.expectedVersion, {
        label: 'Expected version',
        fallback: null,
        integer: true,
        min: 0,
      });
      const { entry, created } = await kv.save(
        scope,
        key,
        value,
        { valueType: valueTypeOf(data), mode: data.mode ?? 'upsert', ttlSeconds, expectedVersion },
        trace,
      );
      return success({ key, value: entry.value, created, version: entry.version });
    }
    case 'get': {
      const key = await keyOf(context);
      const read = await kv.read(scope, key, trace);
      if (read.found) return success(read.value);
      if (data.default !== undefined && data.default.trim() !== '') {
        const fallback = await context.evaluate(data.default, 'json');
        assertStorableValue(fallback, key);
        return success(fallback);
      }
      throw kv.notFound(scope, key, kv.readChain(scope));
    }
    case 'delete': {
      const key = await keyOf(context);
      if (!(await kv.remove(scope, key, trace))) throw kv.notFound(scope, key);
      return success({ key, deleted: true });
    }
    case 'list': {
      const prefix = await evaluateText(context, data.prefix, 'Prefix', 'invalid_value');
      const limit = await evaluateNumber(context, data.limit, {
        label: 'Limit',
        fallback: LIST_DEFAULT_LIMIT,
        integer: true,
        min: 1,
        max: LIST_MAX_LIMIT,
      });
      return success(await kv.list(scope, { prefix, limit: limit ?? LIST_DEFAULT_LIMIT }, trace));
    }
    case 'append': {
      const key = await keyOf(context);
      const value = await valueOf(context, key);
      const entry = await kv.append(scope, key, value, valueTypeOf(data), trace);
      return success(entry.value);
    }
    case 'increment': {
      const key = await keyOf(context);
      const by = await evaluateNumber(context, data.by, { label: 'By', fallback: 1 });
      const entry = await kv.increment(scope, key, by ?? 1, trace);
      return success(entry.value);
    }
    case 'listAdd': {
      const key = await keyOf(context);
      const value = await valueOf(context, key);
      return success((await kv.listAdd(scope, key, value, valueTypeOf(data), trace)).value);
    }
    case 'listRemove': {
      const key = await keyOf(context);
      const value = await valueOf(context, key);
      return success((await kv.listRemove(scope, key, value, trace)).value);
    }
  }
}

function scopeSuffix(scope: Scope | undefined): string {
  return scope && scope !== 'flow' ? ` in ${scope}` : '';
}

function summarize(data: KvData): string {
  const key = shorten(data.key ?? '', 32) || '(no key)';
  const scope = scopeSuffix(data.scope);
  switch (data.action) {
    case 'save': {
      const mode = data.mode && data.mode !== 'upsert' ? `, ${data.mode}` : '';
      return `save ${key} (${valueTypeOf(data)}${mode})${scope}`;
    }
    case 'get':
      return `get ${key}${data.default !== undefined && data.default.trim() !== '' ? ` or ${shorten(data.default, 16)}` : ''}${scope}`;
    case 'delete':
      return `delete ${key}${scope}`;
    case 'list':
      return `list keys${data.prefix ? ` ${shorten(data.prefix, 24)}*` : ''}${scope}`;
    case 'append':
      return `append to ${key}${scope}`;
    case 'increment':
      return `increment ${key} by ${data.by === undefined || data.by === '' ? 1 : data.by}${scope}`;
    case 'listAdd':
      return `add to list ${key}${scope}`;
    case 'listRemove':
      return `remove from list ${key}${scope}`;
    default:
      return `unknown action ${String((data as { action?: unknown }).action)}`;
  }
}

export const kvBlock = defineBlock({
  type: 'kv',
  schema,
  label: 'Key-Value Storage',
  description:
    'Saves, reads, deletes, lists, appends to or increments a stored key, or adds an item to or removes one from a stored list. Success passes the result on; a missing key, an item already in the list, a bad key or a store failure takes the error out.',
  outs: ['success', 'error'],
  group: 'Key-Value Storage',
  palette: [
    preset('Save key', 'download', { action: 'save', key: '', valueType: 'text', value: '@{result}', mode: 'upsert' }),
    preset('Get key', 'upload', { action: 'get', key: '' }),
    preset('Delete key', 'cross', { action: 'delete', key: '' }),
    preset('List keys', 'list', { action: 'list', prefix: '', limit: 1000 }),
    preset('Append to key', 'plus', { action: 'append', key: '', valueType: 'json', value: '' }),
    preset('Increment key', 'arrowUp', { action: 'increment', key: '', by: 1 }),
    preset('Add to list', 'listAdd', { action: 'listAdd', key: '', valueType: 'text', value: '' }),
    preset('Remove from list', 'listRemove', { action: 'listRemove', key: '', valueType: 'text', value: '' }),
  ],
  presetKey: 'action',
  icon: 'upload',
  color: 'sky',
  fields: [
    {
      name: 'action',
      label: 'Action',
      kind: 'select',
      options: KV_ACTIONS,
      default: 'save',
      required: true,
      help: 'What to do with the key.',
    },
    {
      name: 'key',
      label: 'Key',
      kind: 'expression',
      default: '',
      required: true,
      help: '1–256 characters of A–Z a–z 0–9 _ -, checked after @{…} placeholders are filled in.',
      placeholder: 'a key name, e.g. user_profile',
      visible: (data) => actionOf(data) !== 'list',
    },
    valueTypeField(isAction('save', 'append', 'listAdd', 'listRemove')),
    valueField(
      'The value to store (save), to add at the end (append), to add to the list unless it is there (listAdd) or to remove from it (listRemove).',
      isAction('save', 'append', 'listAdd', 'listRemove'),
    ),
    {
      name: 'scope',
      label: 'Scope',
      kind: 'select',
      options: SCOPES,
      default: 'flow',
      help: "flow: this blueprint; flow_group: the blueprint's group; global: the whole workspace.",
    },
    {
      name: 'mode',
      label: 'Mode',
      kind: 'select',
      options: SAVE_MODES,
      default: 'upsert',
      help: 'upsert: always write; create: only if absent; update: only if present.',
      visible: isAction('save'),
    },
    {
      name: 'ttlSeconds',
      label: 'TTL (seconds)',
      kind: 'number',
      help: 'Optional: the key expires after this many seconds.',
      visible: isAction('save'),
    },
    {
      name: 'expectedVersion',
      label: 'Expected version',
      kind: 'number',
      help: 'Optional compare-and-set: write only if the stored version is this one (0: only if the key is absent); otherwise the error out with version_conflict.',
      visible: isAction('save'),
    },
    {
      name: 'default',
      label: 'Default',
      kind: 'expression',
      default: '',
      help: 'Optional JSON (placeholders allowed), e.g. [] or {"count": 0}: a missing key succeeds with it instead of taking the error out.',
      placeholder: 'JSON, e.g. []',
      visible: isAction('get'),
    },
    {
      name: 'prefix',
      label: 'Prefix',
      kind: 'expression',
      default: '',
      help: 'Only keys that start with this text.',
      visible: isAction('list'),
    },
    {
      name: 'limit',
      label: 'Limit',
      kind: 'number',
      default: LIST_DEFAULT_LIMIT,
      help: `At most this many keys (1–${LIST_MAX_LIMIT}).`,
      visible: isAction('list'),
    },
    {
      name: 'by',
      label: 'By',
      kind: 'number',
      default: 1,
      help: 'The amount to add; negative to subtract.',
      visible: isAction('increment'),
    },
  ],
  summary: summarize,
  async run(context) {
    const scope = context.data.scope ?? 'flow';
    // A flow_group read or write in a blueprint without a group fails here, as the block's error.
    context.kv.scopeKeyOf(scope);
    return runAction(context, scope);
  },
});
