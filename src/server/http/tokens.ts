/**
 * API tokens (docs/http-api.md): each token acts for exactly one companyId. They come from
 * `KVB_TOKENS` (`token:companyId,token:companyId`), else from `tokens.json` in the data
 * directory (`{ "token": "companyId" }`). Tokens are kept only as SHA-256 digests, so a
 * heap dump or a log line can never show one.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const TOKENS_FILE = 'tokens.json';
/** Short tokens can be guessed; 16 characters of a random string is the floor. */
export const TOKEN_MIN_LENGTH = 16;

export class TokenConfigError extends Error {
  override readonly name = 'TokenConfigError';
  readonly code = 'invalid_tokens';
}

export interface TokenTable {
  /** Where the tokens came from, for the start-up log line. */
  readonly source: 'KVB_TOKENS' | 'tokens.json' | 'none';
  readonly size: number;
  /** The companyId a presented token acts for, or `null` for an unknown token. */
  companyIdOf(token: string): string | null;
}

function digest(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

function buildTable(source: TokenTable['source'], pairs: Array<[token: string, companyId: string]>, where: string): TokenTable {
  const byDigest = new Map<string, string>();
  pairs.forEach(([token, companyId], index) => {
    const which = `${where}: token #${index + 1}`;
    if (token.length < TOKEN_MIN_LENGTH)
      throw new TokenConfigError(`${which} is ${token.length} characters; use at least ${TOKEN_MIN_LENGTH} random characters`);
    if (/\s/.test(token)) throw new TokenConfigError(`${which} contains whitespace`);
    if (companyId.length === 0) throw new TokenConfigError(`${which} has an empty companyId`);
    const key = digest(token);
    const existing = byDigest.get(key);
    if (existing !== undefined && existing !== companyId) throw new TokenConfigError(`${which} is listed twice, for two companyIds`);
    byDigest.set(key, companyId);
  });
  return {
    source,
    size: byDigest.size,
    companyIdOf: (token) => byDigest.get(digest(token)) ?? null,
  };
}

/** Parses `token:companyId,token:companyId`. A token may itself contain ':' (the last one splits). */
export function parseTokensVariable(text: string): TokenTable {
  const items = text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
  const pairs = items.map((item, index): [string, string] => {
    const split = item.lastIndexOf(':');
    if (split <= 0) throw new TokenConfigError(`KVB_TOKENS: item #${index + 1} is not token:companyId`);
    return [item.slice(0, split), item.slice(split + 1)];
  });
  return buildTable('KVB_TOKENS', pairs, 'KVB_TOKENS');
}

export function parseTokensFile(text: string, path: string): TokenTable {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new TokenConfigError(`${path} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new TokenConfigError(`${path} must be an object { "token": "companyId" }`);
  }
  const pairs = Object.entries(parsed).map(([token, companyId], index): [string, string] => {
    if (typeof companyId !== 'string') throw new TokenConfigError(`${path}: token #${index + 1} must map to a companyId string`);
    return [token, companyId];
  });
  return buildTable('tokens.json', pairs, path);
}

/** `KVB_TOKENS` wins over `tokens.json`; neither gives an empty table (loopback-only mode). */
export function loadTokens(dataDir: string, env: NodeJS.ProcessEnv = process.env): TokenTable {
  const variable = env.KVB_TOKENS;
  if (variable !== undefined && variable.trim() !== '') return parseTokensVariable(variable);
  const path = join(dataDir, TOKENS_FILE);
  if (existsSync(path)) return parseTokensFile(readFileSync(path, 'utf8'), path);
  return { source: 'none', size: 0, companyIdOf: () => null };
}
