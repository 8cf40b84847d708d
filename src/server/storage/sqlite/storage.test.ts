import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { describeServerStorageContract } from '../contract';
import { openServerStorage } from '../index';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describeServerStorageContract('SQLite', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'kvb-storage-'));
  dirs.push(dataDir);
  return openServerStorage({ kind: 'sqlite', dataDir }, {});
});
