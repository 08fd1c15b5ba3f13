import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { totpCode } from '../../src/security/totp.ts';
import { startHarness, type Harness } from '../support/harness.ts';
import { enrolStaff, PASSWORD, signIn, StaffClient, tokenOf } from '../support/staff.ts';

let h: Harness;
beforeEach(async () => { h = await startHarness({ slack: false }); });
afterEach(async () => { await h.close(); });

const system = (orgId: string) => ({ type: 'system' as const, id: null, orgId, ip: null });

async function audit(action: string) {
  return (await h.app.store.audit.list(h.inbox.orgId, 200)).filter((e) => e.action === action);
}

describe('enrolment from the one-time link', () => {
  it('shows the QR code and secret, refuses a wrong code or weak password, then enrols once', async () => {
    const { enrolmentUrl, account } = await h.app.auth.createAccount({ orgId: h.inbox.orgId, email: 'Nurse.Ann@Clinic.test', role: 'agent' }, system(h.inbox.orgId));
    expect(enrolmentUrl).toMatch(/\/enrol#token=[A-Za-z0-9_-]{43}$/);
    const token = tokenOf(enrolmentUrl);
    const c = new StaffClient(h.url);
    const inspect = await c.post<{ email: string; totpSecret: string; otpauthUrl: string; qrSvg: string; orgName: string }>('/api/enrol/inspect', { token });
    expect(inspect.status).toBe(200);
    expect(inspect.body.email).toBe('nurse.ann@clinic.test');
    expect(inspect.body.totpSecret).toMatch(/^[A-Z2-7]{32}$/);
    expect(inspect.body.otpauthUrl).toContain(`secret=${inspect.body.totpSecret}`);
    expect(inspect.body.qrSvg).toMatch(/^<svg/);
    // A reload shows the same secret.
    expect((await c.post<{ totpSecret: string }>('/api/enrol/inspect', { token })).body.totpSecret).toBe(inspect.body.totpSecret);

    const wrongCode = await c.post('/api/enrol/complete', { token, displayName: 'Ann', password: PASSWORD, totpCode: '000000' });
    expect(wrongCode.status).toBe(401);
    expect(wrongCode.body).toEqual({ error: { code: 'invalid_code', message: expect.any(String) } });
    const weak = await c.post('/api/enrol/complete', { token, displayName: 'Ann', password: 'short', totpCode: totpCode(inspect.body.totpSecret) });
    expect(weak.status).toBe(400);
    expect((weak.body as { error: { code: string } }).error.code).toBe('weak_password');
    expect((await h.app.store.auth.getAccount(h.inbox.orgId, account.id))?.status).toBe('invited');

    const done = await c.post<{ recoveryCodes: string[]; user: { role: string }; csrfToken: string }>('/api/enrol/complete', {
      token, displayName: 'Nurse Ann', password: PASSWORD, totpCode: totpCode(inspect.body.totpSecret),
    });
    expect(done.status).toBe(200);
    expect(done.body.recoveryCodes).toHaveLength(10);
    expect(done.body.user.role).toBe('agent');
    const cookie = done.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/bedside_session=/);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    expect(cookie).not.toMatch(/Secure/i); // plain http here; Secure when PUBLIC_URL is https
    expect((await c.get('/api/auth/session')).status).toBe(200);

    const again = await new StaffClient(h.url).post('/api/enrol/inspect', { token });
    expect(again.status).toBe(410);
    expect((again.body as { error: { code: string } }).error.code).toBe('enrolment_link_used');
    expect((await audit('staff.enrol')).map((e) => [e.outcome, e.details?.reason ?? null]).sort()).toEqual([['denied', 'invalid_code'], ['success', null]]);
    expect((await audit('staff.enrol.view')).map((e) => [e.outcome, e.details?.reason])).toEqual([['denied', 'link_used']]);
  });

  it('refuses an expired and an unknown link', async () => {
    await h.close();
    h = await startHarness({ slack: false, env: { ENROLMENT_LINK_HOURS: '0.0002' } }); // 0.72 s
    const { enrolmentUrl } = await h.app.auth.createAccount({ orgId: h.inbox.orgId, email: 'late@clinic.test', role: 'agent' }, system(h.inbox.orgId));
    await new Promise((r) => setTimeout(r, 900));
    const c = new StaffClient(h.url);
    const expired = await c.post('/api/enrol/inspect', { token: tokenOf(enrolmentUrl) });
    expect(expired.status).toBe(410);
    expect((expired.body as { error: { code: string } }).error.code).toBe('enrolment_link_expired');
    const unknown = await c.post('/api/enrol/inspect', { token: 'x'.repeat(43) });
    expect(unknown.status).toBe(404);
    expect((unknown.body as { error: { code: string } }).error.code).toBe('enrolment_link_invalid');
    expect((await audit('staff.enrol.view')).map((e) => e.details?.reason)).toEqual(['link_expired']);
  });
});

