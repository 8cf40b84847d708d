/**
 * The shapes the API answers with, as zod schemas, for the OpenAPI document (`openapi.ts`).
 * Requests are validated with the schemas of `kv/api-schema.ts`, which the document uses as
 * they are; these describe what comes back, and the OpenAPI suite checks real answers
 * against them, so a drift between a route and its description fails a test.
 */
import { z } from 'zod';
import {
  apiErrorBodySchema,
  companyQuerySchema,
  kvDeletedQuerySchema,
  kvExportQuerySchema,
  kvHistoryQuerySchema,
  kvImportQuerySchema,
  kvListQuerySchema,
  kvOpsRequestSchema,
  kvRestoreRequestSchema,
  kvSetRequestSchema,
  runRequestSchema,
  runsQuerySchema,
} from '../../kv/api-schema';
import { SCOPES, VALUE_TYPES } from '../../kv/types';

/** Any JSON value. */
const json = z.unknown().meta({ description: 'any JSON value' });
const isoTime = z.string().meta({ description: 'ISO 8601 time' });

export const entrySchema = z.object({
  id: z.string(),
  companyId: z.string(),
  scope: z.enum(SCOPES),
  scopeKey: z.string(),
  key: z.string(),
  value: json,
  valueType: z.enum(VALUE_TYPES),
  version: z.number().int().meta({ description: '1 on creation, +1 on every write' }),
  createdAt: isoTime,
  updatedAt: isoTime,
  expiresAt: isoTime.nullable(),
});

export const kvListResponseSchema = z.object({
  entries: z.array(entrySchema),
  nextCursor: z.string().nullable(),
  damaged: z.number().int().optional(),
  damagedKeys: z.array(z.string()).optional(),
});

export const kvOpsResponseSchema = z.object({
  results: z.array(z.looseObject({ op: z.string() })).meta({ description: 'one result per op, in order' }),
});

export const kvHistoryResponseSchema = z.object({
  versions: z.array(
    z.object({
      version: z.number().int(),
      value: json,
      valueType: z.enum(VALUE_TYPES),
      updatedAt: isoTime,
      replacedAt: isoTime,
      deleted: z.boolean().meta({ description: 'a delete ended this version' }),
    }),
  ),
});
export const kvRestoreResponseSchema = z.object({ entry: entrySchema, created: z.boolean() });
export const kvDeletedResponseSchema = z.object({
  keys: z.array(z.object({ key: z.string(), version: z.number().int(), deletedAt: isoTime })),
});
export const kvImportResponseSchema = z.object({ created: z.number().int(), updated: z.number().int(), skipped: z.number().int() });

const node = z.looseObject({
  id: z.string(),
  type: z.string(),
  position: z.object({ x: z.number(), y: z.number() }),
  data: z.looseObject({}),
});
const edge = z.looseObject({ id: z.string(), source: z.string(), sourceHandle: z.string(), target: z.string() });

export const blueprintDocumentSchema = z
  .looseObject({
    format: z.literal('kv-blueprint/1'),
    id: z.string(),
    name: z.string(),
    groupId: z.string().optional(),
    settings: z
      .looseObject({
        kvInherit: z.boolean().optional(),
        kvConflict: z.enum(['child', 'parent', 'merge']).optional(),
        maxSteps: z.number().int().optional(),
      })
      .optional(),
    nodes: z.array(node),
    edges: z.array(edge),
    pins: z.record(z.string(), json).optional(),
  })
  .meta({
    description: 'A kv-blueprint/1 document (docs/blueprint-format.md); the server checks it whole and answers 422 with every problem',
  });

export const blueprintSummarySchema = z.object({
  id: z.string(),
  name: z.string(),
  groupId: z.string().nullable(),
  updatedAt: isoTime,
  revision: z.number().int().min(1),
});
export const blueprintListResponseSchema = z.object({ blueprints: z.array(blueprintSummarySchema) });
export const blueprintRevisionsResponseSchema = z.object({
  revisions: z.array(z.object({ revision: z.number().int().min(1), savedAt: isoTime, name: z.string() })),
});

