/**
 * Screenshots of the debugging views (docked Run panel, Problems list, pinned data, block
 * picker) at the two window sizes the editor is checked at, into .tmp/shots/ for a person to
 * look at; each also asserts the view fits the window.
 */
import { expect, test } from './fixtures/editor';

for (const viewport of [
  { width: 1440, height: 900 },
  { width: 1280, height: 800 },
]) {
  const size = `${viewport.width}x${viewport.height}`;
  test(`debugging views at ${size}`, async ({ page, editor }) => {
    await page.setViewportSize(viewport);
    await editor.open();
    const { canvas, inspector, run } = editor;
    const fits = async (locator: ReturnType<typeof page.locator>) => {
      const box = await locator.boundingBox();
      expect(box!.x + box!.width).toBeLessThanOrEqual(viewport.width + 1);
      expect(box!.y + box!.height).toBeLessThanOrEqual(viewport.height + 1);
    };

    // Problems: two blocks with a bad field.
    await canvas.select('get-cached');
    await inspector.field('Key').fill('bad key');
    await canvas.select('save-result');
    await inspector.field('Value').fill('{"broken": ');
    await fits(page.getByRole('region', { name: 'Problems' }));
    await editor.shot(`problems-${size}`);
    await inspector.field('Value').fill('@{result}');
    await canvas.select('get-cached');
    await inspector.field('Key').fill('analysis_result');
    await expect(page.getByRole('region', { name: 'Problems' })).toHaveCount(0);

    // Pinned data, after a run.
    await editor.runAndWait('succeeded');
    await canvas.select('compute');
    await inspector.region.getByRole('button', { name: 'Pin this output' }).click();
    await inspector.region.getByRole('group', { name: 'Pinned output' }).scrollIntoViewIfNeeded();
    await editor.shot(`pinned-${size}`);

    // The Run panel docked at the bottom, the failed step picked.
    await run.region.getByRole('button', { name: 'Dock the Run panel at the bottom' }).click();
    await fits(run.region);
    await editor.shot(`run-docked-${size}`);
    await run.region.getByRole('button', { name: 'Move the Run panel to the right column' }).click();

    // The block picker, from an out dropped on empty canvas.
    const out = await canvas.handle('output-computed', 'success').boundingBox();
    await page.mouse.move(out!.x + 7, out!.y + 7);
    await page.mouse.down();
    await page.mouse.move(out!.x - 40, out!.y + 60, { steps: 5 });
    await page.mouse.move(out!.x - 120, out!.y + 140, { steps: 10 });
    await page.mouse.up();
    const picker = page.getByRole('dialog', { name: 'Add a connected block' });
    await expect(picker).toBeVisible();
    await fits(picker);
    await editor.shot(`block-picker-${size}`);
  });
}
