/**
 * Mailgun webhook signing ("Securing webhooks"): `signature` is hex HMAC-SHA256 of `timestamp`
 * followed by `token`, keyed with the webhook signing key. Compared in constant time; a timestamp
 * outside the freshness window is refused, and each token is used once (checked by the caller).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const MAILGUN_MAX_AGE_SECONDS = 300;

export function mailgunSignature(signingKey: string, timestamp: string, token: string): string {
  return createHmac('sha256', signingKey).update(timestamp + token).digest('hex');
}

export interface MailgunVerifyInput {
  signingKey: string;
  timestamp: string | undefined;
  token: string | undefined;
  signature: string | undefined;
  nowMs: number;
  maxAgeSeconds?: number;
}

export function verifyMailgun({ signingKey, timestamp, token, signature, nowMs, maxAgeSeconds = MAILGUN_MAX_AGE_SECONDS }: MailgunVerifyInput): boolean {
  if (!timestamp || !token || !signature || !/^\d{1,12}$/.test(timestamp) || token.length > 256 || !/^[0-9a-f]{64}$/i.test(signature)) return false;
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > maxAgeSeconds) return false;
  const expected = Buffer.from(mailgunSignature(signingKey, timestamp, token), 'hex');
  return timingSafeEqual(expected, Buffer.from(signature, 'hex'));
}
