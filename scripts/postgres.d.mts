export interface TestPostgres {
  /** Database `postgres` as user `postgres` on 127.0.0.1 (trust authentication). */
  url: string;
  port: number;
  pid: number;
  dir: string;
  /** Ends the server by PID and removes its directory. */
  stop(): Promise<void>;
}
export function findPostgresBin(): string | null;
export function ensurePostgres(): string;
export function startPostgres(options?: { durable?: boolean }): Promise<TestPostgres>;