export const runErrorSchema = z.object({ code: z.string(), message: z.string(), nodeId: z.string().nullable() });
export const stepRecordSchema = z.looseObject({
  nodeId: z.string(),
  type: z.string(),
  action: z.string().optional(),
  outcome: z.string(),
  startedAt: isoTime,
  durationMs: z.number(),
  result: json,
  error: runErrorSchema.nullable(),
  reads: z.array(z.string()),
  writes: z.array(z.string()),
  logs: z.array(z.string()).optional(),
});
export const keyChangeSchema = z.object({
  scope: z.enum(SCOPES),
  scopeKey: z.string(),
  key: z.string(),
  change: z.enum(['created', 'updated', 'deleted']),
  before: z.object({ value: json, valueType: z.enum(VALUE_TYPES), version: z.number().int() }).nullable(),
  after: z.object({ value: json, valueType: z.enum(VALUE_TYPES), expiresAt: isoTime.nullable() }).nullable(),
});
const runFields = {
  runId: z.string(),
  blueprintId: z.string(),
  startedAt: isoTime,
  input: json,
  steps: z.array(stepRecordSchema),
  stepsOmitted: z.number().int().optional(),
  outputs: z.array(json),
  outputsOmitted: z.number().int().optional(),
  state: z.record(z.string(), json),
  sandbox: z.literal(true).optional(),
  changes: z.array(keyChangeSchema).optional(),
  changesOmitted: z.number().int().optional(),
  changesIncomplete: z.literal(true).optional(),
  appliedAt: isoTime.nullable().optional().meta({ description: 'a sandbox run: when its changes were applied, null before' }),
};
export const runRecordSchema = z.object({
  ...runFields,
  status: z.enum(['succeeded', 'failed', 'cancelled']),
  finishedAt: isoTime,
  error: runErrorSchema.nullable(),
});
export const runningRecordSchema = z.object({
  ...runFields,
  status: z.literal('running'),
  finishedAt: z.null(),
  error: z.null(),
});
export const runNowSchema = z
  .union([runRecordSchema, runningRecordSchema])
  .meta({ description: 'A finished run record, or one still running' });
export const runHistorySchema = z.object({ runs: z.array(runRecordSchema), damaged: z.number().int().optional() });
export const runAcceptedSchema = z.object({ runId: z.string(), status: z.literal('running') });
export const runCancellingSchema = z.object({ runId: z.string(), status: z.literal('cancelling') });
export const runAppliedSchema = z.object({ runId: z.string(), appliedAt: isoTime, changes: z.array(keyChangeSchema) });

/** The schemas the document names under `components.schemas`, by name. */
export const NAMED_SCHEMAS = {
  Error: apiErrorBodySchema,
  Entry: entrySchema,
  KvList: kvListResponseSchema,
  KvSetRequest: kvSetRequestSchema,
  KvOpsRequest: kvOpsRequestSchema,
  KvOpsResponse: kvOpsResponseSchema,
  KvHistory: kvHistoryResponseSchema,
  KvRestoreRequest: kvRestoreRequestSchema,
  KvRestore: kvRestoreResponseSchema,
  KvDeleted: kvDeletedResponseSchema,
  KvImport: kvImportResponseSchema,
  BlueprintDocument: blueprintDocumentSchema,
  BlueprintSummary: blueprintSummarySchema,
  BlueprintList: blueprintListResponseSchema,
  BlueprintRevisions: blueprintRevisionsResponseSchema,
  KeyChange: keyChangeSchema,
  RunError: runErrorSchema,
  StepRecord: stepRecordSchema,
  RunRequest: runRequestSchema,
  RunRecord: runRecordSchema,
  RunningRecord: runningRecordSchema,
  RunNow: runNowSchema,
  RunHistory: runHistorySchema,
  RunAccepted: runAcceptedSchema,
  RunCancelling: runCancellingSchema,
  RunApplied: runAppliedSchema,
} as const;
export type SchemaName = keyof typeof NAMED_SCHEMAS;

/** Query strings, as validated by the routes; each field becomes a query parameter. */
export const QUERY_SCHEMAS = {
  company: companyQuerySchema,
  kvList: kvListQuerySchema,
  kvHistory: kvHistoryQuerySchema,
  kvDeleted: kvDeletedQuerySchema,
  kvExport: kvExportQuerySchema,
  kvImport: kvImportQuerySchema,
  runs: runsQuerySchema,
} as const;
