import { ERROR_CODES } from '../src/kv/errors';
import { expect, test } from './fixtures/editor';

test.describe('inspector', () => {
  test('configure a Get block: a bad key is rejected as you type', async ({ editor }) => {
    await editor.open();
    await editor.palette.entry('Get key').click();
    const { inspector } = editor;
    await expect(inspector.field('Action')).toHaveValue('get');
    await inspector.field('Key').fill('user profile!');
    await expect(inspector.problems()).toContainText('user profile!');
    await expect(inspector.field('Key')).toHaveAttribute('aria-invalid', 'true');
    await editor.shot('inspector-bad-key');
    await inspector.field('Key').fill('user_profile');
    await expect(inspector.problems()).toHaveCount(0);
    await expect(editor.canvas.node('get')).toContainText('get user_profile');
    await inspector.field('Scope').selectOption('global');
    await expect(editor.canvas.node('get')).toContainText('get user_profile in global');
    // Switching the action shows the fields of that action.
    await inspector.field('Action').selectOption('save');
    await expect(inspector.field('Value type')).toBeVisible();
    await expect(inspector.field('Value')).toBeVisible();
  });

  test('a placeholder still being typed is not an error until it is closed wrongly or the field is left', async ({ editor }) => {
    await editor.open();
    await editor.palette.entry('Get key').click();
    const { inspector } = editor;
    const key = inspector.field('Key');
    await key.fill('');
    await key.pressSequentially('user_@{inp');
    await expect(inspector.region.getByText('Finish the placeholder with')).toBeVisible();
    await expect(inspector.problems()).toHaveCount(0);
    await expect(key).not.toHaveAttribute('aria-invalid', 'true');
    await editor.shot('ux-typing-placeholder');
    // Closed wrongly: the unknown root is reported at once.
    await key.press('Escape');
    await key.pressSequentially('}');
    await expect(inspector.problems()).toContainText("unknown root 'inp'");
    await expect(key).toHaveAttribute('aria-invalid', 'true');
    // Left unclosed: the error shows once the field loses focus.
    await key.fill('user_@{input.id');
    await expect(inspector.problems()).toHaveCount(0);
    await inspector.field('Scope').focus();
    await expect(inspector.problems()).toContainText('not closed');
    await expect(key).toHaveAttribute('aria-invalid', 'true');
  });

  test('JSON that does not parse shows where', async ({ editor }) => {
    await editor.open();
    await editor.canvas.select('output-computed');
    const { inspector } = editor;
    await expect(inspector.field('Value type')).toHaveValue('json');
    await inspector.field('Value').fill('{ "a": 1,\n  "b": }');
    await expect(inspector.problems()).toContainText('line 2, column');
    await inspector.field('Value').fill('{ "a": 1, "b": @{input.text} }');
    await expect(inspector.problems()).toHaveCount(0);
  });

  test('@{ autocompletes input, results and stored keys with nested paths', async ({ editor }) => {
    await editor.open();
    await editor.runAndWait('succeeded');
    await editor.canvas.select('output-computed');
    const value = editor.inspector.field('Value');
    const suggestions = editor.inspector.region.getByRole('listbox', { name: 'Suggestions' });

    await value.fill('');
    await value.pressSequentially('@{inp');
    await expect(suggestions.getByRole('option', { name: /input/ })).toBeVisible();
    await value.press('Enter');
    await expect(value).toHaveValue('@{input}');

    await value.fill('');
    await value.pressSequentially('@{kv.');
    await expect(suggestions.getByRole('option', { name: /analysis_fox/ })).toBeVisible();
    await value.press('Enter');
    await expect(value).toHaveValue('@{kv.analysis_fox}');
    // The caret sits before the closing brace: keep typing a path.
    await value.pressSequentially('.');
    await expect(suggestions.getByRole('option', { name: /wordCount/ })).toBeVisible();
    await editor.shot('inspector-autocomplete');

    await value.fill('');
    await value.pressSequentially('@{results.');
    await expect(suggestions.getByRole('option', { name: /save-result/ })).toBeVisible();
    await expect(suggestions.getByRole('option', { name: /^analysis/ })).toBeVisible();
    await value.pressSequentially('analysis.t');
    await expect(suggestions.getByRole('option', { name: /^text/ })).toBeVisible();
    await value.press('Escape');
    await expect(suggestions).toHaveCount(0);
  });

  test('clicking a failed block shows its error and the keys it read', async ({ editor }) => {
    await editor.open();
    await editor.runAndWait('succeeded');
    await editor.canvas.select('get-cached');
    const lastRun = editor.inspector.region.getByLabel('Last run of this block');
    await expect(lastRun).toContainText('not_found');
    await expect(lastRun.locator('.error-help')).toHaveText(ERROR_CODES.not_found.help);
    await expect(lastRun).toContainText('flow:analysis_fox');
    await editor.canvas.select('save-result');
    await expect(editor.inspector.region.getByLabel('Last run of this block')).toContainText('Wrote');
    await expect(editor.inspector.region.getByLabel('Last run of this block')).toContainText('flow:analysis_fox');
  });
});
