/**
 * The conformance page: runs every case of the shared store suite against a real browser's
 * IndexedDB and WebCrypto, and publishes the results on `window.__conformance` for Playwright.
 * With `?mode=tabs&db=<name>` it instead exposes `window.__kvb`, a handle on one shared store
 * that two tabs hammer at the same time.
 */
import { conformanceCases, freshCompanyId } from '../kv/conformance';
import { isKvError } from '../kv/errors';
import { IndexedDbStore } from '../kv/indexeddb';
import type { KvOpResult } from '../kv/types';
import type { ConformanceCaseResult, ConformancePageReport, TwoTabApi } from './api';

const TWO_TAB_COMPANY = 'two-tabs';

function describeError(error: unknown): string {
  if (isKvError(error)) return `${error.code}: ${error.message}`;
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

function setStatus(text: string): void {
  const status = document.getElementById('status');
  if (status) status.textContent = text;
}

function showResult(result: ConformanceCaseResult): void {
  const item = document.createElement('li');
  item.textContent = result.ok ? `✓ ${result.name}` : `✗ ${result.name} — ${result.error ?? ''}`;
  item.dataset.ok = String(result.ok);
  document.getElementById('results')?.append(item);
}

async function runConformance(): Promise<void> {
  const report: ConformancePageReport = { done: false, dbName: `kvb-conformance-${crypto.randomUUID()}`, results: [] };
  window.__conformance = report;
  let store: IndexedDbStore;
  try {
    store = await IndexedDbStore.open({ dbName: report.dbName });
  } catch (error) {
    report.fatal = `Cannot open the IndexedDB store: ${describeError(error)}`;
    report.done = true;
    setStatus(report.fatal);
    return;
  }
  // One store for every case, each in a fresh company, as conformance-vitest.ts does.
  for (const [index, conformanceCase] of conformanceCases.entries()) {
    setStatus(`Running ${index + 1} of ${conformanceCases.length}: ${conformanceCase.name}`);
    const started = performance.now();
    let result: ConformanceCaseResult;
    try {
      await conformanceCase.run({ store, companyId: freshCompanyId() });
      result = { name: conformanceCase.name, ok: true, durationMs: performance.now() - started };
    } catch (error) {
      result = { name: conformanceCase.name, ok: false, error: describeError(error), durationMs: performance.now() - started };
    }
    report.results.push(result);
    showResult(result);
  }
  await store.close();
  indexedDB.deleteDatabase(report.dbName);
  const failed = report.results.filter((r) => !r.ok).length;
  setStatus(failed === 0 ? `All ${report.results.length} cases passed` : `${failed} of ${report.results.length} cases failed`);
  report.done = true;
}

function waitUntil(startAt: number | undefined): Promise<void> {
  const delay = startAt === undefined ? 0 : startAt - Date.now();
  return delay > 0 ? new Promise((resolve) => setTimeout(resolve, delay)) : Promise.resolve();
}

function newValueOf(result: KvOpResult | undefined): unknown {
  return result && 'entry' in result ? result.entry?.value : undefined;
}

async function exposeTwoTabApi(dbName: string): Promise<void> {
  const store = await IndexedDbStore.open({ dbName });
  const api: TwoTabApi = {
    ready: true,
    async increment(key, times, startAt) {
      await waitUntil(startAt);
      const results = await Promise.all(
        Array.from({ length: times }, () => store.batch(TWO_TAB_COMPANY, [{ op: 'increment', key, scope: 'global' }])),
      );
      return results.map(([result]) => Number(newValueOf(result)));
    },
    async append(key, items, startAt) {
      await waitUntil(startAt);
      await Promise.all(
        items.map((item) => store.batch(TWO_TAB_COMPANY, [{ op: 'append', key, value: item, valueType: 'json', scope: 'global' }])),
      );
    },
    async get(key) {
      const [result] = await store.batch(TWO_TAB_COMPANY, [{ op: 'get', key, scope: 'global' }]);
      return result?.op === 'get' && result.entry ? result.entry.value : null;
    },
  };
  window.__kvb = api;
  setStatus(`Two-tab mode on database '${dbName}'`);
}

const params = new URLSearchParams(location.search);
if (params.get('mode') === 'tabs') {
  exposeTwoTabApi(params.get('db') ?? 'kvb-two-tabs').catch((error: unknown) =>
    setStatus(`Cannot open the store: ${describeError(error)}`),
  );
} else {
  void runConformance();
}
