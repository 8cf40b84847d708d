/**
 * Executing runs across the instances on one database. The instance that runs a run keeps it
 * in its own `LocalRunCoordinator` (its slots, its replay) and lists it in `active_runs`; any
 * other instance reaches it through NOTIFY messages (`PostgresNotifier`):
 *   - `run-event`: each event of the run as it happens, while an instance follows it (a step
 *     whose result does not fit a message carries a note of its size instead; the stored record
 *     has it whole). A run faster than the database carries messages (more than
 *     `MAX_BACKLOG` waiting) skips step events for followers elsewhere until it catches up;
 *     they still get `run-finished` with the whole record;
 *   - `run-finished`: the run ended, its record is stored: followers read it from `runs`;
 *   - `replay-request` / `replay`: an instance asks for the events so far (and, to follow, for
 *     the live ones after them, until `unfollow`); the owner answers on the same ordered
 *     connection as its live events, so nothing is doubled;
 *   - `run-cancel`: a cancel asked through another instance.
 * A row whose instance is gone (its session advisory lock is free) is stale and dropped.
 * Slots (`KVB_MAX_RUNS`) count the runs each instance executes.
 */
import { randomUUID } from 'node:crypto';
import type { RunEvent, RunningRecord } from '../../../engine/types';
import { LocalRunCoordinator, RunReplay } from '../run-coordinator';
import type { RunCoordinator, RunFollow, RunHandle, RunStart, RunStore } from '../types';
import type { Query } from './blueprints';
import { MAX_PAYLOAD_BYTES, type PostgresNotifier } from './pg-events';

/** How long a follower elsewhere waits for the owner's replay before reading the stored record. */
const REPLAY_WAIT_MS = 5000;
/** Messages waiting to leave past which live step events are not sent to followers elsewhere. */
const MAX_BACKLOG = 1000;

interface RunRef {
  companyId: string;
  runId: string;
}

interface RemoteFollower {
  listener: (event: RunEvent) => void;
  onEnd: () => void;
  /** Waiting for the replay (live events are in it), then live. */
  live: boolean;
  ended: boolean;
}

interface ReplayRequest {
  companyId: string;
  runId: string;
  requestId: string;
  events: RunEvent[];
  start: RunStart | null;
  done: (events: RunEvent[] | null, start: RunStart | null) => void;
}

const keyOf = (companyId: string, runId: string) => `${companyId}\u0000${runId}`;

export class PostgresRunCoordinator implements RunCoordinator {
  private readonly local = new LocalRunCoordinator();
  private readonly owned = new Map<string, RunStart>();
  private readonly followers = new Map<string, Set<RemoteFollower>>();
  private readonly requests = new Map<string, ReplayRequest>();
  /** The instances following each run this instance owns. */
  private readonly interest = new Map<string, Set<string>>();

  constructor(
    private readonly notifier: PostgresNotifier,
    private readonly query: Query,
    private readonly runs: RunStore,
  ) {
    notifier.on('run-event', (body) => {
      const { companyId, runId, event } = body as RunRef & { event: RunEvent };
      for (const follower of this.followers.get(keyOf(companyId, runId)) ?? []) if (follower.live) tell(follower, event);
    });
    notifier.on('run-finished', (body) => {
      const { companyId, runId } = body as RunRef;
      void this.finishFollowers(companyId, runId);
    });
    notifier.on('run-cancel', (body) => {
      const { companyId, runId } = body as RunRef;
      void this.local.cancel(companyId, runId);
    });
    notifier.on('replay-request', (body, from) => this.answerReplay(body as RunRef & { requestId: string; follow: boolean }, from));
    notifier.on('unfollow', (body, from) => {
      const { companyId, runId } = body as RunRef;
      this.interest.get(keyOf(companyId, runId))?.delete(from);
    });
    notifier.on('replay', (body) => {
      const { requestId, event, start, done } = body as { requestId: string; event?: RunEvent; start?: RunStart; done?: boolean };
      const request = this.requests.get(requestId);
      if (!request) return;
      if (start) request.start = start;
      if (event) request.events.push(event);
      if (done) {
        this.requests.delete(requestId);
        request.done(request.events, request.start);
      }
    });
  }

