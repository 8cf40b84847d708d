/**
 * What the conformance page (`conformance.html`) exposes on `window`, shared by the page and
 * by the Playwright spec that drives it (e2e/browser-store.spec.ts).
 */
import type { JsonValue } from '../kv/types';

export interface ConformanceCaseResult {
  name: string;
  ok: boolean;
  /** `<code>: <message>` of the failure, when the case failed. */
  error?: string;
  durationMs: number;
}

export interface ConformancePageReport {
  /** True once every case has run (or the store could not even be opened). */
  done: boolean;
  /** The IndexedDB database this run used (fresh per page load). */
  dbName: string;
  results: ConformanceCaseResult[];
  /** Set when the suite could not run at all. */
  fatal?: string;
}

/** The two-tab test's handle on one shared store (`?mode=tabs&db=<name>`). */
export interface TwoTabApi {
  ready: boolean;
  /** Fires `times` single-op increments at once (after `startAt`, epoch ms); returns each new value. */
  increment(key: string, times: number, startAt?: number): Promise<number[]>;
  /** Appends every item at once (after `startAt`, epoch ms), each as its own batch. */
  append(key: string, items: string[], startAt?: number): Promise<void>;
  get(key: string): Promise<JsonValue | null>;
}

declare global {
  interface Window {
    __conformance?: ConformancePageReport;
    __kvb?: TwoTabApi;
  }
}
