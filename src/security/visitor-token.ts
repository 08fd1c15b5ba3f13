/**
 * Signed visitor tokens: how a website visitor keeps their conversation across page loads without
 * an account. The token names a random visitor id and the inbox it belongs to; the HMAC stops a
 * visitor from forging someone else's id, and the inbox binding stops reuse on another practice.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

const VERSION = 'v1';
/** A visitor returning after this long starts fresh; the old conversation stays with staff. */
export const VISITOR_TOKEN_MAX_AGE_MS = 180 * 24 * 3600 * 1000;

export interface VisitorClaims { visitorId: string; inboxId: string; issuedAt: number }

function sign(secret: string, data: string): string {
  return createHmac('sha256', secret).update(data).digest('base64url');
}

export function newVisitorId(): string {
  return `v_${randomBytes(16).toString('base64url')}`;
}

export function issueVisitorToken(secret: string, claims: VisitorClaims): string {
  const data = `${VERSION}.${claims.inboxId}.${claims.visitorId}.${claims.issuedAt.toString(36)}`;
  return `${data}.${sign(secret, data)}`;
}

/** The claims, or undefined for anything forged, malformed, expired or issued for another inbox. */
export function verifyVisitorToken(secret: string, token: string, inboxId: string, now = Date.now()): VisitorClaims | undefined {
  const parts = token.split('.');
  if (parts.length !== 5 || parts[0] !== VERSION) return undefined;
  const [, tokenInbox, visitorId, issued, mac] = parts as [string, string, string, string, string];
  const expected = Buffer.from(sign(secret, parts.slice(0, 4).join('.')));
  const given = Buffer.from(mac);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  if (tokenInbox !== inboxId) return undefined;
  const issuedAt = parseInt(issued, 36);
  if (!Number.isFinite(issuedAt) || issuedAt > now + 60_000 || now - issuedAt > VISITOR_TOKEN_MAX_AGE_MS) return undefined;
  return { visitorId, inboxId: tokenInbox, issuedAt };
}
