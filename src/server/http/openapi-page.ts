/**
 * `GET /api/docs`: the API reference as one self-contained HTML page (no script, no remote
 * file), rendered from the OpenAPI document so the two never disagree.
 */
type JsonSchema = Record<string, unknown>;

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** `code` spans for the `backticks` of a description. */
const prose = (text: string): string => escapeHtml(text).replace(/`([^`]+)`/g, '<code>$1</code>');

const refName = (ref: string): string => ref.split('/').at(-1) ?? ref;

/** A schema in a few words: `string`, `Entry[]`, `"a" | "b"`, `integer ≥ 1`. */
function typeOf(schema: JsonSchema | undefined): string {
  if (!schema || Object.keys(schema).length === 0) return 'any JSON';
  if (typeof schema.$ref === 'string') {
    const name = refName(schema.$ref);
    return `<a href="#schema-${name}">${name}</a>`;
  }
  if (schema.const !== undefined) return escapeHtml(JSON.stringify(schema.const));
  if (Array.isArray(schema.enum)) return schema.enum.map((value) => escapeHtml(JSON.stringify(value))).join(' | ');
  const union = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined;
  if (Array.isArray(union)) return union.map((part) => typeOf(part)).join(' | ');
  const type = Array.isArray(schema.type) ? (schema.type as string[]).join(' | ') : String(schema.type ?? 'any JSON');
  if (type === 'array') return `${typeOf(schema.items as JsonSchema | undefined)}[]`;
  if (type === 'object' && schema.properties === undefined && schema.additionalProperties) {
    return `{ [key]: ${typeOf(schema.additionalProperties as JsonSchema)} }`;
  }
  const bounds = [
    typeof schema.minimum === 'number' && schema.minimum > Number.MIN_SAFE_INTEGER ? `≥ ${schema.minimum}` : '',
    typeof schema.maximum === 'number' && schema.maximum < Number.MAX_SAFE_INTEGER ? `≤ ${schema.maximum}` : '',
  ].filter(Boolean);
  return escapeHtml([type, ...bounds].join(' '));
}

function fieldsTable(schema: JsonSchema): string {
  const properties = schema.properties as Record<string, JsonSchema> | undefined;
  if (!properties) return `<p class="type">${typeOf(schema)}</p>`;
  const required = new Set((schema.required as string[] | undefined) ?? []);
  const rows = Object.entries(properties)
    .map(
      ([name, property]) =>
        `<tr><td><code>${escapeHtml(name)}</code>${required.has(name) ? '' : ' <span class="opt">optional</span>'}</td><td>${typeOf(property)}</td><td>${prose(String(property.description ?? ''))}</td></tr>`,
    )
    .join('');
  return `<table><thead><tr><th>field</th><th>type</th><th></th></tr></thead><tbody>${rows}</tbody></table>`;
}

function operationHtml(method: string, path: string, operation: JsonSchema): string {
  const parameters = (operation.parameters as JsonSchema[]) ?? [];
  const parameterRows = parameters
    .map(
      (parameter) =>
        `<tr><td><code>${escapeHtml(String(parameter.name))}</code> <span class="opt">${escapeHtml(String(parameter.in))}${parameter.required ? '' : ', optional'}</span></td><td>${typeOf(parameter.schema as JsonSchema)}</td><td>${prose(String(parameter.description ?? ''))}</td></tr>`,
    )
    .join('');
  const body = (operation.requestBody as { content: Record<string, { schema: JsonSchema }> } | undefined)?.content['application/json']
    ?.schema;
  const responses = Object.entries(operation.responses as Record<string, JsonSchema>)
    .map(([status, response]) => {
      const content = response.content as Record<string, { schema: JsonSchema }> | undefined;
      const json = content?.['application/json']?.schema;
      const shape = json ? ` — ${typeOf(json)}` : content?.['text/event-stream'] ? ' — <code>text/event-stream</code>' : '';
      return `<li><b>${escapeHtml(status)}</b> ${prose(String(response.description))}${shape}</li>`;
    })
    .join('');
  const id = `${method}-${path}`.replace(/[^A-Za-z0-9]+/g, '-');
  return `<section class="op" id="${id}">