  async begin(companyId: string, start: RunStart, maxRuns: number, onCancel: () => void): Promise<RunHandle> {
    const handle = await this.local.begin(companyId, start, maxRuns, onCancel);
    const key = keyOf(companyId, start.runId);
    this.owned.set(key, start);
    try {
      await this.query(
        `INSERT INTO active_runs (company_id, run_id, blueprint_id, instance_id, instance_lock, started_at) VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (company_id, run_id) DO UPDATE SET instance_id = excluded.instance_id, instance_lock = excluded.instance_lock`,
        [companyId, start.runId, start.blueprintId, this.notifier.instanceId, this.notifier.instanceLock, start.startedAt],
      );
    } catch (error) {
      this.owned.delete(key);
      await handle.finish({ ...emptyRecord(start) });
      throw error;
    }
    return {
      publish: (event) => {
        handle.publish(event);
        if (event.type === 'run-finished' || !this.interest.get(key)?.size || this.notifier.backlog > MAX_BACKLOG) return;
        this.notifier.send('run-event', { companyId, runId: start.runId, event: fitted(event) });
      },
      finish: async (record) => {
        this.owned.delete(key);
        this.interest.delete(key);
        await handle.finish(record);
        await this.query('DELETE FROM active_runs WHERE company_id = $1 AND run_id = $2', [companyId, start.runId]).catch(() => undefined);
        this.notifier.send('run-finished', { companyId, runId: start.runId });
      },
    };
  }

  async snapshot(companyId: string, runId: string): Promise<RunningRecord | null> {
    const here = await this.local.snapshot(companyId, runId);
    if (here || !(await this.runsElsewhere(companyId, runId))) return here;
    const { events, start } = await this.requestReplay(companyId, runId, false);
    if (!events || !start) return null;
    const replay = new RunReplay(start);
    for (const event of events) replay.add(event);
    return replay.finished ? null : replay.snapshot();
  }

  async follow(companyId: string, runId: string, listener: (event: RunEvent) => void, onEnd: () => void): Promise<RunFollow | null> {
    const here = await this.local.follow(companyId, runId, listener, onEnd);
    if (here || !(await this.runsElsewhere(companyId, runId))) return here;
    const key = keyOf(companyId, runId);
    const follower: RemoteFollower = { listener, onEnd, live: false, ended: false };
    const set = this.followers.get(key) ?? new Set();
    set.add(follower);
    this.followers.set(key, set);
    void this.requestReplay(companyId, runId, true).then(async ({ events }) => {
      if (follower.ended) return;
      if (events) {
        for (const event of events) tell(follower, event);
        follower.live = true;
        if (events.some((event) => event.type === 'run-finished')) this.end(key, follower);
        return;
      }
      // No answer: the run ended meanwhile (or its instance stopped): the stored record, if any.
      await this.replayStored(companyId, runId, follower);
      this.end(key, follower);
    });
    return { stop: () => this.end(key, follower, false) };
  }

  async cancel(companyId: string, runId: string): Promise<boolean> {
    if (await this.local.cancel(companyId, runId)) return true;
    if (!(await this.runsElsewhere(companyId, runId))) return false;
    this.notifier.send('run-cancel', { companyId, runId });
    return true;
  }

