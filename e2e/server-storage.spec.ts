import type { Page } from '@playwright/test';
import { expect, test } from './fixtures/editor';
import { KvbServer } from './fixtures/kvb-server';
import { EditorPage } from './pages/editor-page';
// Brings in the typing of `window.kvb`, the app's test handle.
import type {} from '../src/ui/test-handle';

/** The word beside the Storage select (Online, Offline, Locked…). */
function storageStatus(page: Page) {
  return page.getByRole('status', { name: 'Storage status' });
}

async function currentBlueprintId(page: Page): Promise<string> {
  return page.evaluate(() => {
    const id = window.kvb?.editor.getState().meta.id;
    if (!id) throw new Error('no blueprint open');
    return id;
  });
}

async function createFromTemplate(editor: EditorPage, name: RegExp): Promise<void> {
  await editor.toolbar.button('New blueprint').click();
  await editor.page.getByRole('dialog', { name: 'New blueprint' }).getByRole('button', { name }).first().click();
}

/** The stored value of a flow key, read by another client (Node) through the API. */
async function storedValue(server: KvbServer, scopeKey: string, key: string): Promise<unknown> {
  const response = await server.api('GET', `/api/kv?scope=flow&scopeKey=${encodeURIComponent(scopeKey)}&prefix=${encodeURIComponent(key)}`);
  const { entries } = (await response.json()) as { entries: Array<{ key: string; value: unknown }> };
  return entries.find((entry) => entry.key === key)?.value ?? null;
}

