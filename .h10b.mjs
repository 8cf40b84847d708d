// scripts/bench-engine.ts
import { pathToFileURL } from "node:url";

// src/kv/errors.ts
var ERROR_CODES = {
  // Store codes: every backend raises these, with the same meaning (`operations.ts`).
  invalid_key: {
    status: 400,
    exitCode: 2,
    help: "The key is empty, longer than 256 characters, or has characters other than A\u2013Z a\u2013z 0\u20139 _ - (in a block, after expressions are filled in)."
  },
  invalid_value: {
    status: 400,
    exitCode: 2,
    help: "The value is not valid: JSON that does not parse (the message says where), or a number field (TTL, limit, by) that is not a number."
  },
  too_large: {
    status: 413,
    exitCode: 2,
    help: "The value is larger than 1 MiB as JSON, or the request body is larger than the server accepts."
  },
  invalid_scope: {
    status: 400,
    exitCode: 2,
    help: "The scope is unknown, or needs a scope key that is missing. A block with scope flow_group needs a groupId in the blueprint: set one, or pick flow or global."
  },
  not_found: {
    status: 404,
    exitCode: 1,
    help: "Nothing is stored under that key in that scope (a Get block can give a default instead), or no blueprint, run or route has that id."
  },
  already_exists: {
    status: 409,
    exitCode: 1,
    help: 'An entry already exists under that key (save mode "create"), or the list already holds the item (listAdd).'
  },
  type_mismatch: {
    status: 422,
    exitCode: 1,
    help: "The stored value has the wrong type for this action: append needs a string or an array, increment a number or a numeric string, listAdd and listRemove an array."
  },
  invalid_request: {
    status: 400,
    exitCode: 2,
    help: "The request is malformed: the message names the field or the part that is wrong."
  },
  store: {
    status: 503,
    exitCode: 1,
    help: "The storage backend failed or cannot be reached: check the Storage setting and the server."
  },
  integrity: {
    status: 503,
    exitCode: 1,
    help: "A stored value failed to decrypt or verify: it was tampered with or moved."
  },
  quota: {
    status: 503,
    exitCode: 1,
    help: "The storage quota is full: delete keys you no longer need, or free space."
  },
  // Run codes: the engine raises these while running a blueprint.
  invalid_blueprint: {
    status: 422,
    exitCode: 2,
    help: "The blueprint is not a valid kv-blueprint/1 document: the message (and the problems list of an API answer) says what to fix."
  },
  expression: {
    status: 422,
    exitCode: 1,
    help: "An @{\u2026} placeholder did not resolve: the message names the missing segment and what was there."
  },
  invalid_path: {
    status: 422,
    exitCode: 1,
    help: "The setState path is empty, has an empty or forbidden segment, or runs through a value that is not an object."
  },
  code_error: {
    status: 422,
    exitCode: 1,
    help: "The Code block failed: its code threw or did not parse (the message gives the line), returned a value JSON cannot carry (a function, undefined, NaN, a Date\u2026), ran past timeoutMs or used more than 32 MiB of memory."
  },
  limit: {
    status: 422,
    exitCode: 1,
    help: "The run executed settings.maxSteps blocks and stopped: check for an endless loop, or raise maxSteps."
  },
  cancelled: {
    status: 409,
    exitCode: 1,
    help: "The run was stopped before it finished."
  },
  // Request codes: the HTTP server raises these.
  unauthorized: {
    status: 401,
    exitCode: 1,
    help: "The request has no API token, or an unknown one: send Authorization: Bearer <token>."
  },
  forbidden: {
    status: 403,
    exitCode: 1,
    help: "The request is refused: wrong Host, a cross-origin write, or a companyId the token does not belong to."
  },
  too_many_runs: {
    status: 429,
    exitCode: 1,
    help: "The server is already running as many blueprints as it allows at once: wait for one to finish, then try again."
  },
  request_timeout: {
    status: 408,
    exitCode: 1,
    help: "The request was not sent in full within the server's time limit (KVB_HEADERS_TIMEOUT_MS, KVB_REQUEST_TIMEOUT_MS): send it again."
  },
  headers_too_large: {
    status: 431,
    exitCode: 2,
    help: "The request's headers are larger than the server accepts: send fewer or shorter headers."
  },
  internal: {
    status: 500,
    exitCode: 1,
    help: "An unexpected failure, which is a bug: the server logs it. Try again, and report it with the blueprint if it persists."
  }
};
function isErrorCode(code) {
  return Object.prototype.hasOwnProperty.call(ERROR_CODES, code);
}
var KvError = class extends Error {
  constructor(code, message, opIndex) {
    super(message);
    this.code = code;
    this.opIndex = opIndex;
  }
  code;
  opIndex;
  name = "KvError";
};
function isKvError(error) {
  return error instanceof KvError || typeof error === "object" && error !== null && error.name === "KvError" && typeof error.code === "string";
}

// src/kv/types.ts
var SCOPES = ["flow", "flow_group", "global"];
var VALUE_TYPES = ["text", "json"];
var SAVE_MODES = ["upsert", "create", "update"];
var KEY_MAX_LENGTH = 256;
var KEY_PATTERN = /^[A-Za-z0-9_-]{1,256}$/;
var VALUE_MAX_BYTES = 1024 * 1024;
var JSON_MAX_DEPTH = 64;
var LIST_DEFAULT_LIMIT = 1e3;
var LIST_MAX_LIMIT = 1e3;
var TTL_MAX_SECONDS = 100 * 365 * 24 * 60 * 60;

// src/kv/json.ts
var JSON_NUMBER_PATTERN = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
function tooDeepReason(maxDepth = JSON_MAX_DEPTH) {
  return `it nests arrays and objects more than ${maxDepth} levels deep (the limit is ${maxDepth})`;
}
function describeJsonProblem(text, problem, options = {}) {
  const { line, column } = lineAndColumn(text, problem.offset);
  const where = `at line ${line}, column ${column}: ${problem.reason}${options.suffix ?? ""}`;
  return options.subject === void 0 ? `Invalid JSON ${where}` : `${options.subject} is not valid JSON ${where}`;
}
function lineAndColumn(text, offset) {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text[i] === "\n") {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}
function findTooDeep(value, maxDepth = JSON_MAX_DEPTH, path = "value") {
  const pending = [{ value, depth: 0, path }];
  for (let item = pending.pop(); item !== void 0; item = pending.pop()) {
    const { value: current, depth } = item;
    if (typeof current !== "object" || current === null) continue;
    if (depth + 1 > maxDepth) return item.path.length > 80 ? `${item.path.slice(0, 80)}\u2026` : item.path;
    const children = Array.isArray(current) ? current.map((child, i) => [`[${i}]`, child]) : Object.entries(current).map(([k, child]) => [`.${k}`, child]);
    for (const [step, child] of children) {
      if (typeof child === "object" && child !== null)
        pending.push({ value: child, depth: depth + 1, path: item.path.length > 80 ? item.path : item.path + step });
    }
  }
  return null;
}
function findJsonSyntaxError(json, maxDepth = JSON_MAX_DEPTH) {
  let i = 0;
  const open = [];
  const describe2 = (at) => {
    const char = json[at];
    if (char === void 0) return "the end of the text";
    if (char === "'") return "''' (JSON strings use double quotes)";
    if (/\s/.test(char)) return "a space";
    return `'${char}'`;
  };
  const fail = (reason, at = i) => ({ offset: at, reason });
  const skipSpaces = () => {
    while (i < json.length && (json[i] === " " || json[i] === "	" || json[i] === "\n" || json[i] === "\r")) i++;
  };
  const readString = () => {
    const openedAt = i;
    i++;
    for (; ; ) {
      const char = json[i];
      if (char === void 0) return fail("a string is not closed", openedAt);
      if (char === '"') {
        i++;
        return null;
      }
      if (char === "\\") {
        const escaped = json[i + 1];
        if (escaped !== void 0 && '"\\/bfnrt'.includes(escaped)) i += 2;
        else if (escaped === "u" && /^[0-9a-fA-F]{4}$/.test(json.slice(i + 2, i + 6))) i += 6;
        else return fail(`invalid escape '\\${escaped ?? ""}' in a string`);
      } else if (char < " ") {
        return fail(char === "\n" ? "a line break inside a string (write \\n)" : "a control character inside a string");
      } else {
        i++;
      }
    }
  };
  const readKey = () => {
    skipSpaces();
    if (json[i] !== '"')
      return fail(json[i] === "}" ? "a trailing comma before }" : `expected a key in double quotes, found ${describe2(i)}`);
    const problem = readString();
    if (problem) return problem;
    skipSpaces();
    if (json[i] !== ":") return fail(`expected ':' after the key, found ${describe2(i)}`);
    i++;
    return null;
  };
  for (; ; ) {
    skipSpaces();
    const char = json[i];
    if (char === "{" || char === "[") {
      if (open.length >= maxDepth) return { ...fail(tooDeepReason(maxDepth)), tooDeep: true };
      open.push(char);
      i++;
      skipSpaces();
      const close = char === "{" ? "}" : "]";
      if (json[i] !== close) {
        if (char === "{") {
          const problem = readKey();
          if (problem) return problem;
        }
        continue;
      }
      i++;
      open.pop();
    } else if (char === '"') {
      const problem = readString();
      if (problem) return problem;
    } else {
      const word = ["true", "false", "null"].find((candidate) => json.startsWith(candidate, i));
      if (word) i += word.length;
      else {
        JSON_NUMBER_PATTERN.lastIndex = i;
        const number = JSON_NUMBER_PATTERN.exec(json);
        if (!number) return fail(char === void 0 ? "the value is missing" : `unexpected ${describe2(i)}`);
        i += number[0].length;
      }
    }
    let next = false;
    while (!next) {
      skipSpaces();
      const container = open.at(-1);
      if (container === void 0) {
        return i < json.length ? fail(`unexpected ${describe2(i)} after the end of the value`) : null;
      }
      if (json[i] === ",") {
        i++;
        if (container === "{") {
          const problem = readKey();
          if (problem) return problem;
        } else {
          skipSpaces();
          if (json[i] === "]") return fail("a trailing comma before ]");
        }
        next = true;
      } else if (json[i] === (container === "{" ? "}" : "]")) {
        i++;
        open.pop();
      } else {
        return fail(`expected ${container === "{" ? "',' or '}'" : "',' or ']'"}, found ${describe2(i)}`);
      }
    }
  }
}

