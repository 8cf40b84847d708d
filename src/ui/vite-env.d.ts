/// <reference types="vite/client" />

/** True only in a build made with `KVB_TEST_HOOKS=1` for the browser tests (see vite.config.ts). */
declare const __KVB_TEST_HOOKS__: boolean;
