/** Staff accounts for API tests: created, enrolled and signed in through the real HTTP API,
 *  with TOTP codes computed here, as an authenticator app would. */
import { WebSocket } from 'ws';
import type { Role } from '../../src/domain/types.ts';
import { totpCode } from '../../src/security/totp.ts';
import type { Harness } from './harness.ts';

export interface ApiResponse<T = unknown> { status: number; body: T; headers: Headers }

/** A browser-like client: keeps the session cookie and sends the CSRF token it was given. */
export class StaffClient {
  cookie: string | undefined;
  csrf: string | undefined;

  constructor(readonly baseUrl: string) {}

  async call<T = unknown>(method: string, path: string, body?: unknown, opts: { csrf?: boolean; headers?: Record<string, string> } = {}): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...opts.headers };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.cookie) headers.cookie = this.cookie;
    if (this.csrf && opts.csrf !== false && method !== 'GET') headers['x-csrf-token'] = this.csrf;
    const res = await fetch(`${this.baseUrl}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    const setCookie = res.headers.get('set-cookie');
    if (setCookie) {
      const m = /bedside_session=([^;]*)/.exec(setCookie);
      if (m) this.cookie = m[1] ? `bedside_session=${m[1]}` : undefined;
    }
    const text = await res.text();
    const parsed = text ? JSON.parse(text) as T : (undefined as T);
    const csrf = (parsed as { csrfToken?: string } | undefined)?.csrfToken;
    if (csrf) this.csrf = csrf;
    return { status: res.status, body: parsed, headers: res.headers };
  }

  get<T = unknown>(path: string) { return this.call<T>('GET', path); }
  post<T = unknown>(path: string, body?: unknown, opts?: { csrf?: boolean }) { return this.call<T>('POST', path, body ?? {}, opts); }
}

export interface Enrolled {
  client: StaffClient;
  email: string;
  password: string;
  totpSecret: string;
  recoveryCodes: string[];
  staffId: string;
}

export const PASSWORD = 'correct horse battery staple';

export function tokenOf(enrolmentUrl: string): string {
  return new URL(enrolmentUrl).hash.replace(/^#token=/, '');
}

/** Creates the account (as the CLI would), then enrols it over HTTP. */
export async function enrolStaff(h: Harness, role: Role, email = `${role}-${Math.random().toString(36).slice(2, 8)}@clinic.test`, orgId = h.inbox.orgId): Promise<Enrolled> {
  const { enrolmentUrl, account } = await h.app.auth.createAccount({ orgId, email, role, displayName: `Test ${role}` }, { type: 'system', id: null, orgId, ip: null });
  const client = new StaffClient(h.url);
  const token = tokenOf(enrolmentUrl);
  const inspect = await client.post<{ totpSecret: string }>('/api/enrol/inspect', { token });
  if (inspect.status !== 200) throw new Error(`inspect failed: ${inspect.status}`);
  const done = await client.post<{ recoveryCodes: string[] }>('/api/enrol/complete', {
    token, displayName: `Test ${role}`, password: PASSWORD, totpCode: totpCode(inspect.body.totpSecret),
  });
  if (done.status !== 200) throw new Error(`enrol failed: ${done.status} ${JSON.stringify(done.body)}`);
  return { client, email, password: PASSWORD, totpSecret: inspect.body.totpSecret, recoveryCodes: done.body.recoveryCodes, staffId: account.id };
}

/**
 * Signs in again from a new client. A TOTP step is accepted once; enrolment used the current one,
 * so this uses the next (authenticators may be up to one step ahead).
 */
export async function signIn(h: Harness, who: Enrolled, stepOffset = 1): Promise<StaffClient> {
  const client = new StaffClient(h.url);
  const login = await client.post('/api/auth/login', { email: who.email, password: who.password });
  if (login.status !== 200) throw new Error(`login failed: ${login.status}`);
  const verify = await client.post('/api/auth/verify', { code: totpCode(who.totpSecret, Date.now() + stepOffset * 30_000) });
  if (verify.status !== 200) throw new Error(`verify failed: ${verify.status} ${JSON.stringify(verify.body)}`);
  return client;
}

/** Opens the staff live socket with a session cookie; its frames collect in `frames`. */
export function staffSocket(h: Harness, cookie: string | undefined): Promise<{ ws: WebSocket; frames: Array<Record<string, unknown>> }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${h.wsUrl}/api/ws`, { headers: { cookie: cookie ?? '' } });
    const frames: Array<Record<string, unknown>> = [];
    ws.on('message', (d) => frames.push(JSON.parse(String(d)) as Record<string, unknown>));
    ws.once('open', () => resolve({ ws, frames }));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`status ${res.statusCode}`)));
  });
}
