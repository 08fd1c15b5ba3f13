import { z } from 'zod';
import { AppError } from '../../errors.ts';
import { ThrottledError, type StaffAuth } from '../../features/staff-auth.ts';
import type { Store } from '../../store/types.ts';
import type { ApiRegistry } from './registry.ts';
import type { SessionGuard } from './session-guard.ts';
import { sessionSchema, toSession } from './present.ts';
import { withFields } from '../../domain/with-fields.ts';

export function authRoutes(api: ApiRegistry, deps: { auth: StaffAuth; guard: SessionGuard; store: Store }): void {
  const { auth, guard, store } = deps;
  const withRetryAfter = async <T>(reply: { header(k: string, v: string): unknown }, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof ThrottledError) reply.header('retry-after', String(Math.ceil(err.retryAfterMs / 1000)));
      throw err;
    }
  };
  const orgName = async (orgId: string) => (await store.getOrganization(orgId))?.name ?? '';

  api.route({
    method: 'GET', url: '/api/auth/session', tag: 'auth', access: 'agent', summary: 'The signed-in staff member and CSRF token',
    response: { schema: sessionSchema },
    handler: async ({ auth: a }) => toSession(a, auth.idleSeconds()),
  });

  api.route({
    method: 'POST', url: '/api/auth/login', tag: 'auth', access: 'public', summary: 'First factor: e-mail and password',
    body: z.object({ email: z.string().max(254), password: z.string().max(1024) }).strict(),
    response: { schema: z.object({ next: z.literal('totp') }) },
    handler: async ({ body, reply, ip }) => {
      const issued = await withRetryAfter(reply, () => auth.login(body.email, body.password, ip));
      guard.setSessionCookie(reply, issued);
      return { next: 'totp' as const };
    },
  });

  api.route({
    method: 'POST', url: '/api/auth/verify', tag: 'auth', access: 'pending', summary: 'Second factor: a TOTP code or a recovery code',
    body: z.union([
      z.object({ code: z.string().max(12) }).strict(),
      z.object({ recoveryCode: z.string().max(40) }).strict(),
    ]),
    response: { schema: sessionSchema },
    handler: async ({ req, body, reply, ip }) => {
      const token = guard.token(req);
      if (!token) throw new AppError('unauthenticated', 401, 'Sign in with your e-mail and password first');
      const issued = await withRetryAfter(reply, () => auth.verifySecondFactor(token, body, ip));
      guard.setSessionCookie(reply, issued);
      return toSession(withFields(issued, { orgName: await orgName(issued.session.orgId) }), auth.idleSeconds());
    },
  });

  api.route({
    method: 'POST', url: '/api/auth/logout', tag: 'auth', access: 'agent', summary: 'Sign out this session', response: { status: 204, description: 'Done' },
    handler: async ({ auth: a, reply, ip }) => {
      await auth.logout(a.session, ip);
      guard.clearSessionCookie(reply);
    },
  });

  api.route({
    method: 'POST', url: '/api/auth/logout-all', tag: 'auth', access: 'agent', summary: 'Sign out every session of this account', response: { status: 204, description: 'Done' },
    handler: async ({ auth: a, reply, ip }) => {
      await auth.logoutEverywhere(a.session, ip);
      guard.clearSessionCookie(reply);
    },
  });

  const token = z.string().min(16).max(128);
  api.route({
    method: 'POST', url: '/api/enrol/inspect', tag: 'auth', access: 'public', summary: 'What an enrolment link is for, with the authenticator secret',
    body: z.object({ token }).strict(),
    response: {
      schema: z.object({
        email: z.string().nullable(), displayName: z.string(), role: z.string(), orgName: z.string(),
        totpSecret: z.string(), otpauthUrl: z.string(), qrSvg: z.string(),
      }),
    },
    handler: async ({ body, reply, ip }) => {
      reply.header('cache-control', 'no-store');
      return auth.inspectEnrolment(body.token, ip);
    },
  });

  api.route({
    method: 'POST', url: '/api/enrol/complete', tag: 'auth', access: 'public', summary: 'Set the password, confirm the authenticator, get recovery codes',
    body: z.object({
      token, displayName: z.string().trim().min(1).max(80), password: z.string().max(256), totpCode: z.string().max(12),
    }).strict(),
    response: { schema: sessionSchema.extend({ recoveryCodes: z.array(z.string()) }) },
    handler: async ({ body, reply, ip }) => {
      const issued = await auth.completeEnrolment(body, ip);
      guard.setSessionCookie(reply, issued);
      reply.header('cache-control', 'no-store');
      const session = toSession(withFields(issued, { orgName: await orgName(issued.session.orgId) }), auth.idleSeconds());
      return withFields(session, { recoveryCodes: issued.recoveryCodes });
    },
  });
}
