import { expect, test } from './fixtures/editor';

test('first visit opens the cache template with every region', async ({ editor }) => {
  await editor.open();
  await expect(editor.canvas.node('get-cached')).toHaveAttribute('data-status', 'idle');
  await expect(editor.canvas.node('get-cached')).toContainText('get analysis_@{input.docId}');
  await expect(editor.palette.entry('Save key')).toBeVisible();
  await expect(editor.keys.region).toBeVisible();
  await expect(editor.run.region).toBeVisible();
  await editor.shot('smoke-first-visit');
});
