/**
 * Blueprint routes: CRUD of `kv-blueprint/1` documents per companyId, server-side runs with the
 * same engine as the browser and the CLI, and each blueprint's run history.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  companyQuerySchema,
  runRequestSchema,
  runsQuerySchema,
  RUNS_DEFAULT_LIMIT,
  type BlueprintListResponse,
} from '../../../kv/api-schema';
import { runBlueprint, validateBlueprint } from '../../../engine';
import type { BlueprintDocument, Problem, RunError, RunRecord } from '../../../engine/types';
import { ApiError, notFound } from '../api-error';
import type { ApiContext } from '../app';
import { paramOf, parseBody, parseQuery } from './parse';

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

/** Runs executing now, per companyId, so one company cannot take every slot of the server. */
class RunSlots {
  private readonly running = new Map<string, number>();

  constructor(private readonly perCompany: number) {}

  /** Takes a slot for `companyId`, or refuses with 429; call the returned function when the run ends. */
  take(companyId: string): () => void {
    const now = this.running.get(companyId) ?? 0;
    if (now >= this.perCompany) {
      throw new ApiError(
        'too_many_runs',
        `${now} runs of this company are already executing, the most this server allows at once (KVB_MAX_RUNS=${this.perCompany}): retry when one has finished`,
      );
    }
    this.running.set(companyId, now + 1);
    return () => {
      const left = (this.running.get(companyId) ?? 1) - 1;
      if (left > 0) this.running.set(companyId, left);
      else this.running.delete(companyId);
    };
  }
}

/** Run error codes whose messages quote a failure's own text (a stack overflow, SQLite's words, a path). */
const QUOTING_CODES: Readonly<Record<string, string>> = {
  internal: 'An unexpected engine failure',
  store: "The server's store failed",
};

/**
 * Those texts are for the server log, not for the answer: the record keeps the code and says
 * where, and the log has the detail.
 */
function withoutInternalTexts(record: RunRecord, log: (error: RunError) => void): RunRecord {
  const quotes = (error: RunError | null): error is RunError => error !== null && Object.hasOwn(QUOTING_CODES, error.code);
  const scrub = (error: RunError | null): RunError | null => {
    if (!quotes(error)) return error;
    log(error);
    const where = error.nodeId === null ? 'the run' : `block '${error.nodeId}'`;
    return { ...error, message: `${QUOTING_CODES[error.code]} in ${where}; the server logged it` };
  };
  return {
    ...record,
    steps: record.steps.map((step) => (quotes(step.error) ? { ...step, error: scrub(step.error) } : step)),
    error: scrub(record.error),
  };
}

/** A macrotask pause: pending I/O (other requests) is served before the run goes on. */
const yieldToEventLoop = (): Promise<void> =>
  new Promise((resolve) => {
    setImmediate(resolve);
  });

export function registerBlueprintRoutes(app: FastifyInstance, context: ApiContext): void {
  const { blueprints, runs, bus, limits } = context;
  const slots = new RunSlots(limits.maxRunsPerCompany);

  const companyOf = (request: FastifyRequest): string =>
    context.companyFor(request, parseQuery(companyQuerySchema, request.query).companyId);
  const existing = async (companyId: string, id: string): Promise<BlueprintDocument> => {
    const stored = await blueprints.get(companyId, id);
    if (!stored) throw notFound(`No blueprint with id '${id}'`);
    return stored.document;
  };

  app.get('/api/blueprints', async (request): Promise<BlueprintListResponse> => ({
    blueprints: await blueprints.list(companyOf(request)),
  }));

  app.post('/api/blueprints', async (request, reply) => {
    const companyId = companyOf(request);
    const document = validDocument(request.body);
    await blueprints.save(companyId, document, 'create');
    bus.publish({ type: 'blueprint', data: { companyId, blueprintId: document.id, change: 'set' } });
    return reply.code(201).send(document);
  });

  app.get('/api/blueprints/:id', async (request) => await existing(companyOf(request), paramOf(request.params, 'id')));

  app.put('/api/blueprints/:id', async (request, reply) => {
    const companyId = companyOf(request);
    const document = validDocument(request.body, paramOf(request.params, 'id'));
    const { created } = await blueprints.save(companyId, document, 'upsert');
    bus.publish({ type: 'blueprint', data: { companyId, blueprintId: document.id, change: 'set' } });
    return reply.code(created ? 201 : 200).send(document);
  });

  app.delete('/api/blueprints/:id', async (request, reply) => {
    const companyId = companyOf(request);
    const id = paramOf(request.params, 'id');
    if (!(await blueprints.delete(companyId, id))) throw notFound(`No blueprint with id '${id}'`);
    bus.publish({ type: 'blueprint', data: { companyId, blueprintId: id, change: 'delete' } });
    return reply.code(204).send();
  });

  app.post('/api/blueprints/:id/runs', async (request, reply) => {
    const companyId = companyOf(request);
    const document = await existing(companyId, paramOf(request.params, 'id'));
    const { input } = parseBody(runRequestSchema, request.body);
    const release = slots.take(companyId);
    let finishedRecord: RunRecord;
    try {
      // Bounded: the host's step limit, first and last steps kept, the event loop shared.
      const finished = await runBlueprint(document, {
        store: context.store,
        companyId,
        ...(input === undefined ? {} : { input }),
        maxSteps: limits.maxSteps,
        keepSteps: limits.keepSteps,
        maxOutputs: limits.maxOutputs,
        yieldToHost: yieldToEventLoop,
        runCode: context.runCode,
      });
      finishedRecord = withoutInternalTexts(finished, (error) =>
        request.log.error({ code: error.code, nodeId: error.nodeId, detail: error.message }, 'engine failure in a run'),
      );
    } finally {
      release();
    }
    const record = await runs.add(companyId, finishedRecord);
    bus.publish({
      type: 'run',
      data: { companyId, blueprintId: document.id, runId: record.runId, status: record.status, finishedAt: record.finishedAt },
    });
    return reply.code(201).send(record);
  });

  app.get('/api/blueprints/:id/runs', async (request) => {
    const query = parseQuery(runsQuerySchema, request.query);
    const companyId = context.companyFor(request, query.companyId);
    const document = await existing(companyId, paramOf(request.params, 'id'));
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
