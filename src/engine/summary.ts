/**
 * What the canvas and the inspector show about one block without running it: the one-line
 * summary, and the field problems found while a person types (bad key, bad JSON, bad select
 * value, a placeholder written wrongly).
 */
import { isKvError } from '../kv/errors';
import { assertValidKey } from '../kv/operations';
import { isBlockType, manifestOf } from './blocks';
import { describeJsonProblem, findJsonSyntaxError, lineAndColumn } from '../kv/json';
import { CODE_TIMEOUT_MAX_MS } from './code-sandbox';
import { FORBIDDEN_SEGMENTS, scanPlaceholders } from './expressions';
import type { BlueprintNode, FieldSpec } from './types';

/** A problem with one field of a block, for the inspector to show under that field. */
export interface FieldProblem {
  /** The field's name in `node.data` (`key`, `value`). */
  field: string;
  message: string;
}

/** The one line the canvas shows under a block's title (`get analysis_result`). */
export function summarizeBlock(node: Pick<BlueprintNode, 'type' | 'data'>): string {
  if (!isBlockType(node.type)) return `unknown block type '${String(node.type)}'`;
  return manifestOf(node.type).summary(node.data);
}

function placeholderProblems(field: string, text: string): FieldProblem[] {
  return scanPlaceholders(text).problems.map((problem) => {
    const { line, column } = lineAndColumn(text, problem.start);
    return { field, message: `${problem.message} (line ${line}, column ${column})` };
  });
}

function hasPlaceholders(text: string): boolean {
  return scanPlaceholders(text).placeholders.length > 0 || text.includes('\\@{');
}

function checkKey(text: string): FieldProblem[] {
  if (hasPlaceholders(text)) return [];
  try {
    assertValidKey(text);
    return [];
  } catch (error) {
    return [{ field: 'key', message: isKvError(error) ? error.message : String(error) }];
  }
}

function checkJson(field: string, text: string): FieldProblem[] {
  if (hasPlaceholders(text)) return [];
  const syntax = findJsonSyntaxError(text);
  if (!syntax) return [];
  return [{ field, message: describeJsonProblem(text, syntax) }];
}

function checkNumber(spec: FieldSpec, raw: unknown): FieldProblem[] {
  if (raw === undefined || raw === null || raw === '') return [];
  if (typeof raw === 'string' && hasPlaceholders(raw)) return [];
  const number = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : Number.NaN;
  if (!Number.isFinite(number)) return [{ field: spec.name, message: `${spec.label} must be a number` }];
  if (spec.name === 'ttlSeconds' && number <= 0) return [{ field: spec.name, message: `${spec.label} must be above 0` }];
  if (spec.name === 'limit' && (!Number.isInteger(number) || number < 1 || number > 1000)) {
    return [{ field: spec.name, message: `${spec.label} must be a whole number from 1 to 1000` }];
  }
  if (spec.name === 'timeoutMs' && (!Number.isInteger(number) || number < 1 || number > CODE_TIMEOUT_MAX_MS)) {
    return [{ field: spec.name, message: `${spec.label} must be a whole number from 1 to ${CODE_TIMEOUT_MAX_MS}` }];
  }
  return [];
}

function checkStatePath(path: string): FieldProblem[] {
  if (path.trim() === '') return [{ field: 'path', message: 'Path is required, e.g. user.profile' }];
  const segments = path.split('.');
  if (segments.some((segment) => segment === '')) return [{ field: 'path', message: `Path '${path}' has an empty segment` }];
  const forbidden = segments.find((segment) => FORBIDDEN_SEGMENTS.includes(segment));
  if (forbidden) return [{ field: 'path', message: `'${forbidden}' is never allowed as a key` }];
  return [];
}

/**
 * The problems of a block's visible fields, checked as a person types. Fields with
 * placeholders are checked for placeholder syntax only: their final value is known at run time.
 * `blueprint.groupId` lets the check flag scope flow_group in a blueprint without a group.
 */
export function validateNodeData(node: Pick<BlueprintNode, 'type' | 'data'>, blueprint?: { groupId?: string | undefined }): FieldProblem[] {
  if (!isBlockType(node.type)) return [{ field: 'type', message: `Unknown block type '${String(node.type)}'` }];
  const data = node.data as unknown as Record<string, unknown>;
  const problems: FieldProblem[] = [];
  for (const spec of manifestOf(node.type).fields) {
    if (spec.visible && !spec.visible(data)) continue;
    const raw = data[spec.name];
    if (spec.kind === 'select') {
      if (raw !== undefined && !(spec.options ?? []).includes(raw as string)) {
        problems.push({ field: spec.name, message: `${spec.label}: expected one of ${(spec.options ?? []).join('|')}` });
      }
      continue;
    }
    if (spec.kind === 'number') {
      if (typeof raw === 'string') problems.push(...placeholderProblems(spec.name, raw));
      problems.push(...checkNumber(spec, raw));
      continue;
    }
    if (spec.kind === 'json') continue;
    // JavaScript, not an expression: `@{` in it is code. Its syntax is QuickJS's to judge at run time.
    if (spec.kind === 'code') continue;
    if (raw !== undefined && typeof raw !== 'string') {
      problems.push({ field: spec.name, message: `${spec.label} must be text` });
      continue;
    }
    const text = raw ?? '';
    const syntax = placeholderProblems(spec.name, text);
    problems.push(...syntax);
    if (syntax.length > 0) continue;
    if (node.type === 'kv' && spec.name === 'key') problems.push(...checkKey(text));
    if (node.type === 'setState' && spec.name === 'path') problems.push(...checkStatePath(text));
    if (spec.name === 'value' && data.valueType === 'json') problems.push(...checkJson('value', text));
  }
  if (node.type === 'kv' && data.scope === 'flow_group' && blueprint && !blueprint.groupId) {
    problems.push({ field: 'scope', message: 'Scope flow_group needs a groupId on the blueprint' });
  }
  return problems;
}
