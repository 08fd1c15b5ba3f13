/**
 * Staff identity (HIPAA 164.312(a)(1), (d)): accounts created by an administrator, one-time
 * enrolment links, argon2id passwords, mandatory TOTP with recovery codes, throttled sign-in,
 * sessions with idle and absolute expiry. Every refusal is audited. Framework-free: the HTTP layer
 * maps cookies to the opaque session tokens this service issues.
 */
import { createHash, randomBytes } from 'node:crypto';
import { newId } from '../domain/ids.ts';
import type { Organization, Role, StaffAccount, StaffSession } from '../domain/types.ts';
import { AppError } from '../errors.ts';
import { dummyHash, hashPassword, passwordProblem, verifyPassword } from '../security/passwords.ts';
import { hashRecoveryCode, newRecoveryCodes } from '../security/recovery-codes.ts';
import { SecretBox } from '../security/secret-box.ts';
import { FailureThrottle } from '../security/throttle.ts';
import { matchTotp, newTotpSecret, otpauthUrl, qrSvg } from '../security/totp.ts';
import type { Store } from '../store/types.ts';
import { anonymous, type Actor, type AuditTrail } from './audit.ts';
import { withFields } from '../domain/with-fields.ts';

export const ROLE_RANK: Record<Role, number> = { agent: 1, admin: 2, owner: 3 };
const PENDING_SESSION_MS = 5 * 60_000;
/** Writing last-seen on every request would make each read a write; a minute of slack is fine. */
const TOUCH_EVERY_MS = 15_000;

export interface AuthOptions {
  idleMs: number;
  maxAgeMs: number;
  enrolmentLinkMs: number;
  publicUrl: string;
  serverKey: string;
  now?: () => number;
}

export interface IssuedSession { token: string; session: StaffSession; account: StaffAccount }
export interface Authenticated { session: StaffSession; account: StaffAccount; org: Organization }

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const newToken = () => randomBytes(32).toString('base64url');

const fail = (code: string, status: number, message: string) => new AppError(code, status, message);

export class StaffAuth {
  private readonly now: () => number;
  private readonly totpBox: SecretBox;
  /** 5 wrong passwords per account, 20 per address, per 15 minutes; 5 wrong codes per account. */
  private readonly accountThrottle: FailureThrottle;
  private readonly addressThrottle: FailureThrottle;
  private readonly codeThrottle: FailureThrottle;

  constructor(private readonly store: Store, private readonly audit: AuditTrail, private readonly options: AuthOptions) {
    this.now = options.now ?? Date.now;
    this.totpBox = new SecretBox(options.serverKey, 'totp');
    this.accountThrottle = new FailureThrottle(5, 15 * 60_000, this.now);
    this.addressThrottle = new FailureThrottle(20, 15 * 60_000, this.now);
    this.codeThrottle = new FailureThrottle(5, 15 * 60_000, this.now);
  }

  // ---- accounts and enrolment -------------------------------------------------------------

  async createAccount(
    input: { orgId: string; email: string; role: Role; displayName?: string }, actor: Actor & { role?: Role },
  ): Promise<{ account: StaffAccount; enrolmentUrl: string; expiresAt: number }> {
    const email = input.email.trim().toLowerCase();
    if (actor.role && ROLE_RANK[input.role] > ROLE_RANK[actor.role]) {
      await this.audit.record(this.store, actor, 'staff.create', 'denied', undefined, { reason: 'role_above_actor', role: input.role });
      throw fail('forbidden', 403, 'You cannot create an account with a higher role than your own');
    }
    if (await this.store.auth.findAccountByEmail(email)) {
      await this.audit.record(this.store, actor, 'staff.create', 'denied', undefined, { reason: 'email_taken' });
      throw fail('email_taken', 409, 'An account with this e-mail address already exists');
    }
    const id = newId('stf');
    const now = this.now();
    const token = newToken();
    const expiresAt = now + this.options.enrolmentLinkMs;
    await this.store.transaction(async (tx) => {
      await tx.auth.createAccount({
        id, orgId: input.orgId, email, displayName: input.displayName?.trim() || email.split('@')[0] || email,
        role: input.role, status: 'invited',
      }, now);
      await tx.auth.createEnrolmentToken({ tokenHash: sha256(token), orgId: input.orgId, staffId: id, createdAt: now, expiresAt });
      await this.audit.record(tx, actor, 'staff.create', 'success', { type: 'staff', id, orgId: input.orgId }, { role: input.role });
    });
    const account = await this.store.auth.getAccount(input.orgId, id);
    return { account: account as StaffAccount, enrolmentUrl: this.enrolmentUrl(token), expiresAt };
  }

