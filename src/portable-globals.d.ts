/**
 * The platform APIs that src/engine and the platform-neutral part of src/kv may use: each one
 * exists in browsers, Web Workers and Node alike. `tsconfig.portable.json` checks those folders
 * against this file alone (lib ES2023, no DOM, no Node types), so using any other platform API
 * there is a type error. Declared as narrowly as the code uses them; the main tsconfig, which
 * has the full DOM and Node types, does not include this file.
 */

declare function structuredClone<T>(value: T): T;
declare function setTimeout(callback: () => void, delayMs?: number): unknown;

interface AbortSignal {
  readonly aborted: boolean;
}

declare class TextEncoder {
  encode(input?: string): Uint8Array;
}

// `var`, not `const`: only a var becomes a property of globalThis, which is how the code reaches them.
/* eslint-disable no-var */
declare var crypto: { randomUUID(): string };
declare var performance: { now(): number };
/* eslint-enable no-var */
