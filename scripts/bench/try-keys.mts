import { measureBrowserKeys } from './keys-browser.ts';
console.log(JSON.stringify(await measureBrowserKeys(Number(process.argv[2] ?? 100000)), null, 1));