  /** A fresh one-time link; the account must enrol again (new password, new authenticator). */
  async reissueEnrolment(orgId: string, staffId: string, actor: Actor & { role?: Role }): Promise<{ enrolmentUrl: string; expiresAt: number }> {
    const account = await this.store.auth.getAccount(orgId, staffId);
    if (!account || !account.email) throw fail('not_found', 404, 'Staff member not found');
    if (actor.role && ROLE_RANK[account.role] > ROLE_RANK[actor.role]) {
      await this.audit.record(this.store, actor, 'staff.reset', 'denied', { type: 'staff', id: staffId }, { reason: 'role_above_actor' });
      throw fail('forbidden', 403, 'You cannot reset an account with a higher role than your own');
    }
    const now = this.now();
    const token = newToken();
    const expiresAt = now + this.options.enrolmentLinkMs;
    await this.store.transaction(async (tx) => {
      await tx.auth.revokeEnrolmentTokens(staffId, now);
      await tx.auth.revokeAllSessions(staffId, now);
      await tx.auth.setCredentials(orgId, staffId, { passwordHash: null, totpSecret: null, totpLastStep: null, recoveryCodes: [], totpEnabledAt: null });
      if (account.status !== 'disabled') await tx.auth.updateAccount(orgId, staffId, { status: 'invited' });
      await tx.auth.createEnrolmentToken({ tokenHash: sha256(token), orgId, staffId, createdAt: now, expiresAt });
      await this.audit.record(tx, actor, 'staff.reset', 'success', { type: 'staff', id: staffId, orgId });
    });
    return { enrolmentUrl: this.enrolmentUrl(token), expiresAt };
  }

  private enrolmentUrl(token: string): string {
    // In the fragment: browsers never send it to a server, so it stays out of access logs.
    return `${this.options.publicUrl}/enrol#token=${token}`;
  }

  private async enrolmentTarget(token: string, ip: string | null, action: string) {
    const record = token.length <= 128 ? await this.store.auth.findEnrolmentToken(sha256(token)) : undefined;
    if (!record) {
      await this.audit.record(this.store, anonymous(ip), action, 'denied', undefined, { reason: 'unknown_link' });
      throw fail('enrolment_link_invalid', 404, 'This enrolment link is not valid');
    }
    const target = { type: 'staff', id: record.staffId, orgId: record.orgId };
    if (record.usedAt !== null) {
      await this.audit.record(this.store, anonymous(ip), action, 'denied', target, { reason: 'link_used' });
      throw fail('enrolment_link_used', 410, 'This enrolment link has already been used');
    }
    if (record.expiresAt <= this.now()) {
      await this.audit.record(this.store, anonymous(ip), action, 'denied', target, { reason: 'link_expired' });
      throw fail('enrolment_link_expired', 410, 'This enrolment link has expired');
    }
    const account = await this.store.auth.getAccount(record.orgId, record.staffId);
    const org = await this.store.getOrganization(record.orgId);
    if (!account || !org || account.status === 'disabled') {
      await this.audit.record(this.store, anonymous(ip), action, 'denied', target, { reason: 'account_unavailable' });
      throw fail('enrolment_link_invalid', 404, 'This enrolment link is not valid');
    }
    return { record, account, org, target };
  }

  /** What the enrolment page shows. The authenticator secret is created on first view and kept
   *  (encrypted) until enrolment completes, so a reload shows the same QR code. */
  async inspectEnrolment(token: string, ip: string | null) {
    const { account, org } = await this.enrolmentTarget(token, ip, 'staff.enrol.view');
    const creds = await this.store.auth.getCredentials(org.id, account.id);
    const context = `staff:${account.id}`;
    let secret = creds?.totpSecret ? this.totpBox.open(creds.totpSecret, context) : undefined;
    if (!secret) {
      secret = newTotpSecret();
      await this.store.auth.setCredentials(org.id, account.id, { totpSecret: this.totpBox.seal(secret, context) });
    }
    const url = otpauthUrl(secret, account.email ?? account.id, `Bedside (${org.name})`);
    return {
      email: account.email, displayName: account.displayName, role: account.role, orgName: org.name,
      totpSecret: secret, otpauthUrl: url, qrSvg: await qrSvg(url),
    };
  }

