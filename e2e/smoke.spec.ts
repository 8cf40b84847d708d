import { expect, test } from '@playwright/test';
import { EditorPage } from './pages/editor-page';

test('first visit opens the cache template with every region', async ({ page }) => {
  const editor = new EditorPage(page);
  await editor.open();
  await expect(editor.canvas.node('get-cached')).toHaveAttribute('data-status', 'idle');
  await expect(editor.canvas.node('get-cached')).toContainText('get analysis_result');
  await expect(editor.palette.entry('Save key')).toBeVisible();
  await expect(editor.keys.region).toBeVisible();
  await expect(editor.run.region).toBeVisible();
  await editor.shot('smoke-first-visit');
});
