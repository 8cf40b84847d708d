/**
 * Page objects for the editor: one class per region, named after the stable names of
 * docs/editor.md, so a spec reads like what a person does.
 */
import { expect, type Locator, type Page } from '@playwright/test';
import type { JsonValue } from '../../src/kv/types';
// Brings in the typing of `window.kvb`, the app's test handle.
import type {} from '../../src/ui/test-handle';

export class Palette {
  readonly region: Locator;
  constructor(private readonly page: Page) {
    this.region = page.getByRole('region', { name: 'Blocks' });
  }
  entry(label: string): Locator {
    return this.region.getByRole('button', { name: label, exact: true });
  }
  /** Drags a palette entry onto the canvas at a point relative to the canvas pane. */
  async dragToCanvas(label: string, at: { x: number; y: number }): Promise<void> {
    await this.entry(label).dragTo(this.page.locator('.react-flow__pane'), { targetPosition: at });
  }
}

export class Canvas {
  constructor(private readonly page: Page) {}
  nodes(): Locator {
    return this.page.locator('.react-flow__node');
  }
  node(id: string): Locator {
    return this.page.locator(`.react-flow__node[data-id="${id}"]`);
  }
  handle(nodeId: string, out: string): Locator {
    return this.node(nodeId).locator(`.react-flow__handle[data-handleid="${out}"]`);
  }
  input(nodeId: string): Locator {
    return this.node(nodeId).locator('.react-flow__handle.target');
  }
  edges(): Locator {
    return this.page.locator('.react-flow__edge');
  }
  edgeBetween(source: string, out: string, target: string): Locator {
    return this.page.locator(`.react-flow__edge[data-id^="e_${source}_${out}_${target}"]`);
  }
  async nodeIds(): Promise<string[]> {
    return this.nodes().evaluateAll((els) => els.map((e) => e.getAttribute('data-id') ?? ''));
  }
  /** Drags from an out handle to a block's input with the mouse, as a person does. */
  async connect(source: string, out: string, target: string): Promise<void> {
    await this.dragBetween(this.handle(source, out), this.input(target));
  }
  async dragBetween(from: Locator, to: Locator): Promise<void> {
    const a = await from.boundingBox();
    const b = await to.boundingBox();
    if (!a || !b) throw new Error('handle not visible');
    await this.page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
    await this.page.mouse.down();
    await this.page.mouse.move(a.x + 40, a.y + 20, { steps: 5 });
    await this.page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 10 });
    await this.page.mouse.up();
  }
  /** Moves a block by dragging its title bar. */
  async moveNode(id: string, by: { x: number; y: number }): Promise<void> {
    const head = this.node(id).locator('.block__head');
    const box = await head.boundingBox();
    if (!box) throw new Error(`node ${id} not visible`);
    const x = box.x + 20;
    const y = box.y + box.height / 2;
    await this.page.mouse.move(x, y);
    await this.page.mouse.down();
    await this.page.mouse.move(x + by.x / 2, y + by.y / 2, { steps: 5 });
    await this.page.mouse.move(x + by.x, y + by.y, { steps: 5 });
    await this.page.mouse.up();
  }
  async select(id: string): Promise<void> {
    await this.node(id).locator('.block__head').click();
  }
  async position(id: string): Promise<{ x: number; y: number }> {
    const box = await this.node(id).boundingBox();
    if (!box) throw new Error(`node ${id} not visible`);
    return { x: Math.round(box.x), y: Math.round(box.y) };
  }
}

export class Toolbar {
  constructor(private readonly page: Page) {}
  button(
    name:
      | 'Run'
      | 'Stop'
      | 'Undo'
      | 'Redo'
      | 'Export'
      | 'Auto layout'
      | 'Fit view'
      | 'New blueprint'
      | 'Duplicate blueprint'
      | 'Delete blueprint',
  ): Locator {
    return this.page.getByRole('button', { name, exact: true });
  }
  storage(): Locator {
    return this.page.getByRole('combobox', { name: 'Storage' });
  }
  blueprintSelect(): Locator {
    return this.page.getByRole('combobox', { name: 'Blueprint', exact: true });
  }
  blueprintName(): Locator {
    return this.page.getByRole('textbox', { name: 'Blueprint name' });
  }
  async importFile(file: { name: string; content: string }): Promise<void> {
    await this.page
      .getByLabel('Import blueprint')
      .setInputFiles({ name: file.name, mimeType: 'application/json', buffer: Buffer.from(file.content) });
  }
}