// src/kv/operations.ts
function keyMatches(key, prefix, contains2) {
  return key.startsWith(prefix) && (contains2 === "" || key.toLowerCase().includes(contains2));
}
function pageOfNames(names, query) {
  let start = 0;
  if (query.afterKey !== null) {
    let high = names.length;
    while (start < high) {
      const middle = start + high >>> 1;
      if (names[middle] <= query.afterKey) start = middle + 1;
      else high = middle;
    }
  }
  return { keys: names.slice(start, start + query.limit), total: names.length };
}
function describeKey(key) {
  return key.length > 60 ? `'${key.slice(0, 60)}\u2026' (${key.length} characters)` : `'${key}'`;
}
function assertValidKey(key) {
  if (typeof key !== "string" || key.length === 0) {
    throw new KvError("invalid_key", "Key is empty: give a key of 1\u2013256 characters (A\u2013Z a\u2013z 0\u20139 _ -)");
  }
  if (key.length > KEY_MAX_LENGTH) {
    throw new KvError("invalid_key", `Key ${describeKey(key)} is too long: at most ${KEY_MAX_LENGTH} characters`);
  }
  if (!KEY_PATTERN.test(key)) {
    const bad = [...key].find((ch) => !/[A-Za-z0-9_-]/.test(ch)) ?? "";
    const shown = bad === " " ? "a space" : `'${bad}'`;
    throw new KvError("invalid_key", `Key ${describeKey(key)} has ${shown}: keys may only use A\u2013Z a\u2013z 0\u20139 _ -`);
  }
}
function resolveScopeKey(ref) {
  if (!SCOPES.includes(ref.scope)) {
    throw new KvError("invalid_scope", `Unknown scope '${String(ref.scope)}': expected flow, flow_group or global`);
  }
  if (ref.scope === "global") return "";
  const scopeKey = ref.scopeKey ?? "";
  if (typeof scopeKey !== "string" || scopeKey.length === 0) {
    const what = ref.scope === "flow" ? "the blueprint id" : "the group id";
    throw new KvError("invalid_scope", `Scope '${ref.scope}' needs a scopeKey (${what})`);
  }
  if (hasLoneSurrogate(scopeKey)) {
    throw new KvError(
      "invalid_scope",
      `The scopeKey of scope '${ref.scope}' has a lone UTF-16 surrogate (half of a character); send whole characters`
    );
  }
  return scopeKey;
}
function jsonByteLength(value) {
  return new TextEncoder().encode(JSON.stringify(value)).length;
}
function nestingProblem(value, key) {
  const at = findTooDeep(value);
  return at === null ? null : `Value for key ${describeKey(key)} nests arrays and objects more than ${JSON_MAX_DEPTH} levels deep (at ${at}); the limit is ${JSON_MAX_DEPTH} levels`;
}
function hasLoneSurrogate(text) {
  return /\p{Cs}/u.test(text);
}
function assertStorableValue(value, key) {
  if (value === void 0) {
    throw new KvError("invalid_value", `Value for key ${describeKey(key)} is missing`);
  }
  const tooDeep = nestingProblem(value, key);
  if (tooDeep) throw new KvError("invalid_value", tooDeep);
  const problem = findNonJson(value, "value");
  if (problem) throw new KvError("invalid_value", `Value for key ${describeKey(key)} is not JSON: ${problem}`);
  const bytes = jsonByteLength(value);
  if (bytes > VALUE_MAX_BYTES) {
    throw new KvError(
      "too_large",
      `Value for key ${describeKey(key)} is ${bytes} bytes as JSON; the limit is ${VALUE_MAX_BYTES} bytes (1 MiB)`
    );
  }
}
function findNonJson(value, path) {
  if (value === null || typeof value === "string" || typeof value === "boolean") return null;
  if (typeof value === "number") return Number.isFinite(value) ? null : `${path} is ${value}, which JSON cannot hold`;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const problem = findNonJson(value[i], `${path}[${i}]`);
      if (problem) return problem;
    }
    return null;
  }
  if (typeof value === "object") {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) return `${path} is not a plain object`;
    for (const [k, v] of Object.entries(value)) {
      const problem = findNonJson(v, `${path}.${k}`);
      if (problem) return problem;
    }
    return null;
  }
  return `${path} is a ${typeof value}`;
}
function isExpired(entry, now) {
  if (entry.expiresAt === null) return false;
  const nowIso = typeof now === "string" ? now : now.toISOString();
  return entry.expiresAt <= nowIso;
}
function valueTypeOf(value) {
  return typeof value === "string" ? "text" : "json";
}
function rowKey(scope, scopeKey, key) {
  return `${scope}\0${scopeKey}\0${key}`;
}
function defaultId() {
  return globalThis.crypto.randomUUID();
}
function describeScope(scope, scopeKey) {
  return scope === "global" ? "global scope" : `${scope} scope '${scopeKey}'`;
}
function typeName(value) {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  return `a ${typeof value}`;
}
var OP_NAMES = ["get", "set", "delete", "list", "keys", "append", "increment"];
function validateOp(op, index) {
  try {
    if (typeof op !== "object" || op === null) throw new KvError("invalid_request", `ops[${index ?? 0}] is not an object`);
    if (!OP_NAMES.includes(op.op)) {
      throw new KvError(
        "invalid_request",
        `Op '${String(op.op)}' is unknown: expected get, set, delete, list, keys, append or increment`
      );
    }
    const scopeKey = resolveScopeKey(op);
    if (op.op !== "list" && op.op !== "keys") assertValidKey(op.key);
    if (op.op === "set" || op.op === "append") {
      assertStorableValue(op.value, op.key);
      if (op.valueType !== void 0 && !VALUE_TYPES.includes(op.valueType)) {
        throw new KvError("invalid_request", `Unknown valueType '${String(op.valueType)}': expected text or json`);
      }
    }
    if (op.op === "set") {
      if (op.mode !== void 0 && !SAVE_MODES.includes(op.mode)) {
        throw new KvError("invalid_request", `Unknown save mode '${String(op.mode)}': expected upsert, create or update`);
      }
      if (op.ttlSeconds !== void 0 && op.ttlSeconds !== null && (typeof op.ttlSeconds !== "number" || !Number.isFinite(op.ttlSeconds) || op.ttlSeconds <= 0)) {
        throw new KvError("invalid_value", `ttlSeconds must be a positive number of seconds, got ${String(op.ttlSeconds)}`);
      }
      if (typeof op.ttlSeconds === "number" && op.ttlSeconds > TTL_MAX_SECONDS) {
        throw new KvError("invalid_value", `ttlSeconds must be at most ${TTL_MAX_SECONDS} (100 years), got ${String(op.ttlSeconds)}`);
      }
    }
    if (op.op === "increment" && op.by !== void 0 && (typeof op.by !== "number" || !Number.isFinite(op.by))) {
      throw new KvError(
        "invalid_value",
        `Increment 'by' must be a finite number, got ${typeof op.by === "number" ? String(op.by) : JSON.stringify(op.by)}`
      );
    }
    if (op.op === "keys" && op.contains !== void 0 && typeof op.contains !== "string") {
      throw new KvError("invalid_request", "contains must be a string");
    }
    if (op.op === "list" || op.op === "keys") {
      if (op.prefix !== void 0 && typeof op.prefix !== "string") throw new KvError("invalid_request", "prefix must be a string");
      const limit = op.limit ?? LIST_DEFAULT_LIMIT;
      if (!Number.isInteger(limit) || limit < 1 || limit > LIST_MAX_LIMIT) {
        throw new KvError("invalid_request", `limit must be a whole number from 1 to ${LIST_MAX_LIMIT}, got ${String(limit)}`);
      }
      if (op.cursor !== void 0 && op.cursor !== null && typeof op.cursor !== "string")
        throw new KvError("invalid_request", "cursor must be a string");
    }
    return scopeKey;
  } catch (error) {
    if (index !== void 0 && error instanceof KvError && error.opIndex === void 0) throw new KvError(error.code, error.message, index);
    throw error;
  }
}
var OP_HANDLERS = {
  async get(op, batch) {
    return { op: "get", entry: await batch.readLive(op.scope, batch.scopeKey, op.key) };
  },
  async set(op, batch) {
    const { scope } = op;
    const { scopeKey, now } = batch;
    const mode = op.mode ?? "upsert";
    const expiresAt = typeof op.ttlSeconds === "number" ? new Date(now.getTime() + op.ttlSeconds * 1e3).toISOString() : null;
    const existing = await batch.readLive(scope, scopeKey, op.key);
    if (mode === "create" && existing) {
      throw new KvError("already_exists", `Key ${describeKey(op.key)} already exists in ${describeScope(scope, scopeKey)}`);
    }
    if (mode === "update" && !existing) {
      throw new KvError(
        "not_found",
        `Key ${describeKey(op.key)} not found in ${describeScope(scope, scopeKey)}; mode "update" only changes existing keys`
      );
    }
    const entry = batch.nextEntry(existing, scope, op.key, op.value, expiresAt, valueTypeOf(op.value));
    batch.stage(scope, scopeKey, op.key, entry);
    return { op: "set", entry, created: existing === null };
  },
  async delete(op, batch) {
    const presence = await batch.readPresence(op.scope, batch.scopeKey, op.key);
    if (presence) batch.stage(op.scope, batch.scopeKey, op.key, null);
    const live = presence !== null && !(presence.expiresAt !== null && presence.expiresAt <= batch.now.toISOString());
    return { op: "delete", deleted: live };
  },
  async append(op, batch) {
    const existing = await batch.readLive(op.scope, batch.scopeKey, op.key);
    let value;
    if (!existing) {
      const valueType = op.valueType ?? valueTypeOf(op.value);
      value = valueType === "json" ? [op.value] : renderText(op.value);
    } else if (typeof existing.value === "string") {
      value = existing.value + renderText(op.value);
    } else if (Array.isArray(existing.value)) {
      value = [...existing.value, op.value];
    } else {
      throw new KvError(
        "type_mismatch",
        `Cannot append to key ${describeKey(op.key)}: it holds ${typeName(existing.value)}; append works on text and arrays`
      );
    }
    assertStorableValue(value, op.key);
    const entry = batch.nextEntry(existing, op.scope, op.key, value, existing?.expiresAt ?? null, valueTypeOf(value));
    batch.stage(op.scope, batch.scopeKey, op.key, entry);
    return { op: "append", entry };
  },
  async increment(op, batch) {
    const by = op.by ?? 1;
    const existing = await batch.readLive(op.scope, batch.scopeKey, op.key);
    let current = 0;
    if (existing) {
      const stored = existing.value;
      const numeric = typeof stored === "number" ? stored : typeof stored === "string" ? parseDecimal(stored) : null;
      if (numeric !== null) current = numeric;
      else {
        throw new KvError(
          "type_mismatch",
          `Cannot increment key ${describeKey(op.key)}: it holds ${typeof stored === "string" ? `the text ${JSON.stringify(stored.slice(0, 40))}` : typeName(stored)}, not a number`
        );
      }
    }
    const sum = current + by;
    if (!Number.isFinite(sum)) {
      throw new KvError(
        "invalid_value",
        `Incrementing key ${describeKey(op.key)} (${current}) by ${by} gives ${sum}, which JSON cannot hold`
      );
    }
    const entry = batch.nextEntry(existing, op.scope, op.key, sum, existing?.expiresAt ?? null, "json");
    batch.stage(op.scope, batch.scopeKey, op.key, entry);
    return { op: "increment", entry };
  },
  async list(op, batch) {
    const { scope } = op;
    const { scopeKey } = batch;
    const prefix = op.prefix ?? "";
    const limit = op.limit ?? LIST_DEFAULT_LIMIT;
    const cursor = op.cursor ?? null;
    const nowIso = batch.now.toISOString();
    const stagedHere = batch.stagedIn(scope, scopeKey);
    const base = await batch.list(scope, scopeKey, { prefix, afterKey: cursor, limit: limit + 1 + stagedHere.length, now: nowIso });
    const byKey = new Map(base.entries.map((e) => [e.key, e]));
    for (const w of stagedHere) {
      if (w.entry && !isExpired(w.entry, nowIso)) byKey.set(w.key, w.entry);
      else byKey.delete(w.key);
    }
    const live = [...byKey.values()].filter((e) => e.key.startsWith(prefix) && (cursor === null || e.key > cursor)).sort((a, b) => a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
    const page = live.slice(0, limit);
    const nextCursor = live.length > limit ? page[page.length - 1].key : null;
    if (base.damagedKeys.length === 0) return { op: "list", entries: page, nextCursor };
    return { op: "list", entries: page, nextCursor, damaged: base.damagedKeys.length, damagedKeys: base.damagedKeys };
  },
  keys(op, batch) {
    return batch.keyNames(op);
  }
};
async function executeBatch(companyId, ops, reader, options = {}) {
  if (hasLoneSurrogate(companyId)) {
    throw new KvError("invalid_request", "companyId has a lone UTF-16 surrogate (half of a character); send whole characters");
  }
  const clock = options.now ?? (() => /* @__PURE__ */ new Date());
  const newId = options.newId ?? defaultId;
  const staged = /* @__PURE__ */ new Map();
  const results = [];
  const readRow = async (scope, scopeKey, key) => {
    const write = staged.get(rowKey(scope, scopeKey, key));
    return write ? write.entry : reader.read(scope, scopeKey, key);
  };
  for (let index = 0; index < ops.length; index++) {
    const op = ops[index];
    const now = clock();
    try {
      const scopeKey = validateOp(op, index);
      const batch = {
        scopeKey,
        now,
        readLive: async (scope, rowScopeKey, key) => {
          const row = await readRow(scope, rowScopeKey, key);
          return row && !isExpired(row, now) ? row : null;
        },
        readPresence: async (scope, rowScopeKey, key) => {
          const write = staged.get(rowKey(scope, rowScopeKey, key));
          if (write) return write.entry;
          return reader.readPresence ? reader.readPresence(scope, rowScopeKey, key) : reader.read(scope, rowScopeKey, key);
        },
        list: async (scope, rowScopeKey, query) => {
          const listed = await reader.list(scope, rowScopeKey, query);
          return Array.isArray(listed) ? { entries: listed, damagedKeys: [] } : listed;
        },
        keyNames: (keysOp) => keyNamesOf(
          keysOp,
          keysOp.scope,
          scopeKey,
          reader,
          [...staged.values()].filter((w) => w.scope === keysOp.scope && w.scopeKey === scopeKey),
          now
        ),
        stagedIn: (scope, rowScopeKey) => [...staged.values()].filter((w) => w.scope === scope && w.scopeKey === rowScopeKey),
        stage: (scope, rowScopeKey, key, entry) => {
          staged.set(rowKey(scope, rowScopeKey, key), { scope, scopeKey: rowScopeKey, key, entry });
        },
        nextEntry: (previous, scope, key, value, expiresAt, valueType) => {
          const at = now.toISOString();
          return {
            id: previous?.id ?? newId(),
            companyId,
            scope,
            scopeKey,
            key,
            value,
            valueType,
            version: (previous?.version ?? 0) + 1,
            createdAt: previous?.createdAt ?? at,
            updatedAt: at,
            expiresAt
          };
        }
      };
      const handler = OP_HANDLERS[op.op];
      results.push(await handler(op, batch));
    } catch (error) {
      if (error instanceof KvError && error.opIndex === void 0) throw new KvError(error.code, error.message, index);
      throw error;
    }
  }
  return { results, writes: [...staged.values()] };
}
async function keyNamesOf(op, scope, scopeKey, reader, stagedHere, now) {
  const prefix = op.prefix ?? "";
  const contains2 = (op.contains ?? "").toLowerCase();
  const limit = op.limit ?? LIST_DEFAULT_LIMIT;
  const cursor = op.cursor ?? null;
  const nowIso = now.toISOString();
  const base = await reader.keys(scope, scopeKey, {
    prefix,
    contains: contains2,
    afterKey: cursor,
    limit: limit + 1 + stagedHere.length,
    now: nowIso
  });
  const names = new Set(base.keys);
  let total = base.total;
  for (const write of stagedHere) {
    if (!keyMatches(write.key, prefix, contains2)) continue;
    const stored = await reader.read(scope, scopeKey, write.key);
    const wasLive = stored !== null && !isExpired(stored, nowIso);
    const isLive = write.entry !== null && !isExpired(write.entry, nowIso);
    total += Number(isLive) - Number(wasLive);
    if (cursor !== null && write.key <= cursor) continue;
    if (isLive) names.add(write.key);
    else names.delete(write.key);
  }
  const sorted = [...names].sort((a, b) => a < b ? -1 : a > b ? 1 : 0);
  const keys = sorted.slice(0, limit);
  return { op: "keys", keys, total, nextCursor: sorted.length > limit ? keys[keys.length - 1] : null };
}
var DECIMAL_NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
function parseDecimal(text) {
  const trimmed = text.trim();
  if (!DECIMAL_NUMBER.test(trimmed)) return null;
  const parsed = Number(trimmed);
  return Number.isFinite(parsed) ? parsed : null;
}
function snapshotOps(ops) {
  try {
    return structuredClone(ops);
  } catch {
    return [...ops];
  }
}
function renderText(value) {
  return typeof value === "string" ? value : JSON.stringify(value);
}

// src/kv/memory.ts
var MemoryStore = class {
  constructor(options = {}) {
    this.options = options;
  }
  options;
  kind = "memory";
  rows = /* @__PURE__ */ new Map();
  queue = Promise.resolve();
  batch(companyId, ops) {
    const snapshot = snapshotOps(ops);
    const run = this.queue.then(async () => {
      const rowId = (scope, scopeKey, key) => `${companyId}\0${scope}\0${scopeKey}\0${key}`;
      const outcome = await executeBatch(
        companyId,
        snapshot,
        {
          read: (scope, scopeKey, key) => this.rows.get(rowId(scope, scopeKey, key)) ?? null,
          list: (scope, scopeKey, query) => {
            const head = rowId(scope, scopeKey, "");
            return [...this.rows.entries()].filter(
              ([id, e]) => id.startsWith(head) && e.key.startsWith(query.prefix) && (query.afterKey === null || e.key > query.afterKey) && !isExpired(e, query.now)
            ).map(([, e]) => e).sort((a, b) => a.key < b.key ? -1 : 1).slice(0, query.limit);
          },
          keys: (scope, scopeKey, query) => {
            const head = rowId(scope, scopeKey, "");
            const names = [...this.rows.entries()].filter(([id, e]) => id.startsWith(head) && keyMatches(e.key, query.prefix, query.contains) && !isExpired(e, query.now)).map(([, e]) => e.key).sort((a, b) => a < b ? -1 : 1);
            return pageOfNames(names, query);
          }
        },
        this.options
      );
      for (const write of outcome.writes) {
        const id = rowId(write.scope, write.scopeKey, write.key);
        if (write.entry) this.rows.set(id, structuredClone(write.entry));
        else this.rows.delete(id);
      }
      return structuredClone(outcome.results);
    });
    this.queue = run.catch(() => void 0);
    return run;
  }
  async getById(companyId, id) {
    await this.queue;
    for (const entry of this.rows.values()) {
      if (entry.id === id && entry.companyId === companyId && !isExpired(entry, this.now())) return structuredClone(entry);
    }
    return null;
  }
  async deleteById(companyId, id) {
    await this.queue;
    for (const [rowKey2, entry] of this.rows) {
      if (entry.id === id && entry.companyId === companyId) {
        this.rows.delete(rowKey2);
        return !isExpired(entry, this.now());
      }
    }
    return false;
  }
  now() {
    return this.options.now?.() ?? /* @__PURE__ */ new Date();
  }
  async close() {
    await this.queue;
  }
};

// src/engine/functions.ts
var FunctionCallError = class extends Error {
  name = "FunctionCallError";
};
function describeValue(value) {
  if (value === null) return "null";
  if (Array.isArray(value)) return `an array of ${value.length} item${value.length === 1 ? "" : "s"}`;
  if (typeof value === "object") return "an object";
  if (typeof value === "string") {
    const shown = value.length > 40 ? `${value.slice(0, 39)}\u2026` : value;
    return `the text ${JSON.stringify(shown)}`;
  }
  return `the ${typeof value} ${String(value)}`;
}
function isObject(value) {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
function wrong(name, expects, index, value) {
  throw new FunctionCallError(`${name} expects ${expects}, argument ${index + 1} is ${describeValue(value)}`);
}
function numberArg(name, args, index, expects = "numbers") {
  const value = args[index];
  if (typeof value !== "number") wrong(name, expects, index, value);
  return value;
}
function textArg(name, args, index, expects = "text") {
  const value = args[index];
  if (typeof value !== "string") wrong(name, expects, index, value);
  return value;
}
function finite(name, result) {
  if (!Number.isFinite(result)) throw new FunctionCallError(`${name} gives ${result}, which is not a number JSON can hold`);
  return result;
}
function deepEqual(a, b) {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, i) => deepEqual(item, b[i]));
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((key) => Object.hasOwn(b, key) && deepEqual(a[key], b[key]));
  }
  return false;
}
var JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
var DATE_TOKENS = /YYYY|MM|DD|HH|mm|ss|SSS/g;
function pad(value, width = 2) {
  return String(value).padStart(width, "0");
}
function arithmetic(name, summary, operator, variadic) {
  return {
    name,
    signature: variadic ? `${name}(a, b, \u2026)` : `${name}(a, b)`,
    summary,
    minArgs: 2,
    maxArgs: variadic ? Infinity : 2,
    apply(args) {
      let total = numberArg(name, args, 0);
      for (let i = 1; i < args.length; i++) total = operator(total, numberArg(name, args, i));
      return finite(name, total);
    }
  };
}
var FUNCTION_LIST = [
  arithmetic("add", "the sum of numbers", (a, b) => a + b, true),
  arithmetic("subtract", "a minus b", (a, b) => a - b, false),
  arithmetic("multiply", "the product of numbers", (a, b) => a * b, true),
  {
    name: "divide",
    signature: "divide(a, b)",
    summary: "a divided by b (b must not be 0)",
    minArgs: 2,
    maxArgs: 2,
    apply(args) {
      const a = numberArg("divide", args, 0);
      const b = numberArg("divide", args, 1);
      if (b === 0) throw new FunctionCallError("divide cannot divide by zero: argument 2 is 0");
      return finite("divide", a / b);
    }
  },
  {
    name: "round",
    signature: "round(number, digits?)",
    summary: "rounds to a number of decimal digits (0 by default), halves away from zero",
    minArgs: 1,
    maxArgs: 2,
    apply(args) {
      const value = numberArg("round", args, 0, "a number");
      const digits = args.length > 1 ? numberArg("round", args, 1, "a whole number of digits from 0 to 15") : 0;
      if (!Number.isInteger(digits) || digits < 0 || digits > 15) wrong("round", "a whole number of digits from 0 to 15", 1, digits);
      const magnitude = Math.abs(value);
      const shifted = String(magnitude).includes("e") ? Math.round(magnitude * 10 ** digits) / 10 ** digits : Number(`${Math.round(Number(`${magnitude}e${digits}`))}e-${digits}`);
      const rounded = Math.sign(value) * shifted;
      return Object.is(rounded, -0) ? 0 : finite("round", rounded);
    }
  },
  {
    name: "length",
    signature: "length(value)",
    summary: "characters of a text, items of an array, keys of an object",
    minArgs: 1,
    maxArgs: 1,
    apply([value]) {
      if (typeof value === "string") return [...value].length;
      if (Array.isArray(value)) return value.length;
      if (isObject(value)) return Object.keys(value).length;
      return wrong("length", "a text, an array or an object", 0, value);
    }
  },
  {
    name: "lower",
    signature: "lower(text)",
    summary: "the text in lower case",
    minArgs: 1,
    maxArgs: 1,
    apply: (args) => textArg("lower", args, 0).toLowerCase()
  },
  {
    name: "upper",
    signature: "upper(text)",
    summary: "the text in upper case",
    minArgs: 1,
    maxArgs: 1,
    apply: (args) => textArg("upper", args, 0).toUpperCase()
  },
  {
    name: "trim",
    signature: "trim(text)",
    summary: "the text without spaces and line breaks at both ends",
    minArgs: 1,
    maxArgs: 1,
    apply: (args) => textArg("trim", args, 0).trim()
  },
  {
    name: "join",
    signature: "join(array, separator?)",
    summary: 'the items of an array as one text, separated by "," or the separator',
    minArgs: 1,
    maxArgs: 2,
    apply(args) {
      const items = args[0];
      if (!Array.isArray(items)) return wrong("join", "an array", 0, items);
      const separator = args.length > 1 ? textArg("join", args, 1, "a text separator") : ",";
      return items.map((item, i) => {
        if (typeof item === "string") return item;
        if (typeof item === "number" || typeof item === "boolean") return String(item);
        throw new FunctionCallError(
          `join expects an array of texts, numbers or booleans, item ${i} of argument 1 is ${describeValue(item)}`
        );
      }).join(separator);
    }
  },
  {
    name: "split",
    signature: "split(text, separator)",
    summary: 'the parts of a text between separators, as an array ("" splits into characters)',
    minArgs: 2,
    maxArgs: 2,
    apply(args) {
      const text = textArg("split", args, 0);
      const separator = textArg("split", args, 1, "a text separator");
      return separator === "" ? [...text] : text.split(separator);
    }
  },
  {
    name: "keys",
    signature: "keys(object)",
    summary: "the keys of an object, in order",
    minArgs: 1,
    maxArgs: 1,
    apply([value]) {
      if (!isObject(value)) return wrong("keys", "an object", 0, value);
      return Object.keys(value);
    }
  },
  {
    name: "values",
    signature: "values(object)",
    summary: "the values of an object, in key order",
    minArgs: 1,
    maxArgs: 1,
    apply([value]) {
      if (!isObject(value)) return wrong("values", "an object", 0, value);
      return Object.values(value);
    }
  },
  {
    name: "contains",
    signature: "contains(haystack, needle)",
    summary: "whether a text holds a text, an array an equal item, or an object a key",
    minArgs: 2,
    maxArgs: 2,
    apply(args) {
      const haystack = args[0];
      const needle = args[1];
      if (typeof haystack === "string") return haystack.includes(textArg("contains", args, 1, "a text to look for in a text"));
      if (Array.isArray(haystack)) return haystack.some((item) => deepEqual(item, needle));
      if (isObject(haystack)) return Object.hasOwn(haystack, textArg("contains", args, 1, "a key (text) to look for in an object"));
      return wrong("contains", "a text, an array or an object", 0, haystack);
    }
  },
  {
    name: "toNumber",
    signature: "toNumber(value)",
    summary: 'a number, or a text that is one ("42", "-1.5")',
    minArgs: 1,
    maxArgs: 1,
    apply([value]) {
      if (typeof value === "number") return value;
      if (typeof value === "string" && JSON_NUMBER.test(value.trim())) return finite("toNumber", Number(value.trim()));
      return wrong("toNumber", "a number or a text that is a number", 0, value);
    }
  },
  {
    name: "toText",
    signature: "toText(value)",
    summary: "the value as text: texts as they are, numbers as written, the rest as JSON",
    minArgs: 1,
    maxArgs: 1,
    apply([value]) {
      if (typeof value === "string") return value;
      if (typeof value === "number" || typeof value === "boolean") return String(value);
      return JSON.stringify(value);
    }
  },
  {
    name: "json",
    signature: "json(text)",
    summary: "the value a JSON text holds",
    minArgs: 1,
    maxArgs: 1,
    apply(args) {
      const text = textArg("json", args, 0, "a JSON text");
      try {
        return JSON.parse(text);
      } catch {
        throw new FunctionCallError(`json expects a JSON text, argument 1 does not parse: ${describeValue(text)}`);
      }
    }
  },
  {
    name: "formatDate",
    signature: "formatDate(date, format?)",
    summary: "an ISO time or epoch milliseconds as text in UTC; format tokens YYYY MM DD HH mm ss SSS",
    minArgs: 1,
    maxArgs: 2,
    apply(args) {
      const input = args[0];
      const expects = "an ISO date text or epoch milliseconds";
      if (typeof input !== "string" && typeof input !== "number") return wrong("formatDate", expects, 0, input);
      if (typeof input === "string" && !/^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/.test(input)) {
        return wrong("formatDate", expects, 0, input);
      }
      const date = new Date(input);
      if (Number.isNaN(date.getTime())) return wrong("formatDate", expects, 0, input);
      if (args.length < 2) return date.toISOString();
      const format = textArg("formatDate", args, 1, 'a format text such as "YYYY-MM-DD"');
      const parts = {
        YYYY: pad(date.getUTCFullYear(), 4),
        MM: pad(date.getUTCMonth() + 1),
        DD: pad(date.getUTCDate()),
        HH: pad(date.getUTCHours()),
        mm: pad(date.getUTCMinutes()),
        ss: pad(date.getUTCSeconds()),
        SSS: pad(date.getUTCMilliseconds(), 3)
      };
      return format.replace(DATE_TOKENS, (token) => parts[token] ?? token);
    }
  }
];
var EXPRESSION_FUNCTIONS = new Map(FUNCTION_LIST.map((fn) => [fn.name, fn]));
var FUNCTION_NAMES = FUNCTION_LIST.map((fn) => fn.name);
function callFunction(name, args) {
  const fn = EXPRESSION_FUNCTIONS.get(name);
  if (!fn) throw new FunctionCallError(`unknown function '${name}': use one of ${FUNCTION_NAMES.join(", ")}`);
  if (args.length < fn.minArgs || args.length > fn.maxArgs) {
    const wanted = fn.minArgs === fn.maxArgs ? `${fn.minArgs}` : fn.maxArgs === Infinity ? `at least ${fn.minArgs}` : `${fn.minArgs} or ${fn.maxArgs}`;
    throw new FunctionCallError(`${name} takes ${wanted} argument${wanted === "1" ? "" : "s"}, got ${args.length}: ${fn.signature}`);
  }
  return fn.apply(args);
}

