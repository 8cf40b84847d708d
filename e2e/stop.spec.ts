import { expect, test } from './fixtures/editor';

// A blueprint that would run for a long time: an increment that loops back into itself.
const endlessCounter = {
  format: 'kv-blueprint/1',
  id: 'endless-counter',
  name: 'Endless counter',
  settings: { maxSteps: 1_000_000 },
  nodes: [
    { id: 'start', type: 'start', position: { x: 0, y: 0 }, data: { sampleInput: {} } },
    { id: 'tick', type: 'kv', position: { x: 280, y: 0 }, data: { action: 'increment', key: 'ticks', by: 1, scope: 'flow' } },
  ],
  edges: [
    { id: 'e-start', source: 'start', sourceHandle: 'success', target: 'tick' },
    { id: 'e-loop', source: 'tick', sourceHandle: 'success', target: 'tick' },
  ],
};

test('Stop cancels a running blueprint after the block in flight', async ({ page, editor }) => {
  await editor.open();
  await editor.toolbar.importFile({ name: 'endless-counter.json', content: JSON.stringify(endlessCounter) });
  await expect(editor.canvas.node('tick')).toBeVisible();

  await editor.toolbar.button('Run').click();
  await expect(editor.toolbar.button('Stop')).toBeEnabled();
  await expect(editor.canvas.node('tick')).toHaveAttribute('data-status', /running|success/);
  // Let it loop a little, so the stop lands mid-run.
  await page.waitForTimeout(500);
  await editor.toolbar.button('Stop').click();

  await expect(editor.run.status()).toHaveText('cancelled');
  await expect(editor.toolbar.button('Stop')).toBeDisabled();
  await expect(editor.toolbar.button('Run')).toBeEnabled();

  // Every increment that ran was stored exactly once: the stored counter equals the steps run
  // (a long run keeps only its first and last steps and counts the others).
  const stepsRun = await page.evaluate(() => {
    const record = window.kvb!.run.getState().view.record!;
    return record.steps.length + (record.stepsOmitted ?? 0) - 1; // minus the start block
  });
  expect(stepsRun).toBeGreaterThan(1);
  await editor.keys.open('ticks');
  await editor.shot('stop-cancelled');
  // The value and the version (one write per increment) both equal the increments run.
  await expect(editor.keys.details('ticks')).toContainText(`v${stepsRun} `);
  await expect(editor.keys.details('ticks').locator('pre, .json-tree').first()).toHaveText(String(stepsRun));
});
