/**
 * The server as a shared workspace: two people (two browser contexts) on one server blueprint
 * get the Conflict dialog instead of overwriting each other, a server run shows its blocks live
 * and lands in everyone's run history, two tabs on a browser blueprint are protected the same
 * way, and an import whose id exists asks. Screenshots of the conflict dialog and of a server
 * run, at the two window sizes the editor is checked at, go to .tmp/shots, or to docs/ (the
 * README's pictures) with `KVB_UPDATE_DOCS=1`, so a test run leaves the tree clean.
 */
import { readFileSync } from 'node:fs';
import type { BrowserContext, Page } from '@playwright/test';
import { expect, test } from './fixtures/editor';
import { KvbServer } from './fixtures/kvb-server';
import { EditorPage } from './pages/editor-page';
// Brings in the typing of `window.kvb`, the app's test handle.
import type {} from '../src/ui/test-handle';

const SHOTS = process.env.KVB_UPDATE_DOCS === '1' ? 'docs' : '.tmp/shots';

const counter = JSON.parse(readFileSync(new URL('./fixtures/counter-blueprint.json', import.meta.url), 'utf8')) as {
  id: string;
  name: string;
};

/** Start → a Code block that keeps the CPU busy for a moment → increment `visits`. */
const slowCounter = {
  format: 'kv-blueprint/1',
  id: 'slow-counter',
  name: 'Slow counter',
  nodes: [
    { id: 'start', type: 'start', position: { x: 0, y: 0 }, data: { sampleInput: {} } },
    {
      id: 'slow',
      type: 'code',
      position: { x: 280, y: 0 },
      data: { source: 'const until = Date.now() + 2500;\nwhile (Date.now() < until) {}\nreturn { waited: true };', timeoutMs: 5000 },
    },
    { id: 'bump', type: 'kv', position: { x: 560, y: 0 }, data: { action: 'increment', key: 'visits', by: 1, scope: 'flow' } },
  ],
  edges: [
    { id: 'e1', source: 'start', sourceHandle: 'success', target: 'slow' },
    { id: 'e2', source: 'slow', sourceHandle: 'success', target: 'bump' },
  ],
};

/** The stored revision and name of a server blueprint, as another client (Node) reads them. */
async function stored(server: KvbServer, id: string): Promise<{ revision: number; name: string }> {
  const response = await server.api('GET', `/api/blueprints/${id}`);
  expect(response.status).toBe(200);
  const etag = response.headers.get('etag') ?? '';
  return { revision: Number(etag.replaceAll('"', '')), name: ((await response.json()) as { name: string }).name };
}

/** An editor in `context` with Storage = Server, on the server's library. */
async function serverEditor(context: BrowserContext, server: KvbServer, page?: Page): Promise<EditorPage> {
  await context.addInitScript(() => localStorage.setItem('kvb.editor.v1.storage', 'server'));
  const editor = new EditorPage(page ?? (await context.newPage()));
  await editor.page.goto(server.url);
  await expect(storageButton(editor, 'Server')).toBeVisible();
  await editor.ready();
  return editor;
}

async function rename(editor: EditorPage, name: string): Promise<void> {
  await editor.toolbar.blueprintName().fill(name);
  await editor.toolbar.blueprintName().press('Enter');
}

/** The menu's button that says where the open blueprint lives. */
function storageButton(editor: EditorPage, where: 'Browser' | 'Server') {
  return editor.page.getByRole('button', { name: `Blueprint storage: ${where}` });
}

function conflictDialog(page: Page) {
  return page.getByRole('dialog', { name: 'Conflict' });
}

const SIZES = [
  { width: 1440, height: 900 },
  { width: 1280, height: 800 },
];

