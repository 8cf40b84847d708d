/**
 * The request checks of docs/http-api.md (Security) that do not depend on tokens: the `Host` header must name
 * this server (so a DNS-rebinding page cannot talk to it), and a browser may not write from
 * another origin. Pure functions; `app.ts` runs them in an `onRequest` hook.
 */
import { networkInterfaces, hostname } from 'node:os';

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);
const WILDCARD_ADDRESSES = new Set(['0.0.0.0', '::', '[::]']);

export function isLoopbackHost(host: string): boolean {
  const name = host.toLowerCase();
  return LOOPBACK_NAMES.has(name) || /^127(\.\d{1,3}){3}$/.test(name);
}

/** How a host name appears in a `Host` header: IPv6 addresses in brackets, lower case. */
function asHostName(host: string): string {
  const name = host.toLowerCase();
  return name.includes(':') && !name.startsWith('[') ? `[${name}]` : name;
}

export interface HostPolicy {
  /** Names (no port) that may appear in `Host` together with the server's port. */
  names: ReadonlySet<string>;
  /** Extra `Host` values accepted as they are (with or without port), from KVB_ALLOWED_HOSTS. */
  exact: ReadonlySet<string>;
}

/**
 * The server's own names: the loopback names, the address it binds, and for a wildcard bind
 * (0.0.0.0, ::) every local interface address and the machine's host name. A reverse proxy's
 * public name goes in `KVB_ALLOWED_HOSTS` (comma separated, `name` or `name:port`).
 */
export function hostPolicyFor(bindHost: string, allowedHostsVariable = ''): HostPolicy {
  const names = new Set(['localhost', '127.0.0.1', '[::1]', asHostName(bindHost)]);
  if (WILDCARD_ADDRESSES.has(bindHost)) {
    names.add(hostname().toLowerCase());
    for (const addresses of Object.values(networkInterfaces())) {
      for (const address of addresses ?? []) names.add(asHostName(address.address));
    }
  }
  const exact = new Set(
    allowedHostsVariable
      .split(',')
      .map((item) => item.trim().toLowerCase())
      .filter((item) => item !== ''),
  );
  return { names, exact };
}

function splitHostHeader(header: string): { name: string; port: string | null } {
  const match = /^(\[[^\]]*\]|[^:]*)(?::(\d+))?$/.exec(header);
  if (!match) return { name: header, port: null };
  return { name: match[1]!, port: match[2] ?? null };
}

/** `null` when `Host` names this server on `port`; otherwise why the request is refused. */
export function checkHost(hostHeader: string | undefined, port: number, policy: HostPolicy): string | null {
  if (!hostHeader) return 'The request has no Host header';
  const header = hostHeader.toLowerCase();
  if (policy.exact.has(header)) return null;
  const { name, port: headerPort } = splitHostHeader(header);
  if (policy.exact.has(name)) return null;
  if (policy.names.has(name) && headerPort === String(port)) return null;
  return `Host '${hostHeader}' is not a name of this server; use http://127.0.0.1:${port} or add the name to KVB_ALLOWED_HOSTS`;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * `null` unless this is a cross-origin browser write. Browsers send `Origin` on every
 * cross-origin request; tools like curl send none and are allowed. `Sec-Fetch-Site` catches
 * the rare browser request without `Origin`.
 */
export function checkOrigin(
  method: string,
  hostHeader: string | undefined,
  origin: string | undefined,
  fetchSite: string | undefined,
): string | null {
  if (SAFE_METHODS.has(method.toUpperCase())) return null;
  if (origin !== undefined) {
    const own = hostHeader === undefined ? [] : [`http://${hostHeader}`, `https://${hostHeader}`].map((o) => o.toLowerCase());
    if (!own.includes(origin.toLowerCase())) {
      return `Cross-origin write refused: Origin '${origin}' is not this server's origin`;
    }
    return null;
  }
  if (fetchSite === 'cross-site' || fetchSite === 'same-site') {
    return `Cross-origin write refused (Sec-Fetch-Site: ${fetchSite})`;
  }
  return null;
}

/**
 * Headers on every answer. The page may not be framed (clickjacking), a response is never
 * sniffed into another type, and no URL leaks through Referer. The CSP keeps to directives
 * the built editor does not depend on (it uses inline styles, so no style-src here).
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'x-frame-options': 'DENY',
  'content-security-policy': "frame-ancestors 'none'; base-uri 'none'; object-src 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};
