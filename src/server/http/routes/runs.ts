/**
 * Server-side runs: `POST /api/blueprints/:id/runs` starts one (waiting for its record, or
 * answering 202 at once), `/api/runs/:runId` reads it so far, follows its events (SSE: replay,
 * then live, ending after `run-finished`), cancels it, and applies a sandbox run's changes.
 * Runs of another company answer 404.
 */
import type { ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { companyQuerySchema, runRequestSchema, type RunAccepted, type RunApplied } from '../../../kv/api-schema';
import { applicableChanges, applyChanges, ChangesConflictError, describeChangedKey } from '../../../kv/changes';
import type { RunEvent } from '../../../engine/types';
import { ApiError, notFound } from '../api-error';
import type { ApiContext } from '../app';
import { RunReplay } from '../../storage';
import type { SseHub } from './event-routes';
import { EVENT_STREAM_HEADERS } from './event-routes';
import { paramOf, parseBody, parseQuery } from './parse';

/** Bytes a follower may leave unread before its stream is ended. */
export const FOLLOWER_MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

/** One run event as a server-sent event: named by its type, the engine's JSON as data. */
export function formatRunEvent(event: RunEvent): string {
  return `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

export function registerRunRoutes(app: FastifyInstance, context: ApiContext, hub: SseHub): void {
  const { blueprints, runs, runCoordinator: coordinator, executor } = context;
  const companyOf = (request: FastifyRequest): string =>
    context.companyFor(request, parseQuery(companyQuerySchema, request.query).companyId);
  const noRun = (runId: string): ApiError => notFound(`No run '${runId}'`);

  app.post('/api/blueprints/:id/runs', async (request, reply) => {
    const companyId = companyOf(request);
    const id = paramOf(request.params, 'id');
    const stored = await blueprints.get(companyId, id);
    if (!stored) throw notFound(`No blueprint with id '${id}'`);
    const { input, sandbox, wait } = parseBody(runRequestSchema, request.body);
    const started = await executor.start(companyId, stored.document, {
      ...(input === undefined ? {} : { input }),
      ...(sandbox === undefined ? {} : { sandbox }),
    });
    reply.header('location', `/api/runs/${started.runId}`);
    if (wait === false) return reply.code(202).send({ runId: started.runId, status: 'running' } satisfies RunAccepted);
    return reply.code(201).send(await started.finished);
  });

  app.get('/api/runs/:runId', async (request) => {
    const companyId = companyOf(request);
    const runId = paramOf(request.params, 'runId');
    // The store first: a run that has just ended is stored before it leaves the coordinator.
    const stored = await runs.find(companyId, runId);
    // A sandbox run says whether its changes were applied (null: not yet).
    if (stored) return stored.record.sandbox ? { ...stored.record, appliedAt: stored.appliedAt } : stored.record;
    const running = await coordinator.snapshot(companyId, runId);
    if (running) return running;
    throw noRun(runId);
  });

  app.get('/api/runs/:runId/events', async (request, reply) => {
    const companyId = companyOf(request);
    const runId = paramOf(request.params, 'runId');
    // Events are collected from the first one on, and written once the stream is open.
    let stream: ServerResponse | null = null;
    const pending: string[] = [];
    let ended = false;
    const send = (text: string): void => {
      if (!stream) {
        pending.push(text);
        return;
      }
      stream.write(text);
      // A follower that reads slower than the run goes is let go rather than buffered without
      // end; reconnecting replays the run so far (its first and last steps).
      if (stream.writableLength > FOLLOWER_MAX_BUFFERED_BYTES) {
        live?.stop();
        stream.end();
      }
    };
    const end = (): void => {
      ended = true;
      stream?.end();
    };
    const live = request.method === 'HEAD' ? null : await coordinator.follow(companyId, runId, (event) => send(formatRunEvent(event)), end);
    if (!live) {
      const finished = await runs.find(companyId, runId);
      if (!finished && !(request.method === 'HEAD' && (await coordinator.snapshot(companyId, runId)))) throw noRun(runId);
      if (finished) pending.push(...RunReplay.ofRecord(finished.record).map(formatRunEvent));
      ended = true;
    }
    if (request.method === 'HEAD') return reply.code(200).headers(EVENT_STREAM_HEADERS).send();
    reply.hijack();
    stream = reply.raw;
    // A stream is meant to stay open: the idle timeout of other connections does not apply.
    request.raw.socket.setTimeout(0);
    stream.writeHead(200, EVENT_STREAM_HEADERS);
    stream.write(pending.join(''));
    pending.length = 0;
    if (ended) {
      stream.end();
      return;
    }
    const heartbeat = setInterval(() => stream?.write(': heartbeat\n\n'), hub.heartbeatMs);
    heartbeat.unref();
    const forget = hub.add(stream);
    const stop = (): void => {
      clearInterval(heartbeat);
      live?.stop();
      forget();
    };
    request.raw.on('close', stop);
    stream.on('close', stop);
  });

  app.post('/api/runs/:runId/apply', async (request): Promise<RunApplied> => {
    const companyId = companyOf(request);
    const runId = paramOf(request.params, 'runId');
    const stored = await runs.find(companyId, runId);
    if (!stored) {
      if (await coordinator.snapshot(companyId, runId)) {
        throw new ApiError('conflict', `Run '${runId}' is still running; apply its changes once it has finished`);
      }
      throw noRun(runId);
    }
    const changes = applicableChanges(stored.record);
    const appliedAt = new Date().toISOString();
    // The mark first, so of two applies at once exactly one writes.
    if (stored.appliedAt !== null || !(await runs.markApplied(companyId, runId, appliedAt))) {
      const when = stored.appliedAt ?? (await runs.find(companyId, runId))?.appliedAt;
      throw new ApiError('conflict', `The changes of run '${runId}' were already applied${when ? ` (${when})` : ''}; nothing was written`);
    }
    try {
      await applyChanges(context.store, companyId, changes);
    } catch (error) {
      await runs.markApplied(companyId, runId, null);
      if (error instanceof ChangesConflictError) {
        throw new ApiError('conflict', error.message, { keys: error.moved.map((moved) => describeChangedKey(moved)) });
      }
      throw error;
    }
    return { runId, appliedAt, changes };
  });

  app.post('/api/runs/:runId/cancel', async (request, reply) => {
    const companyId = companyOf(request);
    const runId = paramOf(request.params, 'runId');
    if (await coordinator.cancel(companyId, runId)) return reply.code(202).send({ runId, status: 'cancelling' });
    const stored = await runs.find(companyId, runId);
    if (!stored) throw noRun(runId);
    throw new ApiError('conflict', `Run '${runId}' has already finished (${stored.record.status}); there is nothing to cancel`);
  });
}
