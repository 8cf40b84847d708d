/** How a stored value's nested path is written as an expression (`@{kv.profile.address.city}`). */
import { KV_ROOT_SCOPES, KV_ROOTS, type KvRoot } from '../../engine/expressions';
import type { Scope } from '../../kv/types';

/** The expression root that reads each scope: the inverse of the engine's KV_ROOT_SCOPES. */
const KV_ROOT_OF = Object.fromEntries(KV_ROOTS.map((root) => [KV_ROOT_SCOPES[root], root])) as Record<Scope, KvRoot>;
const DOT_SAFE = /^[A-Za-z0-9_-]+$/;

export function expressionForPath(scope: Scope, key: string, path: readonly (string | number)[]): string {
  const segments = [key, ...path].map((segment) => {
    if (typeof segment === 'number') return `.${segment}`;
    return DOT_SAFE.test(segment) ? `.${segment}` : `[${JSON.stringify(segment)}]`;
  });
  return `@{${KV_ROOT_OF[scope]}${segments.join('')}}`;
}

/** "3 min ago", "yesterday": short enough for a dense list. */
export function relativeTime(iso: string, now = Date.now()): string {
  const seconds = Math.round((now - new Date(iso).getTime()) / 1000);
  if (seconds < 5) return 'just now';
  if (seconds < 60) return `${seconds}s ago`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 24) return `${hours} h ago`;
  const days = Math.round(hours / 24);
  return days === 1 ? 'yesterday' : `${days} days ago`;
}
