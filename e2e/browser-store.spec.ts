/**
 * The IndexedDB store in real Chromium: the shared conformance suite (one test per case, run
 * once in conformance.html), and atomicity across two tabs of one browser.
 */
import { expect, test, type Page } from '@playwright/test';
import type { ConformancePageReport } from '../src/conformance-page/api';
import { conformanceCases } from '../src/kv/conformance';

test.describe('browser store conformance (IndexedDB in Chromium)', () => {
  test.describe.configure({ mode: 'serial' });
  let report: ConformancePageReport | undefined;

  test.beforeAll(async ({ browser }, testInfo) => {
    testInfo.setTimeout(180_000);
    const context = await browser.newContext({ baseURL: testInfo.project.use.baseURL });
    const page = await context.newPage();
    await page.goto('/conformance.html');
    await page.waitForFunction(() => window.__conformance?.done === true, null, { timeout: 170_000 });
    report = await page.evaluate(() => window.__conformance);
    await context.close();
  });

  test('the page ran the whole suite', () => {
    expect(report?.fatal).toBeUndefined();
    expect(report?.results.map((r) => r.name)).toEqual(conformanceCases.map((c) => c.name));
  });

  for (const { name } of conformanceCases) {
    test(name, () => {
      const result = report?.results.find((r) => r.name === name);
      expect(result, `case "${name}" did not run in the page`).toBeDefined();
      expect(result?.error).toBeUndefined();
      expect(result?.ok).toBe(true);
    });
  }
});

test.describe('browser store across two tabs', () => {
  async function openTabs(pages: Page[], dbName: string): Promise<void> {
    await Promise.all(
      pages.map(async (page) => {
        await page.goto(`/conformance.html?mode=tabs&db=${encodeURIComponent(dbName)}`);
        await page.waitForFunction(() => window.__kvb?.ready === true);
      }),
    );
  }

  test('two tabs each doing 100 concurrent increments on one key give exactly 200', async ({ context }) => {
    const tabs = [await context.newPage(), await context.newPage()];
    await openTabs(tabs, `kvb-two-tabs-increment-${Date.now()}`);
    const startAt = Date.now() + 500;
    const perTab = await Promise.all(tabs.map((tab) => tab.evaluate((at) => window.__kvb!.increment('counter', 100, at), startAt)));

    expect(await tabs[1]!.evaluate(() => window.__kvb!.get('counter'))).toBe(200);
    // Atomic means each increment saw a different value: together they are 1..200, once each.
    const allValues = perTab.flat().sort((a, b) => a - b);
    expect(allValues).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
  });

  test('two tabs each doing 50 concurrent appends to one key keep all 100 items', async ({ context }) => {
    const tabs = [await context.newPage(), await context.newPage()];
    await openTabs(tabs, `kvb-two-tabs-append-${Date.now()}`);
    const itemsOf = (tab: string) => Array.from({ length: 50 }, (_, i) => `${tab}-${i}`);
    const startAt = Date.now() + 500;
    await Promise.all([
      tabs[0]!.evaluate(([items, at]) => window.__kvb!.append('log', items, at), [itemsOf('a'), startAt] as const),
      tabs[1]!.evaluate(([items, at]) => window.__kvb!.append('log', items, at), [itemsOf('b'), startAt] as const),
    ]);

    const log = await tabs[0]!.evaluate(() => window.__kvb!.get('log'));
    expect(Array.isArray(log)).toBe(true);
    expect([...(log as string[])].sort()).toEqual([...itemsOf('a'), ...itemsOf('b')].sort());
  });
});
