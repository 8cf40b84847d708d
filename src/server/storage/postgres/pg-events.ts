/**
 * Server events between instances: each instance LISTENs on one channel of the database and
 * NOTIFYs there what it publishes, on one dedicated connection (so its events leave in order).
 * An instance skips its own notifications (they carry its id): its listeners already had them.
 * A lost connection is made again after a pause; events sent meanwhile are not replayed (the
 * editor re-reads what it shows when its event stream reconnects).
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { ServerEvent } from '../../../kv/api-schema';
import type { EventRelay } from '../../http/event-bus';

export const EVENT_CHANNEL = 'kvb_events';
/** NOTIFY payloads stop at 8000 bytes; a larger `kv` event is split into several by its changes. */
const MAX_PAYLOAD_BYTES = 7500;
const RECONNECT_MS = 1000;

interface Envelope {
  from: string;
  event: ServerEvent;
}

export class PostgresEventRelay implements EventRelay {
  readonly instanceId = randomUUID();
  private client: pg.Client | null = null;
  private connecting: Promise<pg.Client | null> | null = null;
  private readonly receivers: Array<(event: ServerEvent) => void> = [];
  private closed = false;
  private sending: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly config: pg.ClientConfig,
    private readonly onError: (message: string) => void = () => undefined,
  ) {}

  /** Connects and starts listening; resolves once notifications are being received. */
  async start(): Promise<void> {
    const client = await this.connect();
    if (!client) throw new Error('the event connection could not be made');
  }

  send(event: ServerEvent): void {
    if (this.closed) return;
    const payloads = splitEvent(event).map((part) => JSON.stringify({ from: this.instanceId, event: part } satisfies Envelope));
    this.sending = this.sending.then(async () => {
      const client = await this.connect();
      if (!client) return;
      for (const payload of payloads) {
        await client.query('SELECT pg_notify($1, $2)', [EVENT_CHANNEL, payload]).catch((error: unknown) => {
          this.onError(`an event could not be sent to the other instances: ${(error as Error).message}`);
        });
      }
    });
  }

  receive(deliver: (event: ServerEvent) => void): void {
    this.receivers.push(deliver);
  }

  /** Resolves when the events already sent have left. */
  async flush(): Promise<void> {
    await this.sending;
  }

  async close(): Promise<void> {
    await this.sending;
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
        await client.query(`LISTEN ${EVENT_CHANNEL}`);
      } catch (error) {
        this.onError(`cannot listen for other instances' events: ${(error as Error).message}`);
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
    this.onError(`the event connection was lost${error ? ` (${error.message})` : ''}; reconnecting`);
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
    if (envelope.from === this.instanceId || typeof envelope.event !== 'object' || envelope.event === null) return;
    for (const deliver of this.receivers) deliver(envelope.event);
  }
}

/** `event` in parts that each fit a NOTIFY payload: a `kv` event's changes are spread over several. */
export function splitEvent(event: ServerEvent): ServerEvent[] {
  if (Buffer.byteLength(JSON.stringify(event)) <= MAX_PAYLOAD_BYTES) return [event];
  if (event.type !== 'kv' || event.data.changes.length <= 1) return [];
  const half = Math.ceil(event.data.changes.length / 2);
  const parts = [event.data.changes.slice(0, half), event.data.changes.slice(half)];
  return parts.flatMap((changes) => splitEvent({ type: 'kv', data: { ...event.data, changes } }));
}
