import { ERROR_CODES } from '../src/kv/errors';
import { expect, test } from './fixtures/editor';

test.describe('running and stored keys', () => {
  test('the cache template takes the error path, then the success path, and the key appears', async ({ page, editor }) => {
    await editor.open();
    const { canvas, keys, run } = editor;
    await expect(keys.row('analysis_fox')).toHaveCount(0);

    // First run: nothing cached, so get takes its error out and the result is computed and saved.
    await editor.runAndWait('succeeded');
    await expect(canvas.node('get-cached')).toHaveAttribute('data-status', 'error');
    await expect(canvas.node('get-cached')).toContainText('not_found');
    // What to do about the code: in the canvas error's tooltip and under the step in the log.
    const tooltip = await canvas.node('get-cached').locator('.block__error').getAttribute('title');
    expect(tooltip).toMatch(/^not_found: /);
    expect(tooltip).toContain(ERROR_CODES.not_found.help);
    await expect(run.steps().filter({ hasText: 'not_found' }).locator('.error-help')).toHaveText(ERROR_CODES.not_found.help);
    await expect(canvas.node('compute')).toHaveAttribute('data-status', 'success');
    await expect(canvas.node('save-result')).toHaveAttribute('data-status', 'success');
    await expect(canvas.node('output-cached')).toHaveAttribute('data-status', 'idle');
    await expect(page.locator('.react-flow__edge[data-id="e-get-miss"] .edge--taken')).toHaveCount(1);
    await expect(run.steps()).toHaveCount(5);
    await expect(keys.row('analysis_fox')).toBeVisible();
    await editor.shot('run-error-path');

    // Second run (keyboard): the cached value is found and output.
    await canvas.select('output-cached');
    await editor.press('Mod+Enter');
    await expect(canvas.node('output-cached')).toHaveAttribute('data-status', 'success');
    await expect(canvas.node('get-cached')).toHaveAttribute('data-status', 'success');
    await expect(canvas.node('compute')).toHaveAttribute('data-status', 'idle');
    await expect(run.status()).toHaveText('succeeded');
    await expect(page.locator('.react-flow__edge[data-id="e-get-hit"] .edge--taken')).toHaveCount(1);

    // The inspector shows the block's last result and what it read.
    await canvas.select('get-cached');
    await expect(editor.inspector.region.getByText('flow:analysis_fox')).toBeVisible();
    await run.region.getByRole('tab', { name: /Last runs/ }).click();
    await expect(run.region.getByRole('list', { name: 'Last runs' }).getByRole('listitem')).toHaveCount(2);
    await editor.shot('run-success-path');
  });

  test('editing and deleting a key in the panel changes what the next run does', async ({ editor }) => {
    await editor.open();
    const { canvas, keys } = editor;
    await editor.runAndWait('succeeded');
    await expect(keys.row('analysis_fox')).toBeVisible();

    // Bad JSON is refused as you type, with where it fails.
    await keys.open('analysis_fox');
    await keys.details('analysis_fox').getByRole('button', { name: 'Edit' }).click();
    await keys.region.getByLabel('Stored value').fill('{"edited": tru}');
    await expect(keys.region.locator('.field__problem')).toContainText('line 1, column');
    await expect(keys.region.getByRole('button', { name: 'Save key' })).toBeDisabled();
    await keys.region.getByLabel('Stored value').fill('{"edited": true, "nested": {"score": 7}}');
    await keys.region.getByRole('button', { name: 'Save key' }).click();
    await expect(keys.details('analysis_fox')).toContainText('edited');
    await editor.shot('keys-edited');

    await editor.runAndWait('succeeded');
    await expect(canvas.node('output-cached')).toHaveAttribute('data-status', 'success');
    await canvas.select('output-cached');
    await expect(editor.inspector.region.locator('.last-run')).toContainText('edited');

    await keys.remove('analysis_fox');
    await expect(keys.row('analysis_fox')).toHaveCount(0);
    await editor.runAndWait('succeeded');
    await expect(canvas.node('get-cached')).toHaveAttribute('data-status', 'error');
    await expect(canvas.node('compute')).toHaveAttribute('data-status', 'success');
    await expect(keys.row('analysis_fox')).toBeVisible();
  });

  test('add a key, filter by name and switch scope', async ({ editor }) => {
    await editor.open();
    const { keys } = editor;
    await keys.region.getByRole('button', { name: 'Add key' }).click();
    await keys.region.getByLabel('New key').fill('bad key');
    await expect(keys.region.locator('.field__problem')).toContainText('space');
    await keys.region.getByLabel('New key').fill('greeting');
    await keys.region.getByLabel('Stored as').selectOption('text');
    await keys.region.getByLabel('Stored value').fill('hello');
    await keys.region.getByRole('button', { name: 'Save key' }).click();
    await expect(keys.row('greeting')).toBeVisible();
    await expect(keys.row('greeting')).toContainText('text');
    await keys.filter().fill('gr');
    await expect(keys.rows()).toHaveCount(1);
    await keys.filter().fill('zz');
    await expect(keys.region).toContainText('No key contains “zz”');
    await keys.filter().fill('');
    await keys.scope().selectOption('global');
    await expect(keys.row('greeting')).toHaveCount(0);
    await keys.scope().selectOption('flow');
    await expect(keys.row('greeting')).toBeVisible();
  });
});
