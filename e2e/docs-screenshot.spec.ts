import { expect, test } from '@playwright/test';
import { EditorPage } from './pages/editor-page';

// Keeps docs/editor.png (the README's picture) true to the current editor.
test('the editor after a first run of the cache template, for the README', async ({ page }) => {
  const editor = new EditorPage(page);
  await editor.open();
  await editor.runAndWait('succeeded');
  await expect(editor.keys.row('analysis_result')).toBeVisible();
  await editor.canvas.select('get-cached');
  await expect(editor.inspector.region.getByLabel('Last run of this block')).toContainText('not_found');
  await editor.inspector.region.locator('.panel-body').evaluate((el) => { el.scrollTop = el.scrollHeight; });
  await page.mouse.move(0, 0);
  await page.screenshot({ path: 'docs/editor.png' });
});
