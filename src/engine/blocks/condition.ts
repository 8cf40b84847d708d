/**
 * The condition block: compares `left` with `right` and takes the `true` or `false` out.
 * Text fields give strings, so comparisons are made the way a person reads them: "3" equals 3,
 * numbers compare numerically, and text that holds JSON equals the object it spells.
 */
import { EngineError } from '../errors';
import { ExpressionError, scanPlaceholders } from '../expressions';
import { z } from 'zod';
import type { JsonValue } from '../types';
import { shorten } from './fields';
import { blockDataSchema } from './schema-parts';
import { defineBlock, type BlockData, type BlockRunContext } from './types';

export const CONDITION_OPERATORS = ['equals', 'notEquals', 'contains', 'exists', 'greaterThan', 'lessThan', 'truthy'] as const;
export type ConditionOperator = (typeof CONDITION_OPERATORS)[number];

const schema = blockDataSchema({
  left: z.string().default(''),
  operator: z.enum(CONDITION_OPERATORS).default('equals'),
  right: z.string().optional(),
});
export type ConditionData = BlockData<typeof schema>;

const OPERATOR_WORDS: Record<ConditionOperator, string> = {
  equals: '=',
  notEquals: '≠',
  contains: 'contains',
  exists: 'exists',
  greaterThan: '>',
  lessThan: '<',
  truthy: 'is truthy',
};

/** Operators that look only at `left`. */
const UNARY_OPERATORS: readonly ConditionOperator[] = ['exists', 'truthy'];

function asNumber(value: JsonValue): number | null {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.trim() !== '') {
    const number = Number(value);
    return Number.isFinite(number) ? number : null;
  }
  return null;
}

function isScalar(value: JsonValue): value is string | number | boolean | null {
  return value === null || typeof value !== 'object';
}

function deepEqual(a: JsonValue, b: JsonValue): boolean {
  if (isScalar(a) || isScalar(b)) return a === b;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((item, i) => deepEqual(item, b[i]!));
  }
  const aKeys = Object.keys(a);
  return (
    aKeys.length === Object.keys(b).length &&
    aKeys.every((key) => Object.prototype.hasOwnProperty.call(b, key) && deepEqual(a[key]!, b[key]!))
  );
}

function parseJsonText(value: JsonValue): JsonValue | undefined {
  if (typeof value !== 'string') return undefined;
  try {
    return JSON.parse(value) as JsonValue;
  } catch {
    return undefined;
  }
}

export function looselyEqual(a: JsonValue, b: JsonValue): boolean {
  if (deepEqual(a, b)) return true;
  const [na, nb] = [asNumber(a), asNumber(b)];
  if (na !== null && nb !== null) return na === nb;
  if (isScalar(a) && isScalar(b)) return String(a) === String(b);
  // An object or array against text: the text may spell it as JSON.
  const parsed = typeof a === 'string' ? parseJsonText(a) : parseJsonText(b);
  const other = typeof a === 'string' ? b : a;
  return parsed !== undefined && deepEqual(parsed, other);
}

function describeType(value: JsonValue): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

function render(value: JsonValue): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export function isTruthy(value: JsonValue): boolean {
  if (value === null || value === false || value === 0 || value === '') return false;
  if (value === 'false' || value === '0') return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object') return Object.keys(value).length > 0;
  return true;
}

function contains(left: JsonValue, right: JsonValue): boolean {
  if (typeof left === 'string') return left.includes(render(right));
  if (Array.isArray(left)) return left.some((item) => looselyEqual(item, right));
  if (left !== null && typeof left === 'object') return Object.prototype.hasOwnProperty.call(left, render(right));
  throw new EngineError('type_mismatch', `contains needs text, an array or an object on the left, got ${describeType(left)}`);
}

function compare(left: JsonValue, right: JsonValue, operator: 'greaterThan' | 'lessThan'): boolean {
  const [nl, nr] = [asNumber(left), asNumber(right)];
  let order: number;
  if (nl !== null && nr !== null) order = nl - nr;
  else if (typeof left === 'string' && typeof right === 'string') order = left < right ? -1 : left > right ? 1 : 0;
  else
    throw new EngineError(
      'type_mismatch',
      `${operator} compares two numbers or two texts, got ${describeType(left)} and ${describeType(right)}`,
    );
  return operator === 'greaterThan' ? order > 0 : order < 0;
}

/** Whether `left` resolves: a missing path or key counts as "does not exist", not an error. */
async function exists(context: BlockRunContext<ConditionData>): Promise<boolean> {
  try {
    const value = await context.evaluate(context.data.left, 'text');
    return value !== null;
  } catch (error) {
    // A path that does not resolve means "no"; a placeholder written wrongly is still an error.
    const wellFormed = scanPlaceholders(context.data.left ?? '').problems.length === 0;
    if (error instanceof ExpressionError && wellFormed) return false;
    throw error;
  }
}

export async function evaluateCondition(context: BlockRunContext<ConditionData>): Promise<boolean> {
  const { operator } = context.data;
  if (operator === 'exists') return exists(context);
  const left = await context.evaluate(context.data.left, 'text');
  if (operator === 'truthy') return isTruthy(left);
  const right = await context.evaluate(context.data.right, 'text');
  switch (operator) {
    case 'equals':
      return looselyEqual(left, right);
    case 'notEquals':
      return !looselyEqual(left, right);
    case 'contains':
      return contains(left, right);
    case 'greaterThan':
    case 'lessThan':
      return compare(left, right, operator);
    default:
      throw new EngineError('invalid_value', `Unknown operator '${String(operator)}': expected one of ${CONDITION_OPERATORS.join('|')}`);
  }
}

export const conditionBlock = defineBlock({
  type: 'condition',
  schema,
  label: 'Condition',
  description:
    'Compares two values and takes the true or false out. A placeholder that does not resolve takes the error out (except for exists).',
  outs: ['true', 'false', 'error'],
  group: 'Logic',
  palette: [{ label: 'Condition', data: { left: '@{result}', operator: 'equals', right: '' } }],
  icon: 'diamond',
  color: 'amber',
  fields: [
    {
      name: 'left',
      label: 'Left',
      kind: 'expression',
      default: '@{result}',
      required: true,
      help: 'The value to test, usually a placeholder such as @{result.status}.',
    },
    {
      name: 'operator',
      label: 'Operator',
      kind: 'select',
      options: CONDITION_OPERATORS,
      default: 'equals',
      required: true,
      help: 'Numbers compare numerically; contains works on text, arrays and object keys.',
    },
    {
      name: 'right',
      label: 'Right',
      kind: 'expression',
      default: '',
      help: 'The value to compare with (not used by exists and truthy).',
      visible: (data) => !UNARY_OPERATORS.includes(data.operator as ConditionOperator),
    },
  ],
  summary(data) {
    const left = shorten(data.left ?? '', 24) || '(empty)';
    const word = OPERATOR_WORDS[data.operator] ?? String(data.operator);
    if (UNARY_OPERATORS.includes(data.operator)) return `${left} ${word}`;
    return `${left} ${word} ${shorten(data.right ?? '', 20) || '""'}`;
  },
  async run(context) {
    const result = await evaluateCondition(context);
    return { outcome: result ? 'true' : 'false', result };
  },
});
