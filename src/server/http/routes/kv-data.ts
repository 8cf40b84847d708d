/**
 * The stored-data tools of docs/data-tools.md: a key's history and restore, recently deleted
 * keys, and NDJSON export and import. Each is one store op (or a paged series of them), so it
 * works on every backend that keeps history, with the store's error codes.
 */
import { Readable } from 'node:stream';
import type { FastifyError, FastifyInstance } from 'fastify';
import {
  IMPORT_BODY_LIMIT_BYTES,
  NDJSON_CONTENT_TYPE,
  kvDeletedQuerySchema,
  kvExportQuerySchema,
  kvHistoryQuerySchema,
  kvImportQuerySchema,
  kvRestoreRequestSchema,
  type KvDeletedResponse,
  type KvHistoryResponse,
  type KvImportResponse,
  type KvRestoreResponse,
} from '../../../kv/api-schema';
import { isKvError, KvError } from '../../../kv/errors';
import { applyImport, exportPages, ImportLineError, ndjsonLine, parseImport, type ExportPage } from '../../../kv/transfer';
import type { KeyValueStore, KvOp, KvOpResult } from '../../../kv/types';
import { ApiError } from '../api-error';
import type { ApiContext } from '../app';
import { parseBody, parseQuery } from './parse';

/** Codes that say the store failed, not the line: they keep their own status. */
const STORE_FAILURES: ReadonlySet<string> = new Set(['store', 'integrity', 'quota']);

async function runOne<R extends KvOpResult>(store: KeyValueStore, companyId: string, op: KvOp): Promise<R> {
  try {
    const [result] = await store.batch(companyId, [op]);
    return result as R;
  } catch (error) {
    // opIndex 0 of a batch the caller never sent means nothing to them.
    if (isKvError(error) && error.opIndex !== undefined) throw new KvError(error.code, error.message);
    throw error;
  }
}

export function registerKvDataRoutes(app: FastifyInstance, context: ApiContext): void {
  const { store } = context;

  app.get('/api/kv/history', async (request): Promise<KvHistoryResponse> => {
    const query = parseQuery(kvHistoryQuerySchema, request.query);
    const companyId = context.companyFor(request, query.companyId);
    const result = await runOne<Extract<KvOpResult, { op: 'history' }>>(store, companyId, {
      op: 'history',
      scope: query.scope,
      scopeKey: query.scopeKey,
      key: query.key,
    });
    return { versions: result.versions };
  });

  app.post('/api/kv/restore', async (request): Promise<KvRestoreResponse> => {
    const body = parseBody(kvRestoreRequestSchema, request.body);
    const companyId = context.companyFor(request, body.companyId);
    const result = await runOne<Extract<KvOpResult, { op: 'restore' }>>(store, companyId, {
      op: 'restore',
      scope: body.scope,
      scopeKey: body.scopeKey,
      key: body.key,
      version: body.version,
    });
    return { entry: result.entry, created: result.created };
  });

  app.get('/api/kv/deleted', async (request): Promise<KvDeletedResponse> => {
    const query = parseQuery(kvDeletedQuerySchema, request.query);
    const companyId = context.companyFor(request, query.companyId);
    const result = await runOne<Extract<KvOpResult, { op: 'deleted' }>>(store, companyId, {
      op: 'deleted',
      scope: query.scope,
      scopeKey: query.scopeKey,
      prefix: query.prefix,
      limit: query.limit,
    });
    return { keys: result.keys };
  });

  app.get('/api/kv/export', async (request, reply) => {
    const query = parseQuery(kvExportQuerySchema, request.query);
    const companyId = context.companyFor(request, query.companyId);
    const pages = exportPages(store, companyId, { scope: query.scope, scopeKey: query.scopeKey }, query.prefix ?? '');
    const logDamaged = (page: ExportPage) => {
      if (page.damagedKeys.length > 0)
        request.log.warn({ keys: page.damagedKeys }, 'export skipped stored values that failed to decrypt (damaged or tampered)');
    };
    // The first page is read before answering, so a bad scope or a store failure is a plain error.
    let first: IteratorResult<ExportPage>;
    try {
      first = await pages.next();
    } catch (error) {
      if (isKvError(error) && error.opIndex !== undefined) throw new KvError(error.code, error.message);
      throw error;
    }
    async function* lines(): AsyncGenerator<string> {
      if (first.done) return;
      logDamaged(first.value);
      yield first.value.lines.map(ndjsonLine).join('');
      for await (const page of pages) {
        logDamaged(page);
        yield page.lines.map(ndjsonLine).join('');
      }
    }
    const stream = Readable.from(lines());
    // A failure after the first page can only cut the stream short (the status is sent): logged.
    stream.on('error', (error) => request.log.warn({ code: isKvError(error) ? error.code : 'internal' }, 'export stopped early'));
    const name = `kv-${query.scope}${query.scopeKey && query.scope !== 'global' ? `-${query.scopeKey}` : ''}.ndjson`;
    return reply
      .type(`${NDJSON_CONTENT_TYPE}; charset=utf-8`)
      .header('content-disposition', `attachment; filename="${name.replace(/[^A-Za-z0-9._-]/g, '_')}"`)
      .send(stream);
  });

  // NDJSON bodies: read as text here and parsed line by line by the route (each line's problem named).
  app.addContentTypeParser(NDJSON_CONTENT_TYPE, { parseAs: 'string', bodyLimit: IMPORT_BODY_LIMIT_BYTES }, (_request, body, done) => {
    done(null, body);
  });

  app.post(
    '/api/kv/import',
    {
      bodyLimit: IMPORT_BODY_LIMIT_BYTES,
      // Said here, with this route's limit: the app's handler words the 2 MiB limit of other routes.
      errorHandler: (error: FastifyError, _request, reply) => {
        if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
          throw new ApiError(
            'too_large',
            `An import body is at most ${IMPORT_BODY_LIMIT_BYTES / (1024 * 1024)} MiB: split the file and import the parts`,
          );
        }
        if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
          throw new ApiError('invalid_request', `The body must be NDJSON, one entry a line: send Content-Type: ${NDJSON_CONTENT_TYPE}`);
        }
        void reply;
        throw error;
      },
    },
    async (request): Promise<KvImportResponse> => {
      const query = parseQuery(kvImportQuerySchema, request.query);
      const companyId = context.companyFor(request, query.companyId);
      if (typeof request.body !== 'string') {
        throw new ApiError('invalid_request', `The body must be NDJSON, one entry a line: send Content-Type: ${NDJSON_CONTENT_TYPE}`);
      }
      try {
        return await applyImport(store, companyId, parseImport(request.body), query.mode ?? 'upsert');
      } catch (error) {
        // A line that cannot be taken is unprocessable content, whatever its code's usual status.
        if (error instanceof ImportLineError && !STORE_FAILURES.has(error.code)) throw new ApiError(error.code, error.message, {}, true);
        throw error;
      }
    },
  );
}
