#!/usr/bin/env node
// The `kvb` command. Registers tsx so the TypeScript sources run as they are: `npx kvb` works
// straight after `npm ci`, with no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/server/cli.ts');
process.exitCode = await main(process.argv.slice(2));
