import { describeConformance } from './conformance-vitest';
import { MemoryStore } from './memory';

describeConformance('memory', async () => new MemoryStore());
