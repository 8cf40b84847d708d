import { readFileSync } from 'node:fs';
import { expect, test } from './fixtures/editor';
import { KvbServer } from './fixtures/kvb-server';
import { panelToggle } from './pages/editor-page';

test.describe('stored keys data tools', () => {
  test('History lists the earlier versions with Restore; a deleted key comes back from Recently deleted', async ({
    page,
    editor,
    keysPanel,
  }) => {
    await editor.open();
    await panelToggle(page, 'Inspector').click();
    for (const name of ['Ada', 'Grace', 'Edsger']) await keysPanel.seed([{ key: 'profile', value: { name, langs: ['en'] } }]);
    await keysPanel.open('profile');
    const details = keysPanel.details('profile');
    await expect(details).toContainText('v3');
    await details.getByRole('button', { name: 'History' }).click();
    const history = keysPanel.region.getByRole('region', { name: 'History' });
    const versions = history.getByRole('listitem');
    await expect(versions).toHaveCount(2);
    await expect(history.getByRole('button', { name: 'Restore' })).toHaveCount(2);
    await expect(versions.nth(0)).toContainText('v2');
    await expect(versions.nth(0)).toContainText('{"name":"Grace","langs":["en"]}');
    await expect(versions.nth(1)).toContainText('v1');
    await editor.shot('key-history');
    // On a smaller screen the key's pane scrolls to show the history it opens.
    await details.getByRole('button', { name: 'History' }).click();
    await page.setViewportSize({ width: 1280, height: 800 });
    await details.getByRole('button', { name: 'History' }).click();
    await expect(versions.nth(1).getByRole('button', { name: 'Restore' })).toBeInViewport();
    await editor.shot('key-history-1280');
    await page.setViewportSize({ width: 1440, height: 900 });

    // Restore v1: its value becomes the key's next version, and v3 joins the history.
    await versions.nth(1).getByRole('button', { name: 'Restore' }).click();
    await expect(details).toContainText('v4');
    await expect(details.locator('.key-details__value')).toContainText('Ada');
    await expect(versions).toHaveCount(3);
    await expect(versions.nth(0)).toContainText('Edsger');

    // Deleted: the key leaves the list and is listed under Recently deleted, marked in its history.
    await details.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('dialog', { name: 'Delete key' }).getByRole('button', { name: 'Delete key' }).click();
    await expect(keysPanel.row('profile')).toHaveCount(0);
    await keysPanel.region.getByRole('button', { name: 'Recently deleted' }).click();
    const deleted = keysPanel.region.getByRole('region', { name: 'Recently deleted' });
    await expect(deleted.getByRole('listitem')).toHaveCount(1);
    await expect(deleted.getByRole('listitem')).toContainText('profile');
    await editor.shot('keys-recently-deleted');
    await deleted.getByRole('button', { name: 'Restore' }).click();
    await expect(deleted).toContainText('No key of this scope has been deleted');
    await keysPanel.region.getByRole('button', { name: 'Recently deleted' }).click();
    await keysPanel.open('profile');
    await expect(details.locator('.key-details__value')).toContainText('Ada');
    await details.getByRole('button', { name: 'History' }).click();
    await expect(history.getByRole('listitem').first()).toContainText('deleted');
  });

  test('bulk delete’s Undo brings the keys back through their history', async ({ page, editor, keysPanel }) => {
    await editor.open();
    await keysPanel.seed([
      { key: 'a1', value: 1 },
      { key: 'a2', value: 2 },
    ]);
    await keysPanel.region.getByRole('button', { name: 'Select all 2' }).click();
    await keysPanel.region.getByRole('button', { name: 'Delete selected' }).click();
    await page.getByRole('dialog', { name: 'Delete keys' }).getByRole('button', { name: 'Delete 2 keys' }).click();
    await expect(keysPanel.region).toContainText('No keys in this scope yet');
    await keysPanel.region.getByRole('status').getByRole('button', { name: 'Undo' }).click();
    await expect(keysPanel.rows()).toHaveCount(2);
    await keysPanel.open('a2');
    await keysPanel.details('a2').getByRole('button', { name: 'History' }).click();
    const versions = keysPanel.region.getByRole('region', { name: 'History' }).getByRole('listitem');
    await expect(versions).toHaveCount(1);
    await expect(versions.first()).toContainText('deleted');
  });

  test('Browser storage: export a scope as NDJSON, then import it back after the keys are gone', async ({ page, editor, keysPanel }) => {
    await editor.open();
    await panelToggle(page, 'Inspector').click();
    await keysPanel.seed([
      { key: 'alpha', value: { n: 1 } },
      { key: 'beta', value: [1, 2, 3] },
      { key: 'gamma', value: 'plain' },
    ]);
    await expect(keysPanel.row('gamma')).toBeVisible();

    const download = page.waitForEvent('download');
    await keysPanel.region.getByRole('button', { name: 'Export keys' }).click();
    const file = await download;
    expect(file.suggestedFilename()).toMatch(/^kv-flow-.+\.ndjson$/);
    const text = readFileSync(await file.path(), 'utf8');
    const lines = text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { key: string; value: unknown; scope: string });
    expect(lines.map((line) => [line.key, line.value, line.scope])).toEqual([
      ['alpha', { n: 1 }, 'flow'],
      ['beta', [1, 2, 3], 'flow'],
      ['gamma', 'plain', 'flow'],
    ]);

    // The keys go (one bulk delete), and come back from the file.
    await keysPanel.region.getByRole('button', { name: 'Select all 3' }).click();
    await keysPanel.region.getByRole('button', { name: 'Delete selected' }).click();
    await page.getByRole('dialog', { name: 'Delete keys' }).getByRole('button', { name: 'Delete 3 keys' }).click();
    await expect(keysPanel.region).toContainText('No keys in this scope yet');

    await keysPanel.region.getByLabel('Import keys file').setInputFiles({
      name: file.suggestedFilename(),
      mimeType: 'application/x-ndjson',
      buffer: Buffer.from(text),
    });
    const dialog = page.getByRole('dialog', { name: 'Import keys' });
    await expect(dialog).toContainText('3 keys');
    await dialog.getByRole('button', { name: 'Import 3 keys' }).click();
    await expect(dialog.getByRole('status')).toHaveText('Imported. Created 3, updated 0, skipped 0.');
    await editor.shot('keys-import-done');
    await dialog.getByRole('button', { name: 'Close' }).first().click();
    await expect(keysPanel.rows()).toHaveCount(3);
    await keysPanel.open('beta');
    await expect(keysPanel.details('beta')).toContainText('3');
  });

  test('a file with a bad line is refused with its line number and writes nothing', async ({ page, editor, keysPanel }) => {
    await editor.open();
    const good = JSON.stringify({ scope: 'global', scopeKey: '', key: 'fine', value: 1, valueType: 'json', expiresAt: null });
    const bad = JSON.stringify({ scope: 'global', scopeKey: '', key: 'not ok', value: 1, valueType: 'json', expiresAt: null });
    await keysPanel.region.getByLabel('Import keys file').setInputFiles({
      name: 'broken.ndjson',
      mimeType: 'application/x-ndjson',
      buffer: Buffer.from(`${good}\n${good}\n${bad}\n`),
    });
    const dialog = page.getByRole('dialog', { name: 'Import keys' });
    await expect(dialog.getByRole('alert')).toContainText("Line 3: Key 'not ok' has a space");
    await expect(dialog.getByRole('button', { name: /^Import/ })).toHaveCount(0);
    await editor.shot('keys-import-bad-line');
    await page.setViewportSize({ width: 1280, height: 800 });
    await editor.shot('keys-import-bad-line-1280');
    await dialog.getByRole('button', { name: 'Close' }).first().click();
    await keysPanel.scope().selectOption('global');
    await expect(keysPanel.region).toContainText('No keys in this scope yet');
  });

  test('a large export shows its progress', async ({ page, editor, keysPanel }) => {
    test.setTimeout(90_000);
    await editor.open();
    await keysPanel.seedMany(30_000, { scope: 'global' });
    await keysPanel.scope().selectOption('global');
    await expect(keysPanel.count()).toHaveText('30,000 keys');
    const download = page.waitForEvent('download');
    await keysPanel.region.getByRole('button', { name: 'Export keys' }).click();
    const progress = keysPanel.region.getByRole('status').filter({ hasText: 'Exporting' });
    await expect(progress).toContainText(/Exporting [\d,]+ of 30,000 keys/);
    await editor.shot('keys-export-progress');
    const file = await download;
    expect(
      readFileSync(await file.path(), 'utf8')
        .trim()
        .split('\n'),
    ).toHaveLength(30_000);
    await expect(progress).toHaveCount(0);
  });

  test.describe('Server storage', () => {
    let server: KvbServer | undefined;
    test.afterEach(async () => {
      await server?.dispose();
    });

    test('History → Restore, a deleted key restored, and export then import through the server’s routes', async ({
      page,
      editor,
      keysPanel,
    }) => {
      test.setTimeout(90_000);
      server = await KvbServer.start();
      for (const value of ['first', 'second']) {
        expect((await server.api('POST', '/api/kv', { scope: 'global', key: 'motd', value })).ok).toBe(true);
      }
      expect((await server.api('POST', '/api/kv', { scope: 'global', key: 'limit', value: 10 })).ok).toBe(true);
      await page.goto(server.url);
      await editor.ready();
      await editor.toolbar.storage().selectOption('server');
      await expect(page.getByRole('status', { name: 'Storage status' })).toHaveText('Online');
      await keysPanel.scope().selectOption('global');
      await expect(keysPanel.count()).toHaveText('2 keys');

      await keysPanel.open('motd');
      await keysPanel.details('motd').getByRole('button', { name: 'History' }).click();
      const history = keysPanel.region.getByRole('region', { name: 'History' });
      await expect(history.getByRole('listitem')).toHaveCount(1);
      await history.getByRole('button', { name: 'Restore' }).click();
      await expect(keysPanel.details('motd').locator('.key-details__value')).toContainText('first');
      const read = await (await server.api('GET', '/api/kv?scope=global&prefix=motd')).json();
      expect(read).toMatchObject({ entries: [{ key: 'motd', value: 'first', version: 3 }] });

      // Deleted by another client, restored here.
      const [entry] = (read as { entries: Array<{ id: string }> }).entries;
      expect((await server.api('DELETE', `/api/kv/${entry!.id}`)).status).toBe(204);
      await expect(keysPanel.row('motd')).toHaveCount(0);
      await keysPanel.region.getByRole('button', { name: 'Recently deleted' }).click();
      const deleted = keysPanel.region.getByRole('region', { name: 'Recently deleted' });
      await deleted.getByRole('button', { name: 'Restore' }).click();
      await expect(deleted).toContainText('No key of this scope has been deleted');
      await keysPanel.region.getByRole('button', { name: 'Recently deleted' }).click();
      await expect(keysPanel.row('motd')).toBeVisible();

      // Export streams from GET /api/kv/export; the import goes to POST /api/kv/import in one request.
      const exports: string[] = [];
      page.on('request', (request) => {
        if (request.url().includes('/api/kv/export') || request.url().includes('/api/kv/import'))
          exports.push(new URL(request.url()).pathname);
      });
      const download = page.waitForEvent('download');
      await keysPanel.region.getByRole('button', { name: 'Export keys' }).click();
      const text = readFileSync(await (await download).path(), 'utf8');
      expect(
        text
          .trim()
          .split('\n')
          .map((line) => (JSON.parse(line) as { key: string }).key),
      ).toEqual(['limit', 'motd']);
      const edited = text.replace('"value":10', '"value":11');
      await keysPanel.region.getByLabel('Import keys file').setInputFiles({
        name: 'edited.ndjson',
        mimeType: 'application/x-ndjson',
        buffer: Buffer.from(edited),
      });
      const dialog = page.getByRole('dialog', { name: 'Import keys' });
      await dialog.getByLabel('When a key already exists').selectOption('upsert');
      await dialog.getByRole('button', { name: 'Import 2 keys' }).click();
      await expect(dialog.getByRole('status')).toContainText('updated 2');
      expect(exports).toEqual(['/api/kv/export', '/api/kv/import']);
      const limit = await (await server.api('GET', '/api/kv?scope=global&prefix=limit')).json();
      expect(limit).toMatchObject({ entries: [{ key: 'limit', value: 11 }] });
    });
  });
});
