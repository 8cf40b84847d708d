// Engine and expression-language rows of `npm run bench`: what a run and a field cost beyond the
// work they cannot avoid, each against a bare baseline measured in the same process, now.
// Run alone with `npx tsx scripts/bench-engine.ts`.
import { pathToFileURL } from 'node:url';
import { MemoryStore } from '../src/kv/memory';
import { evaluateField } from '../src/engine/expressions';
import { runBlueprint } from '../src/engine/index';
import type { BlueprintDocument, JsonValue } from '../src/engine/types';
import type { ProcessMeasurement } from './bench-processes';

const CHAIN_LENGTH = 10_000;
const PLACEHOLDERS = 100;

/** Median of `rounds` timings of `body`, in milliseconds, after one untimed warm-up. */
async function medianMs(rounds: number, body: () => unknown): Promise<number> {
  await body();
  const times: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const started = performance.now();
    await body();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

function incrementChain(length: number): BlueprintDocument {
  const nodes: BlueprintDocument['nodes'] = [{ id: 'start', type: 'start', position: { x: 0, y: 0 }, data: { label: 'Start' } }];
  const edges: BlueprintDocument['edges'] = [];
  for (let i = 0; i < length; i++) {
    nodes.push({
      id: `inc${i}`,
      type: 'kv',
      position: { x: 200 * (i + 1), y: 0 },
      data: { label: `Increment ${i}`, action: 'increment', key: 'counter', by: 1, scope: 'flow' },
    });
    edges.push({ id: `e${i}`, source: i === 0 ? 'start' : `inc${i - 1}`, sourceHandle: 'success', target: `inc${i}` });
  }
  return {
    format: 'kv-blueprint/1',
    id: 'bench-chain',
    name: 'Increment chain',
    settings: { kvInherit: false, kvConflict: 'child', maxSteps: length + 1 },
    nodes,
    edges,
  } as BlueprintDocument;
}

/** A chain of increment blocks against the same `store.batch` calls made in a plain loop. */
async function benchChain(): Promise<ProcessMeasurement> {
  const document = incrementChain(CHAIN_LENGTH);
  const runStore = new MemoryStore();
  const engineMs = await medianMs(5, async () => {
    const record = await runBlueprint(document, { store: runStore, input: {} });
    if (record.status !== 'succeeded') throw new Error(`the chain run ${record.status}: ${record.error?.message}`);
  });
  const loopStore = new MemoryStore();
  const loopMs = await medianMs(5, async () => {
    for (let i = 0; i < CHAIN_LENGTH; i++) {
      await loopStore.batch('default', [{ op: 'increment', key: 'counter', by: 1, scope: 'flow', scopeKey: 'bench-chain' }]);
    }
  });
  return {
    name: `engine: chain of ${CHAIN_LENGTH.toLocaleString('en')} increments`,
    value: engineMs,
    unit: 'ms',
    baseline: 'a loop of the same store.batch calls',
    baselineValue: loopMs,
    goal: 1.3,
  };
}

/** A text field with 100 placeholders against a regex replace that walks the same paths. */
async function benchPlaceholders(): Promise<ProcessMeasurement> {
  const items: JsonValue[] = [];
  for (let i = 0; i < PLACEHOLDERS; i++) items.push({ name: `item ${i}`, size: i });
  const input = { items } as JsonValue;
  let text = '';
  for (let i = 0; i < PLACEHOLDERS; i++) text += `${i}: @{input.items.${i}.name} `;
  const ctx = { roots: { input } };
  const repeat = 1000;
  const expected = await evaluateField(text, 'text', ctx);
  const fieldMs = await medianMs(5, async () => {
    for (let r = 0; r < repeat; r++) await evaluateField(text, 'text', ctx);
  });
  const walk = (path: string): string => {
    let current: unknown = input;
    for (const segment of path.split('.').slice(1)) current = (current as Record<string, unknown>)[segment];
    return String(current);
  };
  const regexFilled = text.replace(/@\{([^}]*)\}/g, (_, path: string) => walk(path));
  if (regexFilled !== expected) throw new Error('the baseline fills the field differently from evaluateField');
  const regexMs = await medianMs(5, async () => {
    for (let r = 0; r < repeat; r++) await Promise.resolve(text.replace(/@\{([^}]*)\}/g, (_, path: string) => walk(path)));
  });
  return {
    name: `expressions: ${PLACEHOLDERS} placeholders (${repeat.toLocaleString('en')} fields)`,
    value: fieldMs,
    unit: 'ms',
    baseline: 'regex replace + path walk',
    baselineValue: regexMs,
    goal: 2,
  };
}

export async function benchEngine(): Promise<ProcessMeasurement[]> {
  return [await benchChain(), await benchPlaceholders()];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const m of await benchEngine()) {
    const ratio = m.value / m.baselineValue;
    console.log(
      `${m.name}: ${m.value.toFixed(0)} ${m.unit} vs ${m.baseline} ${m.baselineValue.toFixed(0)} ${m.unit} = ${ratio.toFixed(2)}× (goal ≤ ${m.goal}×)`,
    );
  }
}
