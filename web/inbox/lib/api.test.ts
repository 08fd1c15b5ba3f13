import { describe, expect, it, vi } from 'vitest';
import { ApiError, createApi, parseRetryAfter, tooManyAttemptsMessage, withQuery } from './api.ts';

interface Call {
  url: string;
  init: RequestInit;
}

function fakeFetch(respond: (call: Call) => Response | Promise<Response>) {
  const calls: Call[] = [];
  const fetch = vi.fn(async (url: string, init: RequestInit) => {
    const call = { url, init };
    calls.push(call);
    return respond(call);
  });
  return { fetch, calls };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

const header = (c: Call, name: string) => (c.init.headers as Record<string, string>)[name];

describe('api()', () => {
  it('sends the CSRF token on state-changing requests only', async () => {
    const { fetch, calls } = fakeFetch(() => json(200, { ok: true }));
    const api = createApi({ fetch, csrfToken: () => 'tok-1' });
    await api('GET', '/api/conversations');
    await api('POST', '/api/conversations/c1/resolve');
    await api('PATCH', '/api/admin/users/u1', { body: { role: 'admin' } });
    await api('DELETE', '/api/canned-responses/x');
    expect(header(calls[0]!, 'x-csrf-token')).toBeUndefined();
    expect(calls.slice(1).map((c) => header(c, 'x-csrf-token'))).toEqual(['tok-1', 'tok-1', 'tok-1']);
  });

  it('sends JSON bodies (an empty object on a bodiless POST) and parses JSON answers', async () => {
    const { fetch, calls } = fakeFetch(() => json(200, { items: [1, 2] }));
    const api = createApi({ fetch, csrfToken: () => null });
    const r = await api<{ items: number[] }>('POST', '/api/x', { body: { a: 1 } });
    expect(r.items).toEqual([1, 2]);
    expect(calls[0]!.init.body).toBe('{"a":1}');
    expect(header(calls[0]!, 'content-type')).toBe('application/json');
    await api('POST', '/api/auth/logout');
    expect(calls[1]!.init.body).toBe('{}');
    await api('GET', '/api/y');
    expect(calls[2]!.init.body).toBeUndefined();
  });

  it('returns undefined for 204', async () => {
    const { fetch } = fakeFetch(() => new Response(null, { status: 204 }));
    const api = createApi({ fetch, csrfToken: () => 't' });
    await expect(api('POST', '/api/conversations/c/read', { body: { lastMessageId: 3 } })).resolves.toBeUndefined();
  });

  it('builds query strings, skipping empty values', async () => {
    const { fetch, calls } = fakeFetch(() => json(200, {}));
    const api = createApi({ fetch, csrfToken: () => null });
    await api('GET', '/api/conversations', { query: { status: 'open', inboxId: undefined, channel: '', limit: 50, cursor: 'a b' } });
    expect(calls[0]!.url).toBe('/api/conversations?status=open&limit=50&cursor=a+b');
    expect(withQuery('/p?x=1', { y: 2 })).toBe('/p?x=1&y=2');
  });

  it("throws the server's error code and message", async () => {
    const { fetch } = fakeFetch(() => json(401, { error: { code: 'invalid_credentials', message: 'E-mail or password is not right' } }));
    const api = createApi({ fetch, csrfToken: () => null });
    const err = await api('POST', '/api/auth/login', { body: {}, session: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 401, code: 'invalid_credentials', message: 'E-mail or password is not right' });
  });

  it('explains an error answer without a JSON body', async () => {
    const { fetch } = fakeFetch(() => new Response('<html>Bad gateway</html>', { status: 502 }));
    const api = createApi({ fetch, csrfToken: () => null });
    await expect(api('GET', '/api/x')).rejects.toMatchObject({ status: 502, code: 'http_502', message: expect.stringContaining('HTTP 502') });
  });

  it('turns a network failure into a readable error', async () => {
    const api = createApi({ fetch: () => Promise.reject(new TypeError('Failed to fetch')), csrfToken: () => null });
    await expect(api('GET', '/api/x')).rejects.toMatchObject({ status: 0, code: 'network' });
  });

  it('rethrows an abort as is', async () => {
    const abort = Object.assign(new Error('aborted'), { name: 'AbortError' });
    const api = createApi({ fetch: () => Promise.reject(abort), csrfToken: () => null });
    await expect(api('GET', '/api/x')).rejects.toBe(abort);
  });

  it('reports a signed-out 401 of the session, but not one of sign-in', async () => {
    const onSignedOut = vi.fn();
    const { fetch } = fakeFetch(() => json(401, { error: { code: 'session_expired', message: 'You were signed out' } }));
    const api = createApi({ fetch, csrfToken: () => 't', onSignedOut });
    await expect(api('GET', '/api/conversations')).rejects.toMatchObject({ code: 'session_expired' });
    expect(onSignedOut).toHaveBeenCalledWith('session_expired');
    onSignedOut.mockClear();
    await expect(api('POST', '/api/auth/verify', { body: { code: '1' }, session: false })).rejects.toBeInstanceOf(ApiError);
    expect(onSignedOut).not.toHaveBeenCalled();
  });

  it('does not report other 401 codes (a wrong code) as signed out', async () => {
    const onSignedOut = vi.fn();
    const { fetch } = fakeFetch(() => json(401, { error: { code: 'invalid_code', message: 'That code is not right' } }));
    const api = createApi({ fetch, csrfToken: () => 't', onSignedOut });
    await expect(api('POST', '/api/x')).rejects.toMatchObject({ code: 'invalid_code' });
    expect(onSignedOut).not.toHaveBeenCalled();
  });

  it('words 429 with the Retry-After minutes', async () => {
    const { fetch } = fakeFetch(() => json(429, { error: { code: 'too_many_attempts', message: 'x' } }, { 'retry-after': '600' }));
    const api = createApi({ fetch, csrfToken: () => null });
    await expect(api('POST', '/api/auth/login', { body: {}, session: false })).rejects.toMatchObject({
      status: 429,
      code: 'too_many_attempts',
      retryAfter: 600,
      message: 'Too many attempts, try again in 10 minutes.',
    });
  });

  it('marks background requests and tells the response hook which kind it was', async () => {
    const seen: boolean[] = [];
    const { fetch, calls } = fakeFetch(() => json(200, {}));
    const api = createApi({ fetch, csrfToken: () => null, onResponse: (bg) => seen.push(bg) });
    await api('GET', '/api/conversations/counts', { background: true });
    await api('GET', '/api/conversations');
    expect(header(calls[0]!, 'x-bedside-background')).toBe('1');
    expect(header(calls[1]!, 'x-bedside-background')).toBeUndefined();
    expect(seen).toEqual([true, false]);
  });
});

describe('Retry-After', () => {
  const now = Date.parse('2025-03-03T10:00:00Z');
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('120', now)).toBe(120);
    expect(parseRetryAfter('Mon, 03 Mar 2025 10:05:00 GMT', now)).toBe(300);
    expect(parseRetryAfter('Mon, 03 Mar 2025 09:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter(null, now)).toBeNull();
  });

  it('rounds up to whole minutes, at least one, with the right plural', () => {
    expect(tooManyAttemptsMessage(1)).toBe('Too many attempts, try again in 1 minute.');
    expect(tooManyAttemptsMessage(60)).toBe('Too many attempts, try again in 1 minute.');
    expect(tooManyAttemptsMessage(61)).toBe('Too many attempts, try again in 2 minutes.');
    expect(tooManyAttemptsMessage(null)).toMatch(/few minutes/);
  });
});
