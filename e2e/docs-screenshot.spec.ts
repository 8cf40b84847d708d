import { expect, test } from './fixtures/editor';

// The README's picture. `KVB_UPDATE_DOCS=1 npm run test:e2e -- e2e/docs-screenshot.spec.ts`
// rewrites docs/editor.png; other runs write to test-results/ so a test run leaves the tree clean.
const target = process.env.KVB_UPDATE_DOCS === '1' ? 'docs/editor.png' : 'test-results/editor.png';

test('the editor after a first run of the cache template, for the README', async ({ page, editor }) => {
  await editor.open();
  await editor.runAndWait('succeeded');
  await expect(editor.keys.row('analysis_fox')).toBeVisible();
  await editor.canvas.select('get-cached');
  await expect(editor.inspector.region.getByLabel('Last run of this block')).toContainText('not_found');
  await editor.inspector.region.locator('.panel-body').evaluate((el) => {
    el.scrollTop = el.scrollHeight;
  });
  await page.mouse.move(0, 0);
  await page.screenshot({ path: target });
});