test.describe('the server as a workspace', () => {
  let server: KvbServer;

  test.afterEach(async () => {
    await server?.dispose();
  });

  test('two people on one server blueprint: the second save is a conflict, and each choice does what it says', async ({
    page,
    browser,
  }) => {
    test.setTimeout(120_000);
    server = await KvbServer.start();
    expect((await server.api('POST', '/api/blueprints', counter)).status).toBe(201);
    const ann = await serverEditor(page.context(), server, page);
    const otherContext = await browser.newContext();
    const bob = await serverEditor(otherContext, server);
    for (const editor of [ann, bob]) await expect(editor.toolbar.blueprintName()).toHaveValue('Imported counter');
    // The menu lists the server's library.
    await expect(bob.toolbar.blueprintSelect().locator('option')).toHaveText(['Imported counter']);

    // Ann saves first (revision 2); Bob, still on revision 1, saves next: a conflict.
    await rename(ann, 'Renamed by Ann');
    await expect.poll(() => stored(server, counter.id)).toEqual({ revision: 2, name: 'Renamed by Ann' });
    await rename(bob, 'Renamed by Bob');
    const bobConflict = conflictDialog(bob.page);
    await expect(bobConflict).toBeVisible();
    await expect(bobConflict).toContainText('revision 2');
    for (const size of SIZES) {
      await bob.page.setViewportSize(size);
      await bob.page.screenshot({ path: `${SHOTS}/workspace-conflict-${size.width}x${size.height}.png` });
    }
    await bob.page.setViewportSize(SIZES[0]!);
    // Nothing was overwritten meanwhile.
    expect(await stored(server, counter.id)).toEqual({ revision: 2, name: 'Renamed by Ann' });

    // Take theirs: Bob's editor shows Ann's version; the server is unchanged.
    await bobConflict.getByRole('button', { name: 'Take theirs' }).click();
    await expect(bobConflict).toBeHidden();
    await expect(bob.toolbar.blueprintName()).toHaveValue('Renamed by Ann');
    expect(await stored(server, counter.id)).toEqual({ revision: 2, name: 'Renamed by Ann' });

    // Bob saves (revision 3); Ann, on revision 2, saves: her conflict. Keep mine saves over it.
    await rename(bob, 'Bob again');
    await expect.poll(() => stored(server, counter.id)).toEqual({ revision: 3, name: 'Bob again' });
    await rename(ann, 'Ann again');
    const annConflict = conflictDialog(ann.page);
    await expect(annConflict).toBeVisible();
    await annConflict.getByRole('button', { name: 'Keep mine' }).click();
    await expect(annConflict).toBeHidden();
    await expect.poll(() => stored(server, counter.id)).toEqual({ revision: 4, name: 'Ann again' });
    await expect(ann.toolbar.blueprintName()).toHaveValue('Ann again');

    // Bob (revision 3) edits once more: Save as copy keeps Ann's and adds Bob's as a new blueprint.
    await bob.canvas.moveNode('bump', { x: 40, y: 60 });
    await expect(conflictDialog(bob.page)).toBeVisible();
    await conflictDialog(bob.page).getByRole('button', { name: 'Save as copy' }).click();
    await expect(bob.toolbar.blueprintName()).toHaveValue('Bob again (copy)');
    expect(await stored(server, counter.id)).toEqual({ revision: 4, name: 'Ann again' });
    const list = (await (await server.api('GET', '/api/blueprints')).json()) as { blueprints: Array<{ id: string; name: string }> };
    expect(list.blueprints.map((b) => b.name).sort()).toEqual(['Ann again', 'Bob again (copy)']);
    // Ann's menu learns of Bob's copy from the server's events.
    await expect(ann.toolbar.blueprintSelect().locator('option')).toHaveCount(2);

    // Revisions: Ann restores revision 1; it is saved as revision 5.
    await storageButton(ann, 'Server').click();
    const storageDialog = ann.page.getByRole('dialog', { name: 'Blueprint storage' });
    const revisions = storageDialog.getByRole('list', { name: 'Revisions' }).getByRole('listitem');
    await expect(revisions).toHaveCount(4);
    await expect(revisions.first()).toContainText('Ann again');
    await storageDialog.getByRole('button', { name: 'Restore revision 1' }).click();
    await expect(ann.toolbar.blueprintName()).toHaveValue('Imported counter');
    await expect.poll(() => stored(server, counter.id)).toEqual({ revision: 5, name: 'Imported counter' });

    // Duplicate and delete act on the server's library too.
    const names = async () =>
      ((await (await server.api('GET', '/api/blueprints')).json()) as { blueprints: Array<{ name: string }> }).blueprints
        .map((b) => b.name)
        .sort();
    await ann.toolbar.button('Duplicate blueprint').click();
    await expect(ann.toolbar.blueprintName()).toHaveValue('Imported counter (copy)');
    await expect.poll(names).toEqual(['Bob again (copy)', 'Imported counter', 'Imported counter (copy)']);
    await ann.toolbar.button('Delete blueprint').click();
    await ann.page.getByRole('dialog', { name: 'Delete blueprint' }).getByRole('button', { name: 'Delete blueprint' }).click();
    await expect.poll(names).toEqual(['Bob again (copy)', 'Imported counter']);
    await expect(bob.toolbar.blueprintSelect().locator('option')).toHaveCount(2);
    await otherContext.close();
  });

  test('a server run shows live block statuses, Stop cancels it, and it appears in the other person’s history', async ({
    page,
    browser,
  }) => {
    test.setTimeout(120_000);
    server = await KvbServer.start();
    expect((await server.api('POST', '/api/blueprints', slowCounter)).status).toBe(201);
    const ann = await serverEditor(page.context(), server, page);
    const otherContext = await browser.newContext();
    const bob = await serverEditor(otherContext, server);
    await expect(bob.toolbar.blueprintName()).toHaveValue('Slow counter');
    await bob.run.region.getByRole('tab', { name: /Last runs/ }).click();

    const runsAsked: string[] = [];
    ann.page.on('request', (request) => {
      if (request.method() === 'POST' && request.url().includes('/runs')) runsAsked.push(new URL(request.url()).pathname);
    });
    await ann.toolbar.button('Run').click();
    // The server runs the blueprint; the canvas follows its events.
    await expect(ann.canvas.node('slow')).toHaveAttribute('data-status', 'running');
    await expect(ann.canvas.node('start')).toHaveAttribute('data-status', 'success');
    await expect(ann.canvas.node('bump')).toHaveAttribute('data-status', 'idle');
    for (const size of SIZES) {
      await ann.page.setViewportSize(size);
      await ann.toolbar.button('Fit view').click();
      await ann.page.waitForTimeout(400);
      await ann.page.screenshot({ path: `${SHOTS}/workspace-server-run-${size.width}x${size.height}.png` });
    }
    await ann.page.setViewportSize(SIZES[0]!);
    await expect(ann.run.status()).toHaveText('succeeded');
    await expect(ann.canvas.node('bump')).toHaveAttribute('data-status', 'success');
    expect(runsAsked).toEqual([`/api/blueprints/${slowCounter.id}/runs`]);
    const visits = await server.api('GET', `/api/kv?scope=flow&scopeKey=${slowCounter.id}&prefix=visits`);
    expect(((await visits.json()) as { entries: Array<{ value: unknown }> }).entries[0]?.value).toBe(1);

    // Bob's history is the server's: the run shows up there without a reload.
    const bobRuns = bob.run.region.getByRole('list', { name: 'Last runs' }).getByRole('listitem');
    await expect(bobRuns).toHaveCount(1);
    await expect(bobRuns.first()).toContainText('succeeded');

    // Stop during the slow block: the server cancels the run after it.
    await ann.toolbar.button('Run').click();
    await expect(ann.canvas.node('slow')).toHaveAttribute('data-status', 'running');
    await ann.toolbar.button('Stop').click();
    await expect(ann.run.status()).toHaveText('cancelled');
    await expect(ann.canvas.node('bump')).toHaveAttribute('data-status', 'idle');
    await expect(bobRuns).toHaveCount(2);
    await expect(bobRuns.first()).toContainText('cancelled');
    const history = (await (await server.api('GET', `/api/blueprints/${slowCounter.id}/runs`)).json()) as {
      runs: Array<{ status: string }>;
    };
    expect(history.runs.map((r) => r.status)).toEqual(['cancelled', 'succeeded']);

    // Copy to Browser, then switch Storage: the notice says what changes, the copy is there.
    await storageButton(ann, 'Server').click();
    await ann.page.getByRole('dialog', { name: 'Blueprint storage' }).getByRole('button', { name: 'Copy to Browser' }).click();
    await expect(ann.toast().filter({ hasText: 'Copied “Slow counter” to Browser storage' })).toBeVisible();
    await ann.page.getByRole('dialog', { name: 'Blueprint storage' }).getByRole('button', { name: 'Close' }).click();
    await ann.toolbar.storage().selectOption('browser');
    await expect(ann.toast().filter({ hasText: 'Storage is now Browser' })).toBeVisible();
    await expect(storageButton(ann, 'Browser')).toBeVisible();
    await expect(ann.toolbar.blueprintSelect().locator('option', { hasText: 'Slow counter' })).toHaveCount(1);
    await ann.toolbar.blueprintSelect().selectOption({ label: 'Slow counter' });
    await expect(ann.canvas.nodes()).toHaveCount(3);
    await otherContext.close();
  });
});

