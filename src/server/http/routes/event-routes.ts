/**
 * `GET /api/events`: server-sent events of the caller's company only — `kv` when keys change,
 * `run` when a server-side run finishes, `blueprint` when one is saved or deleted. A comment
 * line every `heartbeatMs` keeps proxies from closing an idle stream.
 */
import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { companyQuerySchema, type ServerEvent } from '../../../kv/api-schema';
import type { ApiContext } from '../app';
import { parseQuery } from './parse';

export const DEFAULT_HEARTBEAT_MS = 15_000;

/** The open event streams, so a shutdown can end them (they would otherwise hold it open). */
export class SseHub {
  private readonly streams = new Set<ServerResponse>();

  constructor(readonly heartbeatMs: number = DEFAULT_HEARTBEAT_MS) {}

  add(stream: ServerResponse): () => void {
    this.streams.add(stream);
    return () => this.streams.delete(stream);
  }

  get size(): number {
    return this.streams.size;
  }

  closeAll(): void {
    for (const stream of this.streams) stream.end();
    this.streams.clear();
  }
}

export const EVENT_STREAM_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  connection: 'keep-alive',
  'x-accel-buffering': 'no',
};

export function formatServerEvent(event: ServerEvent): string {
  return `event: ${event.type}\ndata: ${JSON.stringify(event.data)}\n\n`;
}

export function registerEventRoutes(app: FastifyInstance, context: ApiContext, hub: SseHub): void {
  app.get('/api/events', async (request, reply) => {
    const companyId = context.companyFor(request, parseQuery(companyQuerySchema, request.query).companyId);
    // HEAD (which Fastify routes here too) gets the stream's headers and no stream.
    if (request.method === 'HEAD') return reply.code(200).headers(EVENT_STREAM_HEADERS).send();
    reply.hijack();
    const stream = reply.raw;
    // A stream is meant to stay open: the idle timeout of other connections does not apply.
    request.raw.socket.setTimeout(0);
    stream.writeHead(200, EVENT_STREAM_HEADERS);
    stream.write(`retry: 3000\nevent: ready\ndata: ${JSON.stringify({ companyId })}\n\n`);
    const unsubscribe = context.bus.subscribe(companyId, (event) => {
      stream.write(formatServerEvent(event));
    });
    const heartbeat = setInterval(() => stream.write(': heartbeat\n\n'), hub.heartbeatMs);
    heartbeat.unref();
    const forget = hub.add(stream);
    const stop = () => {
      clearInterval(heartbeat);
      unsubscribe();
      forget();
    };
    request.raw.on('close', stop);
    stream.on('close', stop);
  });
}
