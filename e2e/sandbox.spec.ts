import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures/editor';
import { KvbServer } from './fixtures/kvb-server';
// Brings in the typing of `window.kvb`, the app's test handle.
import type {} from '../src/ui/test-handle';

// The editor's own default: Test run for a blueprint that writes.
test.use({ runModeDefault: null });

const counterFile = () => ({
  name: 'counter-blueprint.json',
  content: readFileSync(resolve(import.meta.dirname, 'fixtures/counter-blueprint.json'), 'utf8'),
});

const runMode = (page: Page) => page.getByRole('combobox', { name: 'Run mode' });

/**
 * Every record of the editor's IndexedDB database, as text (ArrayBuffers and typed arrays as
 * bytes), so two dumps are equal only when nothing in the database changed.
 */
async function dumpIndexedDb(page: Page): Promise<string> {
  return page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open('kvb-store');
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    const plain = (value: unknown): unknown => {
      if (value instanceof ArrayBuffer) return [...new Uint8Array(value)];
      if (ArrayBuffer.isView(value)) return [...new Uint8Array(value.buffer, value.byteOffset, value.byteLength)];
      if (Array.isArray(value)) return value.map(plain);
      if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
      return value;
    };
    const dump: Record<string, unknown> = {};
    for (const name of [...db.objectStoreNames].sort()) {
      dump[name] = await new Promise((resolve, reject) => {
        const request = db.transaction(name).objectStore(name).getAll();
        request.onsuccess = () => resolve(plain(request.result));
        request.onerror = () => reject(request.error);
      });
    }
    db.close();
    return JSON.stringify(dump);
  });
}

/** Writes `visits` (flow scope of the imported counter) behind the editor's back, as another writer would. */
async function bumpVisitsElsewhere(page: Page): Promise<void> {
  await page.evaluate(async () => {
    const { store, companyId } = window.kvb!.storage.getState();
    await store!.batch(companyId, [{ op: 'increment', key: 'visits', scope: 'flow', scopeKey: 'imported-counter' }]);
  });
}

test.describe('test runs', () => {
  test('Test run → the changes as a diff → Apply changes writes them (Browser storage)', async ({ page, editor }) => {
    await editor.open();
    const { keys, run } = editor;
    // The cache template saves a key, so it starts in Test run.
    await expect(runMode(page)).toHaveValue('test');
    await expect(runMode(page).locator('option:checked')).toHaveText('Test run');

    await editor.runAndWait('succeeded');
    const changes = run.region.getByRole('list', { name: 'Changes' }).getByRole('listitem');
    await expect(changes).toHaveCount(1);
    await expect(changes.first()).toContainText('analysis_fox');
    await expect(changes.first()).toContainText('created');
    // Nothing reached the store.
    await expect(keys.row('analysis_fox')).toHaveCount(0);
    await editor.shot('sandbox-diff-1440');

    await run.region.getByRole('button', { name: 'Apply changes' }).click();
    await expect(keys.row('analysis_fox')).toBeVisible();
    await expect(run.region.getByText('applied to the store')).toBeVisible();
    await expect(run.region.getByRole('button', { name: 'Apply changes' })).toHaveCount(0);

    // The next run finds the applied value: a test run that changes nothing.
    await editor.runAndWait('succeeded');
    await expect(run.region.getByText('This test run changed no stored key.')).toBeVisible();
  });

  test('updated keys show before → after and are marked in Stored keys; Discard, conflicts, and the mode is kept per blueprint', async ({
    page,
    editor,
  }) => {
    await page.setViewportSize({ width: 1280, height: 800 });
    await editor.open();
    const { keys, run } = editor;
    await editor.toolbar.importFile(counterFile());
    await expect(editor.canvas.node('bump')).toBeVisible();
    await expect(runMode(page)).toHaveValue('test');

    // A live run writes visits = 1.
    await runMode(page).selectOption({ label: 'Live run' });
    await editor.runAndWait('succeeded');
    await expect(keys.row('visits')).toBeVisible();
    await expect(run.region.getByRole('list', { name: 'Changes' })).toHaveCount(0);

    // A test run: 1 → 2 in the diff, the row marked, IndexedDB unchanged record for record.
    await runMode(page).selectOption({ label: 'Test run' });
    const before = await dumpIndexedDb(page);
    expect(before).toContain('visits');
    await editor.runAndWait('succeeded');
    const item = run.region.getByRole('list', { name: 'Changes' }).getByRole('listitem');
    await expect(item).toHaveCount(1);
    await expect(item).toContainText('updated');
    await expect(item).toContainText('visits');
    await expect(item).toContainText('1 → 2');
    await expect(keys.row('visits')).toHaveAttribute('data-test-run', 'true');
    expect(await dumpIndexedDb(page)).toBe(before);
    await editor.shot('sandbox-diff-1280');

    await run.region.getByRole('button', { name: 'Discard' }).click();
    await expect(run.region.getByText('discarded')).toBeVisible();
    await expect(keys.row('visits')).not.toHaveAttribute('data-test-run', 'true');

    // Another test run, then someone else moves visits: Apply is refused and names the key.
    await editor.runAndWait('succeeded');
    await bumpVisitsElsewhere(page);
    await run.region.getByRole('button', { name: 'Apply changes' }).click();
    const problem = run.region.getByRole('alert', { name: 'Apply problem' });
    await expect(problem).toContainText("flow 'imported-counter':visits (was version 1, now version 2)");
    await expect(problem).toContainText('Nothing was applied');
    await editor.shot('sandbox-conflict-1280');
    const stored = await page.evaluate(async () => {
      const { store, companyId } = window.kvb!.storage.getState();
      const [result] = await store!.batch(companyId, [{ op: 'get', key: 'visits', scope: 'flow', scopeKey: 'imported-counter' }]);
      return result?.op === 'get' ? result.entry?.value : undefined;
    });
    expect(stored).toBe(2);

    // The choice is remembered per blueprint: after a reload the counter is still in Test run.
    await page.reload();
    await editor.ready();
    await expect(editor.canvas.node('bump')).toBeVisible();
    await expect(runMode(page)).toHaveValue('test');
  });

  test('Server storage: a test run writes nothing to the server; Apply changes does', async ({ page, editor }) => {
    const server = await KvbServer.start();
    try {
      const analysis = async () => {
        const response = await server.api('GET', '/api/kv?scope=flow&scopeKey=cache-result&prefix=analysis_fox');
        return ((await response.json()) as { entries: unknown[] }).entries.length;
      };
      await page.goto(server.url);
      await editor.ready();
      await editor.toolbar.storage().selectOption('server');
      await expect(page.getByRole('status', { name: 'Storage status' })).toHaveText('Online');
      await expect(runMode(page)).toHaveValue('test');

      await editor.runAndWait('succeeded');
      await expect(editor.run.region.getByRole('list', { name: 'Changes' }).getByRole('listitem')).toContainText('analysis_fox');
      expect(await analysis()).toBe(0);

      await editor.run.region.getByRole('button', { name: 'Apply changes' }).click();
      await expect(editor.run.region.getByText('applied to the store')).toBeVisible();
      expect(await analysis()).toBe(1);
      await expect(editor.keys.row('analysis_fox')).toBeVisible();
    } finally {
      await server.dispose();
    }
  });
});