// src/engine/expressions.ts
var EXPRESSION_ROOTS = [
  "input",
  "state",
  "result",
  "results",
  "error",
  "kv",
  "kvGroup",
  "kvGlobal",
  "run",
  "blueprint",
  "now"
];
var KV_ROOTS = ["kv", "kvGroup", "kvGlobal"];
var KV_ROOT_SCOPES = { kv: "flow", kvGroup: "flow_group", kvGlobal: "global" };
var FORBIDDEN_SEGMENTS = ["__proto__", "prototype", "constructor"];
var ExpressionError = class extends Error {
  name = "ExpressionError";
  code = "expression";
};
var InvalidJsonError = class extends KvError {
  constructor(message, line, column) {
    super("invalid_value", message);
    this.line = line;
    this.column = column;
  }
  line;
  column;
};
var ROOT_PATTERN = /[A-Za-z_$][A-Za-z0-9_$]*/y;
var DOT_SEGMENT_PATTERN = /[^\s.[\]{}"'?\\@]+/y;
var ARGUMENT_DOT_SEGMENT_PATTERN = /[^\s.[\]{}"'?\\@,()]+/y;
var CANONICAL_INDEX = /^(?:0|[1-9]\d*)$/;
var PlaceholderSyntaxError = class extends Error {
  constructor(at, message, incomplete) {
    super(message);
    this.at = at;
    this.incomplete = incomplete;
  }
  at;
  incomplete;
};
var MAX_CALL_DEPTH = 32;
function parsePlaceholderAt(text, start) {
  let i = start + 2;
  const fail = (message, at = i) => {
    throw new PlaceholderSyntaxError(at, message, at >= text.length);
  };
  const skipSpaces = () => {
    while (i < text.length && /\s/.test(text[i] ?? "")) i++;
  };
  const readMatch = (pattern) => {
    pattern.lastIndex = i;
    const match = pattern.exec(text);
    if (!match) return null;
    i += match[0].length;
    return match[0];
  };
  const readQuotedString = () => {
    const quoteAt = i;
    i++;
    while (i < text.length && text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
    if (i >= text.length) fail("the quoted string is not closed", text.length);
    i++;
    try {
      return JSON.parse(text.slice(quoteAt, i));
    } catch {
      return fail('the quoted string is not valid (use JSON escapes such as \\" and \\\\)', quoteAt);
    }
  };
  const describeHere = () => i >= text.length ? "the end of the text" : `'${text[i]}'`;
  const readLiteral = () => {
    if (text[i] === '"') return { value: readQuotedString() };
    for (const [word, value] of [
      ["true", true],
      ["false", false],
      ["null", null]
    ]) {
      if (text.startsWith(word, i) && !/[A-Za-z0-9_$]/.test(text[i + word.length] ?? "")) {
        i += word.length;
        return { value };
      }
    }
    const number = readMatch(JSON_NUMBER_PATTERN);
    return number === null ? null : { value: Number(number) };
  };
  const readPath = (root, rootAt, asArgument) => {
    if (!EXPRESSION_ROOTS.includes(root)) {
      fail(
        `unknown root '${root}': use one of ${EXPRESSION_ROOTS.join(", ")}, or call a function such as ${FUNCTION_NAMES.slice(0, 3).join(", ")}`,
        rootAt
      );
    }
    const segments = [];
    for (; ; ) {
      const segmentAt = i;
      if (text[i] === ".") {
        i++;
        const name = readMatch(asArgument ? ARGUMENT_DOT_SEGMENT_PATTERN : DOT_SEGMENT_PATTERN);
        if (name === null) fail(`expected a key or an index after '.', found ${describeHere()}`);
        segments.push(CANONICAL_INDEX.test(name) ? Number(name) : name);
      } else if (text[i] === "[") {
        i++;
        skipSpaces();
        if (text[i] === '"') {
          segments.push(readQuotedString());
        } else {
          const digits = readMatch(/\d+/y);
          if (digits === null || !CANONICAL_INDEX.test(digits))
            fail(`expected a quoted key ["\u2026"] or an index [0] inside brackets, found ${describeHere()}`);
          segments.push(Number(digits));
        }
        skipSpaces();
        if (text[i] !== "]") fail(`expected ']', found ${describeHere()}`);
        i++;
      } else {
        break;
      }
      const segment = segments[segments.length - 1];
      const isStoredKey = segments.length === 1 && KV_ROOTS.includes(root);
      if (!isStoredKey && typeof segment === "string" && FORBIDDEN_SEGMENTS.includes(segment)) {
        fail(`'${segment}' is never followed: only a value's own keys resolve`, segmentAt);
      }
    }
    if (KV_ROOTS.includes(root) && segments.length === 0) {
      fail(`${root} needs a stored key: write @{${root}.<key>}`);
    }
    const path = { kind: "path", root, segments };
    skipSpaces();
    if (text.startsWith("??", i)) {
      i += 2;
      skipSpaces();
      const literal = readLiteral();
      if (literal === null) fail(`expected a fallback after '??': a "string", a number, true, false or null; found ${describeHere()}`);
      path.fallback = literal.value;
      skipSpaces();
    }
    return path;
  };
  const readCall = (name, nameAt, depth) => {
    if (!EXPRESSION_FUNCTIONS.has(name)) fail(`unknown function '${name}': use one of ${FUNCTION_NAMES.join(", ")}`, nameAt);
    if (depth > MAX_CALL_DEPTH) fail(`calls nest more than ${MAX_CALL_DEPTH} deep`, nameAt);
    i++;
    const args = [];
    skipSpaces();
    if (text[i] === ")") {
      i++;
    } else {
      for (; ; ) {
        args.push(readExpression(true, depth + 1));
        skipSpaces();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i] === ")") {
          i++;
          break;
        }
        fail(`expected ',' or ')' in the arguments of ${name}, found ${describeHere()}`);
      }
    }
    skipSpaces();
    return { kind: "call", name, args };
  };
  const readExpression = (asArgument, depth) => {
    skipSpaces();
    const at = i;
    const name = readMatch(ROOT_PATTERN);
    if (name !== null && !(asArgument && ["true", "false", "null"].includes(name))) {
      const afterName = i;
      skipSpaces();
      if (text[i] === "(") return readCall(name, at, depth);
      i = afterName;
      return readPath(name, at, asArgument);
    }
    i = at;
    if (asArgument) {
      const literal = readLiteral();
      if (literal !== null) {
        skipSpaces();
        return { kind: "literal", value: literal.value };
      }
      return fail(`expected an argument (a path, a "string", a number, true, false, null or a call), found ${describeHere()}`);
    }
    return fail(`expected a root (${EXPRESSION_ROOTS.join(", ")}) or a function call, found ${describeHere()}`);
  };
  try {
    const expression = readExpression(false, 0);
    skipSpaces();
    if (i >= text.length) fail("the placeholder is not closed: add '}'");
    if (text[i] !== "}") {
      const expected = expression.kind === "path" && !Object.hasOwn(expression, "fallback") ? "'.', '[', '??' or '}'" : "'}'";
      fail(`expected ${expected}, found ${describeHere()}`);
    }
    i++;
    return { ok: true, placeholder: { start, end: i, source: text.slice(start, i), expression } };
  } catch (error) {
    if (error instanceof PlaceholderSyntaxError) return { ok: false, at: error.at, message: error.message, incomplete: error.incomplete };
    throw error;
  }
}
function quoteFrom(text, start, until) {
  const closing = text.indexOf("}", until);
  const end = Math.min(closing === -1 ? text.length : closing + 1, start + 60);
  return text.slice(start, end) + (end < text.length && end === start + 60 ? "\u2026" : "");
}
function tokenize(text) {
  const parts = [];
  const problems = [];
  let literalStart = 0;
  const flushLiteral = (until) => {
    if (until > literalStart) parts.push({ kind: "literal", start: literalStart, text: text.slice(literalStart, until) });
  };
  let i = 0;
  while (i < text.length) {
    if (text.startsWith("\\@{", i)) {
      flushLiteral(i);
      parts.push({ kind: "escape", start: i });
      i += 3;
      literalStart = i;
      continue;
    }
    if (!text.startsWith("@{", i)) {
      i++;
      continue;
    }
    const outcome = parsePlaceholderAt(text, i);
    if (outcome.ok) {
      flushLiteral(i);
      parts.push({ kind: "placeholder", placeholder: outcome.placeholder });
      i = outcome.placeholder.end;
      literalStart = i;
      continue;
    }
    const quoted = quoteFrom(text, i, outcome.at);
    problems.push({
      start: outcome.incomplete ? i : outcome.at,
      // Running out of text mid-path (`@{input.`) is an unclosed placeholder, whatever was expected next.
      message: outcome.incomplete ? `${quoted}: the placeholder is not closed: add '}' (write \\@{ for a literal @{)` : `${quoted}: ${outcome.message}`
    });
    i += 2;
  }
  flushLiteral(text.length);
  return { parts, problems };
}
function scanPlaceholders(text) {
  const { parts, problems } = tokenize(text);
  const placeholders = [];
  for (const part of parts) if (part.kind === "placeholder") placeholders.push(part.placeholder);
  return { placeholders, problems };
}
var SIMPLE_KEY = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;
function appendToLabel(label, segment) {
  if (typeof segment === "number" || SIMPLE_KEY.test(segment)) return `${label}.${segment}`;
  return `${label}[${JSON.stringify(segment)}]`;
}
function kindOf(value) {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  return `a ${typeof value}`;
}
function listKeys(keys) {
  if (keys.length === 0) return "it has no keys";
  const shown = keys.slice(0, 10).join(", ");
  return `keys: ${shown}${keys.length > 10 ? `, \u2026 ${keys.length - 10} more` : ""}`;
}
function followPath(value, segments, label) {
  let current = value;
  let currentLabel = label;
  let currentName = label;
  for (const segment of segments) {
    if (typeof segment === "string" && FORBIDDEN_SEGMENTS.includes(segment)) {
      return { ok: false, absent: false, reason: `'${segment}' is never followed: only a value's own keys resolve` };
    }
    if (Array.isArray(current)) {
      const index = typeof segment === "number" ? segment : CANONICAL_INDEX.test(segment) ? Number(segment) : null;
      if (index === null || !Number.isSafeInteger(index)) {
        return { ok: false, absent: true, reason: `${currentLabel} is an array: use a number index, not '${segment}'` };
      }
      if (index >= current.length) {
        const items = current.length === 1 ? "1 item" : `${current.length} items`;
        return { ok: false, absent: true, reason: `index ${index} out of range, ${currentName} has ${items}` };
      }
      current = current[index];
    } else if (current !== null && typeof current === "object") {
      const key = String(segment);
      if (!Object.hasOwn(current, key)) {
        return { ok: false, absent: true, reason: `no key '${key}' in ${currentLabel} (${listKeys(Object.keys(current))})` };
      }
      current = current[key];
    } else {
      const wanted = typeof segment === "number" ? "an array or an object" : "an object";
      const what = current === null ? "null" : kindOf(current);
      return { ok: false, absent: true, reason: `${currentLabel} is ${what}, not ${wanted}` };
    }
    currentLabel = appendToLabel(currentLabel, segment);
    currentName = String(segment);
  }
  return { ok: true, value: current };
}
var MISSING_ROOT_REASONS = {
  result: "there is no result here: no block passed control to this one",
  results: "no block results are available here",
  state: "state is not available here",
  input: "the run input is not available here",
  error: "error is set only on an error path, after a block took its error out",
  run: "run is not available here",
  blueprint: "blueprint is not available here",
  now: "now is not available here"
};
async function resolvePathExpression(path, source, ctx) {
  const { root } = path;
  let base;
  let label;
  let segments = path.segments;
  let missingReason;
  if (root === "kv" || root === "kvGroup" || root === "kvGlobal") {
    const key = String(segments[0]);
    segments = segments.slice(1);
    label = `${root}.${key}`;
    if (!ctx.readKv) throw new ExpressionError(`${source}: stored keys cannot be read here`);
    base = await ctx.readKv(root, key);
    missingReason = `key '${key}' not found in ${KV_ROOT_SCOPES[root]} scope`;
  } else {
    base = Object.hasOwn(ctx.roots, root) ? ctx.roots[root] : void 0;
    label = root;
    missingReason = MISSING_ROOT_REASONS[root];
  }
  const resolution = base === void 0 ? { ok: false, absent: true, reason: missingReason } : followPath(base, segments, label);
  if (resolution.ok) return resolution.value;
  if (resolution.absent && Object.hasOwn(path, "fallback")) return path.fallback;
  throw new ExpressionError(`${source}: ${resolution.reason}`);
}
async function resolveExpression(expression, source, ctx) {
  if (expression.kind === "literal") return expression.value;
  if (expression.kind === "path") return resolvePathExpression(expression, source, ctx);
  const args = [];
  for (const arg of expression.args) args.push(await resolveExpression(arg, source, ctx));
  try {
    return callFunction(expression.name, args);
  } catch (error) {
    if (error instanceof FunctionCallError) throw new ExpressionError(`${source}: ${error.message}`);
    throw error;
  }
}
function resolvePlaceholder(placeholder, ctx) {
  return resolveExpression(placeholder.expression, placeholder.source, ctx);
}
function renderAsText(value) {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value);
}
function throwFirstProblem(text, problems) {
  const first = problems[0];
  if (!first) return;
  const { line, column } = lineAndColumn(text, first.start);
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more problem${problems.length > 2 ? "s" : ""})` : "";
  throw new ExpressionError(`${first.message} (line ${line}, column ${column})${more}`);
}
function soleplaceholder(parts) {
  let found = null;
  for (const part of parts) {
    if (part.kind === "escape") return null;
    if (part.kind === "literal") {
      if (part.text.trim() !== "") return null;
    } else {
      if (found) return null;
      found = part.placeholder;
    }
  }
  return found;
}
async function evaluateField(text, valueType, ctx) {
  const { parts, problems } = tokenize(text);
  throwFirstProblem(text, problems);
  const sole = soleplaceholder(parts);
  if (sole) return resolvePlaceholder(sole, ctx);
  if (valueType === "json") return fillJson(text, parts, ctx);
  let filled = "";
  for (const part of parts) {
    if (part.kind === "literal") filled += part.text;
    else if (part.kind === "escape") filled += "@{";
    else filled += renderAsText(await resolvePlaceholder(part.placeholder, ctx));
  }
  return filled;
}
async function fillJson(text, parts, ctx) {
  let filled = "";
  const spans = [];
  let inString = false;
  let escapeNext = false;
  const appendLiteral = (chunk) => {
    for (const char of chunk) {
      if (inString) {
        if (escapeNext) escapeNext = false;
        else if (char === "\\") escapeNext = true;
        else if (char === '"') inString = false;
      } else if (char === '"') {
        inString = true;
      }
    }
    filled += chunk;
  };
  for (const part of parts) {
    if (part.kind === "literal") {
      spans.push({ filledStart: filled.length, sourceStart: part.start, literal: true });
      appendLiteral(part.text);
    } else if (part.kind === "escape") {
      spans.push({ filledStart: filled.length, sourceStart: part.start, literal: false });
      appendLiteral("@{");
    } else {
      const value = await resolvePlaceholder(part.placeholder, ctx);
      spans.push({ filledStart: filled.length, sourceStart: part.placeholder.start, literal: false });
      if (inString) {
        filled += JSON.stringify(renderAsText(value)).slice(1, -1);
        escapeNext = false;
      } else {
        filled += ` ${JSON.stringify(value)} `;
      }
    }
  }
  try {
    return JSON.parse(filled);
  } catch {
    const syntax = findJsonSyntaxError(filled) ?? { offset: 0, reason: "it does not parse" };
    const sourceOffset = toSourceOffset(syntax.offset, filled.length, spans, text.length);
    const { line, column } = lineAndColumn(text, sourceOffset);
    throw new InvalidJsonError(
      describeJsonProblem(text, { offset: sourceOffset, reason: syntax.reason }, { suffix: excerptAt(text, sourceOffset) }),
      line,
      column
    );
  }
}
function toSourceOffset(filledOffset, filledLength, spans, sourceLength) {
  if (filledOffset >= filledLength) return sourceLength;
  let span;
  for (const candidate of spans) {
    if (candidate.filledStart > filledOffset) break;
    span = candidate;
  }
  if (!span) return 0;
  return span.literal ? span.sourceStart + (filledOffset - span.filledStart) : span.sourceStart;
}
function excerptAt(text, offset) {
  const lineStart = text.lastIndexOf("\n", offset - 1) + 1;
  const lineEndAt = text.indexOf("\n", offset);
  const lineEnd = lineEndAt === -1 ? text.length : lineEndAt;
  const from = Math.max(lineStart, offset - 30);
  const to = Math.min(lineEnd, offset + 30);
  const excerpt = text.slice(from, to).trim();
  if (excerpt === "") return "";
  return ` (near: ${from > lineStart ? "\u2026" : ""}${excerpt}${to < lineEnd ? "\u2026" : ""})`;
}

// src/engine/types.ts
var BLUEPRINT_FORMAT = "kv-blueprint/1";
var OUTS = ["success", "error", "true", "false"];
var DEFAULT_SETTINGS = { kvInherit: false, kvConflict: "child", maxSteps: 1e3 };

// src/engine/document.ts
import { z as z8 } from "zod";

// src/engine/blocks/code.ts
import { z as z2 } from "zod";

// src/engine/errors.ts
var EngineError = class extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
  code;
  name = "EngineError";
};
function hasStringCode(error) {
  return typeof error === "object" && error !== null && typeof error.code === "string" && typeof error.message === "string";
}
function toRunError(error, nodeId) {
  if (error instanceof EngineError || isKvError(error)) return { code: error.code, message: error.message, nodeId };
  if (hasStringCode(error) && isErrorCode(error.code)) return { code: error.code, message: error.message, nodeId };
  const detail = error instanceof Error ? error.message : String(error);
  return { code: "internal", message: `Unexpected engine failure: ${detail}`, nodeId };
}

// src/engine/code-sandbox.ts
var CODE_TIMEOUT_DEFAULT_MS = 1e3;
var CODE_TIMEOUT_MAX_MS = 1e4;
var CODE_MEMORY_LIMIT_BYTES = 32 * 1024 * 1024;
var STACK_LIMIT_BYTES = 256 * 1024;
var MAX_LOG_LINES = 200;
var MAX_LOG_LINE_CHARS = 2e3;
var SOURCE_NAME = "code.js";
var quickJs = null;
function loadQuickJs() {
  quickJs ??= Promise.all([import("quickjs-emscripten-core"), import("@jitl/quickjs-wasmfile-release-sync")]).then(([core, variant]) => core.newQuickJSWASMModuleFromVariant(variant.default)).catch((error) => {
    quickJs = null;
    throw error;
  });
  return quickJs;
}
var PRELUDE = `(() => {
  const stringify = JSON.stringify, isArray = Array.isArray, getProto = Object.getPrototypeOf,
    keys = Object.keys, objectProto = Object.prototype, isFinite = Number.isFinite;
  const describe = (value) => typeof value === 'function' ? 'a function'
    : typeof value === 'number' ? String(value) : typeof value === 'bigint' ? 'a bigint'
    : typeof value === 'symbol' ? 'a symbol' : value === undefined ? 'undefined' : 'an object that is not plain JSON (' + Object.prototype.toString.call(value) + ')';
  const notJson = (message) => { const error = new TypeError(message); error.name = 'NotJson'; return error; };
  const check = (value, where, depth) => {
    if (depth > 200) throw notJson(where + ' nests too deeply');
    if (value === null || typeof value === 'string' || typeof value === 'boolean') return;
    if (typeof value === 'number') { if (isFinite(value)) return; throw notJson(where + ' is ' + describe(value) + ', which JSON cannot carry'); }
    if (isArray(value)) { for (let i = 0; i < value.length; i++) check(value[i], where + '[' + i + ']', depth + 1); return; }
    if (typeof value === 'object') {
      const proto = getProto(value);
      if (proto !== objectProto && proto !== null) throw notJson(where + ' is ' + describe(value) + ', which JSON cannot carry');
      for (const key of keys(value)) check(value[key], where + '.' + key, depth + 1);
      return;
    }
    throw notJson(where + ' is ' + describe(value) + ', which JSON cannot carry');
  };
  return (value) => { check(value, 'the returned value', 0); return stringify(value); };
})()`;
function logLine(context, args) {
  const parts = args.map((arg) => {
    const value = context.dump(arg);
    if (typeof value === "string") return value;
    try {
      return JSON.stringify(value) ?? String(value);
    } catch {
      return String(value);
    }
  });
  const line = parts.join(" ");
  return line.length > MAX_LOG_LINE_CHARS ? `${line.slice(0, MAX_LOG_LINE_CHARS - 1)}\u2026` : line;
}
function lineOf(error) {
  if (typeof error.lineNumber === "number") return error.lineNumber;
  const match = typeof error.stack === "string" ? new RegExp(`${SOURCE_NAME.replace(".", "\\.")}:(\\d+)`).exec(error.stack) : null;
  return match ? Number(match[1]) : null;
}
function describeThrown(dumped, timeoutMs, deadlinePassed) {
  if (deadlinePassed) return `timed out after ${timeoutMs} ms: the code ran past its timeoutMs (an endless loop?)`;
  if (dumped !== null && typeof dumped === "object" && typeof dumped.message === "string") {
    const error = dumped;
    const name = typeof error.name === "string" ? error.name : "Error";
    const message = error.message;
    if (name === "NotJson") return message;
    if (message === "out of memory") {
      return `ran out of memory: the sandbox allows ${CODE_MEMORY_LIMIT_BYTES / 1024 / 1024} MiB (${name}: ${message})`;
    }
    if (name === "InternalError" && /stack overflow/.test(message)) return "stack overflow: too deep a recursion";
    const line = lineOf(error);
    return `${name}: ${message}${line === null ? "" : ` (line ${line})`}`;
  }
  let shown;
  try {
    shown = JSON.stringify(dumped) ?? String(dumped);
  } catch {
    shown = String(dumped);
  }
  return `the code threw ${shown.length > 200 ? `${shown.slice(0, 199)}\u2026` : shown}, not an Error (throw new Error("\u2026") gives the line)`;
}
async function runInSandbox({ source, globals, timeoutMs }) {
  const module = await loadQuickJs();
  const runtime = module.newRuntime();
  const logs = [];
  let deadline = 0;
  let deadlinePassed = false;
  let broken = false;
  runtime.setMemoryLimit(CODE_MEMORY_LIMIT_BYTES);
  runtime.setMaxStackSize(STACK_LIMIT_BYTES);
  runtime.setInterruptHandler(() => {
    if (Date.now() > deadline) deadlinePassed = true;
    return deadlinePassed;
  });
  const context = runtime.newContext();
  const handles = [];
  const keep = (handle) => {
    handles.push(handle);
    return handle;
  };
  const fail = (message) => ({ ok: false, message, logs });
  const failWith = (errorHandle) => {
    const dumped = context.dump(errorHandle);
    errorHandle.dispose();
    return fail(describeThrown(dumped, timeoutMs, deadlinePassed));
  };
  try {
    deadline = Date.now() + timeoutMs;
    const prelude = context.evalCode(PRELUDE, "prelude.js");
    if (prelude.error) return failWith(prelude.error);
    const toJson = keep(prelude.value);
    const jsonObject = keep(context.getProp(context.global, "JSON"));
    const parse = keep(context.getProp(jsonObject, "parse"));
    for (const [name, value2] of Object.entries(globals)) {
      if (value2 === void 0) {
        context.setProp(context.global, name, context.undefined);
        continue;
      }
      const text2 = keep(context.newString(JSON.stringify(value2)));
      const parsed = context.callFunction(parse, context.undefined, text2);
      if (parsed.error) return failWith(parsed.error);
      context.setProp(context.global, name, keep(parsed.value));
    }
    const consoleObject = keep(context.newObject());
    const log = keep(
      context.newFunction("log", (...args) => {
        if (logs.length < MAX_LOG_LINES) logs.push(logLine(context, args));
        else if (logs.length === MAX_LOG_LINES) logs.push(`\u2026 more lines were dropped (at most ${MAX_LOG_LINES} are kept)`);
      })
    );
    for (const method of ["log", "info", "warn", "error", "debug"]) context.setProp(consoleObject, method, log);
    context.setProp(context.global, "console", consoleObject);
    const wrapped = `(async function () {${source}
})()`;
    const evaluated = context.evalCode(wrapped, SOURCE_NAME);
    if (evaluated.error) return failWith(evaluated.error);
    const promise = keep(evaluated.value);
    const jobs = runtime.executePendingJobs();
    if (jobs.error) return failWith(jobs.error);
    const state = context.getPromiseState(promise);
    if (state.type === "pending") {
      return fail("the returned promise never settled: the sandbox has no timers, network or other events to wait for");
    }
    if (state.type === "rejected") return failWith(state.error);
    const value = keep(state.value);
    const json = context.callFunction(toJson, context.undefined, value);
    if (json.error) return failWith(json.error);
    const text = context.getString(json.value);
    json.value.dispose();
    return { ok: true, value: JSON.parse(text), logs };
  } catch (error) {
    broken = true;
    quickJs = null;
    const detail = error instanceof Error ? error.message : String(error);
    if (deadlinePassed) return fail(`timed out after ${timeoutMs} ms: the code ran past its timeoutMs (an endless loop?)`);
    if (/call stack/i.test(detail)) return fail("stack overflow: too deep a recursion");
    return fail(
      /memory/i.test(detail) ? `ran out of memory: the sandbox allows ${CODE_MEMORY_LIMIT_BYTES / 1024 / 1024} MiB` : `the sandbox failed: ${detail}`
    );
  } finally {
    if (!broken) {
      for (const handle of handles.reverse()) if (handle.alive) handle.dispose();
      context.dispose();
      runtime.dispose();
    }
  }
}

// src/engine/blocks/fields.ts
function valueTypeField(visible) {
  return {
    name: "valueType",
    label: "Value type",
    kind: "select",
    options: VALUE_TYPES,
    default: "text",
    help: "text: the value as written; json: parsed as JSON, with placeholders filled in JSON-aware.",
    ...visible ? { visible } : {}
  };
}
function valueField(help, visible) {
  return {
    name: "value",
    label: "Value",
    kind: "json-or-text",
    default: "",
    help,
    placeholder: "text, JSON or @{result}",
    ...visible ? { visible } : {}
  };
}
function valueTypeOf2(data) {
  return data.valueType ?? "text";
}
function shorten(text, max = 40) {
  const oneLine = text.replace(/\s+/g, " ").trim();
  return oneLine.length > max ? `${oneLine.slice(0, max - 1)}\u2026` : oneLine;
}
function describe(value) {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  return `${typeof value} ${JSON.stringify(value)}`;
}
async function evaluateText(context, text, label, errorCode) {
  const value = await context.evaluate(text ?? "", "text");
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  throw new EngineError(errorCode, `${label} must be text, but ${JSON.stringify(text ?? "")} gave ${describe(value)}`);
}
async function evaluateNumber(context, raw, rule) {
  if (raw === void 0 || raw === null || typeof raw === "string" && raw.trim() === "") return rule.fallback;
  const value = typeof raw === "number" ? raw : await context.evaluate(raw, "text");
  const number = typeof value === "number" ? value : typeof value === "string" && value.trim() !== "" ? Number(value) : Number.NaN;
  if (!Number.isFinite(number)) {
    throw new EngineError("invalid_value", `${rule.label} must be a number, got ${describe(value)}`);
  }
  if (rule.integer && !Number.isInteger(number)) {
    throw new EngineError("invalid_value", `${rule.label} must be a whole number, got ${number}`);
  }
  if (rule.min !== void 0 && (rule.minExclusive ? number <= rule.min : number < rule.min)) {
    throw new EngineError("invalid_value", `${rule.label} must be ${rule.minExclusive ? "above" : "at least"} ${rule.min}, got ${number}`);
  }
  if (rule.max !== void 0 && number > rule.max) {
    throw new EngineError("invalid_value", `${rule.label} must be at most ${rule.max}, got ${number}`);
  }
  return number;
}

// src/engine/blocks/schema-parts.ts
import { z } from "zod";
function nonJsonReason(value, depth = 0) {
  if (depth > 200) return "nests too deeply";
  if (value === null || typeof value === "string" || typeof value === "boolean") return null;
  if (typeof value === "number") return Number.isFinite(value) ? null : `holds ${value}, which JSON cannot`;
  if (Array.isArray(value)) {
    for (const item of value) {
      const reason = nonJsonReason(item, depth + 1);
      if (reason) return reason;
    }
    return null;
  }
  if (typeof value === "object") {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) return "holds an object that is not plain JSON";
    for (const item of Object.values(value)) {
      const reason = nonJsonReason(item, depth + 1);
      if (reason) return reason;
    }
    return null;
  }
  return `holds a ${typeof value}, which JSON cannot`;
}
var jsonValue = z.unknown().superRefine((value, ctx) => {
  const reason = value === void 0 ? "is missing" : nonJsonReason(value);
  if (reason) ctx.addIssue({ code: "custom", message: `expected a JSON value, but it ${reason}` });
});
var numberOrText = z.union([z.number(), z.string()], { error: "expected a number or text" });
function blockDataSchema(shape) {
  return z.looseObject({ label: z.string().optional(), ref: z.string().optional(), ...shape });
}

// src/engine/blocks/types.ts
function defineBlock(manifest) {
  return manifest;
}

// src/engine/blocks/code.ts
var schema = blockDataSchema({ source: z2.string().optional(), timeoutMs: numberOrText.optional() });
var EXAMPLE_SOURCE = "// input, state, results and result are JSON copies.\nreturn { total: (input.items ?? []).length };";
var codeBlock = defineBlock({
  type: "code",
  schema,
  label: "Code",
  description: "Runs JavaScript in a sandbox. It sees input, state, results and result as JSON copies; what it returns is the result. A throw takes the error out.",
  outs: ["success", "error"],
  group: "Logic",
  palette: [{ label: "Code", data: { source: EXAMPLE_SOURCE } }],
  icon: "braces",
  color: "slate",
  fields: [
    {
      name: "source",
      label: "Code",
      kind: "code",
      default: EXAMPLE_SOURCE,
      required: true,
      help: "The body of an async function: return a JSON value (await works). console.log lines go to the step's logs. No network, files or timers."
    },
    {
      name: "timeoutMs",
      label: "Timeout (ms)",
      kind: "number",
      default: CODE_TIMEOUT_DEFAULT_MS,
      help: `CPU time the code may use, at most ${CODE_TIMEOUT_MAX_MS} ms; past it the block fails with code_error. Memory is limited to 32 MiB.`
    }
  ],
  summary(data) {
    const firstLine = (data.source ?? "").split("\n").find((line) => line.trim() !== "" && !line.trim().startsWith("//")) ?? "";
    return shorten(firstLine) || "(no code)";
  },
  async run(context) {
    const timeoutMs = await evaluateNumber(context, context.data.timeoutMs, {
      label: "Timeout (ms)",
      fallback: CODE_TIMEOUT_DEFAULT_MS,
      integer: true,
      min: 1,
      max: CODE_TIMEOUT_MAX_MS
    });
    const { state, results, result } = context.scope;
    let outcome;
    try {
      outcome = await context.runCode({
        source: context.data.source ?? "",
        globals: { input: context.input, state, results, result },
        timeoutMs
      });
    } catch (error) {
      throw new EngineError(
        "code_error",
        `The code sandbox could not run the code: ${error instanceof Error ? error.message : String(error)}`
      );
    }
    for (const line of outcome.logs) context.log(line);
    if (!outcome.ok) throw new EngineError(outcome.cancelled ? "cancelled" : "code_error", outcome.message);
    return { outcome: "success", result: outcome.value };
  }
});

// src/engine/blocks/condition.ts
import { z as z3 } from "zod";
var CONDITION_OPERATORS = ["equals", "notEquals", "contains", "exists", "greaterThan", "lessThan", "truthy"];
var schema2 = blockDataSchema({
  left: z3.string().default(""),
  operator: z3.enum(CONDITION_OPERATORS).default("equals"),
  right: z3.string().optional()
});
var OPERATOR_WORDS = {
  equals: "=",
  notEquals: "\u2260",
  contains: "contains",
  exists: "exists",
  greaterThan: ">",
  lessThan: "<",
  truthy: "is truthy"
};
var UNARY_OPERATORS = ["exists", "truthy"];
function asNumber(value) {
  if (typeof value === "number") return value;
  if (typeof value === "string" && value.trim() !== "") {
    const number = Number(value);
    return Number.isFinite(number) ? number : null;
  }
  return null;
}
function isScalar(value) {
  return value === null || typeof value !== "object";
}
function deepEqual2(a, b) {
  if (isScalar(a) || isScalar(b)) return a === b;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((item, i) => deepEqual2(item, b[i]));
  }
  const aKeys = Object.keys(a);
  return aKeys.length === Object.keys(b).length && aKeys.every((key) => Object.prototype.hasOwnProperty.call(b, key) && deepEqual2(a[key], b[key]));
}
function parseJsonText(value) {
  if (typeof value !== "string") return void 0;
  try {
    return JSON.parse(value);
  } catch {
    return void 0;
  }
}
function looselyEqual(a, b) {
  if (deepEqual2(a, b)) return true;
  const [na, nb] = [asNumber(a), asNumber(b)];
  if (na !== null && nb !== null) return na === nb;
  if (isScalar(a) && isScalar(b)) return String(a) === String(b);
  const parsed = typeof a === "string" ? parseJsonText(a) : parseJsonText(b);
  const other = typeof a === "string" ? b : a;
  return parsed !== void 0 && deepEqual2(parsed, other);
}
function describeType(value) {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  return `a ${typeof value}`;
}
function render(value) {
  return typeof value === "string" ? value : JSON.stringify(value);
}
function isTruthy(value) {
  if (value === null || value === false || value === 0 || value === "") return false;
  if (value === "false" || value === "0") return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === "object") return Object.keys(value).length > 0;
  return true;
}
function contains(left, right) {
  if (typeof left === "string") return left.includes(render(right));
  if (Array.isArray(left)) return left.some((item) => looselyEqual(item, right));
  if (left !== null && typeof left === "object") return Object.prototype.hasOwnProperty.call(left, render(right));
  throw new EngineError("type_mismatch", `contains needs text, an array or an object on the left, got ${describeType(left)}`);
}
function compare(left, right, operator) {
  const [nl, nr] = [asNumber(left), asNumber(right)];
  let order;
  if (nl !== null && nr !== null) order = nl - nr;
  else if (typeof left === "string" && typeof right === "string") order = left < right ? -1 : left > right ? 1 : 0;
  else
    throw new EngineError(
      "type_mismatch",
      `${operator} compares two numbers or two texts, got ${describeType(left)} and ${describeType(right)}`
    );
  return operator === "greaterThan" ? order > 0 : order < 0;
}
async function exists(context) {
  try {
    const value = await context.evaluate(context.data.left, "text");
    return value !== null;
  } catch (error) {
    const wellFormed = scanPlaceholders(context.data.left ?? "").problems.length === 0;
    if (error instanceof ExpressionError && wellFormed) return false;
    throw error;
  }
}
async function evaluateCondition(context) {
  const { operator } = context.data;
  if (operator === "exists") return exists(context);
  const left = await context.evaluate(context.data.left, "text");
  if (operator === "truthy") return isTruthy(left);
  const right = await context.evaluate(context.data.right, "text");
  switch (operator) {
    case "equals":
      return looselyEqual(left, right);
    case "notEquals":
      return !looselyEqual(left, right);
    case "contains":
      return contains(left, right);
    case "greaterThan":
    case "lessThan":
      return compare(left, right, operator);
    default:
      throw new EngineError("invalid_value", `Unknown operator '${String(operator)}': expected one of ${CONDITION_OPERATORS.join("|")}`);
  }
}
var conditionBlock = defineBlock({
  type: "condition",
  schema: schema2,
  label: "Condition",
  description: "Compares two values and takes the true or false out. A placeholder that does not resolve takes the error out (except for exists).",
  outs: ["true", "false", "error"],
  group: "Logic",
  palette: [{ label: "Condition", data: { left: "@{result}", operator: "equals", right: "" } }],
  icon: "diamond",
  color: "amber",
  fields: [
    {
      name: "left",
      label: "Left",
      kind: "expression",
      default: "@{result}",
      required: true,
      help: "The value to test, usually a placeholder such as @{result.status}."
    },
    {
      name: "operator",
      label: "Operator",
      kind: "select",
      options: CONDITION_OPERATORS,
      default: "equals",
      required: true,
      help: "Numbers compare numerically; contains works on text, arrays and object keys."
    },
    {
      name: "right",
      label: "Right",
      kind: "expression",
      default: "",
      help: "The value to compare with (not used by exists and truthy).",
      visible: (data) => !UNARY_OPERATORS.includes(data.operator)
    }
  ],
  summary(data) {
    const left = shorten(data.left ?? "", 24) || "(empty)";
    const word = OPERATOR_WORDS[data.operator] ?? String(data.operator);
    if (UNARY_OPERATORS.includes(data.operator)) return `${left} ${word}`;
    return `${left} ${word} ${shorten(data.right ?? "", 20) || '""'}`;
  },
  async run(context) {
    const result = await evaluateCondition(context);
    return { outcome: result ? "true" : "false", result };
  }
});

// src/engine/blocks/kv.ts
import { z as z4 } from "zod";
var KV_ACTIONS = ["save", "get", "delete", "list", "append", "increment"];
var schema3 = blockDataSchema({
  action: z4.enum(KV_ACTIONS),
  key: z4.string().optional(),
  valueType: z4.enum(VALUE_TYPES).optional(),
  value: z4.string().optional(),
  scope: z4.enum(SCOPES).optional(),
  mode: z4.enum(SAVE_MODES).optional(),
  /** Seconds, or an expression string that yields a number. */
  ttlSeconds: numberOrText.optional(),
  prefix: z4.string().optional(),
  limit: numberOrText.optional(),
  by: numberOrText.optional()
});
function preset(label, icon, data) {
  return { label, icon, data: { scope: "flow", ...data } };
}
var actionOf = (data) => data.action;
var isAction = (...actions) => (data) => actions.includes(actionOf(data));
function success(result) {
  return { outcome: "success", result };
}
async function keyOf(context) {
  const key = await evaluateText(context, context.data.key, "Key", "invalid_key");
  assertValidKey(key);
  return key;
}
async function valueOf(context, key) {
  const value = await context.evaluate(context.data.value, valueTypeOf2(context.data));
  assertStorableValue(value, key);
  return value;
}
async function runAction(context, scope) {
  const { data, kv, trace } = context;
  switch (data.action) {
    case "save": {
      const key = await keyOf(context);
      const value = await valueOf(context, key);
      const ttlSeconds = await evaluateNumber(context, data.ttlSeconds, {
        label: "TTL (seconds)",
        fallback: null,
        min: 0,
        minExclusive: true
      });
      const { entry, created } = await kv.save(
        scope,
        key,
        value,
        { valueType: valueTypeOf2(data), mode: data.mode ?? "upsert", ttlSeconds },
        trace
      );
      return success({ key, value: entry.value, created, version: entry.version });
    }
    case "get": {
      const key = await keyOf(context);
      const read = await kv.read(scope, key, trace);
      if (!read.found) throw kv.notFound(scope, key, kv.readChain(scope));
      return success(read.value);
    }
    case "delete": {
      const key = await keyOf(context);
      if (!await kv.remove(scope, key, trace)) throw kv.notFound(scope, key);
      return success({ key, deleted: true });
    }
    case "list": {
      const prefix = await evaluateText(context, data.prefix, "Prefix", "invalid_value");
      const limit = await evaluateNumber(context, data.limit, {
        label: "Limit",
        fallback: LIST_DEFAULT_LIMIT,
        integer: true,
        min: 1,
        max: LIST_MAX_LIMIT
      });
      return success(await kv.list(scope, { prefix, limit: limit ?? LIST_DEFAULT_LIMIT }, trace));
    }
    case "append": {
      const key = await keyOf(context);
      const value = await valueOf(context, key);
      const entry = await kv.append(scope, key, value, valueTypeOf2(data), trace);
      return success(entry.value);
    }
    case "increment": {
      const key = await keyOf(context);
      const by = await evaluateNumber(context, data.by, { label: "By", fallback: 1 });
      const entry = await kv.increment(scope, key, by ?? 1, trace);
      return success(entry.value);
    }
  }
}
function scopeSuffix(scope) {
  return scope && scope !== "flow" ? ` in ${scope}` : "";
}
function summarize(data) {
  const key = shorten(data.key ?? "", 32) || "(no key)";
  const scope = scopeSuffix(data.scope);
  switch (data.action) {
    case "save": {
      const mode = data.mode && data.mode !== "upsert" ? `, ${data.mode}` : "";
      return `save ${key} (${valueTypeOf2(data)}${mode})${scope}`;
    }
    case "get":
      return `get ${key}${scope}`;
    case "delete":
      return `delete ${key}${scope}`;
    case "list":
      return `list keys${data.prefix ? ` ${shorten(data.prefix, 24)}*` : ""}${scope}`;
    case "append":
      return `append to ${key}${scope}`;
    case "increment":
      return `increment ${key} by ${data.by === void 0 || data.by === "" ? 1 : data.by}${scope}`;
    default:
      return `unknown action ${String(data.action)}`;
  }
}
var kvBlock = defineBlock({
  type: "kv",
  schema: schema3,
  label: "Key-Value Storage",
  description: "Saves, reads, deletes, lists, appends to or increments a stored key. Success passes the result on; a missing key, a bad key or a store failure takes the error out.",
  outs: ["success", "error"],
  group: "Key-Value Storage",
  palette: [
    preset("Save key", "download", { action: "save", key: "", valueType: "text", value: "@{result}", mode: "upsert" }),
    preset("Get key", "upload", { action: "get", key: "" }),
    preset("Delete key", "cross", { action: "delete", key: "" }),
    preset("List keys", "list", { action: "list", prefix: "", limit: 1e3 }),
    preset("Append to key", "plus", { action: "append", key: "", valueType: "json", value: "" }),
    preset("Increment key", "arrowUp", { action: "increment", key: "", by: 1 })
  ],
  presetKey: "action",
  icon: "upload",
  color: "sky",
  fields: [
    {
      name: "action",
      label: "Action",
      kind: "select",
      options: KV_ACTIONS,
      default: "save",
      required: true,
      help: "What to do with the key."
    },
    {
      name: "key",
      label: "Key",
      kind: "expression",
      default: "",
      required: true,
      help: "1\u2013256 characters of A\u2013Z a\u2013z 0\u20139 _ -, checked after @{\u2026} placeholders are filled in.",
      placeholder: "a key name, e.g. user_profile",
      visible: (data) => actionOf(data) !== "list"
    },
    valueTypeField(isAction("save", "append")),
    valueField("The value to store (save) or to add at the end (append).", isAction("save", "append")),
    {
      name: "scope",
      label: "Scope",
      kind: "select",
      options: SCOPES,
      default: "flow",
      help: "flow: this blueprint; flow_group: the blueprint's group; global: the whole workspace."
    },
    {
      name: "mode",
      label: "Mode",
      kind: "select",
      options: SAVE_MODES,
      default: "upsert",
      help: "upsert: always write; create: only if absent; update: only if present.",
      visible: isAction("save")
    },
    {
      name: "ttlSeconds",
      label: "TTL (seconds)",
      kind: "number",
      help: "Optional: the key expires after this many seconds.",
      visible: isAction("save")
    },
    {
      name: "prefix",
      label: "Prefix",
      kind: "expression",
      default: "",
      help: "Only keys that start with this text.",
      visible: isAction("list")
    },
    {
      name: "limit",
      label: "Limit",
      kind: "number",
      default: LIST_DEFAULT_LIMIT,
      help: `At most this many keys (1\u2013${LIST_MAX_LIMIT}).`,
      visible: isAction("list")
    },
    {
      name: "by",
      label: "By",
      kind: "number",
      default: 1,
      help: "The amount to add; negative to subtract.",
      visible: isAction("increment")
    }
  ],
  summary: summarize,
  async run(context) {
    const scope = context.data.scope ?? "flow";
    context.kv.scopeKeyOf(scope);
    return runAction(context, scope);
  }
});

// src/engine/blocks/output.ts
import { z as z5 } from "zod";
var schema4 = blockDataSchema({ valueType: z5.enum(VALUE_TYPES).optional(), value: z5.string().optional() });
var outputBlock = defineBlock({
  type: "output",
  schema: schema4,
  label: "Output",
  description: "Adds a value to the run's outputs. The value is also the result.",
  outs: ["success"],
  group: "Logic",
  palette: [{ label: "Output", data: { valueType: "text", value: "@{result}" } }],
  icon: "exit",
  color: "emerald",
  fields: [valueTypeField(), valueField('The value to output, e.g. @{result} or "Hello @{input.name}".')],
  summary(data) {
    return `output ${shorten(data.value ?? "") || "(empty)"}`;
  },
  async run(context) {
    const value = await context.evaluate(context.data.value, valueTypeOf2(context.data));
    context.emitOutput(value);
    return { outcome: "success", result: value };
  }
});

// src/engine/blocks/set-state.ts
import { z as z6 } from "zod";
var schema5 = blockDataSchema({ path: z6.string().default(""), valueType: z6.enum(VALUE_TYPES).optional(), value: z6.string().optional() });
var setStateBlock = defineBlock({
  type: "setState",
  schema: schema5,
  label: "Set state",
  description: "Sets a value in the run state at a dot path, creating objects on the way; read it back with @{state.\u2026}.",
  outs: ["success", "error"],
  group: "Logic",
  palette: [{ label: "Set state", data: { path: "", valueType: "text", value: "@{result}" } }],
  icon: "assign",
  color: "purple",
  fields: [
    {
      name: "path",
      label: "Path",
      kind: "text",
      default: "",
      required: true,
      help: "Dot path inside the run state, e.g. user.profile.",
      placeholder: "user.profile"
    },
    valueTypeField(),
    valueField("The value to set, e.g. @{result} to keep the previous block's result.")
  ],
  summary(data) {
    const path = data.path || "(no path)";
    return `state.${path} = ${shorten(data.value ?? "", 30) || "(empty)"}`;
  },
  async run(context) {
    const value = await context.evaluate(context.data.value, valueTypeOf2(context.data));
    context.setState(context.data.path, value);
    return { outcome: "success", result: value };
  }
});

// src/engine/blocks/start.ts
var schema6 = blockDataSchema({ sampleInput: jsonValue.optional() });
var startBlock = defineBlock({
  type: "start",
  schema: schema6,
  label: "Start",
  description: "Where the run begins. Its result is the run's input; the editor runs with the sample input.",
  outs: ["success"],
  group: "Flow",
  palette: [{ label: "Start", data: { sampleInput: {} } }],
  icon: "play",
  color: "indigo",
  fields: [
    {
      name: "sampleInput",
      label: "Sample input",
      kind: "json",
      default: {},
      help: "The input used when the blueprint is run from the editor (and by `kvb run` without --input)."
    }
  ],
  summary(data) {
    if (data.sampleInput === void 0) return "start";
    return `input ${shorten(JSON.stringify(data.sampleInput), 34)}`;
  },
  async run(context) {
    return { outcome: "success", result: context.input };
  }
});

// src/engine/blocks/transform.ts
import { z as z7 } from "zod";
var schema7 = blockDataSchema({ valueType: z7.enum(VALUE_TYPES).optional(), value: z7.string().optional() });
var transformBlock = defineBlock({
  type: "transform",
  schema: schema7,
  label: "Transform",
  description: "Builds a value from text or JSON with @{\u2026} placeholders. The value is the result.",
  outs: ["success", "error"],
  group: "Logic",
  palette: [{ label: "Transform", data: { valueType: "text", value: "@{result}" } }],
  icon: "function",
  color: "purple",
  fields: [valueTypeField(), valueField('The value to compute, e.g. {"total": @{result.count}} with Value type json.')],
  summary(data) {
    return `= ${shorten(data.value ?? "") || "(empty)"}`;
  },
  async run(context) {
    const value = await context.evaluate(context.data.value, valueTypeOf2(context.data));
    return { outcome: "success", result: value };
  }
});

// src/engine/blocks/index.ts
var BLOCKS = [startBlock, kvBlock, codeBlock, setStateBlock, transformBlock, conditionBlock, outputBlock];
var BLOCK_TYPES = BLOCKS.map((block) => block.type);
var BLOCK_MANIFESTS = Object.fromEntries(BLOCKS.map((block) => [block.type, block]));
function manifestOf(type) {
  return BLOCK_MANIFESTS[type];
}
function outsOf(type) {
  return BLOCK_MANIFESTS[type].outs;
}
var PALETTE = BLOCKS.flatMap(
  (block) => block.palette.map((preset2) => ({
    label: preset2.label,
    type: block.type,
    group: block.group,
    data: preset2.data
  }))
);

// src/engine/document.ts
var MAX_STEPS_CEILING = 1e6;
var REF_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]*$/;
var nodeShape = z8.object({
  id: z8.string().min(1, "expected a non-empty id"),
  type: z8.enum(BLOCK_TYPES),
  position: z8.object({ x: z8.number(), y: z8.number() }),
  data: z8.record(z8.string(), z8.unknown())
});
var edgeShape = z8.object({
  id: z8.string().min(1, "expected a non-empty id"),
  source: z8.string(),
  sourceHandle: z8.enum(OUTS),
  target: z8.string(),
  targetHandle: z8.string().nullable().optional()
});
var settingsShape = z8.object({
  kvInherit: z8.boolean().default(DEFAULT_SETTINGS.kvInherit),
  kvConflict: z8.enum(["child", "parent", "merge"]).default(DEFAULT_SETTINGS.kvConflict),
  maxSteps: z8.number().int("expected a whole number").min(1, "expected at least 1").max(MAX_STEPS_CEILING, `expected at most ${MAX_STEPS_CEILING}`).default(DEFAULT_SETTINGS.maxSteps)
});
var documentShape = z8.object({
  format: z8.literal(BLUEPRINT_FORMAT),
  id: z8.string().min(1, "expected a non-empty id").refine((id) => !hasLoneSurrogate(id), "has a lone UTF-16 surrogate (half of a character)"),
  name: z8.string().optional(),
  groupId: z8.string().nullable().optional(),
  settings: settingsShape.optional(),
  nodes: z8.array(z8.unknown()),
  edges: z8.array(z8.unknown()),
  pins: z8.record(z8.string(), z8.json()).optional()
});
function formatPath(segments) {
  let path = "";
  for (const segment of segments) {
    if (typeof segment === "number") path += `[${segment}]`;
    else path += path === "" ? String(segment) : `.${String(segment)}`;
  }
  return path || "(document)";
}
function describeInput(input) {
  if (input === void 0) return "nothing";
  if (input === null) return "null";
  if (Array.isArray(input)) return "an array";
  if (typeof input === "object") return "an object";
  if (typeof input === "string") return `the text ${JSON.stringify(input.length > 40 ? `${input.slice(0, 40)}\u2026` : input)}`;
  return `${typeof input} ${String(input)}`;
}
function formatIssue(issue) {
  const input = issue.input;
  switch (issue.code) {
    case "invalid_value":
      if (input === void 0)
        return `is required (expected ${issue.values.length === 1 ? JSON.stringify(issue.values[0]) : `one of ${issue.values.map(String).join("|")}`})`;
      if (issue.values.length === 1) return `expected ${JSON.stringify(issue.values[0])}, got ${describeInput(input)}`;
      return `expected one of ${issue.values.map(String).join("|")}, got ${describeInput(input)}`;
    case "invalid_type":
      if (input === void 0) return `is required (expected ${issue.expected})`;
      return `expected ${issue.expected}, got ${describeInput(input)}`;
    case "invalid_union":
      return issue.message === "Invalid input" ? `unexpected ${describeInput(input)}` : issue.message;
    default:
      return issue.message;
  }
}
function problemsOf(error, prefix) {
  return error.issues.map((issue) => ({ path: formatPath([...prefix, ...issue.path]), message: formatIssue(issue) }));
}
function settingsOf(document) {
  return { ...DEFAULT_SETTINGS, ...document.settings };
}
function sketchOf(raw) {
  if (typeof raw !== "object" || raw === null) return null;
  const { id, type } = raw;
  if (typeof id !== "string" || id === "") return null;
  return { id, type: BLOCK_TYPES.includes(type) ? type : null, node: null };
}
function validateNode(raw, index, problems) {
  const shape = nodeShape.safeParse(raw, { reportInput: true });
  if (!shape.success) problems.push(...problemsOf(shape.error, ["nodes", index]));
  const sketch = sketchOf(raw);
  const rawData = raw?.data;
  if (!sketch?.type || typeof rawData !== "object" || rawData === null || Array.isArray(rawData)) return sketch;
  const data = BLOCK_MANIFESTS[sketch.type].schema.safeParse(rawData, { reportInput: true });
  if (!data.success) problems.push(...problemsOf(data.error, ["nodes", index, "data"]));
  if (!shape.success || !data.success) return sketch;
  const { id, type, position } = shape.data;
  const node = { id, type, position: { x: position.x, y: position.y }, data: data.data };
  return { id, type, node };
}
function validateEdge(raw, index, problems) {
  const shape = edgeShape.safeParse(raw, { reportInput: true });
  if (!shape.success) {
    problems.push(...problemsOf(shape.error, ["edges", index]));
    if (typeof raw !== "object" || raw === null) return null;
    const fields = raw;
    const text = (value) => typeof value === "string" && value !== "" ? value : null;
    return {
      id: text(fields.id),
      source: text(fields.source),
      sourceHandle: OUTS.includes(fields.sourceHandle) ? fields.sourceHandle : null,
      target: text(fields.target),
      edge: null
    };
  }
  const { id, source, sourceHandle, target, targetHandle } = shape.data;
  const edge = { id, source, sourceHandle, target, ...targetHandle !== void 0 ? { targetHandle } : {} };
  return { id, source, sourceHandle, target, edge };
}
function checkGraph(nodes, edges, problems) {
  const nodeIndex = /* @__PURE__ */ new Map();
  const refIndex = /* @__PURE__ */ new Map();
  const starts = [];
  nodes.forEach((node, i) => {
    if (!node) return;
    const first = nodeIndex.get(node.id);
    if (first !== void 0) problems.push({ path: `nodes[${i}].id`, message: `duplicate node id '${node.id}' (also nodes[${first}])` });
    else nodeIndex.set(node.id, i);
    if (node.type === "start") starts.push(i);
  });
  nodes.forEach((sketch, i) => {
    const ref = sketch?.node?.data.ref;
    if (ref === void 0 || ref === "") return;
    if (!REF_PATTERN.test(ref)) {
      problems.push({ path: `nodes[${i}].data.ref`, message: `ref '${ref}' must start with a letter or _ and use only A\u2013Z a\u2013z 0\u20139 _ -` });
      return;
    }
    const first = refIndex.get(ref);
    const idOwner = nodeIndex.get(ref);
    if (first !== void 0) problems.push({ path: `nodes[${i}].data.ref`, message: `duplicate ref '${ref}' (also nodes[${first}])` });
    else if (idOwner !== void 0 && idOwner !== i)
      problems.push({
        path: `nodes[${i}].data.ref`,
        message: `ref '${ref}' is the id of nodes[${idOwner}]; @{results.${ref}} would be ambiguous`
      });
    else refIndex.set(ref, i);
  });
  if (starts.length === 0 && nodes.every((sketch) => sketch?.type)) {
    problems.push({ path: "nodes", message: "expected exactly one start block, found none" });
  }
  for (const i of starts.slice(1)) {
    problems.push({ path: `nodes[${i}].type`, message: `expected exactly one start block; nodes[${starts[0]}] is already one` });
  }
  const edgeIds = /* @__PURE__ */ new Map();
  const connections = /* @__PURE__ */ new Map();
  edges.forEach((sketch, i) => {
    if (!sketch) return;
    if (sketch.id !== null) {
      const first = edgeIds.get(sketch.id);
      if (first !== void 0)
        problems.push({ path: `edges[${i}].id`, message: `duplicate edge id '${sketch.id}' (also edges[${first}])` });
      else edgeIds.set(sketch.id, i);
    }
    const sourceAt = sketch.source === null ? void 0 : nodeIndex.get(sketch.source);
    const targetAt = sketch.target === null ? void 0 : nodeIndex.get(sketch.target);
    const sourceNode = sourceAt === void 0 ? void 0 : nodes[sourceAt];
    const targetNode = targetAt === void 0 ? void 0 : nodes[targetAt];
    if (sketch.source !== null && !sourceNode) {
      problems.push({ path: `edges[${i}].source`, message: `no node with id '${sketch.source}'` });
    } else if (sourceNode?.type && sketch.sourceHandle !== null && !outsOf(sourceNode.type).includes(sketch.sourceHandle)) {
      problems.push({
        path: `edges[${i}].sourceHandle`,
        message: `a ${sourceNode.type} block has no '${sketch.sourceHandle}' out; expected one of ${outsOf(sourceNode.type).join("|")}`
      });
    }
    if (sketch.target !== null && !targetNode) problems.push({ path: `edges[${i}].target`, message: `no node with id '${sketch.target}'` });
    else if (targetNode?.type === "start")
      problems.push({ path: `edges[${i}].target`, message: `'${sketch.target}' is the start block, which takes no incoming edges` });
    const { edge } = sketch;
    if (!edge) return;
    const connection = `${edge.source}\0${edge.sourceHandle}\0${edge.target}`;
    const same = connections.get(connection);
    if (same !== void 0)
      problems.push({
        path: `edges[${i}]`,
        message: `connects ${edge.source}.${edge.sourceHandle} to ${edge.target} again (as edges[${same}])`
      });
    else connections.set(connection, i);
  });
}
function checkPins(pins, nodes, problems) {
  if (typeof pins !== "object" || pins === null || Array.isArray(pins)) return;
  for (const pinned of Object.keys(pins)) {
    if (!nodes.some((node) => node?.id === pinned))
      problems.push({ path: `pins.${pinned}`, message: `no node with id '${pinned}' to pin` });
  }
}
function validateBlueprint(input) {
  const tooDeep = findTooDeep(input, JSON_MAX_DEPTH, "(document)");
  if (tooDeep)
    return {
      ok: false,
      problems: [
        { path: tooDeep, message: `nests arrays and objects more than ${JSON_MAX_DEPTH} levels deep (the limit is ${JSON_MAX_DEPTH})` }
      ]
    };
  const top = documentShape.safeParse(input, { reportInput: true });
  if (!top.success) {
    const problems2 = problemsOf(top.error, []);
    const raw = typeof input === "object" && input !== null ? input : {};
    const nodes2 = Array.isArray(raw.nodes) ? raw.nodes.map((node, i) => validateNode(node, i, problems2)) : [];
    const edges2 = Array.isArray(raw.edges) ? raw.edges.map((edge, i) => validateEdge(edge, i, problems2)) : [];
    if (Array.isArray(raw.nodes) && Array.isArray(raw.edges)) checkGraph(nodes2, edges2, problems2);
    checkPins(input?.pins, nodes2, problems2);
    return { ok: false, problems: problems2 };
  }
  const problems = [];
  const nodes = top.data.nodes.map((node, i) => validateNode(node, i, problems));
  const edges = top.data.edges.map((edge, i) => validateEdge(edge, i, problems));
  checkGraph(nodes, edges, problems);
  const { format, id, name, groupId, settings, pins } = top.data;
  checkPins(pins, nodes, problems);
  if (problems.length > 0) return { ok: false, problems };
  const document = {
    format,
    id,
    name: name ?? id,
    ...groupId ? { groupId } : {},
    settings: settings ?? { ...DEFAULT_SETTINGS },
    // No problems means every node parsed in full, so each sketch carries its node.
    nodes: nodes.map((sketch) => sketch.node),
    edges: edges.map((sketch) => sketch.edge),
    ...pins && Object.keys(pins).length > 0 ? { pins } : {}
  };
  return { ok: true, document: structuredClone(document) };
}
function formatProblems(problems) {
  return problems.map((problem) => `${problem.path}: ${problem.message}`).join("\n");
}

// src/engine/kv-access.ts
var DEFAULT_COMPANY_ID = "default";
function traceName(scope, key) {
  return `${scope}:${key}`;
}
function isPlainObject(value) {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
function mergeOver(parent, child) {
  if (!isPlainObject(parent) || !isPlainObject(child)) return child;
  const merged = new Map(Object.entries(parent));
  for (const [key, value] of Object.entries(child)) {
    const below = merged.get(key);
    merged.set(key, below === void 0 ? value : mergeOver(below, value));
  }
  return Object.fromEntries(merged);
}
var KvAccess = class {
  constructor(options) {
    this.options = options;
    this.companyId = options.companyId ?? DEFAULT_COMPANY_ID;
  }
  options;
  companyId;
  /** The scope key an entry of `scope` lives under for this blueprint (docs/scopes.md). */
  scopeKeyOf(scope) {
    if (scope === "flow") return this.options.blueprint.id;
    if (scope === "global") return "";
    const groupId = this.options.blueprint.groupId;
    if (!groupId) {
      throw new EngineError(
        "invalid_scope",
        `Scope flow_group needs the blueprint's groupId, and blueprint '${this.options.blueprint.id}' has none: set a groupId, or use scope flow or global`
      );
    }
    return groupId;
  }
  /** The scopes a read at `scope` consults, most specific first. */
  readChain(scope) {
    this.scopeKeyOf(scope);
    if (!this.options.settings.kvInherit || scope === "global") return [scope];
    const chain = scope === "flow" ? ["flow"] : [];
    if (this.options.blueprint.groupId) chain.push("flow_group");
    chain.push("global");
    return chain;
  }
  /** Reads `key` at `scope`, following inheritance and the conflict rule. */
  async read(scope, key, trace) {
    assertValidKey(key);
    const chain = this.readChain(scope);
    for (const s of chain) trace.reads.push(traceName(s, key));
    const results = await this.batch(chain.map((s) => ({ op: "get", key, scope: s, scopeKey: this.scopeKeyOf(s) })));
    const values = results.map((result) => result.op === "get" ? result.entry : null).filter((entry) => entry !== null).map((entry) => entry.value);
    if (values.length === 0) return { found: false };
    const mostSpecific = values[0];
    switch (this.options.settings.kvConflict) {
      case "parent":
        return { found: true, value: values[values.length - 1] };
      case "merge":
        if (values.every(isPlainObject)) {
          return { found: true, value: values.reduceRight((below, value) => mergeOver(below, value), {}) };
        }
        return { found: true, value: mostSpecific };
      case "child":
      default:
        return { found: true, value: mostSpecific };
    }
  }
  /** The `not_found` error for a read or delete that found nothing. */
  notFound(scope, key, consulted = [scope]) {
    const parents = consulted.filter((s) => s !== scope);
    const also = parents.length > 0 ? `, nor in its parent scopes (${parents.join(", ")})` : "";
    return new EngineError("not_found", `Key ${describeKey(key)} not found in ${scope} scope${also}`);
  }
  /** The sorted union of key names in `scope` (and its parents when inheriting). */
  async list(scope, query, trace) {
    const chain = this.readChain(scope);
    for (const s of chain) trace.reads.push(traceName(s, `${query.prefix}*`));
    const results = await this.batch(
      chain.map((s) => ({ op: "list", scope: s, scopeKey: this.scopeKeyOf(s), prefix: query.prefix, limit: query.limit }))
    );
    const keys = /* @__PURE__ */ new Set();
    for (const result of results) {
      if (result.op === "list") for (const entry of result.entries) keys.add(entry.key);
    }
    return [...keys].sort((a, b) => a < b ? -1 : a > b ? 1 : 0).slice(0, query.limit);
  }
  async save(scope, key, value, options, trace) {
    assertValidKey(key);
    const [result] = await this.batch([
      {
        op: "set",
        key,
        value,
        scope,
        scopeKey: this.scopeKeyOf(scope),
        valueType: options.valueType,
        mode: options.mode,
        ttlSeconds: options.ttlSeconds
      }
    ]);
    if (result?.op !== "set") throw this.unexpected("set");
    trace.writes.push(traceName(scope, key));
    return { entry: result.entry, created: result.created };
  }
  /** Deletes `key` from the block's own scope; `false` when nothing was there. */
  async remove(scope, key, trace) {
    assertValidKey(key);
    const [result] = await this.batch([{ op: "delete", key, scope, scopeKey: this.scopeKeyOf(scope) }]);
    if (result?.op !== "delete") throw this.unexpected("delete");
    if (result.deleted) trace.writes.push(traceName(scope, key));
    return result.deleted;
  }
  async append(scope, key, value, valueType, trace) {
    assertValidKey(key);
    const [result] = await this.batch([{ op: "append", key, value, valueType, scope, scopeKey: this.scopeKeyOf(scope) }]);
    if (result?.op !== "append") throw this.unexpected("append");
    trace.writes.push(traceName(scope, key));
    return result.entry;
  }
  async increment(scope, key, by, trace) {
    assertValidKey(key);
    const [result] = await this.batch([{ op: "increment", key, by, scope, scopeKey: this.scopeKeyOf(scope) }]);
    if (result?.op !== "increment") throw this.unexpected("increment");
    trace.writes.push(traceName(scope, key));
    return result.entry;
  }
  /** One atomic store call; a failure that is not a store error becomes code `store`. */
  async batch(ops) {
    try {
      return await this.options.store.batch(this.companyId, ops);
    } catch (error) {
      if (isKvError(error)) throw error;
      const detail = error instanceof Error ? error.message : String(error);
      throw new EngineError("store", `The ${this.options.store.kind} store failed: ${detail}`);
    }
  }
  unexpected(op) {
    return new EngineError("store", `The ${this.options.store.kind} store answered a ${op} with a result of another kind`);
  }
};

