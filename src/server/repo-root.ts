/**
 * The project's root folder (where package.json is), found from this module's own location by
 * walking up: the same answer whether the code runs from src/ (tsx, tests) or from the bundle
 * in build/cli/ (`npx kvb`), whose files sit at another depth.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function projectRoot(from: string = import.meta.url): string {
  let dir = dirname(fileURLToPath(from));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`No package.json above ${fileURLToPath(from)}`);
    dir = parent;
  }
  return dir;
}
