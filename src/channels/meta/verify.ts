/**
 * Meta webhooks (Messenger, WhatsApp Cloud API). Setup: a GET with `hub.mode=subscribe`,
 * `hub.verify_token` and `hub.challenge`; the challenge is echoed only when the token is ours.
 * Every POST carries `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, raw body)>`,
 * compared in constant time over the exact bytes received (never a re-serialised body).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export function metaSignature(appSecret: string, rawBody: Buffer | string): string {
  return `sha256=${createHmac('sha256', appSecret).update(rawBody).digest('hex')}`;
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function verifyMetaSignature(input: { appSecret: string; rawBody: Buffer; signature: string | undefined }): boolean {
  if (!input.signature) return false;
  return same(metaSignature(input.appSecret, input.rawBody), input.signature.trim().toLowerCase());
}

/** The challenge to echo, or undefined when the request is not our subscription handshake. */
export function verifyHandshake(query: Record<string, unknown>, verifyToken: string): string | undefined {
  const mode = query['hub.mode'];
  const token = query['hub.verify_token'];
  const challenge = query['hub.challenge'];
  if (mode !== 'subscribe' || typeof token !== 'string' || typeof challenge !== 'string') return undefined;
  if (challenge.length === 0 || challenge.length > 200) return undefined;
  return same(token, verifyToken) ? challenge : undefined;
}
