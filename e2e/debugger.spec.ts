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

    await input.fill('{"docId": "ada", "text": "ada"}');
    await expect(runButton(page)).toBeEnabled();
    await expect(page.getByRole('status', { name: 'Why Run is disabled' })).toBeHidden();
    await editor.runAndWait('succeeded');
    const used = await page.evaluate(() => window.kvb?.run.getState().view.record?.input);
    expect(used).toEqual({ docId: 'ada', text: 'ada' });
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

  test('an error is a badge that keeps the block its size, shows its message on hover, and goes when the block changes', async ({
    page,
    editor,
  }) => {
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
    await expect(message).toContainText("Key 'analysis_fox' not found");
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

  test('out labels have 4.5:1 contrast and a focused block has a solid ring', async ({ page, editor }) => {
    await editor.open();
    const ratios = await page.locator('.block__out-label').evaluateAll((labels) => {
      const channels = (css: string) => (css.match(/[\d.]+/g) ?? []).map(Number);
      const luminance = ([r, g, b]: number[]) => {
        const lin = (c: number) => ((c /= 255) <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
        return 0.2126 * lin(r!) + 0.7152 * lin(g!) + 0.0722 * lin(b!);
      };
      const groundOf = (element: Element): number[] => {
        for (let at: Element | null = element; at; at = at.parentElement) {
          const rgba = channels(getComputedStyle(at).backgroundColor);
          if (rgba.length === 3 || (rgba[3] ?? 0) > 0) return rgba;
        }
        return [255, 255, 255];
      };
      return labels.map((label) => {
        const a = luminance(channels(getComputedStyle(label).color));
        const b = luminance(groundOf(label));
        return { text: label.textContent, ratio: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05) };
      });
    });
    expect(ratios.length).toBeGreaterThan(4);
    for (const { text, ratio } of ratios) expect(ratio, `${text} label`).toBeGreaterThanOrEqual(4.5);

    await page.keyboard.press('Tab');
    await editor.canvas.node('compute').focus();
    const ring = await editor.canvas
      .node('compute')
      .locator('.block')
      .evaluate((block) => {
        const style = getComputedStyle(block);
        return { style: style.outlineStyle, width: parseFloat(style.outlineWidth) };
      });
    expect(ring.style).toBe('solid');
    expect(ring.width).toBeGreaterThanOrEqual(2);
  });

  test('the Inspector opens another block at its top; a new Key field shows no look-alike value', async ({ page, editor }) => {
    await editor.open();
    const { canvas, inspector } = editor;
    const body = inspector.region.locator('.panel-body');
    await canvas.select('save-result');
    await body.evaluate((element) => element.scrollTo(0, element.scrollHeight));
    expect(await body.evaluate((element) => element.scrollTop)).toBeGreaterThan(50);
    await canvas.select('compute');
    await expect.poll(() => body.evaluate((element) => element.scrollTop)).toBe(0);

    await page.locator('.react-flow__pane').click({ position: { x: 40, y: 40 } });
    await editor.palette.entry('Save key').click();
    const placeholder = await inspector.field('Key').getAttribute('placeholder');
    expect(placeholder).not.toBe('analysis_result');
    expect(placeholder).toMatch(/^a key name, e\.g\. /);
  });

  test('new blocks get numbered titles, and connection messages name blocks, not ids', async ({ page, editor }) => {
    await editor.open();
    const { canvas, palette } = editor;
    await palette.entry('Output').click();
    await page.locator('.react-flow__pane').click({ position: { x: 40, y: 40 } });
    await palette.entry('Output').click();
    await expect(canvas.node('output').locator('.block__title')).toHaveText('Output');
    await expect(canvas.node('output_2').locator('.block__title')).toHaveText('Output 2');
    await canvas.connect('output', 'success', 'output_2');
    await canvas.connect('output', 'success', 'output_2');
    await expect(editor.toast().last()).toContainText('“Output” success already connects to “Output 2”');
  });

  test('auto layout keeps the success branch above the error branch', async ({ page, editor }) => {
    await editor.open();
    const flowY = (id: string) =>
      page.evaluate((nodeId) => window.kvb?.editor.getState().nodes.find((n) => n.id === nodeId)?.position.y ?? NaN, id);
    const before = await flowY('compute');
    await page.getByRole('button', { name: 'Auto layout', exact: true }).click();
    // Wait for the layout to land (elkjs loads on first use), then compare on the canvas.
    await expect.poll(() => flowY('compute')).not.toBe(before);
    expect(await flowY('output-cached')).toBeLessThan(await flowY('compute'));
  });

  test('a self-loop shows as a loop under its block', async ({ page, editor }) => {
    await editor.open();
    await importBlueprint(editor, LOOP);
    const node = await editor.canvas.node('again').boundingBox();
    const loop = await page.locator('.react-flow__edge[data-id="loop"] path.react-flow__edge-path').boundingBox();
    expect(node && loop).toBeTruthy();
    // A bezier between the two ends stays within the block's height (12 px below it at most).
    expect(loop!.y + loop!.height).toBeGreaterThan(node!.y + node!.height + 25);
  });

  test('connecting: a drop on a block body, a drop on empty canvas (block picker), a palette click after a selected block, the keyboard', async ({
    page,
    editor,
  }) => {
    await editor.open();
    const { canvas, palette } = editor;
    await palette.dragToCanvas('Transform', { x: 560, y: 720 });
    await expect(canvas.node('transform')).toBeVisible();

    // Anywhere on the block connects, not only its 14 px input dot.
    await canvas.dragBetween(canvas.handle('compute', 'error'), canvas.node('transform').locator('.block__summary'));
    await expect(canvas.edgeBetween('compute', 'error', 'transform')).toHaveCount(1);

    // Dropped on empty canvas: the block picker opens there and connects what is chosen.
    const handle = await canvas.handle('transform', 'success').boundingBox();
    await page.mouse.move(handle!.x + 7, handle!.y + 7);
    await page.mouse.down();
    await page.mouse.move(handle!.x + 60, handle!.y - 40, { steps: 5 });
    await page.mouse.move(handle!.x + 150, handle!.y - 170, { steps: 10 });
    await page.mouse.up();
    const picker = page.getByRole('dialog', { name: 'Add a connected block' });
    await expect(picker).toBeVisible();
    await picker.getByLabel('Find a block').fill('outp');
    await editor.shot('block-picker');
    await page.keyboard.press('Enter');
    await expect(picker).toHaveCount(0);
    await expect(canvas.edgeBetween('transform', 'success', 'output')).toHaveCount(1);
    const dropped = await canvas.position('output');
    expect(Math.abs(dropped.x - (handle!.x + 150))).toBeLessThan(30);

    // With a block selected, a palette click adds the next block to its right, connected from success.
    await expect(canvas.node('output').locator('.block')).toHaveClass(/block--selected/);
    await palette.entry('Save key').click();
    await expect(canvas.edgeBetween('output', 'success', 'save')).toHaveCount(1);
    // Compared on the canvas, not the screen: the view follows a block added off the canvas.
    const positions = await page.evaluate(() => {
      const nodes = window.kvb?.editor.getState().nodes ?? [];
      const at = (id: string) => nodes.find((n) => n.id === id)?.position;
      return { output: at('output'), save: at('save') };
    });
    expect(positions.save!.x).toBeGreaterThan(positions.output!.x + 200);
    expect(positions.save!.y).toBe(positions.output!.y);

    // The keyboard: "Connect to…" (C) on the focused block.
    await canvas.node('save').focus();
    await page.keyboard.press('c');
    const dialog = page.getByRole('dialog', { name: 'Connect to…' });
    await expect(dialog).toBeVisible();
    await dialog.getByLabel('Out').selectOption('error');
    await dialog.getByRole('button', { name: 'Output cached' }).click();
    await expect(dialog).toHaveCount(0);
    await expect(canvas.edgeBetween('save', 'error', 'output-cached')).toHaveCount(1);
    // Undo takes the edge away, then the block added after Output with its edge, in one step.
    await editor.press('Mod+z');
    await expect(canvas.edgeBetween('save', 'error', 'output-cached')).toHaveCount(0);
    await editor.press('Mod+z');
    await expect(canvas.node('save')).toHaveCount(0);
    await expect(canvas.edgeBetween('output', 'success', 'save')).toHaveCount(0);
  });

  for (const viewport of [
    { width: 1440, height: 900 },
    { width: 1280, height: 800 },
  ]) {
    test(`the Run panel docks at the bottom, resizable, with the picked step's input and output side by side (${viewport.width}×${viewport.height})`, async ({
      page,
      editor,
    }) => {
      await page.setViewportSize(viewport);
      await editor.open();
      const { run } = editor;
      await run.region.getByRole('button', { name: 'Dock the Run panel at the bottom' }).click();
      const canvasBox = await page.getByRole('main', { name: 'Canvas' }).boundingBox();
      const dockBox = await run.region.boundingBox();
      expect(dockBox!.y).toBeGreaterThan(canvasBox!.y + canvasBox!.height - 2);
      expect(dockBox!.width).toBeGreaterThan(canvasBox!.width - 2);
      await editor.runAndWait('succeeded');

      // The failed step is picked at first; then a click picks another.
      await expect(run.steps().nth(1)).toHaveAttribute('aria-current', 'step');
      await run.steps().nth(3).getByRole('button').click();
      const input = run.region.getByRole('region', { name: 'Step input' });
      const output = run.region.getByRole('region', { name: 'Step output' });
      await expect(input).toContainText('from step 3 · Compute analysis');
      await expect(input).toContainText('wordCount');
      await expect(output).toContainText('analysis_fox');
      const inputBox = await input.boundingBox();
      const outputBox = await output.boundingBox();
      expect(outputBox!.x).toBeGreaterThan(inputBox!.x + inputBox!.width - 1);
      expect(inputBox!.height).toBeGreaterThan(180);
      await editor.shot(`run-docked-${viewport.width}`);
      // The picked step's output can be pinned from here too.
      await output.getByRole('button', { name: 'Pin this output' }).click();
      await expect(output.getByRole('button', { name: 'Pinned' })).toBeDisabled();
      await expect(editor.canvas.node('save-result').getByRole('img', { name: 'Output pinned' })).toBeVisible();

      // The bar above it resizes it, and the choice survives a reload.
      const bar = page.getByRole('separator', { name: 'Resize the Run panel' });
      const barBox = await bar.boundingBox();
      await page.mouse.move(barBox!.x + 200, barBox!.y + 3);
      await page.mouse.down();
      await page.mouse.move(barBox!.x + 200, barBox!.y - 97, { steps: 5 });
      await page.mouse.up();
      const taller = await run.region.boundingBox();
      expect(taller!.height).toBeGreaterThan(dockBox!.height + 80);
      await page.reload();
      await editor.ready();
      expect((await run.region.boundingBox())!.height).toBeGreaterThan(dockBox!.height + 80);
      await run.region.getByRole('button', { name: 'Move the Run panel to the right column' }).click();
      expect((await run.region.boundingBox())!.x).toBeGreaterThan(canvasBox!.x + canvasBox!.width - 2);
    });
  }

  test('pin a block’s output, then Run from here with the pin standing in; pins are kept with the blueprint', async ({ page, editor }) => {
    await editor.open();
    const { canvas, inspector, run } = editor;
    await editor.runAndWait('succeeded');
    await canvas.select('compute');
    await inspector.region.getByRole('button', { name: 'Pin this output' }).click();
    await expect(canvas.node('compute').getByRole('img', { name: 'Output pinned' })).toBeVisible();
    const pinned = await page.evaluate(() => window.kvb?.editor.getState().toDocument().pins?.compute);
    expect(pinned).toMatchObject({ text: 'The quick brown fox jumps over the lazy dog' });
    await editor.shot('pinned-data');

    // The pin survives a reload: it is part of the saved blueprint.
    await page.reload();
    await editor.ready();
    await expect(canvas.node('compute').getByRole('img', { name: 'Output pinned' })).toBeVisible();

    await canvas.select('save-result');
    await inspector.region.getByRole('button', { name: 'Run from here' }).click();
    await expect(run.status()).toHaveText('succeeded');
    await expect(run.steps()).toHaveCount(2);
    const record = await page.evaluate(() => window.kvb?.run.getState().view.record);
    expect(record?.steps.map((step) => step.nodeId)).toEqual(['save-result', 'output-computed']);
    expect((record?.steps[0]?.result as { value: unknown }).value).toEqual(pinned);
    await expect(canvas.node('compute')).toHaveAttribute('data-status', 'idle');

    // Unpinned, a run from the same block has no result to start from.
    await canvas.select('compute');
    await inspector.region.getByRole('button', { name: 'Unpin' }).click();
    await expect(canvas.node('compute').getByRole('img', { name: 'Output pinned' })).toHaveCount(0);
    expect(await page.evaluate(() => window.kvb?.editor.getState().toDocument().pins)).toBeUndefined();
  });
});
