import type { Page } from '@playwright/test';
import { CODE_CASES, type CodeCase } from '../src/engine/blocks/code-cases';
import type { BlueprintDocument, RunRecord } from '../src/engine/types';
import { expect, test } from './fixtures/editor';
import type { EditorPage } from './pages/editor-page';

function codeDocument(id: string, source: string, input: unknown, timeoutMs?: number): BlueprintDocument {
  return {
    format: 'kv-blueprint/1',
    id,
    name: `Code ${id}`,
    nodes: [
      { id: 'start', type: 'start', position: { x: 0, y: 0 }, data: { sampleInput: input as never } },
      { id: 'code', type: 'code', position: { x: 300, y: 0 }, data: { label: 'Compute', source, ...(timeoutMs ? { timeoutMs } : {}) } },
    ],
    edges: [{ id: 'e1', source: 'start', sourceHandle: 'success', target: 'code' }],
  };
}

/** Loads a document into the editor, presses Run and gives the finished run's record. */
async function runDocument(editor: EditorPage, document: BlueprintDocument): Promise<RunRecord> {
  const page: Page = editor.page;
  const previous = await page.evaluate((json) => {
    const handle = window.kvb!;
    handle.editor.getState().load(JSON.parse(json) as BlueprintDocument);
    return handle.run.getState().view.runId;
  }, JSON.stringify(document));
  await editor.toolbar.button('Run').click();
  await page.waitForFunction((before) => {
    const view = window.kvb!.run.getState().view;
    return view.runId !== before && view.record !== null && view.record.runId === view.runId;
  }, previous);
  return page.evaluate(() => window.kvb!.run.getState().view.record!);
}

