/**
 * The newcomer journey of docs/editor.md: Writer's cache example built from an empty canvas
 * and run twice, counting every click, key press, typed text and drag a person makes.
 */
import { expect, test } from './fixtures/editor';

const MAX_ACTIONS = 25;

test('the cache example from an empty canvas, run twice, takes at most 25 actions', async ({ page, editor }) => {
  await editor.open();
  const { canvas, palette, inspector, run } = editor;
  let actions = 0;
  const act = async (what: () => Promise<unknown>) => {
    actions += 1;
    await what();
  };

  await act(() => editor.toolbar.button('New blueprint').click());
  await act(() =>
    page
      .getByRole('dialog', { name: 'New blueprint' })
      .getByRole('button', { name: /Blank blueprint/ })
      .click(),
  );
  await expect(canvas.nodes()).toHaveCount(1);
  const startId = (await canvas.nodeIds())[0]!;

  // Start → Get key (analysis_result) → Output, each added after the selected block.
  await act(() => canvas.select(startId));
  await act(() => palette.entry('Get key').click());
  await act(() => inspector.field('Key').click());
  await act(() => page.keyboard.type('analysis_result'));
  await act(() => palette.entry('Output').click());

  // The miss: drag Get key's error out onto empty canvas and pick Transform, the "expensive" work.
  // The view may still be gliding to keep the new block in sight: wait until the out stands still.
  let error = await canvas.handle('get', 'error').boundingBox();
  await expect
    .poll(async () => {
      const previous = error;
      await page.waitForTimeout(100);
      error = await canvas.handle('get', 'error').boundingBox();
      return JSON.stringify(error) === JSON.stringify(previous);
    })
    .toBe(true);
  await act(async () => {
    await page.mouse.move(error!.x + 7, error!.y + 7);
    await page.mouse.down();
    await page.mouse.move(error!.x + 30, error!.y + 60, { steps: 5 });
    await page.mouse.move(error!.x - 60, error!.y + 150, { steps: 10 });
    await page.mouse.up();
  });
  await act(() => page.getByRole('dialog', { name: 'Add a connected block' }).getByRole('option', { name: 'Transform' }).click());
  await act(() => inspector.field('Value').click());
  await act(() => editor.press('Mod+a'));
  await act(() => page.keyboard.type('Analysed at @{now}'));

  // Save the computed value under the same key, then output it.
  await act(() => palette.entry('Save key').click());
  await act(() => inspector.field('Key').click());
  await act(() => page.keyboard.type('analysis_result'));
  await act(() => palette.entry('Output').click());

  await expect(page.getByRole('region', { name: 'Problems' })).toHaveCount(0);
  await expect(canvas.edgeBetween('get', 'error', 'transform')).toHaveCount(1);
  await expect(canvas.edgeBetween('transform', 'success', 'save')).toHaveCount(1);
  await expect(canvas.edgeBetween('save', 'success', 'output_2')).toHaveCount(1);

  // First run: a miss, computed and saved. Second run: a hit, straight to the first Output.
  await act(() => editor.toolbar.button('Run').click());
  await expect(run.status()).toHaveText('succeeded');
  await expect(canvas.node('get')).toHaveAttribute('data-status', 'error');
  await expect(canvas.node('save')).toHaveAttribute('data-status', 'success');
  await act(() => editor.toolbar.button('Run').click());
  await expect(canvas.node('get')).toHaveAttribute('data-status', 'success');
  await expect(canvas.node('output')).toHaveAttribute('data-status', 'success');
  await expect(canvas.node('transform')).toHaveAttribute('data-status', 'idle');
  const outputs = await page.evaluate(() => window.kvb?.run.getState().view.record?.outputs);
  expect(String(outputs?.[0])).toMatch(/^Analysed at \d{4}-/);
  await editor.shot('newcomer-journey');

  expect(actions).toBeLessThanOrEqual(MAX_ACTIONS);
  test.info().annotations.push({ type: 'actions', description: String(actions) });
});