  /** True when another live instance executes the run; drops the row of an instance that is gone. */
  private async runsElsewhere(companyId: string, runId: string): Promise<boolean> {
    const { rows } = await this.query<{ instance_id: string; instance_lock: string }>(
      'SELECT instance_id, instance_lock FROM active_runs WHERE company_id = $1 AND run_id = $2',
      [companyId, runId],
    );
    const row = rows[0];
    if (!row) return false;
    if (row.instance_id !== this.notifier.instanceId) {
      // The owner holds its lock while connected: getting it means the owner is gone.
      const { rows: probe } = await this.query<{ free: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS free', [row.instance_lock]);
      if (!probe[0]?.free) return true;
    } else if (this.owned.has(keyOf(companyId, runId))) {
      return false;
    }
    await this.query('DELETE FROM active_runs WHERE company_id = $1 AND run_id = $2 AND instance_id = $3', [
      companyId,
      runId,
      row.instance_id,
    ]);
    return false;
  }

  /** Asks the owner for the run's events so far (and the live ones after, to `follow`); nulls when it does not answer in time. */
  private requestReplay(companyId: string, runId: string, follow: boolean): Promise<{ events: RunEvent[] | null; start: RunStart | null }> {
    const requestId = randomUUID();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.requests.delete(requestId);
        resolve({ events: null, start: null });
      }, REPLAY_WAIT_MS);
      this.requests.set(requestId, {
        companyId,
        runId,
        requestId,
        events: [],
        start: null,
        done: (events, start) => {
          clearTimeout(timer);
          resolve({ events, start });
        },
      });
      this.notifier.send('replay-request', { companyId, runId, requestId, follow });
    });
  }

  /** The owner's side: the replay, on the connection its live events take after it. */
  private answerReplay({ companyId, runId, requestId, follow }: RunRef & { requestId: string; follow: boolean }, from: string): void {
    const key = keyOf(companyId, runId);
    const start = this.owned.get(key);
    if (!start) return;
    if (follow) this.interest.set(key, new Set([...(this.interest.get(key) ?? []), from]));
    // A local follow hands over the replay synchronously; it is sent in the same turn, so it
    // leaves before any live event published after it, and the follow is stopped right after.
    const events: RunEvent[] = [];
    let collecting = true;
    const local = this.local.follow(
      companyId,
      runId,
      (event) => {
        if (collecting) events.push(event);
      },
      () => undefined,
    );
    collecting = false;
    this.notifier.send('replay', { requestId, start });
    for (const event of events) this.notifier.send('replay', { requestId, event: fitted(event) });
    this.notifier.send('replay', { requestId, done: true });
    void local.then((following) => following?.stop());
  }

  private async finishFollowers(companyId: string, runId: string): Promise<void> {
    const key = keyOf(companyId, runId);
    const set = this.followers.get(key);
    if (!set || set.size === 0) return;
    const stored = await this.runs.find(companyId, runId).catch(() => null);
    for (const follower of [...set]) {
      if (follower.ended) continue;
      if (!stored) this.end(key, follower);
      else if (follower.live) {
        tell(follower, { type: 'run-finished', runId, record: stored.record });
        this.end(key, follower);
      } else {
        for (const event of RunReplay.ofRecord(stored.record)) tell(follower, event);
        this.end(key, follower);
      }
    }
  }

  private async replayStored(companyId: string, runId: string, follower: RemoteFollower): Promise<void> {
    const stored = await this.runs.find(companyId, runId).catch(() => null);
    if (stored && !follower.ended) for (const event of RunReplay.ofRecord(stored.record)) tell(follower, event);
  }

  private end(key: string, follower: RemoteFollower, notify = true): void {
    if (follower.ended) return;
    follower.ended = true;
    const set = this.followers.get(key);
    set?.delete(follower);
    if (set?.size === 0) {
      this.followers.delete(key);
      const [companyId, runId] = key.split('\u0000') as [string, string];
      this.notifier.send('unfollow', { companyId, runId });
    }
    if (notify) follower.onEnd();
  }
}

function tell(follower: RemoteFollower, event: RunEvent): void {
  try {
    follower.listener(event);
  } catch {
    /* the follower's stream is gone; its close handler stops it */
  }
}

/** `event` small enough for one message: a step's result, then its reads and writes, give way to a note. */
export function fitted(event: RunEvent): RunEvent {
  const limit = MAX_PAYLOAD_BYTES - 500;
  const size = Buffer.byteLength(JSON.stringify(event));
  if (size <= limit || event.type !== 'step-finished') return event;
  const note = `[${size} bytes left out between instances: the stored run record has the whole step]`;
  const step = { ...event.step, result: note };
  const smaller: RunEvent = { ...event, step };
  if (Buffer.byteLength(JSON.stringify(smaller)) <= limit) return smaller;
  return { ...event, step: { ...step, reads: [], writes: [], logs: [] } };
}

function emptyRecord(start: RunStart) {
  return {
    runId: start.runId,
    blueprintId: start.blueprintId,
    status: 'failed' as const,
    startedAt: start.startedAt,
    finishedAt: start.startedAt,
    input: start.input,
    steps: [],
    outputs: [],
    state: {},
    error: null,
  };
}
