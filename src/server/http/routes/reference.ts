/** `GET /api/openapi.json` and `GET /api/docs`: the API's contract, served without a token (it holds no data). */
import type { FastifyInstance } from 'fastify';
import { openApiDocument } from '../openapi';
import { renderApiReference } from '../openapi-page';

/** The page has no script and loads nothing: its own styles only. */
const PAGE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

export function registerReferenceRoutes(app: FastifyInstance): void {
  let page: string | null = null;
  app.get('/api/openapi.json', { config: { public: true } }, async (_request, reply) =>
    reply.type('application/json; charset=utf-8').send(openApiDocument()),
  );
  app.get('/api/docs', { config: { public: true } }, async (_request, reply) => {
    page ??= renderApiReference(openApiDocument());
    return reply.type('text/html; charset=utf-8').header('content-security-policy', PAGE_POLICY).send(page);
  });
}
