import { expect, test } from './fixtures/editor';

test.describe('canvas', () => {
  test('drag a block from the palette and connect it; a connection into Start is refused', async ({ editor }) => {
    await editor.open();
    const before = await editor.canvas.nodes().count();
    await editor.palette.dragToCanvas('Get key', { x: 420, y: 620 });
    await expect(editor.canvas.nodes()).toHaveCount(before + 1);
    const added = editor.canvas.node('get');
    await expect(added).toHaveAttribute('data-status', 'idle');
    await expect(added.locator('.react-flow__handle[data-handleid="success"]')).toBeVisible();
    await expect(added.locator('.react-flow__handle[data-handleid="error"]')).toBeVisible();

    await editor.canvas.connect('start', 'success', 'get');
    await expect(editor.canvas.edgeBetween('start', 'success', 'get')).toHaveCount(1);

    // The same edge again is a duplicate; into Start is never allowed.
    await editor.canvas.connect('start', 'success', 'get');
    await expect(editor.toast()).toContainText('already connects');
    await editor.canvas.dragBetween(editor.canvas.handle('get', 'error'), editor.canvas.node('start').locator('.block__head'));
    await expect(editor.toast().last()).toContainText('Nothing can connect into the Start block');
    await expect(editor.canvas.edgeBetween('start', 'success', 'get')).toHaveCount(1);
    await editor.shot('canvas-connected');
  });

  test('click a palette entry to add it at the centre, then copy, paste and duplicate', async ({ editor }) => {
    await editor.open();
    await editor.palette.entry('Condition').click();
    await expect(editor.canvas.node('condition')).toBeVisible();
    for (const out of ['true', 'false', 'error']) {
      await expect(editor.canvas.handle('condition', out)).toBeVisible();
    }
    await editor.canvas.select('get-cached');
    await editor.press('Mod+c');
    await editor.press('Mod+v');
    await expect(editor.canvas.node('get')).toBeVisible();
    await expect(editor.canvas.node('get')).toContainText('get analysis_@{input.docId}');
    await editor.press('Mod+d');
    await expect(editor.canvas.node('get_2')).toBeVisible();
  });

  test('undo and redo add, move, connect and delete', async ({ page, editor }) => {
    await editor.open();
    const { canvas } = editor;

    // add
    await editor.palette.entry('Output').click();
    await expect(canvas.node('output')).toBeVisible();
    await editor.press('Mod+z');
    await expect(canvas.node('output')).toHaveCount(0);
    await editor.press('Mod+Shift+z');
    await expect(canvas.node('output')).toBeVisible();

    // move: a whole drag is one step
    const start = await canvas.position('compute');
    await canvas.moveNode('compute', { x: 60, y: 90 });
    const moved = await canvas.position('compute');
    expect(moved.y - start.y).toBeGreaterThan(40);
    await editor.press('Mod+z');
    await expect.poll(() => canvas.position('compute')).toEqual(start);
    await editor.press('Mod+Shift+z');
    await expect.poll(() => canvas.position('compute')).toEqual(moved);

    // connect
    await canvas.connect('output-cached', 'success', 'output');
    await expect(canvas.edgeBetween('output-cached', 'success', 'output')).toHaveCount(1);
    await editor.toolbar.button('Undo').click();
    await expect(canvas.edgeBetween('output-cached', 'success', 'output')).toHaveCount(0);
    await editor.toolbar.button('Redo').click();
    await expect(canvas.edgeBetween('output-cached', 'success', 'output')).toHaveCount(1);

    // delete (with its edges), by Delete and by Backspace
    await canvas.select('compute');
    await page.keyboard.press('Delete');
    await expect(canvas.node('compute')).toHaveCount(0);
    await expect(page.locator('.react-flow__edge[data-id="e-get-miss"]')).toHaveCount(0);
    await editor.press('Mod+z');
    await expect(canvas.node('compute')).toBeVisible();
    await expect(page.locator('.react-flow__edge[data-id="e-get-miss"]')).toHaveCount(1);
    await canvas.select('output');
    await page.keyboard.press('Backspace');
    await expect(canvas.node('output')).toHaveCount(0);
    await editor.press('Mod+z');
    await expect(canvas.node('output')).toBeVisible();
  });

  test('auto layout moves blocks in one undoable step', async ({ page, editor }) => {
    await editor.open();
    await editor.palette.entry('Transform').click();
    const before = await editor.canvas.position('transform');
    await editor.toolbar.button('Auto layout').click();
    await expect.poll(() => editor.canvas.position('transform')).not.toEqual(before);
    await expect(page.locator('.react-flow__minimap')).toBeVisible();
    await editor.shot('canvas-auto-layout');
  });
});