export class Inspector {
  readonly region: Locator;
  constructor(page: Page) {
    this.region = page.getByRole('region', { name: 'Inspector' });
  }
  field(label: string): Locator {
    return this.region.getByLabel(label, { exact: true });
  }
  problems(): Locator {
    return this.region.locator('.field__problem');
  }
}

export class KeysPanel {
  readonly region: Locator;
  constructor(private readonly page: Page) {
    this.region = page.getByRole('region', { name: 'Stored keys' });
  }
  scope(): Locator {
    return this.region.getByRole('combobox', { name: 'Scope' });
  }
  filter(): Locator {
    return this.region.getByRole('searchbox', { name: 'Filter keys' });
  }
  row(key: string): Locator {
    return this.region.locator(`.key-row[data-key="${key}"]`);
  }
  rows(): Locator {
    return this.region.getByRole('listitem');
  }
  /** "100,000 keys", or "10 of 100,000 keys" while a filter is typed. */
  count(): Locator {
    return this.region.locator('.panel-title__count');
  }
  /**
   * Milliseconds, measured in the page, from the first keydown or change event `act` causes to
   * the next frame after `selector` is in the DOM (with `text`, when given): what a person
   * waits, without Playwright's polling in the figure.
   */
  async timeUntil(act: () => Promise<void>, selector: string, text?: string): Promise<number> {
    await this.page.evaluate(
      ({ selector, text }) => {
        const timed = window as unknown as { kvbTimer?: Promise<number> };
        timed.kvbTimer = new Promise((resolve) => {
          let started: number | null = null;
          const mark = () => {
            started ??= performance.now();
          };
          document.addEventListener('keydown', mark, { capture: true, once: true });
          document.addEventListener('change', mark, { capture: true, once: true });
          const observer = new MutationObserver(() => {
            const element = document.querySelector(selector);
            if (started === null || !element || (text !== undefined && element.textContent !== text)) return;
            observer.disconnect();
            const from = started;
            requestAnimationFrame(() => resolve(performance.now() - from));
          });
          observer.observe(document.body, { subtree: true, childList: true, characterData: true });
        });
      },
      { selector, text },
    );
    await act();
    return this.page.evaluate(() => (window as unknown as { kvbTimer: Promise<number> }).kvbTimer);
  }
  checkbox(key: string): Locator {
    return this.row(key).getByRole('checkbox');
  }
  /**
   * Writes `count` keys `<prefix><000000…>` (value `{ n }`) into a scope of the open blueprint,
   * generated in the page and written through the store in batches of `batchSize`, as a bulk
   * import would. Returns the milliseconds the writes took.
   */
  async seedMany(count: number, options: { scope?: 'flow' | 'global'; prefix?: string; batchSize?: number } = {}): Promise<number> {
    return this.page.evaluate(
      async ({ count, scope, prefix, batchSize }) => {
        const handle = window.kvb;
        const { store, companyId } = handle?.storage.getState() ?? {};
        if (!handle || !store || companyId === undefined) throw new Error('store not ready');
        const scopeKey = scope === 'flow' ? handle.editor.getState().meta.id : '';
        const started = performance.now();
        for (let start = 0; start < count; start += batchSize) {
          const ops = [];
          for (let i = start; i < Math.min(count, start + batchSize); i++) {
            ops.push({ op: 'set' as const, scope, scopeKey, key: `${prefix}${String(i).padStart(6, '0')}`, value: { n: i } });
          }
          await store.batch(companyId, ops);
        }
        return performance.now() - started;
      },
      { count, scope: options.scope ?? 'flow', prefix: options.prefix ?? 'key-', batchSize: options.batchSize ?? 2000 },
    );
  }
  /** Opens a key's details (the list comes back with "All keys"). */
  async open(key: string): Promise<void> {
    if (await this.details(key).isVisible()) return;
    const back = this.region.getByRole('button', { name: '← All keys' });
    if (await back.isVisible()) await back.click();
    await this.row(key).click();
    await expect(this.details(key)).toBeVisible();
  }
  details(key: string): Locator {
    return this.region.getByLabel(`Key ${key}`, { exact: true });
  }
  /** Writes JSON keys into the open blueprint's flow scope through the app's test handle, as a run would. */
  async seed(entries: readonly { key: string; value: JsonValue }[]): Promise<void> {
    // Sent as text: Playwright's argument typing cannot follow the recursive JsonValue.
    await this.page.evaluate(async (json) => {
      const items = JSON.parse(json) as { key: string; value: JsonValue }[];
      const handle = window.kvb;
      const { store, companyId } = handle?.storage.getState() ?? {};
      if (!handle || !store || companyId === undefined) throw new Error('store not ready');
      const scopeKey = handle.editor.getState().meta.id;
      await store.batch(
        companyId,
        items.map(({ key, value }) => ({ op: 'set' as const, scope: 'flow' as const, scopeKey, key, value, valueType: 'json' as const })),
      );
    }, JSON.stringify(entries));
  }
  async edit(key: string, valueType: 'json' | 'text', text: string): Promise<void> {
    await this.open(key);
    await this.details(key).getByRole('button', { name: 'Edit' }).click();
    await this.region.getByLabel('Stored as').selectOption(valueType);
    await this.region.getByLabel('Stored value').fill(text);
    await this.region.getByRole('button', { name: 'Save key' }).click();
  }
  async remove(key: string): Promise<void> {
    await this.open(key);
    await this.details(key).getByRole('button', { name: 'Delete' }).click();
    await this.page.getByRole('dialog', { name: 'Delete key' }).getByRole('button', { name: 'Delete key' }).click();
  }
}