// src/engine/runner.ts
function setOwn(target, key, value) {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}
function isPlainObject2(value) {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
function setStatePath(state, path, value) {
  const segments = path.split(".");
  const shown = `state.${path}`;
  if (path.trim() === "" || segments.some((segment) => segment === "")) {
    throw new EngineError("invalid_path", `Path '${path}' is empty or has an empty segment: write it like user.profile.name`);
  }
  const forbidden = segments.find((segment) => FORBIDDEN_SEGMENTS.includes(segment));
  if (forbidden) throw new EngineError("invalid_path", `Path '${path}' uses '${forbidden}', which is never allowed as a key`);
  let current = state;
  for (let i = 0; i < segments.length - 1; i++) {
    const segment = segments[i];
    const next = Object.hasOwn(current, segment) ? current[segment] : void 0;
    if (next === void 0) {
      const created = {};
      setOwn(current, segment, created);
      current = created;
    } else if (isPlainObject2(next)) {
      current = next;
    } else {
      const where = `state.${segments.slice(0, i + 1).join(".")}`;
      const what = next === null ? "null" : Array.isArray(next) ? "an array" : `a ${typeof next}`;
      throw new EngineError("invalid_path", `Cannot set ${shown}: ${where} holds ${what}, not an object`);
    }
  }
  setOwn(current, segments[segments.length - 1], value);
}
function byTargetPosition(nodesById) {
  return (a, b) => {
    const pa = nodesById.get(a.target).position;
    const pb = nodesById.get(b.target).position;
    return pa.y - pb.y || pa.x - pb.x;
  };
}
function outgoingEdges(document, nodesById) {
  const outgoing = /* @__PURE__ */ new Map();
  for (const edge of document.edges) {
    const slot = `${edge.source}\0${edge.sourceHandle}`;
    const list = outgoing.get(slot) ?? [];
    list.push(edge);
    outgoing.set(slot, list);
  }
  for (const list of outgoing.values()) list.sort(byTargetPosition(nodesById));
  return outgoing;
}
function startingPoint(blueprint, startAt, results) {
  if (startAt === void 0) return { nodeId: blueprint.nodes.find((node) => node.type === "start").id, previousResult: void 0 };
  if (!blueprint.nodes.some((node) => node.id === startAt)) return null;
  const pins = blueprint.pins ?? {};
  for (const node of blueprint.nodes) {
    if (node.id === startAt || !Object.hasOwn(pins, node.id)) continue;
    const pinned = structuredClone(pins[node.id]);
    setOwn(results, node.id, pinned);
    if (node.data.ref) setOwn(results, node.data.ref, pinned);
  }
  const feeder = blueprint.edges.find((edge) => edge.target === startAt && edge.source !== startAt && Object.hasOwn(pins, edge.source));
  return { nodeId: startAt, previousResult: feeder ? structuredClone(pins[feeder.source]) : void 0 };
}
var RUN_SLICE_MS = 10;
var pauseWithTimer = () => new Promise((resolve) => {
  globalThis.setTimeout(resolve, 0);
});
function eventEmitter(onEvent) {
  return (event) => {
    try {
      onEvent?.(event);
    } catch {
    }
  };
}
function invalidDocumentRecord(document, options, runId, startedAt, finishedAt, problems) {
  return {
    runId,
    blueprintId: typeof document?.id === "string" ? document.id : "",
    status: "failed",
    startedAt,
    finishedAt,
    input: structuredClone(options.input === void 0 ? {} : options.input),
    steps: [],
    outputs: [],
    state: {},
    error: { code: "invalid_blueprint", message: `The blueprint is not valid:
${formatProblems(problems)}`, nodeId: null }
  };
}
var RunLimits = class {
  constructor(documentMaxSteps, options) {
    this.documentMaxSteps = documentMaxSteps;
    this.options = options;
    this.maxSteps = Math.min(documentMaxSteps, options.maxSteps ?? documentMaxSteps);
  }
  documentMaxSteps;
  options;
  count = 0;
  head = [];
  tail = [];
  sliceStartedAt = globalThis.performance.now();
  maxSteps;
  /** The limit error when one more step would pass the limit, else null. */
  beforeStep(nodeId) {
    if (this.count < this.maxSteps) return null;
    const message = this.maxSteps < this.documentMaxSteps ? `The run reached the limit of ${this.maxSteps} steps this host allows per run (settings.maxSteps is ${this.documentMaxSteps}) before block '${nodeId}': check for an endless loop` : `The run reached its limit of ${this.maxSteps} steps before block '${nodeId}': check for an endless loop, or raise settings.maxSteps`;
    return { code: "limit", message, nodeId };
  }
  record(step) {
    this.count++;
    const keep = this.options.keepSteps;
    if (keep === void 0 || this.head.length < keep.first) {
      this.head.push(step);
      return;
    }
    this.tail.push(step);
    if (this.tail.length > keep.last) this.tail.shift();
  }
  get lastNodeId() {
    return (this.tail.at(-1) ?? this.head.at(-1))?.nodeId;
  }
  /** The recorded steps, and how many were left out between the first and the last ones. */
  recordedSteps() {
    const omitted = this.count - this.head.length - this.tail.length;
    return omitted > 0 ? { steps: [...this.head, ...this.tail], stepsOmitted: omitted } : { steps: [...this.head, ...this.tail] };
  }
  /** Lets the host in once the current slice of work is spent; cheap when it is not. */
  async pace() {
    if (globalThis.performance.now() - this.sliceStartedAt < RUN_SLICE_MS) return;
    await (this.options.yieldToHost ?? pauseWithTimer)();
    this.sliceStartedAt = globalThis.performance.now();
  }
};
var RunScope = class {
  constructor(blueprint, options, input, runId, startedAt, clock) {
    this.options = options;
    this.input = input;
    this.clock = clock;
    this.maxOutputs = options.maxOutputs ?? Number.POSITIVE_INFINITY;
    this.kv = new KvAccess({ store: options.store, companyId: options.companyId, blueprint, settings: settingsOf(blueprint) });
    this.runRoot = { id: runId, startedAt };
    this.blueprintRoot = { id: blueprint.id, name: blueprint.name, groupId: blueprint.groupId ?? null };
  }
  options;
  input;
  clock;
  state = {};
  results = {};
  outputs = [];
  outputsOmitted = 0;
  maxOutputs;
  /** The error of the last failed step whose `error` out was wired, for `@{error}`. */
  routedError = null;
  kv;
  runRoot;
  blueprintRoot;
  /** Stores a finished step's result under the node's id and its ref. */
  keepResult(node, result) {
    setOwn(this.results, node.id, result);
    if (node.data.ref) setOwn(this.results, node.data.ref, result);
  }
  contextFor(node, pending, trace, logs) {
    const { kv, clock, options } = this;
    const expressions = {
      roots: {
        result: pending.previousResult,
        results: this.results,
        state: this.state,
        input: this.input,
        error: this.routedError ? { ...this.routedError } : void 0,
        run: this.runRoot,
        blueprint: this.blueprintRoot
      },
      readKv: async (root, key) => {
        const read = await kv.read(KV_ROOT_SCOPES[root], key, trace);
        return read.found ? read.value : void 0;
      }
    };
    return {
      node,
      data: node.data,
      input: this.input,
      evaluate: (text, valueType) => {
        expressions.roots.now = clock().toISOString();
        return evaluateField(text ?? "", valueType, expressions);
      },
      kv,
      trace,
      // Copies, so a later change to state never rewrites a value already recorded elsewhere.
      setState: (path, value) => setStatePath(this.state, path, structuredClone(value)),
      emitOutput: (value) => {
        if (this.outputs.length < this.maxOutputs) this.outputs.push(structuredClone(value));
        else this.outputsOmitted++;
      },
      scope: { state: this.state, results: this.results, result: pending.previousResult },
      log: (line) => {
        logs.push(line);
      },
      runCode: (request) => (options.runCode ?? runInSandbox)(request, options.signal)
    };
  }
};
async function executeStep(scope, node, pending, clock, onStarted) {
  const trace = { reads: [], writes: [] };
  const logs = [];
  const stepStartedAt = clock().toISOString();
  onStarted(stepStartedAt);
  const began = globalThis.performance.now();
  let outcome;
  let result = null;
  let error = null;
  try {
    const ended = await manifestOf(node.type).run(scope.contextFor(node, pending, trace, logs));
    outcome = ended.outcome;
    result = structuredClone(ended.result);
  } catch (thrown) {
    outcome = "error";
    error = toRunError(thrown, node.id);
  }
  return {
    nodeId: node.id,
    type: node.type,
    ...node.type === "kv" ? { action: node.data.action } : {},
    outcome,
    startedAt: stepStartedAt,
    durationMs: globalThis.performance.now() - began,
    result,
    error,
    reads: trace.reads,
    writes: trace.writes,
    ...logs.length > 0 ? { logs } : {}
  };
}
async function walk({ runId, blueprint, from, scope, limits, options, clock, emit }) {
  const nodesById = new Map(blueprint.nodes.map((node) => [node.id, node]));
  const outgoing = outgoingEdges(blueprint, nodesById);
  const waiting = [from];
  while (waiting.length > 0) {
    await limits.pace();
    const pending = waiting.pop();
    if (options.signal?.aborted) {
      return {
        status: "cancelled",
        error: { code: "cancelled", message: `The run was cancelled before block '${pending.nodeId}'`, nodeId: null }
      };
    }
    const limit = limits.beforeStep(pending.nodeId);
    if (limit) return { status: "failed", error: limit };
    const node = nodesById.get(pending.nodeId);
    const step = await executeStep(
      scope,
      node,
      pending,
      clock,
      (startedAt) => emit({ type: "step-started", runId, nodeId: node.id, startedAt })
    );
    limits.record(step);
    scope.keepResult(node, step.result);
    const next = outgoing.get(`${node.id}\0${step.outcome}`) ?? [];
    if (step.error?.code === "cancelled") {
      emit({ type: "step-finished", runId, step, edgesTaken: [] });
      return { status: "cancelled", error: step.error };
    }
    emit({ type: "step-finished", runId, step, edgesTaken: next.map((edge) => edge.id) });
    if (step.error) {
      if (next.length === 0) return { status: "failed", error: step.error };
      scope.routedError = step.error;
    }
    for (const edge of [...next].reverse()) waiting.push({ nodeId: edge.target, previousResult: step.result });
  }
  if (options.signal?.aborted) {
    const last = limits.lastNodeId ?? from.nodeId;
    return {
      status: "cancelled",
      error: { code: "cancelled", message: `The run was cancelled during block '${last}', its last block`, nodeId: null }
    };
  }
  return { status: "succeeded", error: null };
}
async function runBlueprint(document, options) {
  const clock = options.now ?? (() => /* @__PURE__ */ new Date());
  const runId = options.runId ?? globalThis.crypto.randomUUID();
  const startedAt = clock().toISOString();
  const emit = eventEmitter(options.onEvent);
  const validation = validateBlueprint(document);
  emit({ type: "run-started", runId, blueprintId: typeof document?.id === "string" ? document.id : "", startedAt });
  if (!validation.ok) {
    const record2 = invalidDocumentRecord(document, options, runId, startedAt, clock().toISOString(), validation.problems);
    emit({ type: "run-finished", runId, record: record2 });
    return record2;
  }
  const blueprint = validation.document;
  const start = blueprint.nodes.find((node) => node.type === "start");
  const input = structuredClone(options.input !== void 0 ? options.input : start.data.sampleInput ?? {});
  const scope = new RunScope(blueprint, options, input, runId, startedAt, clock);
  const limits = new RunLimits(settingsOf(blueprint).maxSteps, options);
  let ending;
  try {
    const from = startingPoint(blueprint, options.startAt, scope.results);
    if (!from) throw new EngineError("invalid_blueprint", `Cannot run from block '${options.startAt}': the blueprint has no such block`);
    ending = await walk({ runId, blueprint, from, scope, limits, options, clock, emit });
  } catch (thrown) {
    ending = { status: "failed", error: toRunError(thrown, null) };
  }
  const record = {
    runId,
    blueprintId: blueprint.id,
    status: ending.status,
    startedAt,
    finishedAt: clock().toISOString(),
    input,
    ...limits.recordedSteps(),
    outputs: scope.outputs,
    ...scope.outputsOmitted > 0 ? { outputsOmitted: scope.outputsOmitted } : {},
    state: scope.state,
    error: ending.error
  };
  emit({ type: "run-finished", runId, record });
  return record;
}

// templates/app-config.json
var app_config_default = {
  format: "kv-blueprint/1",
  id: "app-config",
  name: "App configuration",
  settings: { kvInherit: false, kvConflict: "child", maxSteps: 1e3 },
  nodes: [
    { id: "start", type: "start", position: { x: 0, y: 0 }, data: { label: "Start", sampleInput: { user: "ada" } } },
    {
      id: "save-config",
      type: "kv",
      position: { x: 260, y: 0 },
      data: {
        label: "Save config",
        action: "save",
        key: "app_config",
        valueType: "json",
        scope: "flow",
        mode: "upsert",
        value: '{\n  "theme": { "name": "solarized", "accent": "#268bd2" },\n  "features": { "darkMode": true, "betaSearch": false },\n  "limits": { "maxItems": 50 }\n}'
      }
    },
    {
      id: "get-config",
      type: "kv",
      position: { x: 520, y: 0 },
      data: { label: "Get config", ref: "config", action: "get", key: "app_config", scope: "flow" }
    },
    {
      id: "settings-for-user",
      type: "transform",
      position: { x: 780, y: 0 },
      data: {
        label: "Settings for user",
        valueType: "json",
        value: '{\n  "user": "@{input.user}",\n  "theme": "@{result.theme.name}",\n  "darkMode": @{result.features.darkMode},\n  "maxItems": @{results.config.limits.maxItems}\n}'
      }
    },
    {
      id: "output-settings",
      type: "output",
      position: { x: 1040, y: 0 },
      data: { label: "Output settings", valueType: "text", value: "@{result}" }
    }
  ],
  edges: [
    { id: "e-start-save", source: "start", sourceHandle: "success", target: "save-config" },
    { id: "e-save-get", source: "save-config", sourceHandle: "success", target: "get-config" },
    { id: "e-get-transform", source: "get-config", sourceHandle: "success", target: "settings-for-user" },
    { id: "e-transform-output", source: "settings-for-user", sourceHandle: "success", target: "output-settings" }
  ]
};

// templates/cache-result.json
var cache_result_default = {
  format: "kv-blueprint/1",
  id: "cache-result",
  name: "Cache an expensive result",
  settings: { kvInherit: false, kvConflict: "child", maxSteps: 1e3 },
  nodes: [
    {
      id: "start",
      type: "start",
      position: { x: 0, y: 80 },
      data: { label: "Start", sampleInput: { text: "The quick brown fox jumps over the lazy dog" } }
    },
    {
      id: "get-cached",
      type: "kv",
      position: { x: 260, y: 80 },
      data: { label: "Get cached result", action: "get", key: "analysis_result", scope: "flow" }
    },
    {
      id: "output-cached",
      type: "output",
      position: { x: 520, y: 0 },
      data: { label: "Output cached", valueType: "json", value: '{ "source": "cache", "analysis": @{result} }' }
    },
    {
      id: "compute",
      type: "code",
      position: { x: 520, y: 200 },
      data: {
        label: "Compute analysis",
        ref: "analysis",
        timeoutMs: 1e3,
        source: "// Word statistics: the expensive work\n// the cache saves.\nconst text = String(input.text ?? '');\nconst words =\n  text.toLowerCase().match(/[a-z0-9']+/g) ?? [];\nconst counts = new Map();\nfor (const word of words) {\n  counts.set(word, (counts.get(word) ?? 0) + 1);\n}\nconsole.log(`${words.length} words, ${counts.size} different`);\nconst longestWord = words.reduce(\n  (longest, word) =>\n    word.length > longest.length ? word : longest,\n  '',\n);\nconst topWords = [...counts]\n  .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))\n  .slice(0, 3)\n  .map(([word, count]) => ({ word, count }));\nreturn {\n  text: input.text,\n  wordCount: words.length,\n  uniqueWords: counts.size,\n  longestWord,\n  topWords,\n};"
      }
    },
    {
      id: "save-result",
      type: "kv",
      position: { x: 780, y: 200 },
      data: {
        label: "Save result",
        action: "save",
        key: "analysis_result",
        valueType: "json",
        value: "@{result}",
        scope: "flow",
        mode: "upsert"
      }
    },
    {
      id: "output-computed",
      type: "output",
      position: { x: 1040, y: 200 },
      data: {
        label: "Output computed",
        valueType: "json",
        value: '{ "source": "computed", "analysis": @{results.analysis} }'
      }
    }
  ],
  edges: [
    { id: "e-start-get", source: "start", sourceHandle: "success", target: "get-cached" },
    { id: "e-get-hit", source: "get-cached", sourceHandle: "success", target: "output-cached" },
    { id: "e-get-miss", source: "get-cached", sourceHandle: "error", target: "compute" },
    { id: "e-compute-save", source: "compute", sourceHandle: "success", target: "save-result" },
    { id: "e-save-output", source: "save-result", sourceHandle: "success", target: "output-computed" }
  ]
};

// templates/idempotency-token.json
var idempotency_token_default = {
  format: "kv-blueprint/1",
  id: "idempotency-token",
  name: "Idempotency token",
  settings: { kvInherit: false, kvConflict: "child", maxSteps: 1e3 },
  nodes: [
    {
      id: "start",
      type: "start",
      position: { x: 0, y: 100 },
      data: { label: "Start", sampleInput: { orderId: "A-1001" } }
    },
    {
      id: "claim-order",
      type: "kv",
      position: { x: 260, y: 100 },
      data: {
        label: "Claim order",
        action: "save",
        key: "processed-@{input.orderId}",
        valueType: "text",
        value: "@{now}",
        scope: "flow",
        mode: "create"
      }
    },
    {
      id: "output-processed",
      type: "output",
      position: { x: 520, y: 0 },
      data: { label: "Output processed", valueType: "text", value: "processed" }
    },
    {
      id: "already-processed",
      type: "condition",
      position: { x: 520, y: 200 },
      data: { label: "Already processed?", left: "@{error.code}", operator: "equals", right: "already_exists" }
    },
    {
      id: "output-skipped",
      type: "output",
      position: { x: 780, y: 140 },
      data: { label: "Output skipped", valueType: "text", value: "skipped: order @{input.orderId} was already processed" }
    },
    {
      id: "output-not-processed",
      type: "output",
      position: { x: 780, y: 280 },
      data: { label: "Output not processed", valueType: "text", value: "not processed: @{error.message}" }
    }
  ],
  edges: [
    { id: "e-start-claim", source: "start", sourceHandle: "success", target: "claim-order" },
    { id: "e-claim-processed", source: "claim-order", sourceHandle: "success", target: "output-processed" },
    { id: "e-claim-error", source: "claim-order", sourceHandle: "error", target: "already-processed" },
    { id: "e-duplicate", source: "already-processed", sourceHandle: "true", target: "output-skipped" },
    { id: "e-other-error", source: "already-processed", sourceHandle: "false", target: "output-not-processed" }
  ]
};

// templates/last-run-timestamp.json
var last_run_timestamp_default = {
  format: "kv-blueprint/1",
  id: "last-run-timestamp",
  name: "Last-run timestamp",
  settings: { kvInherit: false, kvConflict: "child", maxSteps: 1e3 },
  nodes: [
    { id: "start", type: "start", position: { x: 0, y: 100 }, data: { label: "Start", sampleInput: {} } },
    {
      id: "get-last-run",
      type: "kv",
      position: { x: 260, y: 100 },
      data: { label: "Get last run", action: "get", key: "lastRunAt", scope: "flow" }
    },
    {
      id: "remember-previous",
      type: "setState",
      position: { x: 520, y: 0 },
      data: { label: "Remember previous", path: "previous", valueType: "text", value: "@{result}" }
    },
    {
      id: "first-run",
      type: "setState",
      position: { x: 520, y: 200 },
      data: { label: "First run", path: "previous", valueType: "json", value: "null" }
    },
    {
      id: "save-now",
      type: "kv",
      position: { x: 780, y: 100 },
      data: {
        label: "Save now",
        action: "save",
        key: "lastRunAt",
        valueType: "text",
        value: "@{now}",
        scope: "flow",
        mode: "upsert"
      }
    },
    {
      id: "output-times",
      type: "output",
      position: { x: 1040, y: 100 },
      data: { label: "Output times", valueType: "json", value: '{ "previous": @{state.previous}, "current": @{result.value} }' }
    }
  ],
  edges: [
    { id: "e-start-get", source: "start", sourceHandle: "success", target: "get-last-run" },
    { id: "e-get-found", source: "get-last-run", sourceHandle: "success", target: "remember-previous" },
    { id: "e-get-missing", source: "get-last-run", sourceHandle: "error", target: "first-run" },
    { id: "e-previous-save", source: "remember-previous", sourceHandle: "success", target: "save-now" },
    { id: "e-first-save", source: "first-run", sourceHandle: "success", target: "save-now" },
    { id: "e-save-output", source: "save-now", sourceHandle: "success", target: "output-times" }
  ]
};

// templates/running-counter.json
var running_counter_default = {
  format: "kv-blueprint/1",
  id: "running-counter",
  name: "Running counter",
  settings: { kvInherit: false, kvConflict: "child", maxSteps: 1e3 },
  nodes: [
    { id: "start", type: "start", position: { x: 0, y: 0 }, data: { label: "Start", sampleInput: {} } },
    {
      id: "count-visit",
      type: "kv",
      position: { x: 260, y: 0 },
      data: { label: "Count visit", action: "increment", key: "visits", by: 1, scope: "flow" }
    },
    {
      id: "output-count",
      type: "output",
      position: { x: 520, y: 0 },
      data: { label: "Output count", valueType: "json", value: '{ "visits": @{result} }' }
    }
  ],
  edges: [
    { id: "e-start-increment", source: "start", sourceHandle: "success", target: "count-visit" },
    { id: "e-increment-output", source: "count-visit", sourceHandle: "success", target: "output-count" }
  ]
};

// src/engine/templates.ts
function template(id, description, raw) {
  const validation = validateBlueprint(raw);
  if (!validation.ok) throw new Error(`templates/${id}.json is not a valid blueprint:
${formatProblems(validation.problems)}`);
  return { id, name: validation.document.name, description, document: validation.document };
}
var TEMPLATES = [
  template("cache-result", "Reads a cached result; on a miss computes it in a Code block, saves it as JSON and outputs it.", cache_result_default),
  template("app-config", "Saves a nested JSON configuration, reads it back and uses nested values with dot paths.", app_config_default),
  template("running-counter", "Increments a counter key atomically and outputs the new count.", running_counter_default),
  template(
    "idempotency-token",
    "Claims an order id with save mode create; a repeated order takes the error out and is skipped.",
    idempotency_token_default
  ),
  template(
    "last-run-timestamp",
    "Outputs when the blueprint last ran (none on the first run) and saves the current time.",
    last_run_timestamp_default
  )
];

// scripts/bench-engine.ts
var CHAIN_LENGTH = 1e4;
var PLACEHOLDERS = 100;
async function medianMs(rounds, body) {
  await body();
  const times = [];
  for (let round = 0; round < rounds; round++) {
    const started = performance.now();
    await body();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}
function incrementChain(length) {
  const nodes = [{ id: "start", type: "start", position: { x: 0, y: 0 }, data: { label: "Start" } }];
  const edges = [];
  for (let i = 0; i < length; i++) {
    nodes.push({
      id: `inc${i}`,
      type: "kv",
      position: { x: 200 * (i + 1), y: 0 },
      data: { label: `Increment ${i}`, action: "increment", key: "counter", by: 1, scope: "flow" }
    });
    edges.push({ id: `e${i}`, source: i === 0 ? "start" : `inc${i - 1}`, sourceHandle: "success", target: `inc${i}` });
  }
  return {
    format: "kv-blueprint/1",
    id: "bench-chain",
    name: "Increment chain",
    settings: { kvInherit: false, kvConflict: "child", maxSteps: length + 1 },
    nodes,
    edges
  };
}
async function benchChain() {
  const document = incrementChain(CHAIN_LENGTH);
  const runStore = new MemoryStore();
  const engineMs = await medianMs(5, async () => {
    const record = await runBlueprint(document, { store: runStore, input: {} });
    if (record.status !== "succeeded") throw new Error(`the chain run ${record.status}: ${record.error?.message}`);
  });
  const loopStore = new MemoryStore();
  const loopMs = await medianMs(5, async () => {
    for (let i = 0; i < CHAIN_LENGTH; i++) {
      await loopStore.batch("default", [{ op: "increment", key: "counter", by: 1, scope: "flow", scopeKey: "bench-chain" }]);
    }
  });
  return {
    name: `engine: chain of ${CHAIN_LENGTH.toLocaleString("en")} increments`,
    value: engineMs,
    unit: "ms",
    baseline: "a loop of the same store.batch calls",
    baselineValue: loopMs,
    goal: 1.3
  };
}
async function benchPlaceholders() {
  const items = [];
  for (let i = 0; i < PLACEHOLDERS; i++) items.push({ name: `item ${i}`, size: i });
  const input = { items };
  let text = "";
  for (let i = 0; i < PLACEHOLDERS; i++) text += `${i}: @{input.items.${i}.name} `;
  const ctx = { roots: { input } };
  const repeat = 1e3;
  const expected = await evaluateField(text, "text", ctx);
  const fieldMs = await medianMs(5, async () => {
    for (let r = 0; r < repeat; r++) await evaluateField(text, "text", ctx);
  });
  const walk2 = (path) => {
    let current = input;
    for (const segment of path.split(".").slice(1)) current = current[segment];
    return String(current);
  };
  const regexFilled = text.replace(/@\{([^}]*)\}/g, (_, path) => walk2(path));
  if (regexFilled !== expected) throw new Error("the baseline fills the field differently from evaluateField");
  const regexMs = await medianMs(5, async () => {
    for (let r = 0; r < repeat; r++) await Promise.resolve(text.replace(/@\{([^}]*)\}/g, (_, path) => walk2(path)));
  });
  return {
    name: `expressions: ${PLACEHOLDERS} placeholders (${repeat.toLocaleString("en")} fields)`,
    value: fieldMs,
    unit: "ms",
    baseline: "regex replace + path walk",
    baselineValue: regexMs,
    goal: 2
  };
}
async function benchEngine() {
  return [await benchChain(), await benchPlaceholders()];
}
if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  for (const m of await benchEngine()) {
    const ratio = m.value / m.baselineValue;
    console.log(
      `${m.name}: ${m.value.toFixed(0)} ${m.unit} vs ${m.baseline} ${m.baselineValue.toFixed(0)} ${m.unit} = ${ratio.toFixed(2)}\xD7 (goal \u2264 ${m.goal}\xD7)`
    );
  }
}
export {
  benchEngine
};
