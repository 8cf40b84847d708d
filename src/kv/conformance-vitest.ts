/**
 * Registers the store conformance suite (`conformance.ts`) with vitest: one `it` per case.
 * Every backend's test file calls `describeConformance` with a factory for its store.
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { ConformanceClock, conformanceCases, freshCompanyId } from './conformance';
import type { KeyValueStore } from './types';

export interface DescribeConformanceOptions {
  /** Close the store after the suite (default true). Set false when the caller owns its lifetime. */
  closeStore?: boolean;
  /**
   * The factory gives the store the clock it receives (as its `now`): the TTL cases then move
   * that clock instead of sleeping. Leave false for a store whose clock is elsewhere (HTTP).
   */
  injectsClock?: boolean;
}

/**
 * One store instance serves every case, as in the browser runner; each case works in its own
 * fresh companyId, so cases cannot see each other's data.
 */
export function describeConformance(
  name: string,
  createStore: (clock: ConformanceClock) => Promise<KeyValueStore>,
  options: DescribeConformanceOptions = {},
): void {
  describe(`${name} store conformance`, () => {
    let store: KeyValueStore | undefined;
    const clock = new ConformanceClock();

    beforeAll(async () => {
      store = await createStore(clock);
    });

    afterAll(async () => {
      if (store && options.closeStore !== false) await store.close();
    });

    for (const conformanceCase of conformanceCases) {
      it(conformanceCase.name, async () => {
        if (!store) throw new Error(`the ${name} store was not created (see the beforeAll error)`);
        await conformanceCase.run({ store, companyId: freshCompanyId(), ...(options.injectsClock ? { clock } : {}) });
      });
    }
  });
}
