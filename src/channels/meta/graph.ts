/**
 * The Graph API calls Bedside makes for Messenger and WhatsApp, with a bearer token (never in the
 * URL, where it would reach access logs). The base URL is configurable (META_GRAPH_URL): a pinned
 * API version, or the test emulator. Failures map onto the outbox worker's errors: HTTP 429, 5xx,
 * Graph's throttling codes and `is_transient` retry (Retry-After honoured); any other Graph error
 * is permanent and carries its code; no answer at all is the ambiguous case.
 */
import { AmbiguousError, PermanentError, RetryableError } from '../../jobs/errors.ts';

/** Graph error codes that mean "slow down" or "try again" (API-level, page-level, WhatsApp throughput). */
const RETRY_CODES = new Set([1, 2, 4, 17, 32, 341, 613, 80006, 130429, 131000, 131056, 133004]);

export class GraphError extends PermanentError {
  constructor(readonly code: number, readonly subcode: number | undefined) {
    super(`graph error ${code}${subcode ? `/${subcode}` : ''}`);
    this.name = 'GraphError';
  }
}

interface GraphErrorBody { error?: { code?: number; error_subcode?: number; is_transient?: boolean } }

export class GraphApi {
  private readonly baseUrl: string;

  constructor(baseUrl: string, private readonly timeoutMs = 10_000) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
  }

  async request(method: 'GET' | 'POST', path: string, token: string, body?: unknown): Promise<unknown> {
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch {
      // A POST may have been applied before the connection dropped; a GET changes nothing.
      throw method === 'POST' ? new AmbiguousError('graph unreachable') : new RetryableError('graph unreachable');
    }
    const text = await res.text();
    let parsed: unknown = {};
    try {
      parsed = text ? JSON.parse(text) : {};
    } catch {
      // An HTML error page from a proxy: the status code says enough.
    }
    if (res.ok) return parsed;
    const after = Number(res.headers.get('retry-after'));
    const retryAfterMs = Number.isFinite(after) && after > 0 ? after * 1000 : undefined;
    if (res.status === 429) throw new RetryableError('graph rate limited', retryAfterMs ?? 1000);
    if (res.status >= 500) throw new RetryableError(`graph http ${res.status}`, retryAfterMs);
    const err = (parsed as GraphErrorBody).error;
    const code = typeof err?.code === 'number' ? err.code : res.status;
    if (err?.is_transient === true || RETRY_CODES.has(code)) throw new RetryableError(`graph error ${code}`, retryAfterMs);
    throw new GraphError(code, typeof err?.error_subcode === 'number' ? err.error_subcode : undefined);
  }
}
