/**
 * The one way the inbox talks HTTP: JSON in and out, `X-CSRF-Token` on every state-changing
 * request, errors as `ApiError` carrying the server's `{error: {code, message}}`, and a hook for the
 * answers that mean the session is gone. Free of the DOM (fetch is injected) so it can be tested.
 */
import type { ApiErrorBody } from '../api-types.ts';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Seconds from the Retry-After header, when there was one. */
    readonly retryAfter: number | null = null,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Codes of a 401 that mean "sign in again". */
export const SIGNED_OUT_CODES = new Set(['session_expired', 'unauthenticated', 'mfa_required']);

export interface RequestOptions {
  body?: unknown;
  query?: Record<string, string | number | boolean | null | undefined>;
  signal?: AbortSignal;
  /**
   * false for sign-in and enrolment requests, whose 401s are answers to show (a wrong code),
   * not a reason to leave the page.
   */
  session?: boolean;
  /**
   * A request the app makes on its own (a live refresh, not a person's action): sent with
   * `X-Bedside-Background: 1` so that it does not postpone the idle logoff.
   */
  background?: boolean;
}

export interface ApiClientOptions {
  fetch: (input: string, init: RequestInit) => Promise<Response>;
  /** The session's CSRF token, or null before sign-in. */
  csrfToken: () => string | null;
  /** A request of the signed-in session was answered 401 with one of `SIGNED_OUT_CODES`. */
  onSignedOut?: (code: string) => void;
  /**
   * Every answer from the server, success or not. `background` tells whether the request was one
   * that leaves the server's idle clock alone.
   */
  onResponse?: (background: boolean) => void;
  /** Defaults to Date.now, for the Retry-After header in HTTP-date form. */
  now?: () => number;
}

export type Api = <T = void>(method: Method, path: string, options?: RequestOptions) => Promise<T>;

const UNSAFE = new Set<Method>(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Seconds to wait from a Retry-After header (delta-seconds or an HTTP date), or null. */
export function parseRetryAfter(value: string | null, now: number): number | null {
  if (value == null) return null;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v);
  const at = Date.parse(v);
  if (Number.isNaN(at)) return null;
  return Math.max(0, Math.ceil((at - now) / 1000));
}

/** "Too many attempts, try again in 3 minutes" (whole minutes, at least one). */
export function tooManyAttemptsMessage(retryAfterSeconds: number | null): string {
  if (retryAfterSeconds == null) return 'Too many attempts, try again in a few minutes.';
  const minutes = Math.max(1, Math.ceil(retryAfterSeconds / 60));
  return `Too many attempts, try again in ${minutes} ${minutes === 1 ? 'minute' : 'minutes'}.`;
}

export function withQuery(path: string, query: RequestOptions['query']): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null || v === '') continue;
    params.set(k, String(v));
  }
  const qs = params.toString();
  return qs ? `${path}${path.includes('?') ? '&' : '?'}${qs}` : path;
}

function isErrorBody(v: unknown): v is ApiErrorBody {
  if (!v || typeof v !== 'object') return false;
  const e = (v as { error?: unknown }).error;
  return !!e && typeof e === 'object' && typeof (e as { code?: unknown }).code === 'string';
}

function fallbackMessage(status: number): string {
  if (status === 403) return 'You don’t have permission to do that.';
  if (status === 404) return 'Not found: it may have been removed.';
  if (status >= 500) return `The server had a problem (HTTP ${status}). Try again in a moment.`;
  return `The request failed (HTTP ${status}).`;
}

export function createApi(options: ApiClientOptions): Api {
  const now = options.now ?? Date.now;
  return async function api<T>(method: Method, path: string, req: RequestOptions = {}): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    let body: string | undefined;
    if (req.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(req.body);
    } else if (UNSAFE.has(method)) {
      // The server wants a JSON body on state-changing requests; an empty object is the neutral one.
      headers['content-type'] = 'application/json';
      body = '{}';
    }
    if (UNSAFE.has(method)) {
      const token = options.csrfToken();
      if (token) headers['x-csrf-token'] = token;
    }
    if (req.background) headers['x-bedside-background'] = '1';

    let res: Response;
    try {
      res = await options.fetch(withQuery(path, req.query), {
        method,
        headers,
        body,
        credentials: 'same-origin',
        cache: 'no-store',
        signal: req.signal,
      });
    } catch (err) {
      if ((err as { name?: string } | null)?.name === 'AbortError') throw err;
      throw new ApiError(0, 'network', 'Cannot reach the server. Check your connection and try again.');
    }
    options.onResponse?.(req.background === true);

    if (res.ok) {
      if (res.status === 204) return undefined as T;
      const text = await res.text();
      return (text ? JSON.parse(text) : undefined) as T;
    }

    let parsed: unknown = null;
    try {
      parsed = JSON.parse(await res.text());
    } catch {
      parsed = null;
    }
    const retryAfter = parseRetryAfter(res.headers.get('retry-after'), now());
    let code = `http_${res.status}`;
    let message = fallbackMessage(res.status);
    if (isErrorBody(parsed)) {
      code = parsed.error.code;
      if (typeof parsed.error.message === 'string' && parsed.error.message) message = parsed.error.message;
    }
    if (res.status === 429) message = tooManyAttemptsMessage(retryAfter);
    if (res.status === 401 && req.session !== false && SIGNED_OUT_CODES.has(code)) options.onSignedOut?.(code);
    throw new ApiError(res.status, code, message, retryAfter);
  };
}

/** A message fit to show for any error thrown by `api`. */
export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  return 'Something went wrong. Try again.';
}

export function isAbort(err: unknown): boolean {
  return (err as { name?: string } | null)?.name === 'AbortError';
}