test.describe('Server storage', () => {
  let server: KvbServer;

  test.afterEach(async () => {
    await server?.dispose();
  });

  test('the keys panel pages through server keys at most 1,000 names a request, and bulk-deletes with undo', async ({ page, editor }) => {
    test.setTimeout(90_000);
    server = await KvbServer.start();
    const keyOf = (i: number) => `key-${String(i).padStart(6, '0')}`;
    for (let start = 0; start < 3000; start += 1000) {
      const ops = Array.from({ length: 1000 }, (_, i) => ({ op: 'set', scope: 'global', key: keyOf(start + i), value: { n: start + i } }));
      expect((await server.api('POST', '/api/kv/ops', { ops })).status).toBe(200);
    }
    const nameRequests: number[] = [];
    page.on('request', (request) => {
      if (!request.url().endsWith('/api/kv/ops')) return;
      const body = request.postDataJSON() as { ops: Array<{ op: string; limit?: number }> };
      for (const op of body.ops) if (op.op === 'keys' || op.op === 'list') nameRequests.push(op.limit ?? 1000);
    });
    await page.goto(server.url);
    await editor.ready();
    await editor.toolbar.storage().selectOption('server');
    await expect(storageStatus(page)).toHaveText('Online');
    await editor.keys.scope().selectOption('global');
    await expect(editor.keys.count()).toHaveText('3,000 keys');
    await editor.keys.region.locator('.key-list').evaluate(async (list) => {
      while (list.scrollTop + list.clientHeight < list.scrollHeight - 1) {
        list.scrollTop += 3_000;
        await new Promise((resolve) => setTimeout(resolve, 30));
      }
    });
    await expect(editor.keys.row(keyOf(2999))).toBeVisible();
    await expect(editor.keys.row(keyOf(2999)).locator('.badge')).toHaveText('json');
    // The first page, then the rest as the list scrolled; never more than 1,000 names at once.
    expect(nameRequests.filter((limit) => limit > 1).length).toBeGreaterThanOrEqual(3);
    expect(Math.max(...nameRequests)).toBeLessThanOrEqual(1000);

    await editor.keys.filter().fill('key-0029');
    await expect(editor.keys.count()).toHaveText('100 of 3,000 keys');
    const selection = editor.keys.region.getByLabel('Selection');
    await selection.getByRole('button', { name: 'Select all 100 matching' }).click();
    await selection.getByRole('button', { name: 'Delete selected' }).click();
    await page.getByRole('dialog', { name: 'Delete keys' }).getByRole('button', { name: 'Delete 100 keys' }).click();
    await expect(editor.keys.count()).toHaveText('0 of 2,900 keys');
    expect(await (await server.api('POST', '/api/kv/ops', { ops: [{ op: 'keys', scope: 'global', limit: 1 }] })).json()).toMatchObject({
      results: [{ total: 2900 }],
    });
    await editor.keys.region.getByRole('status').getByRole('button', { name: 'Undo' }).click();
    await expect(editor.keys.count()).toHaveText('100 of 3,000 keys');
  });

  test('runs through the server, refreshes live, survives a server restart and says when the server is gone', async ({ page, editor }) => {
    test.setTimeout(120_000);
    server = await KvbServer.start();
    await page.goto(server.url);
    await editor.ready();

    await editor.toolbar.storage().selectOption('server');
    await expect(storageStatus(page)).toHaveText('Online');
    // The blueprint menu is the server's library now: the new blueprint is made there.
    await expect(page.getByRole('button', { name: 'Blueprint storage: Server' })).toBeVisible();
    await createFromTemplate(editor, /Running counter/);
    await expect(editor.toolbar.blueprintName()).toHaveValue('Running counter');
    const blueprintId = await currentBlueprintId(page);

    for (const expected of [1, 2, 3]) {
      await editor.toolbar.button('Run').click();
      await expect(editor.run.status()).toHaveText('succeeded');
      await expect.poll(() => storedValue(server, blueprintId, 'visits')).toBe(expected);
    }
    await editor.keys.open('visits');
    await expect(editor.keys.details('visits')).toContainText('3');
    await editor.keys.region.getByRole('button', { name: '← All keys' }).click();

    // Another client writes: the panel shows it without a reload (server-sent events).
    const written = await server.api('POST', '/api/kv', { scope: 'flow', scopeKey: blueprintId, key: 'from-node', value: { by: 'node' } });
    expect(written.status).toBe(201);
    await expect(editor.keys.row('from-node')).toBeVisible();
    await editor.shot('server-storage');

    // The server stops: the editor says so, refuses to run, and keeps the blueprint.
    await server.stop();
    await expect(storageStatus(page)).toHaveText('Offline');
    await expect(editor.keys.region).toContainText('Server unreachable');
    await expect(editor.keys.region).toContainText(server.url);
    await expect(editor.toolbar.button('Run')).toBeDisabled();
    await expect(editor.toolbar.blueprintName()).toHaveValue('Running counter');
    await expect(editor.canvas.nodes()).toHaveCount(3);
    await editor.shot('server-unreachable');

    // Back on the same port and data: the editor reconnects by itself, and a reload keeps
    // the Server choice, the blueprint and the count.
    await server.restart();
    await expect(storageStatus(page)).toHaveText('Online', { timeout: 15_000 });
    await expect(editor.keys.row('visits')).toBeVisible();
    await page.reload();
    await expect(editor.toolbar.storage()).toHaveValue('server');
    await expect(storageStatus(page)).toHaveText('Online');
    await expect(editor.toolbar.blueprintName()).toHaveValue('Running counter');
    expect(await currentBlueprintId(page)).toBe(blueprintId);
    await editor.keys.open('visits');
    await expect(editor.keys.details('visits')).toContainText('3');
    expect(await storedValue(server, blueprintId, 'visits')).toBe(3);
  });

  test('asks for an API token when the server has tokens, and uses the one given', async ({ page, editor }) => {
    const token = 'e2e-token-0123456789abcdef';
    server = await KvbServer.start({ env: { KVB_TOKENS: `${token}:acme` } });
    await page.goto(server.url);
    await editor.ready();
    await page.evaluate(() => sessionStorage.removeItem('kvb.editor.v1.serverToken'));

    await editor.toolbar.storage().selectOption('server');
    await expect(storageStatus(page)).toHaveText('Locked');
    await expect(editor.keys.region).toContainText('needs an API token');
    await editor.shot('server-token-needed');
    await editor.keys.region.getByLabel('API token').fill('not-the-right-token-000');
    await editor.keys.region.getByRole('button', { name: 'Use token' }).click();
    await expect(editor.keys.region).toContainText('refused the token');
    await editor.keys.region.getByLabel('API token').fill(token);
    await editor.keys.region.getByRole('button', { name: 'Use token' }).click();
    await expect(storageStatus(page)).toHaveText('Online');
    await expect(editor.keys.region).toContainText('No keys in this scope yet');

    // Live refresh works with a token too (the stream is read with fetch and a Bearer header).
    const blueprintId = await currentBlueprintId(page);
    const written = await server.api('POST', '/api/kv', { scope: 'flow', scopeKey: blueprintId, key: 'acme-key', value: 1 }, token);
    expect(written.status).toBe(201);
    await expect(editor.keys.row('acme-key')).toBeVisible();
  });
});

test('Server storage on a page that no kvb server serves says so and keeps Browser one click away', async ({ page, editor }) => {
  // baseURL is `vite preview`: the page has no API behind it.
  await editor.open();
  await editor.toolbar.storage().selectOption('server');
  await expect(storageStatus(page)).toHaveText('Offline');
  await expect(editor.keys.region).toContainText('No kvb server answers');
  await expect(editor.toolbar.button('Run')).toBeDisabled();
  await editor.toolbar.storage().selectOption('browser');
  await expect(editor.toolbar.button('Run')).toBeEnabled();
});