describe('sign-in', () => {
  it('needs the password and then a TOTP code; no patient data before the second factor', async () => {
    const ann = await enrolStaff(h, 'agent');
    const c = new StaffClient(h.url);
    const wrong = await c.post('/api/auth/login', { email: ann.email, password: 'not the password at all' });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toEqual({ error: { code: 'invalid_credentials', message: 'E-mail or password is not right' } });
    const nobody = await c.post('/api/auth/login', { email: 'nobody@clinic.test', password: PASSWORD });
    expect(nobody.body).toEqual(wrong.body);

    expect((await c.post('/api/auth/login', { email: ann.email.toUpperCase(), password: PASSWORD })).status).toBe(200);
    const early = await c.get('/api/conversations');
    expect(early.status).toBe(401);
    expect((early.body as { error: { code: string } }).error.code).toBe('mfa_required');
    const badCode = await c.post('/api/auth/verify', { code: '123456' });
    expect(badCode.status).toBe(401);
    const pendingCookie = c.cookie;
    const ok = await c.post('/api/auth/verify', { code: totpCode(ann.totpSecret, Date.now() + 30_000) });
    expect(ok.status).toBe(200);
    expect(c.cookie).not.toBe(pendingCookie); // a new session id after the second factor
    expect((await c.get('/api/conversations')).status).toBe(200);

    // The same code cannot be used twice.
    const replay = new StaffClient(h.url);
    await replay.post('/api/auth/login', { email: ann.email, password: PASSWORD });
    expect((await replay.post('/api/auth/verify', { code: totpCode(ann.totpSecret, Date.now() + 30_000) })).status).toBe(401);

    const denied = (await audit('auth.login')).filter((e) => e.outcome === 'denied');
    expect(denied.map((e) => e.details?.reason)).toEqual(['invalid_credentials']);
    expect((await h.app.store.audit.list(h.inbox.orgId, 100)).some((e) => e.action === 'auth.mfa' && e.outcome === 'denied')).toBe(true);
  });

  it('accepts each recovery code once', async () => {
    const ann = await enrolStaff(h, 'agent');
    const code = ann.recoveryCodes[0] as string;
    const c1 = new StaffClient(h.url);
    await c1.post('/api/auth/login', { email: ann.email, password: PASSWORD });
    expect((await c1.post('/api/auth/verify', { recoveryCode: code.toUpperCase() })).status).toBe(200);
    const c2 = new StaffClient(h.url);
    await c2.post('/api/auth/login', { email: ann.email, password: PASSWORD });
    expect((await c2.post('/api/auth/verify', { recoveryCode: code })).status).toBe(401);
  });

  it('throttles guessing per account, and says when to come back', async () => {
    const ann = await enrolStaff(h, 'agent');
    const c = new StaffClient(h.url);
    for (let i = 0; i < 5; i++) expect((await c.post('/api/auth/login', { email: ann.email, password: `guess-${i}-wrong-pw` })).status).toBe(401);
    const blocked = await c.post('/api/auth/login', { email: ann.email, password: PASSWORD });
    expect(blocked.status).toBe(429);
    expect((blocked.body as { error: { code: string } }).error.code).toBe('too_many_attempts');
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await audit('auth.login')).some((e) => e.details?.reason === 'throttled')).toBe(true);
  });

  it('refuses an account that has not enrolled, and a disabled one', async () => {
    await h.app.auth.createAccount({ orgId: h.inbox.orgId, email: 'new@clinic.test', role: 'agent' }, system(h.inbox.orgId));
    // No password was ever set: indistinguishable from a wrong password.
    expect((await new StaffClient(h.url).post('/api/auth/login', { email: 'new@clinic.test', password: PASSWORD })).status).toBe(401);
    const ann = await enrolStaff(h, 'agent');
    await h.app.store.auth.updateAccount(h.inbox.orgId, ann.staffId, { status: 'disabled' });
    const res = await new StaffClient(h.url).post('/api/auth/login', { email: ann.email, password: PASSWORD });
    expect(res.status).toBe(403);
    expect((await ann.client.get('/api/auth/session')).status).toBe(401);
  });

  it('signs out one session, or every session of the account', async () => {
    const ann = await enrolStaff(h, 'agent');
    const other = await signIn(h, ann);
    expect((await ann.client.post('/api/auth/logout-all')).status).toBe(204);
    expect((await other.get('/api/auth/session')).status).toBe(401);
    expect((await ann.client.get('/api/auth/session')).status).toBe(401);
  });

  it('refuses cross-site sign-in attempts by their Origin', async () => {
    const res = await new StaffClient(h.url).call('POST', '/api/auth/login', { email: 'a@b.test', password: PASSWORD }, { headers: { origin: 'https://evil.example' } });
    expect(res.status).toBe(403);
    expect((res.body as { error: { code: string } }).error.code).toBe('origin_mismatch');
  });
});

describe('automatic logoff', () => {
  it('ends a session after the configured idle time', async () => {
    await h.close();
    h = await startHarness({ slack: false, env: { SESSION_IDLE_SECONDS: '5' } });
    const ann = await enrolStaff(h, 'agent');
    expect((await ann.client.get('/api/auth/session')).body).toMatchObject({ idleTimeoutSeconds: 5 });
    await new Promise((r) => setTimeout(r, 5500));
    const res = await ann.client.get('/api/conversations');
    expect(res.status).toBe(401);
    expect((res.body as { error: { code: string } }).error.code).toBe('session_expired');
    expect((await audit('auth.logoff')).map((e) => e.details?.reason)).toEqual(['idle']);
  });

  it('refuses an idle timeout above 60 minutes at boot', async () => {
    await expect(startHarness({ slack: false, env: { SESSION_IDLE_SECONDS: '3601' } })).rejects.toThrow(/SESSION_IDLE_SECONDS/);
  });
});
