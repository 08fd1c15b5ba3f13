/**
 * Cookie sessions for the staff API: which session a request carries, whether it may do what the
 * route needs (role rank), and CSRF protection for every state-changing request.
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type {} from '@fastify/cookie';
import { AppError } from '../../errors.ts';
import type { Actor, AuditTrail } from '../../features/audit.ts';
import type { Role } from '../../domain/types.ts';
import { ROLE_RANK, type Authenticated, type IssuedSession, type StaffAuth } from '../../features/staff-auth.ts';
import type { Store } from '../../store/types.ts';
import type { Access } from './registry.ts';

export const SESSION_COOKIE = 'bedside_session';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** True when the browser says the request comes from another site (a missing Origin is not). */
export function isCrossOrigin(req: FastifyRequest): boolean {
  const origin = req.headers.origin;
  if (!origin) return false;
  try {
    return new URL(origin).host !== req.headers.host;
  } catch {
    return true;
  }
}

/** The signed-in staff member as the audit trail names them. */
export function staffActor(auth: Authenticated, ip: string): Actor & { role: Role } {
  return { type: 'staff', id: auth.account.id, orgId: auth.org.id, ip, role: auth.account.role };
}

export class SessionGuard {
  constructor(
    private readonly auth: StaffAuth,
    private readonly audit: AuditTrail,
    private readonly store: Store,
    private readonly secureCookies: boolean,
  ) {}

  token(req: FastifyRequest): string | undefined {
    return req.cookies?.[SESSION_COOKIE];
  }

  setSessionCookie(reply: FastifyReply, issued: IssuedSession): void {
    reply.setCookie(SESSION_COOKIE, issued.token, {
      path: '/', httpOnly: true, sameSite: 'strict', secure: this.secureCookies,
      maxAge: Math.round((issued.session.expiresAt - issued.session.createdAt) / 1000),
    });
  }

  clearSessionCookie(reply: FastifyReply): void {
    reply.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'strict', secure: this.secureCookies });
  }

  /**
   * Requests without a session (sign-in, enrolment) that change state must come from this site:
   * browsers send Origin on such requests, and a cross-site form cannot send JSON.
   */
  private checkOrigin(req: FastifyRequest): void {
    if (isCrossOrigin(req)) throw new AppError('origin_mismatch', 403, 'Request origin not allowed');
  }

  async check(req: FastifyRequest, access: Access): Promise<Authenticated | undefined> {
    const changing = !SAFE_METHODS.has(req.method);
    if (changing) this.checkOrigin(req);
    if (access === 'public' || access === 'pending') return undefined;
    // Background refreshes (the inbox's live re-fetches) do not count as the person being active.
    const activity = req.headers['x-bedside-background'] !== '1';
    const auth = await this.auth.authenticate(this.token(req), activity);
    const actor = staffActor(auth, req.ip);
    if (changing) {
      const given = req.headers['x-csrf-token'];
      if (typeof given !== 'string' || !sameText(given, auth.session.csrfToken)) {
        await this.audit.record(this.store, actor, 'http.csrf', 'denied', undefined, { method: req.method, route: req.routeOptions.url });
        throw new AppError('csrf_failed', 403, 'Missing or wrong CSRF token; reload the page');
      }
    }
    if (ROLE_RANK[auth.account.role] < ROLE_RANK[access]) {
      await this.audit.record(this.store, actor, 'http.authorize', 'denied', undefined, { needs: access, route: req.routeOptions.url });
      throw new AppError('forbidden', 403, 'Your role does not allow this');
    }
    return auth;
  }
}