  async completeEnrolment(
    input: { token: string; displayName: string; password: string; totpCode: string }, ip: string | null,
  ): Promise<IssuedSession & { recoveryCodes: string[] }> {
    const { account, org, target } = await this.enrolmentTarget(input.token, ip, 'staff.enrol');
    const problem = passwordProblem(input.password, account.email ?? '');
    if (problem) throw fail('weak_password', 400, problem);
    const creds = await this.store.auth.getCredentials(org.id, account.id);
    const secret = creds?.totpSecret ? this.totpBox.open(creds.totpSecret, `staff:${account.id}`) : undefined;
    const step = secret ? matchTotp(secret, input.totpCode, this.now()) : undefined;
    if (step === undefined) {
      await this.audit.record(this.store, anonymous(ip), 'staff.enrol', 'denied', target, { reason: 'invalid_code' });
      throw fail('invalid_code', 401, 'That code is not right. Check the time on your phone and try the newest code.');
    }
    const recoveryCodes = newRecoveryCodes();
    const passwordHash = await hashPassword(input.password);
    const now = this.now();
    await this.store.transaction(async (tx) => {
      if (!(await tx.auth.useEnrolmentToken(sha256(input.token), now))) {
        throw fail('enrolment_link_used', 410, 'This enrolment link has already been used');
      }
      await tx.auth.setCredentials(org.id, account.id, {
        passwordHash, totpLastStep: step, recoveryCodes: recoveryCodes.map(hashRecoveryCode), totpEnabledAt: now,
      });
      await tx.auth.updateAccount(org.id, account.id, { status: 'active', displayName: input.displayName.trim() || account.displayName, lastLoginAt: now });
      await this.audit.record(tx, { type: 'staff', id: account.id, orgId: org.id, ip }, 'staff.enrol', 'success', target);
    });
    const issued = await this.issueSession(org.id, account.id, ip, true);
    return withFields(issued, { recoveryCodes });
  }

  // ---- sign-in --------------------------------------------------------------------------

  async login(emailInput: string, password: string, ip: string | null): Promise<IssuedSession> {
    const email = emailInput.trim().toLowerCase();
    const waitMs = Math.max(this.accountThrottle.retryAfter(email), ip ? this.addressThrottle.retryAfter(ip) : 0);
    const account = await this.store.auth.findAccountByEmail(email);
    const target = account ? { type: 'staff', id: account.id, orgId: account.orgId } : undefined;
    if (waitMs > 0) {
      await this.audit.record(this.store, anonymous(ip), 'auth.login', 'denied', target, { reason: 'throttled' });
      throw new ThrottledError(waitMs);
    }
    const creds = account ? await this.store.auth.getCredentials(account.orgId, account.id) : undefined;
    const ok = await verifyPassword(creds?.passwordHash ?? await dummyHash(), password) && Boolean(creds?.passwordHash);
    if (!account || !ok) {
      this.accountThrottle.fail(email);
      if (ip) this.addressThrottle.fail(ip);
      await this.audit.record(this.store, anonymous(ip), 'auth.login', 'denied', target, { reason: 'invalid_credentials' });
      throw fail('invalid_credentials', 401, 'E-mail or password is not right');
    }
    if (account.status === 'disabled') {
      await this.audit.record(this.store, anonymous(ip), 'auth.login', 'denied', target, { reason: 'disabled' });
      throw fail('account_disabled', 403, 'This account is disabled. Ask your practice administrator.');
    }
    if (!account.mfaEnrolled || account.status !== 'active') {
      await this.audit.record(this.store, anonymous(ip), 'auth.login', 'denied', target, { reason: 'not_enrolled' });
      throw fail('enrolment_incomplete', 403, 'Finish enrolment from the link you were given first');
    }
    this.accountThrottle.clear(email);
    await this.audit.record(this.store, anonymous(ip), 'auth.password', 'success', target);
    return this.issueSession(account.orgId, account.id, ip, false);
  }