test.describe('browser workspace', () => {
  test('two tabs on one browser blueprint: the second save is a conflict too', async ({ page, editor, openEditorTab }) => {
    await editor.open();
    const second = await openEditorTab();
    await expect(second.toolbar.blueprintName()).toHaveValue(await editor.toolbar.blueprintName().inputValue());
    await expect(storageButton(editor, 'Browser')).toBeVisible();

    await rename(editor, 'Tab one');
    await expect.poll(() => page.evaluate(() => window.kvb?.library.getState().opened?.revision)).toBe(2);
    await rename(second, 'Tab two');
    const dialog = conflictDialog(second.page);
    await expect(dialog).toBeVisible();
    await expect(dialog).toContainText('another tab of this browser');
    await dialog.getByRole('button', { name: 'Keep mine' }).click();
    await expect(dialog).toBeHidden();

    // The first tab is now behind: its next save asks as well. Take theirs shows the second tab's.
    await rename(editor, 'Tab one again');
    await expect(conflictDialog(page)).toBeVisible();
    await conflictDialog(page).getByRole('button', { name: 'Take theirs' }).click();
    await expect(editor.toolbar.blueprintName()).toHaveValue('Tab two');
    // The menu of each tab lists one blueprint, named as stored.
    await page.reload();
    await expect(editor.toolbar.blueprintName()).toHaveValue('Tab two');
  });

  test('an import whose id exists asks: Keep both adds a copy, Replace makes a new revision of the same blueprint', async ({
    page,
    editor,
  }) => {
    await editor.open();
    const file = { name: 'counter.json', content: JSON.stringify(counter) };
    await editor.toolbar.importFile(file);
    await expect(editor.toolbar.blueprintName()).toHaveValue('Imported counter');
    expect(await page.evaluate(() => window.kvb?.editor.getState().meta.id)).toBe('imported-counter');

    await editor.toolbar.importFile({ name: 'counter.json', content: JSON.stringify({ ...counter, name: 'Counter, second file' }) });
    const ask = page.getByRole('dialog', { name: 'Blueprint already exists' });
    await expect(ask).toContainText('Imported counter');
    await ask.getByRole('button', { name: 'Keep both' }).click();
    await expect(editor.toolbar.blueprintName()).toHaveValue('Counter, second file');
    expect(await page.evaluate(() => window.kvb?.editor.getState().meta.id)).toBe('imported-counter-2');

    await editor.toolbar.importFile({ name: 'counter.json', content: JSON.stringify({ ...counter, name: 'Counter, third file' }) });
    await ask.getByRole('button', { name: 'Replace' }).click();
    await expect(editor.toolbar.blueprintName()).toHaveValue('Counter, third file');
    expect(await page.evaluate(() => window.kvb?.library.getState().opened)).toEqual({ id: 'imported-counter', revision: 2 });
    await expect(editor.toolbar.blueprintSelect().locator('option')).toHaveCount(3);
  });
});