<h3><span class="method ${method}">${method.toUpperCase()}</span> <code>${escapeHtml(path)}</code></h3>
<p>${prose(String(operation.summary ?? ''))}${operation.security && (operation.security as unknown[]).length === 0 ? ' <span class="opt">no token needed</span>' : ''}</p>
${operation.description ? `<p>${prose(String(operation.description))}</p>` : ''}
${parameterRows ? `<h4>Parameters</h4><table><tbody>${parameterRows}</tbody></table>` : ''}
${body ? `<h4>Body</h4><p>${typeOf(body)}</p>` : ''}
<h4>Answers</h4><ul>${responses}</ul>
</section>`;
}

export function renderApiReference(document: JsonSchema): string {
  const info = document.info as { title: string; description: string };
  const paths = document.paths as Record<string, Record<string, JsonSchema>>;
  const byTag = new Map<string, string[]>();
  const index: string[] = [];
  for (const [path, operations] of Object.entries(paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      const tag = (operation.tags as string[])[0] ?? 'Other';
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag)!.push(operationHtml(method, path, operation));
      index.push(
        `<li><a href="#${`${method}-${path}`.replace(/[^A-Za-z0-9]+/g, '-')}"><span class="method ${method}">${method.toUpperCase()}</span> ${escapeHtml(path)}</a></li>`,
      );
    }
  }
  const schemas = (document.components as { schemas: Record<string, JsonSchema> }).schemas;
  const schemaSections = Object.entries(schemas)
    .map(
      ([name, schema]) =>
        `<section id="schema-${name}"><h3>${name}</h3>${schema.description ? `<p>${prose(String(schema.description))}</p>` : ''}${fieldsTable(schema)}</section>`,
    )
    .join('');
  const tagSections = [...byTag].map(([tag, operations]) => `<h2>${escapeHtml(tag)}</h2>${operations.join('')}`).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(info.title)}</title>
<style>
body { font: 15px/1.5 system-ui, sans-serif; color: #1d2330; margin: 0; display: grid; grid-template-columns: 19rem 1fr; }
nav { position: sticky; top: 0; height: 100vh; overflow: auto; background: #f3f5f9; padding: 1rem; box-sizing: border-box; font-size: 13px; }
nav ul { list-style: none; padding: 0; margin: 0; } nav li { margin: 0.2rem 0; } nav a { color: inherit; text-decoration: none; }
main { padding: 1rem 2rem 4rem; max-width: 60rem; }
h2 { border-bottom: 2px solid #d5dae4; margin-top: 2.5rem; }
.op { border: 1px solid #d5dae4; border-radius: 6px; padding: 0 1rem 0.5rem; margin: 1rem 0; }
.method { display: inline-block; min-width: 3.6rem; text-align: center; border-radius: 4px; font: 600 12px/1.8 ui-monospace, monospace; color: #fff; background: #4a5568; }
.method.get { background: #1f6f43; } .method.post { background: #1d4f91; } .method.put { background: #7a4d00; } .method.delete { background: #a12a2a; }
code { font: 13px ui-monospace, monospace; background: #eef1f6; padding: 0 0.25rem; border-radius: 3px; }
table { border-collapse: collapse; width: 100%; font-size: 14px; } td, th { text-align: left; border-top: 1px solid #e2e6ee; padding: 0.3rem 0.5rem; vertical-align: top; }
.opt { color: #5a6475; font-size: 12px; } a { color: #1d4f91; }
</style></head>
<body><nav><b>${escapeHtml(info.title)}</b><p><a href="/api/openapi.json">openapi.json</a></p><ul>${index.join('')}</ul><p><a href="#schemas">Schemas</a></p></nav>
<main><h1>${escapeHtml(info.title)}</h1><p>${prose(info.description)}</p>${tagSections}<h2 id="schemas">Schemas</h2>${schemaSections}</main></body></html>`;
}
