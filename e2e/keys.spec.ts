import { expect, test } from './fixtures/editor';

test.describe('stored keys panel', () => {
  test('stays smooth with 10,000 keys: a virtualised list and a quick filter', async ({ editor, keysPanel }) => {
    test.setTimeout(120_000);
    await editor.open();
    await keysPanel.seed(Array.from({ length: 10_000 }, (_, i) => ({ key: `item_${String(i).padStart(5, '0')}`, value: { n: i, tags: ['a', 'b'] } })));
    await expect(keysPanel.region.locator('.panel-title__count')).toHaveText('10000 keys', { timeout: 30_000 });
    // Only the rows in view are in the DOM.
    expect(await keysPanel.rows().count()).toBeLessThan(80);
    const list = keysPanel.region.locator('.key-list');
    await list.evaluate((el) => { el.scrollTop = el.scrollHeight; });
    await expect(keysPanel.row('item_09999')).toBeVisible();

    const started = Date.now();
    await keysPanel.filter().fill('item_0500');
    await expect(keysPanel.rows()).toHaveCount(10);
    expect(Date.now() - started).toBeLessThan(5_000);
    await keysPanel.open('item_05003');
    await expect(keysPanel.details('item_05003')).toContainText('5003');
    await editor.shot('keys-10k');
  });

  test('refreshes after a write from another tab', async ({ editor, keysPanel, openEditorTab }) => {
    await editor.open();
    const other = await openEditorTab();
    await other.keys.region.getByRole('button', { name: 'Add key' }).click();
    await other.keys.region.getByLabel('New key').fill('from_other_tab');
    await other.keys.region.getByLabel('Stored value').fill('{"hello": "there"}');
    await other.keys.region.getByRole('button', { name: 'Save key' }).click();
    await expect(other.keys.row('from_other_tab')).toBeVisible();
    await expect(keysPanel.row('from_other_tab')).toBeVisible();
  });

  test('a value opens as a JSON tree and a nested path copies as an expression', async ({ editor, keysPanel, context }) => {
    await context.grantPermissions(['clipboard-read', 'clipboard-write']);
    await editor.open();
    await keysPanel.seed([{ key: 'profile', value: { address: { city: 'Paris' } } }]);
    await keysPanel.open('profile');
    const details = keysPanel.details('profile');
    const cityRow = details.locator('.json-tree__row', { hasText: 'city' });
    await cityRow.hover();
    await cityRow.getByRole('button', { name: 'copy path' }).click();
    await expect(editor.toast().last()).toContainText('@{kv.profile.address.city}');
  });

  test('Esc leaves the Add key form without saving, and keeps the selected blocks', async ({ page, editor, keysPanel }) => {
    await editor.open();
    await editor.canvas.select('get-cached');
    await keysPanel.region.getByRole('button', { name: 'Add key' }).click();
    const form = keysPanel.region.getByRole('form', { name: 'Add key' });
    await keysPanel.region.getByLabel('New key').fill('never_saved');
    await page.keyboard.press('Escape');
    await expect(form).toHaveCount(0);
    await expect(keysPanel.row('never_saved')).toHaveCount(0);
    // Esc stayed in the form: the canvas did not take it as "select none".
    await expect(editor.canvas.node('get-cached')).toHaveClass(/selected/);
  });
});
