/**
 * Blueprint routes: CRUD of `kv-blueprint/1` documents per companyId with revisions (`ETag`,
 * `If-Match`, the last ones kept), and each blueprint's run history. Starting and following
 * runs is `runs.ts`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  companyQuerySchema,
  runsQuerySchema,
  RUNS_DEFAULT_LIMIT,
  type BlueprintListResponse,
  type BlueprintRevisionsResponse,
} from '../../../kv/api-schema';
import { validateBlueprint } from '../../../engine';
import type { BlueprintDocument, Problem } from '../../../engine/types';
import { ApiError, notFound } from '../api-error';
import type { ApiContext } from '../app';
import { REVISIONS_KEPT_PER_BLUEPRINT, type StoredBlueprint } from '../../storage';
import { paramOf, parseQuery } from './parse';

function invalidBlueprint(problems: Problem[]): ApiError {
  const first = problems[0];
  const summary = first ? `${first.path}: ${first.message}` : 'the document is not valid';
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
  return new ApiError('invalid_blueprint', `The blueprint is not a valid kv-blueprint/1 document: ${summary}${more}`, { problems });
}

function validDocument(body: unknown, idFromUrl?: string): BlueprintDocument {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw invalidBlueprint([{ path: '', message: 'expected a kv-blueprint/1 document (a JSON object)' }]);
  }
  const result = validateBlueprint(body);
  if (!result.ok) throw invalidBlueprint(result.problems);
  if (idFromUrl !== undefined && result.document.id !== idFromUrl) {
    throw invalidBlueprint([{ path: 'id', message: `is '${result.document.id}', but the URL names blueprint '${idFromUrl}'` }]);
  }
  return result.document;
}

/** The `ETag` of a blueprint revision: the revision number, quoted. */
export function etagOf(revision: number): string {
  return `"${revision}"`;
}

/** The revision an `If-Match` header names (`"3"`, or weak `W/"3"`); undefined without the header. */
export function ifMatchRevision(request: FastifyRequest): number | undefined {
  const header = request.headers['if-match'];
  if (header === undefined) return undefined;
  const text = Array.isArray(header) ? header.join(', ') : header;
  const match = /^\s*(?:(?:W\/)?"([1-9]\d{0,14})"|([1-9]\d{0,14}))\s*$/.exec(text);
  if (!match) {
    throw new ApiError(
      'invalid_request',
      `If-Match: expected the ETag of one blueprint revision, such as "3" (from GET /api/blueprints/{id}); got '${text.slice(0, 80)}'`,
    );
  }
  return Number(match[1] ?? match[2]);
}

function revisionParam(params: unknown): number {
  const text = paramOf(params, 'revision');
  if (!/^[1-9]\d{0,14}$/.test(text)) {
    throw new ApiError('invalid_request', `revision: expected a whole number of at least 1 in the path; got '${text.slice(0, 40)}'`);
  }
  return Number(text);
}

export function registerBlueprintRoutes(app: FastifyInstance, context: ApiContext): void {
  const { blueprints, runs, bus } = context;

  const companyOf = (request: FastifyRequest): string =>
    context.companyFor(request, parseQuery(companyQuerySchema, request.query).companyId);
  const existing = async (companyId: string, id: string): Promise<StoredBlueprint> => {
    const stored = await blueprints.get(companyId, id);
    if (!stored) throw notFound(`No blueprint with id '${id}'`);
    return stored;
  };
  const sendDocument = (reply: FastifyReply, status: number, document: BlueprintDocument, revision: number): FastifyReply =>
    reply.code(status).header('etag', etagOf(revision)).send(document);

  app.get('/api/blueprints', async (request): Promise<BlueprintListResponse> => ({
    blueprints: await blueprints.list(companyOf(request)),
  }));

  app.post('/api/blueprints', async (request, reply) => {
    const companyId = companyOf(request);
    const document = validDocument(request.body);
    const { summary } = await blueprints.save(companyId, document, 'create');
    bus.publish({ type: 'blueprint', data: { companyId, blueprintId: document.id, change: 'set', revision: summary.revision } });
    return sendDocument(reply, 201, document, summary.revision);
  });

  app.get('/api/blueprints/:id', async (request, reply) => {
    const stored = await existing(companyOf(request), paramOf(request.params, 'id'));
    return sendDocument(reply, 200, stored.document, stored.revision);
  });

  app.put('/api/blueprints/:id', async (request, reply) => {
    const companyId = companyOf(request);
    const ifRevision = ifMatchRevision(request);
    const document = validDocument(request.body, paramOf(request.params, 'id'));
    const { created, summary } = await blueprints.save(companyId, document, 'upsert', ifRevision === undefined ? {} : { ifRevision });
    bus.publish({ type: 'blueprint', data: { companyId, blueprintId: document.id, change: 'set', revision: summary.revision } });
    return sendDocument(reply, created ? 201 : 200, document, summary.revision);
  });

  app.delete('/api/blueprints/:id', async (request, reply) => {
    const companyId = companyOf(request);
    const id = paramOf(request.params, 'id');
    if (!(await blueprints.delete(companyId, id))) throw notFound(`No blueprint with id '${id}'`);
    bus.publish({ type: 'blueprint', data: { companyId, blueprintId: id, change: 'delete' } });
    return reply.code(204).send();
  });

  app.get('/api/blueprints/:id/revisions', async (request): Promise<BlueprintRevisionsResponse> => {
    const id = paramOf(request.params, 'id');
    const revisions = await blueprints.revisions(companyOf(request), id);
    if (!revisions) throw notFound(`No blueprint with id '${id}'`);
    return { revisions };
  });

  app.get('/api/blueprints/:id/revisions/:revision', async (request) => {
    const companyId = companyOf(request);
    const id = paramOf(request.params, 'id');
    const revision = revisionParam(request.params);
    const document = await blueprints.revision(companyId, id, revision);
    if (document) return document;
    const stored = await existing(companyId, id);
    throw notFound(
      `Revision ${revision} of blueprint '${id}' is not kept: it is at revision ${stored.revision}, and the last ${REVISIONS_KEPT_PER_BLUEPRINT} are kept (GET /api/blueprints/${id}/revisions lists them)`,
    );
  });

  app.get('/api/blueprints/:id/runs', async (request) => {
    const query = parseQuery(runsQuerySchema, request.query);
    const companyId = context.companyFor(request, query.companyId);
    const { document } = await existing(companyId, paramOf(request.params, 'id'));
    const history = await runs.list(companyId, document.id, query.limit ?? RUNS_DEFAULT_LIMIT);
    if (history.damaged === 0) return { runs: history.runs };
    request.log.warn({ damaged: history.damaged }, 'run history skipped records that failed to decrypt (damaged or tampered)');
    return history;
  });

  app.get('/api/blueprints/:id/runs/:runId', async (request) => {
    const companyId = companyOf(request);
    const id = paramOf(request.params, 'id');
    const runId = paramOf(request.params, 'runId');
    const record = await runs.get(companyId, id, runId);
    if (!record) throw notFound(`No run '${runId}' of blueprint '${id}'`);
    return record;
  });

  app.delete('/api/blueprints/:id/runs/:runId', async (request, reply) => {
    const companyId = companyOf(request);
    const id = paramOf(request.params, 'id');
    const runId = paramOf(request.params, 'runId');
    if (!(await runs.delete(companyId, id, runId))) throw notFound(`No run '${runId}' of blueprint '${id}'`);
    return reply.code(204).send();
  });
}