  /** Second factor: a TOTP code or a recovery code turns a pending session into a full one
   *  (with a new id: the pending token is worthless afterwards). */
  async verifySecondFactor(pendingToken: string, input: { code?: string; recoveryCode?: string }, ip: string | null): Promise<IssuedSession> {
    const pending = await this.store.auth.findSession(sha256(pendingToken));
    const now = this.now();
    if (!pending || pending.revokedAt !== null || pending.mfaVerifiedAt !== null || pending.expiresAt <= now) {
      throw fail('unauthenticated', 401, 'Sign in with your e-mail and password first');
    }
    const actor: Actor = { type: 'staff', id: pending.staffId, orgId: pending.orgId, ip };
    const target = { type: 'staff', id: pending.staffId, orgId: pending.orgId };
    const wait = this.codeThrottle.retryAfter(pending.staffId);
    if (wait > 0) {
      await this.audit.record(this.store, actor, 'auth.mfa', 'denied', target, { reason: 'throttled' });
      throw new ThrottledError(wait);
    }
    let ok = false;
    let method = 'totp';
    if (input.code !== undefined) {
      const creds = await this.store.auth.getCredentials(pending.orgId, pending.staffId);
      const secret = creds?.totpSecret ? this.totpBox.open(creds.totpSecret, `staff:${pending.staffId}`) : undefined;
      const step = secret ? matchTotp(secret, input.code, now) : undefined;
      ok = step !== undefined && await this.store.auth.advanceTotpStep(pending.orgId, pending.staffId, step);
    } else if (input.recoveryCode !== undefined) {
      method = 'recovery_code';
      ok = await this.store.auth.consumeRecoveryCode(pending.orgId, pending.staffId, hashRecoveryCode(input.recoveryCode));
    }
    if (!ok) {
      this.codeThrottle.fail(pending.staffId);
      await this.audit.record(this.store, actor, 'auth.mfa', 'denied', target, { reason: 'invalid_code', method });
      throw fail('invalid_code', 401, 'That code is not right');
    }
    this.codeThrottle.clear(pending.staffId);
    await this.store.auth.revokeSession(pending.idHash, now);
    await this.store.auth.updateAccount(pending.orgId, pending.staffId, { lastLoginAt: now });
    await this.audit.record(this.store, actor, 'auth.login', 'success', target, { method });
    return this.issueSession(pending.orgId, pending.staffId, ip, true);
  }

  private async issueSession(orgId: string, staffId: string, ip: string | null, mfaVerified: boolean): Promise<IssuedSession> {
    const token = newToken();
    const now = this.now();
    const session: StaffSession = {
      idHash: sha256(token), orgId, staffId, csrfToken: newToken(), mfaVerifiedAt: mfaVerified ? now : null,
      createdAt: now, lastSeenAt: now, expiresAt: now + (mfaVerified ? this.options.maxAgeMs : PENDING_SESSION_MS), revokedAt: null,
    };
    await this.store.auth.createSession(withFields(session, { ip }));
    const account = await this.store.auth.getAccount(orgId, staffId);
    return { token, session, account: account as StaffAccount };
  }

  /**
   * The signed-in staff member behind a session token, or a coded refusal. `activity` false
   * (background refreshes) checks the session without postponing the idle logoff.
   */
  async authenticate(token: string | undefined, activity = true): Promise<Authenticated> {
    const session = token && token.length <= 128 ? await this.store.auth.findSession(sha256(token)) : undefined;
    if (!session || session.revokedAt !== null) throw fail('unauthenticated', 401, 'Sign in to continue');
    const now = this.now();
    if (session.mfaVerifiedAt === null) throw fail('mfa_required', 401, 'Enter your authentication code to continue');
    if (session.expiresAt <= now || now - session.lastSeenAt > this.options.idleMs) {
      await this.store.auth.revokeSession(session.idHash, now);
      await this.audit.record(this.store, { type: 'staff', id: session.staffId, orgId: session.orgId, ip: null }, 'auth.logoff', 'success',
        { type: 'staff', id: session.staffId }, { reason: session.expiresAt <= now ? 'session_lifetime' : 'idle' });
      throw fail('session_expired', 401, 'You were signed out; sign in again to continue');
    }
    const [account, org] = await Promise.all([
      this.store.auth.getAccount(session.orgId, session.staffId), this.store.getOrganization(session.orgId),
    ]);
    if (!account || account.status !== 'active' || !org) throw fail('unauthenticated', 401, 'Sign in to continue');
    // Never coarser than a quarter of the idle limit, so short limits still see activity.
    if (activity && now - session.lastSeenAt > Math.min(TOUCH_EVERY_MS, this.options.idleMs / 4)) {
      await this.store.auth.touchSession(session.idHash, now);
      session.lastSeenAt = now;
    }
    return { session, account, org };
  }

  async logout(session: StaffSession, ip: string | null): Promise<void> {
    await this.store.auth.revokeSession(session.idHash, this.now());
    await this.audit.record(this.store, { type: 'staff', id: session.staffId, orgId: session.orgId, ip }, 'auth.logout', 'success');
  }

  async logoutEverywhere(session: StaffSession, ip: string | null): Promise<number> {
    const n = await this.store.auth.revokeAllSessions(session.staffId, this.now());
    await this.audit.record(this.store, { type: 'staff', id: session.staffId, orgId: session.orgId, ip }, 'auth.logout_all', 'success', undefined, { sessions: n });
    return n;
  }

  idleSeconds(): number {
    return Math.round(this.options.idleMs / 1000);
  }
}

export class ThrottledError extends AppError {
  constructor(readonly retryAfterMs: number) {
    super('too_many_attempts', 429, `Too many attempts. Try again in ${Math.ceil(retryAfterMs / 60_000)} minute(s).`);
  }
}