test.describe('compute', () => {
  test('Code block cases give in Chromium what they give in Node; the sandbox loads on first use', async ({ page, editor }) => {
    const requested: string[] = [];
    page.on('request', (request) => requested.push(request.url()));
    await editor.open();
    expect(requested.filter((url) => url.endsWith('.wasm') || url.includes('CodeMirrorField'))).toEqual([]);

    for (const [index, testCase] of CODE_CASES.entries()) {
      const record = await runDocument(editor, codeDocument(`case-${index}`, testCase.source, testCase.input, testCase.timeoutMs));
      const step = record.steps[1];
      expectCase(testCase, step);
    }
    expect(requested.filter((url) => url.endsWith('.wasm'))).toHaveLength(1);
  });

  test('a Code block that throws shows its line and its logs in the Run panel', async ({ editor }) => {
    await editor.open();
    const source =
      'console.log("checking order", input.orderId);\nconst total = input.items.length;\nthrow new Error("order " + input.orderId + " has " + total + " items");';
    const record = await runDocument(editor, codeDocument('throws', source, { orderId: 'A-17', items: [1, 2] }));
    expect(record.status).toBe('failed');
    const step = editor.run.steps().filter({ hasText: 'Compute' });
    await expect(step).toContainText('code_error: Error: order A-17 has 2 items (line 3)');
    await expect(step.getByLabel('Logs')).toHaveText('checking order A-17');
    await expect(editor.canvas.node('code')).toHaveAttribute('data-status', 'error');
    await step.scrollIntoViewIfNeeded();
    await editor.shot('code-error-run-panel');
  });

  test('code runs off the page: the editor answers while an endless loop runs, and Stop ends it at once', async ({ editor }) => {
    await editor.open();
    await editor.page.evaluate(
      (json) => window.kvb!.editor.getState().load(JSON.parse(json) as BlueprintDocument),
      JSON.stringify(codeDocument('endless', 'for (;;) {}', {}, 10_000)),
    );
    await editor.toolbar.button('Run').click();
    await expect(editor.run.status()).toHaveText('running');
    await expect(editor.canvas.node('code')).toHaveAttribute('data-status', 'running');
    // The page still handles input: select a block and read it in the Inspector.
    await editor.canvas.select('start');
    await expect(editor.inspector.region.getByText('Sample input', { exact: true })).toBeVisible();
    const stoppedAt = Date.now();
    await editor.toolbar.button('Stop').click();
    await expect(editor.run.status()).toHaveText('cancelled');
    expect(Date.now() - stoppedAt).toBeLessThan(3000);
    await expect(editor.run.steps().filter({ hasText: 'Compute' })).toContainText('cancelled: The run was stopped while the code ran');
    // The next run gets a fresh sandbox.
    const record = await runDocument(editor, codeDocument('after-stop', 'return 6 * 7;', {}));
    expect(record.steps[1]?.result).toBe(42);
  });

  for (const viewport of [
    { width: 1440, height: 900 },
    { width: 1280, height: 800 },
  ]) {
    test(`the Code block's source is edited in a code editor (${viewport.width}×${viewport.height})`, async ({ page, editor }) => {
      await page.setViewportSize(viewport);
      await editor.open();
      await editor.runAndWait('succeeded');
      await editor.canvas.select('compute');
      const code = editor.inspector.region.locator('.cm-editor');
      await expect(code).toBeVisible();
      await expect(code.locator('.cm-lineNumbers .cm-gutterElement', { hasText: /^14$/ })).toBeVisible();
      // Highlighted: keywords and strings carry their own token classes.
      await expect(code.getByText('const', { exact: true }).first()).toHaveCSS('color', /rgb\((?!0, 0, 0\))/);
      await expect(editor.inspector.region.getByLabel('Logs of this block')).toHaveText('9 words, 8 different');
      await expect(editor.inspector.field('Code')).toBeVisible();
      await editor.inspector.region.locator('.block-inspector__head').scrollIntoViewIfNeeded();
      await editor.shot(`code-inspector-${viewport.width}x${viewport.height}`);

      // Typing in the editor changes the block's source.
      await code.locator('.cm-content').click();
      await editor.press('Mod+End');
      await page.keyboard.type('\n// checked');
      await expect
        .poll(() => page.evaluate(() => String(window.kvb!.editor.getState().nodes.find((n) => n.id === 'compute')!.data.source)))
        .toMatch(/\/\/ checked$/);
    });

    test(`an expression's preview follows what is typed (${viewport.width}×${viewport.height})`, async ({ page, editor }) => {
      await page.setViewportSize(viewport);
      await editor.open();
      await editor.runAndWait('succeeded');
      await editor.canvas.select('output-computed');
      const value = editor.inspector.field('Value');
      const preview = editor.inspector.region.getByLabel('Preview of Value');
      await expect(preview).toContainText('"source":"computed"');

      // The Output's value type is json: the preview is the parsed value, or where it fails to parse.
      await value.fill('{"top": "@{upper(results.analysis.topWords.0.word)}"}');
      await expect(preview).toContainText('{"top":"THE"}');
      await value.fill('Top: @{upper(results.analysis.topWords.0.word)}');
      await expect(preview).toContainText("Invalid JSON at line 1, column 1: unexpected 'T'");
      await value.fill('@{length(results.analysis.topWords)}');
      await expect(preview).toContainText('3');
      await value.fill('@{add(results.analysis.longestWord, 1)}');
      await expect(preview).toContainText('add expects numbers, argument 1 is the text "quick"');

      // While a call is typed, its signature shows with the current argument.
      await value.fill('');
      await value.pressSequentially('@{round(divide(results.analysis.wordCount, 4), ');
      const hint = editor.inspector.region.getByRole('status', { name: 'Signature of round' });
      await expect(hint).toContainText('round(number, digits?)');
      await expect(hint.locator('strong')).toHaveText('digits?');
      await page.keyboard.type('1)}');
      await expect(preview).toContainText('2.3');
      await preview.scrollIntoViewIfNeeded();
      await editor.shot(`expression-preview-${viewport.width}x${viewport.height}`);
      await value.fill('{"longest": @{add(results.analysis.longestWord, 1)}}');
      await preview.scrollIntoViewIfNeeded();
      await editor.shot(`expression-preview-error-${viewport.width}x${viewport.height}`);
    });
  }
});

function expectCase(testCase: CodeCase, step: RunRecord['steps'][number] | undefined): void {
  expect(step, testCase.name).toBeDefined();
  if ('result' in testCase.expected) {
    expect(step?.error, testCase.name).toBeNull();
    expect(step?.result, testCase.name).toEqual(testCase.expected.result);
    if (testCase.expected.logs) expect(step?.logs, testCase.name).toEqual(testCase.expected.logs);
  } else {
    expect(step?.error?.code, testCase.name).toBe('code_error');
    expect(step?.error?.message, testCase.name).toContain(testCase.expected.error);
  }
}
