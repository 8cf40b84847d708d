/**
 * What a kvb server said when it refused a request: the `{ error: { code, message, … } }` body
 * every route answers with (`ApiErrorBody`), read defensively, because a proxy or a server that
 * is not kvb may answer with anything. Fields that are missing or of the wrong type are left out.
 */
export interface Refusal {
  code?: string;
  message?: string;
  /** A 412 on a blueprint save: the revision stored now. */
  currentRevision?: number;
  /** A 409 on an apply: the keys that moved (the server sends `scope:scopeKey:key` texts). */
  keys?: unknown[];
}

export async function readRefusal(response: Response): Promise<Refusal> {
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    return {};
  }
  const error = (body as { error?: unknown } | null)?.error;
  if (typeof error !== 'object' || error === null) return {};
  const { code, message, currentRevision, keys } = error as Record<string, unknown>;
  return {
    ...(typeof code === 'string' ? { code } : {}),
    ...(typeof message === 'string' ? { message } : {}),
    ...(typeof currentRevision === 'number' ? { currentRevision } : {}),
    ...(Array.isArray(keys) ? { keys } : {}),
  };
}