export class RunPanel {
  readonly region: Locator;
  constructor(page: Page) {
    this.region = page.getByRole('region', { name: 'Run' });
  }
  status(): Locator {
    return this.region.locator('.run-status');
  }
  steps(): Locator {
    return this.region.getByRole('list', { name: 'Step log' }).getByRole('listitem');
  }
}

/** The header button that folds a side panel ("Inspector", "Stored keys", "Run") away or opens it. */
export function panelToggle(page: Page, panel: 'Inspector' | 'Stored keys' | 'Run'): Locator {
  return page.getByRole('region', { name: panel }).getByRole('button', { name: `${panel} panel`, exact: true });
}

export class EditorPage {
  readonly palette: Palette;
  readonly canvas: Canvas;
  readonly toolbar: Toolbar;
  readonly inspector: Inspector;
  readonly keys: KeysPanel;
  readonly run: RunPanel;

  constructor(readonly page: Page) {
    this.palette = new Palette(page);
    this.canvas = new Canvas(page);
    this.toolbar = new Toolbar(page);
    this.inspector = new Inspector(page);
    this.keys = new KeysPanel(page);
    this.run = new RunPanel(page);
  }

  async open(): Promise<void> {
    await this.page.goto('/');
    await this.ready();
  }

  /** The editor is ready when the seeded blueprint is on the canvas and the store is open. */
  async ready(): Promise<void> {
    await expect(this.canvas.nodes().first()).toBeVisible();
    await expect(this.toolbar.button('Run')).toBeEnabled();
    if (!(await this.page.evaluate(() => window.kvb !== undefined))) {
      throw new Error('window.kvb is missing: the browser tests need a build made with KVB_TEST_HOOKS=1 (npm run test:e2e makes one)');
    }
  }

  async runAndWait(expected: 'succeeded' | 'failed' | 'cancelled'): Promise<void> {
    await this.toolbar.button('Run').click();
    await expect(this.run.status()).toHaveText(expected);
  }

  toast(): Locator {
    return this.page.locator('.toast');
  }

  async shot(name: string): Promise<void> {
    await this.page.screenshot({ path: `.tmp/shots/${name}.png` });
  }

  /** Ctrl on Linux, where the tests run. */
  async press(combo: string): Promise<void> {
    await this.page.keyboard.press(combo.replace('Mod', 'Control'));
  }
}
