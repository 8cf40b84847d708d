/**
 * Code block cases run twice with the same expectations: in Node by `code.test.ts` and in
 * Chromium by `e2e/compute.spec.ts`, so a blueprint's code computes the same everywhere.
 * Only tests import this file.
 */
import type { JsonValue } from '../types';

export interface CodeCase {
  name: string;
  source: string;
  input: JsonValue;
  timeoutMs?: number;
  /** The result, or the code_error message (a part of it, for messages that name a limit). */
  expected: { result: JsonValue; logs?: string[] } | { error: string };
}

export const CODE_CASES: readonly CodeCase[] = [
  {
    name: 'arithmetic, strings and sorting give the same values',
    source:
      'const words = input.text.split(" ").map((w) => w.toUpperCase()).sort();\nreturn { words, sum: input.numbers.reduce((a, b) => a + b, 0), third: 1 / 3, big: 2 ** 53 + 1 };',
    input: { text: 'pear apple fig', numbers: [0.1, 0.2] },
    expected: { result: { words: ['APPLE', 'FIG', 'PEAR'], sum: 0.30000000000000004, third: 0.3333333333333333, big: 9007199254740992 } },
  },
  {
    name: 'await and console.log',
    source:
      'console.log("items", input.items.length);\nconst doubled = await Promise.all(input.items.map(async (n) => n * 2));\nconsole.log({ doubled });\nreturn doubled;',
    input: { items: [1, 2, 3] },
    expected: { result: [2, 4, 6], logs: ['items 3', '{"doubled":[2,4,6]}'] },
  },
  {
    name: 'JSON, dates from numbers and regular expressions',
    source:
      'const d = new Date(Date.UTC(2024, 1, 29, 12));\nreturn { iso: d.toISOString(), match: /(\\d+)-(\\d+)/.exec(input.code).slice(1), json: JSON.stringify({ b: 1, a: [true, null] }) };',
    input: { code: 'AB-12-345' },
    expected: { result: { iso: '2024-02-29T12:00:00.000Z', match: ['12', '345'], json: '{"b":1,"a":[true,null]}' } },
  },
  {
    name: 'a throw gives its line',
    source: 'const a = 1;\n\nthrow new Error("no total for " + input.id);',
    input: { id: 'x7' },
    expected: { error: 'Error: no total for x7 (line 3)' },
  },
  {
    name: 'a syntax error gives its line',
    source: 'const total = input.n * 2;\nconst half = ;\nreturn half;',
    input: { n: 1 },
    expected: { error: "SyntaxError: unexpected token in expression: ';' (line 2)" },
  },
  {
    name: 'a TypeError gives its line',
    source: 'const user = input.user;\nreturn user.name.first;',
    input: {},
    expected: { error: '(line 2)' },
  },
  {
    name: 'a non-JSON result is refused',
    source: 'return { when: new Date(0) };',
    input: {},
    expected: { error: 'the returned value.when is an object that is not plain JSON ([object Date]), which JSON cannot carry' },
  },
  {
    name: 'an endless loop times out',
    source: 'while (true) {}',
    input: {},
    timeoutMs: 300,
    expected: { error: 'timed out after 300 ms' },
  },
  {
    name: 'a 100 MB allocation runs out of memory',
    source: 'const big = "x".repeat(100 * 1024 * 1024);\nreturn big.length;',
    input: {},
    expected: { error: 'ran out of memory: the sandbox allows 32 MiB' },
  },
  {
    name: 'a 100 MB ArrayBuffer runs out of memory',
    source: 'return new ArrayBuffer(100 * 1024 * 1024).byteLength;',
    input: {},
    expected: { error: 'ran out of memory: the sandbox allows 32 MiB' },
  },
  {
    name: 'process is absent',
    source: 'return process.env;',
    input: {},
    expected: { error: "ReferenceError: 'process' is not defined (line 1)" },
  },
  {
    name: 'require is absent',
    source: 'return require("fs");',
    input: {},
    expected: { error: "ReferenceError: 'require' is not defined (line 1)" },
  },
  {
    name: 'fetch is absent',
    source: 'return await fetch("http://127.0.0.1/");',
    input: {},
    expected: { error: "ReferenceError: 'fetch' is not defined (line 1)" },
  },
  {
    name: "the sandbox's globalThis holds none of the host's globals",
    source:
      'const host = ["process", "require", "fetch", "window", "document", "setTimeout", "XMLHttpRequest", "WebAssembly"].filter((name) => name in globalThis);\nif (host.length > 0) throw new Error("host globals: " + host.join(", "));\nreturn globalThis.process.versions;',
    input: {},
    expected: { error: "TypeError: cannot read property 'versions' of undefined (line 3)" },
  },
];
