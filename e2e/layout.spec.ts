import type { Page } from '@playwright/test';
import { expect, test } from './fixtures/editor';
import { panelToggle } from './pages/editor-page';

interface Box {
  name: string;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

/** The toolbar's controls as a person sees them: every button, field and select, in order. */
async function toolbarControls(page: Page): Promise<Box[]> {
  return page.locator('.toolbar').evaluate((toolbar) =>
    [...toolbar.querySelectorAll('button, select, input:not([type=file]), label.btn')].map((el) => {
      const r = el.getBoundingClientRect();
      const name = el.getAttribute('aria-label') ?? el.textContent?.trim() ?? el.tagName;
      return { name, left: r.left, right: r.right, top: r.top, bottom: r.bottom };
    }),
  );
}

for (const viewport of [
  { width: 1440, height: 900 },
  { width: 1280, height: 800 },
  { width: 1200, height: 800 },
]) {
  test(`toolbar controls neither overlap nor leave the window at ${viewport.width}×${viewport.height}`, async ({ page, editor }) => {
    await page.setViewportSize(viewport);
    await editor.open();
    const boxes = await toolbarControls(page);
    expect(boxes.length).toBeGreaterThan(10);
    for (const box of boxes) {
      expect(box.left, `${box.name} starts inside the window`).toBeGreaterThanOrEqual(0);
      expect(box.right, `${box.name} ends inside the window`).toBeLessThanOrEqual(viewport.width);
    }
    for (let i = 1; i < boxes.length; i++) {
      const [before, after] = [boxes[i - 1]!, boxes[i]!];
      expect(after.left, `${after.name} starts after ${before.name} ends`).toBeGreaterThanOrEqual(before.right);
    }
  });
}

test('the blueprint switcher is an icon and the open blueprint is named once, in the name field', async ({ editor }) => {
  await editor.open();
  const name = editor.toolbar.blueprintName();
  const switcher = editor.toolbar.blueprintSelect();
  await expect(name).toHaveValue('Cache an expensive result');
  // The select still says which blueprint is open to assistive technology…
  await expect(switcher.locator('option:checked')).toHaveText('Cache an expensive result');
  // …but draws no text, so the toolbar does not show the name twice side by side.
  await expect(switcher).toHaveCSS('color', 'rgba(0, 0, 0, 0)');
  const [switcherBox, nameBox] = [await switcher.boundingBox(), await name.boundingBox()];
  expect(switcherBox!.width).toBeLessThan(60);
  expect(nameBox!.width).toBeGreaterThan(3 * switcherBox!.width);
  await expect(switcher).toHaveAttribute('title', /Open another blueprint/);
});

test('the @{ suggestions are drawn over the panels below the Inspector, not clipped by it', async ({ page, editor }) => {
  await editor.open();
  await editor.palette.entry('Get key').click();
  const key = editor.inspector.field('Key');
  await key.fill('');
  await key.pressSequentially('@{');
  const options = page.getByRole('listbox', { name: 'Suggestions' }).getByRole('option');
  await expect(options.first()).toBeVisible();
  const inspectorBottom = (await editor.inspector.region.boundingBox())!;
  // Suggestions that reach below the Inspector's bottom edge are the ones a clipping panel hides.
  const hitTests = await options.evaluateAll((items) =>
    items.slice(0, 8).map((item) => {
      const r = item.getBoundingClientRect();
      const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
      return { bottom: r.bottom, visible: hit !== null && item.contains(hit) };
    }),
  );
  expect(
    hitTests.some((t) => t.bottom > inspectorBottom.y + inspectorBottom.height),
    'the list is long enough to pass the Inspector',
  ).toBe(true);
  for (const [index, test] of hitTests.entries()) expect(test.visible, `suggestion ${index + 1} can be seen and clicked`).toBe(true);
  // Clicking one far below the field inserts it.
  await options.filter({ hasText: 'kvGlobal' }).click();
  await expect(key).toHaveValue(/^@\{kvGlobal/);
});

for (const viewport of [
  { width: 1440, height: 900 },
  { width: 1280, height: 800 },
]) {
  test(`the Stored keys Scope select shows each scope's name whole at ${viewport.width}×${viewport.height}`, async ({ page, editor }) => {
    await page.setViewportSize(viewport);
    await editor.open();
    const scope = editor.keys.scope();
    for (const value of ['flow', 'flow_group', 'global']) {
      await scope.selectOption(value);
      // The chosen option's text, set in the select's font, must fit the room left of the arrow.
      const { textWidth, room } = await scope.evaluate((select: HTMLSelectElement) => {
        const style = getComputedStyle(select);
        const context = document.createElement('canvas').getContext('2d')!;
        context.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
        const arrow = 20;
        const padding = parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
        return { textWidth: context.measureText(select.selectedOptions[0]!.text).width, room: select.clientWidth - padding - arrow };
      });
      expect(textWidth, `"${value}" fits in the Scope select`).toBeLessThanOrEqual(room);
    }
    await editor.shot(`ux-scope-select-${viewport.width}`);
  });
}

test('the side panels fold to their headers to give the Inspector room, and stay folded after a reload', async ({ page, editor }) => {
  await editor.open();
  await editor.runAndWait('succeeded');
  await editor.canvas.select('get-cached');
  for (const panel of ['Inspector', 'Stored keys', 'Run'] as const)
    await expect(panelToggle(page, panel)).toHaveAttribute('aria-expanded', 'true');
  const lastRun = editor.inspector.region.getByLabel('Last run of this block');
  const openHeight = (await editor.inspector.region.boundingBox())!.height;

  await panelToggle(page, 'Stored keys').click();
  await panelToggle(page, 'Run').click();
  await expect(panelToggle(page, 'Stored keys')).toHaveAttribute('aria-expanded', 'false');
  await expect(panelToggle(page, 'Run')).toHaveAttribute('aria-expanded', 'false');
  // Folded, a region keeps its name and its header: the run's status word is still read.
  await expect(editor.keys.region).toBeVisible();
  await expect(editor.keys.scope()).toHaveCount(0);
  await expect(editor.run.status()).toHaveText('succeeded');
  const roomyHeight = (await editor.inspector.region.boundingBox())!.height;
  expect(roomyHeight).toBeGreaterThan(openHeight + 250);
  await expect(lastRun).toBeInViewport();
  await editor.shot('ux-panels-folded');

  await page.reload();
  await editor.ready();
  await expect(panelToggle(page, 'Stored keys')).toHaveAttribute('aria-expanded', 'false');
  await expect(panelToggle(page, 'Run')).toHaveAttribute('aria-expanded', 'false');
  await expect(panelToggle(page, 'Inspector')).toHaveAttribute('aria-expanded', 'true');

  await panelToggle(page, 'Run').click();
  await panelToggle(page, 'Stored keys').click();
  await expect(editor.keys.scope()).toBeVisible();
  await expect(editor.run.status()).toHaveText('not run yet');
  expect((await editor.inspector.region.boundingBox())!.height).toBeCloseTo(openHeight, -1);
});
