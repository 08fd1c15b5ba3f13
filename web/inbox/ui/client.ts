/** The app's API client and the signed-in session it works for. */
import type { Session } from '../api-types.ts';
import type { Api } from '../lib/api.ts';
import { createApi } from '../lib/api.ts';
import { loginPath } from '../lib/routes.ts';
import { hardNavigate } from './router.tsx';

let session: Session | null = null;
const sessionListeners = new Set<(s: Session | null) => void>();
const responseListeners = new Set<() => void>();
let leaving = false;

export function getSession(): Session | null {
  return session;
}

export function setSession(s: Session | null): void {
  session = s;
  for (const l of sessionListeners) l(s);
}

export function onSessionChange(fn: (s: Session | null) => void): () => void {
  sessionListeners.add(fn);
  return () => sessionListeners.delete(fn);
}

/** Called on every answer to a request that is not a background one (the server's idle clock restarted). */
export function onServerResponse(fn: () => void): () => void {
  responseListeners.add(fn);
  return () => responseListeners.delete(fn);
}

let lastActivity: (() => number) | null = null;

/** Lets the idle timer tell when the person was last active (to explain a sign-out). */
export function setActivityProbe(fn: (() => number) | null): void {
  lastActivity = fn;
}

/**
 * Why the session is gone, as well as can be told: the server answers `session_expired` once and
 * `unauthenticated` afterwards (and to a socket check), so the clocks decide.
 */
export function endReason(code: string | null): 'idle' | 'expired' | null {
  const now = Date.now();
  if (session && Date.parse(session.expiresAt) <= now + 5_000) return 'expired';
  if (code === 'session_expired') return 'idle';
  if (session && lastActivity && now - lastActivity() >= session.idleTimeoutSeconds * 1000 - 120_000) return 'idle';
  return null;
}

export function idleMinutes(): number | null {
  return session ? Math.max(1, Math.round(session.idleTimeoutSeconds / 60)) : null;
}

/**
 * Leaves for the sign-in page with a full page load, so nothing read while signed in stays in
 * memory. `reason` explains it there.
 */
export function leaveToLogin(reason: 'idle' | 'expired' | null, keepPlace = true): void {
  if (leaving) return;
  leaving = true;
  const here = location.pathname + location.search;
  const next = keepPlace && !here.startsWith('/login') && !here.startsWith('/enrol') ? here : null;
  hardNavigate(loginPath({ next, reason, idleMinutes: reason === 'idle' ? idleMinutes() : null }));
}

export const api: Api = createApi({
  fetch: (input, init) => fetch(input, init),
  csrfToken: () => session?.csrfToken ?? null,
  onSignedOut: (code) => leaveToLogin(endReason(code)),
  onResponse: (background) => {
    if (background) return;
    for (const l of responseListeners) l();
  },
});
