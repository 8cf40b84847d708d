/**
 * The editor as a debugger: a failed run says why, Run is held back while something is wrong,
 * problems are listed and marked, errors stay on their block without covering its neighbours.
 */
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures/editor';
import type { EditorPage } from './pages/editor-page';

/** A start block feeding a Transform that loops on itself: a run only ends at its step limit. */
const LOOP = {
  format: 'kv-blueprint/1',
  id: 'endless-loop',
  name: 'Endless loop',
  settings: { maxSteps: 5 },
  nodes: [
    { id: 'start', type: 'start', position: { x: 0, y: 0 }, data: { sampleInput: {} } },
    { id: 'again', type: 'transform', position: { x: 280, y: 0 }, data: { label: 'Go round', valueType: 'text', value: 'x' } },
  ],
  edges: [
    { id: 'e1', source: 'start', sourceHandle: 'success', target: 'again' },
    { id: 'loop', source: 'again', sourceHandle: 'success', target: 'again' },
  ],
};

async function importBlueprint(editor: EditorPage, document: object): Promise<void> {
  await editor.toolbar.importFile({ name: 'blueprint.json', content: JSON.stringify(document) });
  await expect(editor.toast().last()).toContainText('Imported');
}

function runButton(page: Page) {
  return page.getByRole('button', { name: 'Run', exact: true });
}

test.describe('the editor as a debugger', () => {
  test('a run that fails as a whole says why at the top of the Run panel, with its block', async ({ editor }) => {
    await editor.open();
    await importBlueprint(editor, LOOP);
    await editor.runAndWait('failed');
    const alert = editor.run.region.getByRole('alert');
    await expect(alert).toContainText('limit');
    await expect(alert).toContainText('limit of 5 steps');
    // The block the error is pinned to, by its name; a click selects it.
    await alert.getByRole('button', { name: /Go round/ }).click();
    await expect(editor.canvas.node('again').locator('.block')).toHaveClass(/block--selected/);
    await expect(editor.run.steps()).toHaveCount(5);
  });

  test('an input payload that does not parse disables Run, with the reason, even after a tab switch', async ({ page, editor }) => {
    await editor.open();
    const { run } = editor;
    await run.region.getByRole('tab', { name: 'Input' }).click();
    const input = run.region.getByLabel(/Input payload/);
    await input.fill('{"text": ');
    await expect(runButton(page)).toBeDisabled();
    await expect(page.getByRole('status', { name: 'Why Run is disabled' })).toHaveText('Input is not valid JSON');
    await expect(runButton(page)).toHaveAttribute('title', /input payload is not valid JSON/);
    // The keyboard cannot go around the button.
    await editor.press('Mod+Enter');
    await expect(run.status()).toHaveText('not run yet');
    await run.region.getByRole('tab', { name: /Steps/ }).click();
    await run.region.getByRole('tab', { name: 'Input' }).click();
    await expect(input).toHaveValue('{"text": ');
    await expect(runButton(page)).toBeDisabled();

    await input.fill('{"text": "ada"}');
    await expect(runButton(page)).toBeEnabled();
    await expect(page.getByRole('status', { name: 'Why Run is disabled' })).toBeHidden();
    await editor.runAndWait('succeeded');
    const used = await page.evaluate(() => window.kvb?.run.getState().view.record?.input);
    expect(used).toEqual({ text: 'ada' });
  });

  test('a block with a problem is marked, listed under Problems, and Run waits with the count', async ({ page, editor }) => {
    await editor.open();
    const { canvas, inspector } = editor;
    const problems = page.getByRole('region', { name: 'Problems' });
    await expect(problems).toHaveCount(0);
    await canvas.select('get-cached');
    await inspector.field('Key').fill('bad key');
    await canvas.select('save-result');
    await inspector.field('Value').fill('{"broken": ');

    await expect(problems.getByRole('listitem')).toHaveCount(2);
    await expect(problems.getByRole('listitem').first()).toContainText('Key');
    await expect(canvas.node('get-cached').getByRole('img', { name: '1 problem' })).toBeVisible();
    await expect(canvas.node('save-result').getByRole('img', { name: '1 problem' })).toBeVisible();
    await expect(canvas.node('compute').locator('.block__problems')).toHaveCount(0);
    await expect(runButton(page)).toBeDisabled();
    await expect(page.getByRole('status', { name: 'Why Run is disabled' })).toHaveText('2 problems');
    await editor.shot('problems-list');

    // A click on a problem selects its block, so the Inspector shows the field at fault.
    await problems.getByRole('button', { name: /Key/ }).click();
    await expect(canvas.node('get-cached').locator('.block')).toHaveClass(/block--selected/);
    await expect(inspector.field('Key')).toHaveValue('bad key');
    await inspector.field('Key').fill('analysis_result');
    await expect(problems.getByRole('listitem')).toHaveCount(1);
    await expect(canvas.node('get-cached').locator('.block__problems')).toHaveCount(0);
    await editor.press('Mod+z');
    await expect(problems.getByRole('listitem')).toHaveCount(2);
    await editor.press('Mod+Shift+z');
    await problems.getByRole('button', { name: /Value/ }).click();
    await inspector.field('Value').fill('{"fixed": true}');
    await expect(problems).toHaveCount(0);
    await expect(runButton(page)).toBeEnabled();
  });

  test('an error is a badge that keeps the block its size, shows its message on hover, and goes when the block changes', async ({ page, editor }) => {
    await editor.open();
    const { canvas, inspector } = editor;
    const block = canvas.node('get-cached');
    const before = await block.boundingBox();
    await editor.runAndWait('succeeded');
    await expect(block).toHaveAttribute('data-status', 'error');
    const badge = block.locator('.block__error');
    await expect(badge).toContainText('not_found');
    const after = await block.boundingBox();
    expect(after?.height).toBe(before?.height);
    const message = badge.locator('.block__error-message');
    await expect(message).toBeHidden();
    await badge.hover();
    await expect(message).toBeVisible();
    await expect(message).toContainText("Key 'analysis_result' not found");
    await editor.shot('error-badge-hover');

    // Fixing the block clears what the last run said of it, on the canvas and in the Inspector.
    await canvas.select('get-cached');
    await expect(inspector.region.locator('.last-run')).toContainText('not_found');
    await inspector.field('Key').fill('analysis_result_v2');
    await expect(badge).toHaveCount(0);
    await expect(block).toHaveAttribute('data-status', 'idle');
    await expect(inspector.region.locator('.last-run')).toContainText('Changed since this run');
    // Undo brings the block back to how it ran, and with it the error.
    await page.locator('.react-flow__pane').click({ position: { x: 40, y: 40 } });
    await editor.press('Mod+z');
    await expect(block).toHaveAttribute('data-status', 'error');
    await expect(badge).toHaveCount(1);
  });
});
