import { readFileSync } from 'node:fs';
import { expect, test } from './fixtures/editor';
import { panelToggle } from './pages/editor-page';

test.describe('stored keys data tools', () => {
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
});
