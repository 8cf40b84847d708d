/**
 * `kvb run --server <url>`: runs a blueprint on a kvb server instead of here. The document is
 * uploaded when the server does not have it (and replaced with `--replace` when the server's
 * differs); the run starts with `wait: false` and its events are printed as they come, read
 * from `GET /api/runs/{runId}/events`. Ctrl+C cancels the run on the server.
 */
import type { BlueprintDocument, RunEvent, RunRecord, StepRecord } from '../engine/types';
import type { JsonValue } from '../kv/types';

export interface RemoteRunOptions {
  server: string;
  token: string | undefined;
  /** Named only on a server without tokens (a token decides its company). */
  companyId: string;
  document: BlueprintDocument;
  /** Where the document came from, for messages. */
  file: string;
  input: JsonValue | undefined;
  sandbox: boolean;
  replace: boolean;
  /** Called with each finished step as it arrives. */
  onStep(step: StepRecord, index: number): void;
  onNote(text: string): void;
}

/** Why the remote run could not happen; `exitCode` as for a local run (2: fix what you gave). */
export class RemoteRunError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2,
  ) {
    super(message);
  }
}

interface Answer {
  status: number;
  body: unknown;
  headers: Headers;
}

/** Keys sorted, so two documents compare by content, not by the order of their fields. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    item !== null && typeof item === 'object' && !Array.isArray(item)
      ? Object.fromEntries(Object.entries(item as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : item,
  );
}

class ServerClient {
  constructor(
    private readonly base: string,
    private readonly token: string | undefined,
    private readonly companyId: string,
  ) {}

  url(path: string): string {
    // Without a token the server acts for the company the request names; with one, for the token's.
    const query = this.token ? '' : `?companyId=${encodeURIComponent(this.companyId)}`;
    return `${this.base.replace(/\/+$/, '')}${path}${query}`;
  }

  headers(extra: Record<string, string> = {}): Record<string, string> {
    return { ...(this.token ? { authorization: `Bearer ${this.token}` } : {}), ...extra };
  }

  async call(method: string, path: string, body?: unknown, extra: Record<string, string> = {}): Promise<Answer> {
    let response: Response;
    try {
      response = await fetch(this.url(path), {
        method,
        headers: this.headers(body === undefined ? extra : { 'content-type': 'application/json', ...extra }),
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (error) {
      throw new RemoteRunError(`Cannot reach the server at ${this.base}: ${(error as Error).cause ?? (error as Error).message}`, 1);
    }
    const text = await response.text();
    let parsed: unknown = null;
    try {
      parsed = text === '' ? null : JSON.parse(text);
    } catch {
      parsed = text;
    }
    return { status: response.status, body: parsed, headers: response.headers };
  }
}

/** The server's `{ error: { code, message } }` as one line, for a refusal at `what`. */
function refusal(what: string, answer: Answer): RemoteRunError {
  const error = (answer.body as { error?: { code?: string; message?: string } } | null)?.error;
  const detail = error?.message ? `${error.message} (${error.code ?? answer.status})` : `HTTP ${answer.status}`;
  return new RemoteRunError(`The server refused ${what}: ${detail}`, answer.status === 422 || answer.status === 400 ? 2 : 1);
}

/** Makes sure the server has `document` as it is in the file; returns what was done, for a note. */
async function ensureUploaded(client: ServerClient, options: RemoteRunOptions): Promise<string | null> {
  const id = options.document.id;
  const path = `/api/blueprints/${encodeURIComponent(id)}`;
  const current = await client.call('GET', path);
  if (current.status === 404) {
    const created = await client.call('POST', '/api/blueprints', options.document);
    if (created.status !== 201) throw refusal(`to store blueprint '${id}'`, created);
    return `uploaded blueprint '${id}' (revision 1)`;
  }
  if (current.status !== 200) throw refusal(`to read blueprint '${id}'`, current);
  if (canonical(current.body) === canonical(options.document)) return null;
  const etag = current.headers.get('etag') ?? '';
  if (!options.replace) {
    throw new RemoteRunError(
      `The server's blueprint '${id}' (revision ${etag.replace(/"/g, '') || '?'}) differs from ${options.file}: ` +
        'pass --replace to save the file as its next revision and run it, or give the file another id',
      2,
    );
  }
  const saved = await client.call('PUT', path, options.document, etag ? { 'if-match': etag } : {});
  if (saved.status !== 200 && saved.status !== 201) throw refusal(`to replace blueprint '${id}'`, saved);
  return `saved ${options.file} as revision ${(saved.headers.get('etag') ?? '').replace(/"/g, '')} of blueprint '${id}'`;
}

/** Reads a server-sent event stream, calling `onEvent` for each event, until it ends. */
async function readEventStream(response: Response, onEvent: (name: string, data: string) => void): Promise<void> {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value.replace(/\r\n/g, '\n');
    let boundary: number;
    while ((boundary = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, boundary);
      buffer = buffer.slice(boundary + 2);
      const name = /^event: ?(.*)$/m.exec(block)?.[1];
      const data = [...block.matchAll(/^data: ?(.*)$/gm)].map((match) => match[1]).join('\n');
      if (name !== undefined && data !== '') onEvent(name, data);
    }
  }
}

/** Runs the blueprint on the server; resolves with the finished record. */
export async function runOnServer(options: RemoteRunOptions, signal: AbortSignal): Promise<RunRecord> {
  const client = new ServerClient(options.server, options.token, options.companyId);
  const note = await ensureUploaded(client, options);
  if (note) options.onNote(note);

  const body = {
    wait: false,
    ...(options.input === undefined ? {} : { input: options.input }),
    ...(options.sandbox ? { sandbox: true } : {}),
  };
  const started = await client.call('POST', `/api/blueprints/${encodeURIComponent(options.document.id)}/runs`, body);
  if (started.status !== 202) throw refusal('to start the run', started);
  const { runId } = started.body as { runId: string };
  const cancel = (): void => {
    options.onNote(`cancelling run ${runId} on the server…`);
    void client.call('POST', `/api/runs/${runId}/cancel`).catch(() => {});
  };
  signal.addEventListener('abort', cancel, { once: true });
  try {
    let finished: RunRecord | null = null;
    let steps = 0;
    try {
      const response = await fetch(client.url(`/api/runs/${runId}/events`), { headers: client.headers({ accept: 'text/event-stream' }) });
      if (response.ok) {
        await readEventStream(response, (name, data) => {
          const event = JSON.parse(data) as RunEvent;
          if (event.type === 'step-finished') options.onStep(event.step, steps++);
          if (event.type === 'run-finished' && name === 'run-finished') finished = event.record;
        });
      }
    } catch {
      // The stream broke: the record is read below instead.
    }
    // A stream cut short (a proxy, a restart): the record is there once the run ends.
    while (!finished) {
      const answer = await client.call('GET', `/api/runs/${runId}`);
      if (answer.status !== 200) throw refusal(`to read run ${runId}`, answer);
      const record = answer.body as RunRecord | { status: 'running' };
      if (record.status !== 'running') finished = record as RunRecord;
      else await new Promise((resolve) => setTimeout(resolve, 250));
    }
    return finished;
  } finally {
    signal.removeEventListener('abort', cancel);
  }
}
