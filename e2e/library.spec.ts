import { readFileSync } from 'node:fs';
import { expect, test } from './fixtures/editor';

const fixture = (name: string) => ({ name, content: readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8') });

test.describe('blueprint library', () => {
  test('an invalid file shows its problems and leaves the open blueprint untouched', async ({ page, editor }) => {
    await editor.open();
    const before = await editor.canvas.nodeIds();
    await editor.toolbar.importFile(fixture('invalid-blueprint.json'));
    const dialog = page.getByRole('dialog', { name: 'Import failed' });
    await expect(dialog).toBeVisible();
    const problems = dialog.getByRole('list', { name: 'Problems' }).getByRole('listitem');
    expect(await problems.count()).toBeGreaterThanOrEqual(3);
    await expect(dialog).toContainText('nodes[1].data.action');
    await expect(dialog).toContainText('nodes[2].type');
    await expect(dialog).toContainText('edges[0]');
    await editor.shot('import-problems');
    await dialog.getByRole('button', { name: 'Close' }).click();
    expect(await editor.canvas.nodeIds()).toEqual(before);
    await expect(editor.toolbar.blueprintSelect().locator('option')).toHaveCount(1);

    // A file that is not even JSON is refused the same way.
    await editor.toolbar.importFile({ name: 'notes.json', content: '{ "format": ' });
    await expect(page.getByRole('dialog', { name: 'Import failed' })).toContainText('Not JSON');
  });

  test('a valid file is imported, opened and can be exported again', async ({ page, editor }) => {
    await editor.open();
    await editor.toolbar.importFile(fixture('counter-blueprint.json'));
    await expect(editor.canvas.node('bump')).toBeVisible();
    await expect(editor.toolbar.blueprintName()).toHaveValue('Imported counter');
    const download = page.waitForEvent('download');
    await editor.toolbar.button('Export').click();
    const file = await download;
    expect(file.suggestedFilename()).toBe('imported-counter.kv-blueprint.json');
    const exported = JSON.parse(readFileSync(await file.path(), 'utf8')) as { format: string; nodes: { id: string }[] };
    expect(exported.format).toBe('kv-blueprint/1');
    expect(exported.nodes.map((n) => n.id)).toEqual(['start', 'bump']);
  });

  test('create from each template, rename, duplicate and delete', async ({ page, editor }) => {
    await editor.open();
    await editor.toolbar.button('New blueprint').click();
    const dialog = page.getByRole('dialog', { name: 'New blueprint' });
    await expect(dialog.locator('.template-card')).toHaveCount(7);
    await editor.shot('templates');
    await dialog
      .getByRole('button', { name: /Running counter|counter/i })
      .first()
      .click();
    await expect(editor.toolbar.blueprintSelect().locator('option')).toHaveCount(2);
    await editor.toolbar.blueprintName().fill('My counter');
    await editor.toolbar.blueprintName().press('Enter');
    await expect(editor.toolbar.blueprintSelect()).toContainText('My counter');
    await editor.toolbar.button('Duplicate blueprint').click();
    await expect(editor.toolbar.blueprintName()).toHaveValue('My counter (copy)');
    await expect(editor.toolbar.blueprintSelect().locator('option')).toHaveCount(3);
    await editor.toolbar.button('Delete blueprint').click();
    await page.getByRole('dialog', { name: 'Delete blueprint' }).getByRole('button', { name: 'Delete blueprint' }).click();
    await expect(editor.toolbar.blueprintSelect().locator('option')).toHaveCount(2);
  });

  test('every dialog closes with its × button or with Esc, changing nothing', async ({ page, editor }) => {
    await editor.open();
    const blueprints = editor.toolbar.blueprintSelect().locator('option');
    await expect(blueprints).toHaveCount(1);
    const openers: Array<{ name: string; open(): Promise<void> }> = [
      { name: 'New blueprint', open: () => editor.toolbar.button('New blueprint').click() },
      { name: 'Delete blueprint', open: () => editor.toolbar.button('Delete blueprint').click() },
      { name: 'Import failed', open: () => editor.toolbar.importFile({ name: 'notes.json', content: '{ "format": ' }) },
    ];
    for (const { name, open } of openers) {
      const dialog = page.getByRole('dialog', { name });
      await open();
      await expect(dialog).toBeVisible();
      if (name === 'New blueprint') await editor.shot('ux-dialog-close');
      await dialog.getByRole('button', { name: 'Close', exact: true }).click();
      await expect(dialog).toHaveCount(0);
      await open();
      await expect(dialog).toBeVisible();
      await page.keyboard.press('Escape');
      await expect(dialog).toHaveCount(0);
    }
    await expect(blueprints).toHaveCount(1);
    await expect(editor.toolbar.blueprintName()).toHaveValue('Cache an expensive result');
  });

  test('a reload keeps blueprints, the open one, its runs and stored keys', async ({ page, editor }) => {
    await editor.open();
    // Edit the seeded blueprint, then open a second one and run it.
    await editor.palette.entry('Output').click();
    await expect(editor.canvas.node('output')).toBeVisible();
    await editor.toolbar.importFile(fixture('counter-blueprint.json'));
    await expect(editor.canvas.node('bump')).toBeVisible();
    await editor.runAndWait('succeeded');
    await editor.runAndWait('succeeded');
    await editor.keys.open('visits');
    await expect(editor.keys.details('visits')).toContainText('2');
    await editor.canvas.moveNode('bump', { x: 0, y: 120 });
    // The view is fitted again after a reload, so compare where blocks are to each other.
    const offset = async () => {
      const [a, b] = [await editor.canvas.position('start'), await editor.canvas.position('bump')];
      return Math.round(((b.y - a.y) / (b.x - a.x)) * 100);
    };
    const moved = await offset();

    await page.reload();
    await editor.ready();
    await expect(editor.toolbar.blueprintName()).toHaveValue('Imported counter');
    await expect.poll(offset).toEqual(moved);
    await expect(editor.keys.row('visits')).toBeVisible();
    await editor.run.region.getByRole('tab', { name: /Last runs/ }).click();
    await expect(editor.run.region.getByRole('list', { name: 'Last runs' }).getByRole('listitem')).toHaveCount(2);

    await editor.toolbar.blueprintSelect().selectOption({ label: 'Cache an expensive result' });
    await expect(editor.canvas.node('output')).toBeVisible();
  });
});
