/**
 * Messages between the instances on one database: each instance LISTENs on one channel and
 * NOTIFYs there, on one dedicated connection (so its messages leave, and arrive, in the order
 * it sent them). An instance skips its own messages. The same connection holds a session
 * advisory lock named by the instance, so others can tell whether it is still alive.
 *
 * A lost connection is made again after a pause; messages sent meanwhile are not replayed (the
 * editor re-reads what it shows when its event stream reconnects).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import type { ServerEvent } from '../../../kv/api-schema';
import type { EventRelay } from '../../http/event-bus';

export const NOTIFY_CHANNEL = 'kvb_events';
/** NOTIFY payloads stop at 8000 bytes; senders keep under this. */
export const MAX_PAYLOAD_BYTES = 7500;
const RECONNECT_MS = 1000;
/** Messages sent in one statement (their order kept). */
const SEND_BATCH = 100;

interface Envelope {
  from: string;
  kind: string;
  body: unknown;
}

/** `from` is the sending instance's id. */
export type MessageHandler = (body: unknown, from: string) => void;

export class PostgresNotifier {
  readonly instanceId = randomUUID();
  /** The session advisory lock this instance holds while it is connected (a signed 64-bit id). */
  readonly instanceLock = randomBytes(8).readBigInt64BE(0).toString();
  private client: pg.Client | null = null;
  private connecting: Promise<pg.Client | null> | null = null;
  private readonly handlers = new Map<string, MessageHandler[]>();
  private closed = false;
  private pending: string[] = [];
  private draining: Promise<void> | null = null;

  constructor(
    private readonly config: pg.ClientConfig,
    private readonly onError: (message: string) => void = () => undefined,
  ) {}

  /** Connects and starts listening; resolves once messages are being received. */
  async start(): Promise<void> {
    const client = await this.connect();
    if (!client) throw new Error('the connection for messages between instances could not be made');
  }

  /** Sends `body` to the other instances, after everything sent before it. */
  send(kind: string, body: unknown): void {
    if (this.closed) return;
    this.pending.push(JSON.stringify({ from: this.instanceId, kind, body } satisfies Envelope));
    this.draining ??= this.drain();
  }

  /** Messages sent and not yet gone: a sender of optional messages holds back when it is long. */
  get backlog(): number {
    return this.pending.length;
  }

  /** Sends what is pending, up to SEND_BATCH messages per statement, in order. */
  private async drain(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const batch = this.pending.splice(0, SEND_BATCH);
        const client = await this.connect();
        if (!client) continue;
        await client
          .query('SELECT pg_notify($1, payload) FROM unnest($2::text[]) AS payload', [NOTIFY_CHANNEL, batch])
          .catch((error: unknown) => {
            this.onError(`${batch.length} messages could not be sent to the other instances: ${(error as Error).message}`);
          });
      }
    } finally {
      this.draining = null;
    }
  }

  on(kind: string, handler: MessageHandler): void {
    this.handlers.set(kind, [...(this.handlers.get(kind) ?? []), handler]);
  }

  /** Resolves when the messages already sent have left. */
  async flush(): Promise<void> {
    while (this.draining) await this.draining;
  }

  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
    const client = this.client ?? (await this.connecting?.catch(() => null)) ?? null;
    this.client = null;
    await client?.end().catch(() => undefined);
  }

  private connect(): Promise<pg.Client | null> {
    if (this.client) return Promise.resolve(this.client);
    this.connecting ??= (async () => {
      const client = new pg.Client(this.config);
      client.on('error', (error) => this.lost(client, error));
      client.on('notification', (message) => this.onNotification(message.payload));
      try {
        await client.connect();
        await client.query('SELECT pg_advisory_lock($1)', [this.instanceLock]);
        await client.query(`LISTEN ${NOTIFY_CHANNEL}`);
      } catch (error) {
        this.onError(`cannot listen for the other instances: ${(error as Error).message}`);
        await client.end().catch(() => undefined);
        this.connecting = null;
        return null;
      }
      if (this.closed) {
        await client.end().catch(() => undefined);
        return null;
      }
      client.on('end', () => this.lost(client, null));
      this.client = client;
      this.connecting = null;
      return client;
    })();
    return this.connecting;
  }

  private lost(client: pg.Client, error: Error | null): void {
    if (this.client !== client) return;
    this.client = null;
    if (this.closed) return;
    this.onError(`the connection for messages between instances was lost${error ? ` (${error.message})` : ''}; reconnecting`);
    setTimeout(() => {
      if (!this.closed) void this.connect();
    }, RECONNECT_MS).unref();
  }

  private onNotification(payload: string | undefined): void {
    if (payload === undefined) return;
    let envelope: Envelope;
    try {
      envelope = JSON.parse(payload) as Envelope;
    } catch {
      return;
    }
    if (envelope.from === this.instanceId) return;
    for (const handler of this.handlers.get(envelope.kind) ?? []) {
      try {
        handler(envelope.body, envelope.from);
      } catch (error) {
        this.onError(`a message from another instance failed: ${(error as Error).message}`);
      }
    }
  }
}

/** Server events (`GET /api/events`) to and from the other instances. */
export class PostgresEventRelay implements EventRelay {
  constructor(private readonly notifier: PostgresNotifier) {}

  send(event: ServerEvent): void {
    for (const part of splitEvent(event)) this.notifier.send('event', part);
  }

  receive(deliver: (event: ServerEvent) => void): void {
    this.notifier.on('event', (body) => {
      if (typeof body === 'object' && body !== null) deliver(body as ServerEvent);
    });
  }
}

/** `event` in parts that each fit a NOTIFY payload: a `kv` event's changes are spread over several. */
export function splitEvent(event: ServerEvent): ServerEvent[] {
  if (Buffer.byteLength(JSON.stringify(event)) <= MAX_PAYLOAD_BYTES - 200) return [event];
  if (event.type !== 'kv' || event.data.changes.length <= 1) return [];
  const half = Math.ceil(event.data.changes.length / 2);
  const parts = [event.data.changes.slice(0, half), event.data.changes.slice(half)];
  return parts.flatMap((changes) => splitEvent({ type: 'kv', data: { ...event.data, changes } }));
}
