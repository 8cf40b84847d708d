import { expect, test } from './fixtures/editor';
import { panelToggle } from './pages/editor-page';

test.describe('stored keys panel', () => {
  test('stays instant with 100,000 keys: open, filter, scroll, and a bulk delete with undo', async ({ page, editor, keysPanel }) => {
    test.setTimeout(120_000);
    await editor.open();
    // The keys panel gets the whole right column, as someone browsing many keys would set it.
    await panelToggle(page, 'Inspector').click();
    await panelToggle(page, 'Run').click();
    // Seeded into global while the panel shows flow, so opening global below reads the names cold.
    const seedMs = await keysPanel.seedMany(100_000, { scope: 'global' });
    console.log(`seeded 100,000 keys in ${Math.round(seedMs)} ms`);
    expect(seedMs).toBeLessThan(60_000);

    // Open: first rows and the count, from the name index. The precise figures live in `npm run bench`;
    // these bounds only catch a return to reading every value.
    const openMs = await keysPanel.timeUntil(
      () =>
        keysPanel
          .scope()
          .selectOption('global')
          .then(() => undefined),
      '.key-row[data-key="key-000000"]',
    );
    await expect(keysPanel.row('key-000000')).toBeVisible();
    await expect(keysPanel.count()).toHaveText('100,000 keys');
    expect(await keysPanel.rows().count()).toBeLessThan(80);

    // Filter: one keystroke to updated rows, the match highlighted.
    await keysPanel.filter().fill('KEY-0999');
    await expect(keysPanel.count()).toHaveText('100 of 100,000 keys');
    // Three keystrokes (narrow, widen, narrow again); the median is the figure, so one stall of a
    // busy CI machine does not decide it.
    const keystrokes = [
      await keysPanel.timeUntil(() => keysPanel.filter().press('9'), '.key-row[data-key="key-099999"] mark'),
      await keysPanel.timeUntil(() => keysPanel.filter().press('Backspace'), '.key-row[data-key="key-099900"] mark'),
      await keysPanel.timeUntil(() => keysPanel.filter().press('9'), '.key-row[data-key="key-099999"] mark'),
    ].sort((a, b) => a - b);
    const filterMs = keystrokes[1]!;
    await expect(keysPanel.count()).toHaveText('10 of 100,000 keys');
    await expect(keysPanel.rows()).toHaveCount(10);
    await expect(keysPanel.row('key-099990').locator('mark')).toHaveText('key-09999');

    // Scroll through the whole list, timing every frame.
    await keysPanel.filter().fill('');
    await expect(keysPanel.count()).toHaveText('100,000 keys');
    const frames = await keysPanel.region.locator('.key-list').evaluate(async (list) => {
      const gaps: number[] = [];
      let previous = performance.now();
      while (list.scrollTop + list.clientHeight < list.scrollHeight - 1) {
        list.scrollTop += 15_000;
        await new Promise((resolve) => requestAnimationFrame(resolve));
        const now = performance.now();
        gaps.push(now - previous);
        previous = now;
      }
      return gaps.sort((a, b) => a - b);
    });
    const p95 = frames[Math.floor(frames.length * 0.95)] ?? 0;
    await expect(keysPanel.row('key-099999')).toBeVisible();
    await expect(keysPanel.row('key-099999').locator('.badge')).toHaveText('json');
    console.log(
      `open ${openMs.toFixed(1)} ms, filter keystroke ${filterMs.toFixed(1)} ms (median of ${keystrokes.map((ms) => ms.toFixed(1)).join(', ')}), scroll frame p95 ${p95.toFixed(1)} ms over ${frames.length} frames`,
    );
    expect(openMs).toBeLessThan(1_500);
    expect(filterMs).toBeLessThan(500);
    expect(p95).toBeLessThan(150);

    // Bulk delete: a shift-click range, then everything matching the filter, in one batch, undone.
    await keysPanel.filter().fill('key-0999');
    await expect(keysPanel.count()).toHaveText('100 of 100,000 keys');
    await keysPanel.checkbox('key-099901').click();
    await keysPanel.checkbox('key-099905').click({ modifiers: ['Shift'] });
    const selection = keysPanel.region.getByLabel('Selection');
    await expect(selection).toContainText('5 selected');
    await editor.shot('keys-100k-selection');
    await selection.getByRole('button', { name: 'Select all 100 matching' }).click();
    await expect(selection).toContainText('100 selected');
    await page.setViewportSize({ width: 1280, height: 800 });
    await editor.shot('keys-100k-selection-1280');
    await selection.getByRole('button', { name: 'Delete selected' }).click();
    await page.getByRole('dialog', { name: 'Delete keys' }).getByRole('button', { name: 'Delete 100 keys' }).click();
    await expect(keysPanel.count()).toHaveText('0 of 99,900 keys');
    await expect(keysPanel.region).toContainText('No key contains “key-0999”');
    await keysPanel.region.getByRole('status').getByRole('button', { name: 'Undo' }).click();
    await expect(keysPanel.count()).toHaveText('100 of 100,000 keys');
    await keysPanel.filter().fill('key-099950');
    await keysPanel.open('key-099950');
    await expect(keysPanel.details('key-099950')).toContainText('99950');
  });

  test('Add key stores plain text as text without asking, and explains how when JSON is chosen', async ({ editor, keysPanel }) => {
    await editor.open();
    await keysPanel.region.getByRole('button', { name: 'Add key' }).click();
    await keysPanel.region.getByLabel('New key').fill('greeting');
    await keysPanel.region.getByLabel('Stored value').fill('hello');
    await expect(keysPanel.region).toContainText('Will be stored as text.');
    await keysPanel.region.getByRole('button', { name: 'Save key' }).click();
    await expect(keysPanel.row('greeting').locator('.badge')).toHaveText('text');
    await keysPanel.open('greeting');
    await expect(keysPanel.details('greeting')).toContainText('hello');

    await keysPanel.region.getByRole('button', { name: '← All keys' }).click();
    await keysPanel.region.getByRole('button', { name: 'Add key' }).click();
    await keysPanel.region.getByLabel('Stored as').selectOption('json');
    await keysPanel.region.getByLabel('Stored value').fill('hello');
    await expect(keysPanel.region.getByRole('alert')).toContainText('choose “text” under Stored as');
  });

  test('Add key takes a time to live', async ({ editor, keysPanel }) => {
    await editor.open();
    await keysPanel.region.getByRole('button', { name: 'Add key' }).click();
    await keysPanel.region.getByLabel('New key').fill('session');
    await keysPanel.region.getByLabel('Stored value').fill('{"user": 1}');
    await keysPanel.region.getByLabel('Expires after (seconds)').fill('0');
    await expect(keysPanel.region.getByRole('alert')).toContainText('positive number of seconds');
    await keysPanel.region.getByLabel('Expires after (seconds)').fill('3600');
    await keysPanel.region.getByRole('button', { name: 'Save key' }).click();
    await keysPanel.open('session');
    await expect(keysPanel.details('session')).toContainText('expires');
    const expiresAt = await editor.page.evaluate(async () => {
      const { store, companyId } = window.kvb!.storage.getState();
      const [result] = await store!.batch(companyId, [
        { op: 'get', scope: 'flow', scopeKey: window.kvb!.editor.getState().meta.id, key: 'session' },
      ]);
      return result?.op === 'get' ? (result.entry?.expiresAt ?? null) : null;
    });
    expect(Date.parse(expiresAt ?? '') - Date.now()).toBeGreaterThan(3_500_000);
  });

  test('the count follows a scope change at once, never showing the previous scope’s number', async ({ page, editor, keysPanel }) => {
    await editor.open();
    await keysPanel.seed([
      { key: 'a', value: 1 },
      { key: 'b', value: 2 },
      { key: 'c', value: 3 },
    ]);
    await expect(keysPanel.count()).toHaveText('3 keys');
    // Every text the count shows after the switch, however briefly: each change, and what each
    // of the first frames paints (a stale number shows without changing anything).
    await keysPanel.count().evaluate((element) => {
      const seen: string[] = [];
      (window as unknown as { countTexts: string[] }).countTexts = seen;
      new MutationObserver(() => seen.push(element.textContent ?? '')).observe(element, {
        childList: true,
        characterData: true,
        subtree: true,
      });
      document.addEventListener(
        'change',
        () => {
          let frames = 0;
          const sample = () => {
            seen.push(element.textContent ?? '');
            if (++frames < 10) requestAnimationFrame(sample);
          };
          requestAnimationFrame(sample);
        },
        { capture: true, once: true },
      );
    });
    await keysPanel.scope().selectOption('global');
    await expect(keysPanel.count()).toHaveText('0 keys');
    await expect(keysPanel.region).toContainText('No keys in this scope yet');
    const texts = await page.evaluate(() => (window as unknown as { countTexts: string[] }).countTexts);
    expect(texts.filter((text) => text.includes('3'))).toEqual([]);
  });

  test('the filter matches any part of a key name and highlights it', async ({ editor, keysPanel }) => {
    await editor.open();
    await keysPanel.seed(['user_01', 'key-01', 'monkey_bars', 'other'].map((key) => ({ key, value: 1 })));
    await keysPanel.filter().fill('KEY');
    await expect(keysPanel.rows()).toHaveCount(2);
    await expect(keysPanel.row('monkey_bars').locator('mark')).toHaveText('key');
    await expect(keysPanel.row('key-01').locator('mark')).toHaveText('key');
    await expect(keysPanel.count()).toHaveText('2 of 4 keys');
  });

  test('refreshes after a write from another tab', async ({ editor, keysPanel, openEditorTab }) => {
    await editor.open();
    const other = await openEditorTab();
    await other.keys.region.getByRole('button', { name: 'Add key' }).click();
    await other.keys.region.getByLabel('New key').fill('from_other_tab');
    await other.keys.region.getByLabel('Stored value').fill('{"hello": "there"}');
    await other.keys.region.getByRole('button', { name: 'Save key' }).click();
    await expect(other.keys.row('from_other_tab')).toBeVisible();
    await expect(keysPanel.row('from_other_tab')).toBeVisible();
  });

  test('a value opens as a JSON tree and a nested path copies as an expression', async ({ editor, keysPanel, context }) => {
    await context.grantPermissions(['clipboard-read', 'clipboard-write']);
    await editor.open();
    await keysPanel.seed([{ key: 'profile', value: { address: { city: 'Paris' } } }]);
    await keysPanel.open('profile');
    const details = keysPanel.details('profile');
    const cityRow = details.locator('.json-tree__row', { hasText: 'city' });
    await cityRow.hover();
    await cityRow.getByRole('button', { name: 'copy path' }).click();
    await expect(editor.toast().last()).toContainText('@{kv.profile.address.city}');
  });

  test('Esc leaves the Add key form without saving, and keeps the selected blocks', async ({ page, editor, keysPanel }) => {
    await editor.open();
    await editor.canvas.select('get-cached');
    await keysPanel.region.getByRole('button', { name: 'Add key' }).click();
    const form = keysPanel.region.getByRole('form', { name: 'Add key' });
    await keysPanel.region.getByLabel('New key').fill('never_saved');
    await page.keyboard.press('Escape');
    await expect(form).toHaveCount(0);
    await expect(keysPanel.row('never_saved')).toHaveCount(0);
    // Esc stayed in the form: the canvas did not take it as "select none".
    await expect(editor.canvas.node('get-cached')).toHaveClass(/selected/);
  });
});
