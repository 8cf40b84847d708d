/**
 * Test support: finds the operation an answer belongs to in the OpenAPI document and checks
 * the answer against it (a documented status, and a body of the documented shape).
 */
import { checkJsonSchema } from './json-schema-check';
import type { RecordedExchange } from './test-support';

type Document = {
  paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: Record<string, unknown> }> }> }>>;
};

function templateMatches(template: string, path: string): boolean {
  const pattern = new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{\w+\}/g, '[^/]+')}$`);
  return pattern.test(path);
}

/** The problems of one answer against the document; empty when it matches. */
export function checkAgainstOpenApi(document: unknown, exchange: RecordedExchange): string[] {
  const doc = document as Document;
  const path = exchange.path.split('?')[0]!;
  const method = exchange.method.toLowerCase();
  // The most specific template first: /api/kv/ops before /api/kv/{id}.
  const template = Object.keys(doc.paths)
    .filter((candidate) => templateMatches(candidate, path) && doc.paths[candidate]![method])
    .sort((a, b) => (a.match(/\{/g)?.length ?? 0) - (b.match(/\{/g)?.length ?? 0))[0];
  const where = `${exchange.method} ${exchange.path} → ${exchange.status}`;
  if (!template) return [`${where}: no operation in the document`];
  const response = doc.paths[template]![method]!.responses[String(exchange.status)];
  if (!response) return [`${where}: status ${exchange.status} is not documented for ${exchange.method} ${template}`];
  const schema = response.content?.['application/json']?.schema;
  if (!schema || !exchange.contentType.includes('application/json')) return [];
  return checkJsonSchema(exchange.body, schema, document).map((problem) => `${where}: ${problem}`);
}
