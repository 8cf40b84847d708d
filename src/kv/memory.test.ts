import { describeConformance } from './conformance-vitest';
import { MemoryStore } from './memory';

describeConformance('memory', async (clock) => new MemoryStore({ now: clock.now }), { injectsClock: true });
