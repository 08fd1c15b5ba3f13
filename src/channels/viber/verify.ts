/**
 * Viber callbacks carry `X-Viber-Content-Signature`: hex HMAC-SHA256 of the raw body, keyed with
 * the bot's authentication token. Compared in constant time over the exact bytes received.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export function viberSignature(authToken: string, rawBody: Buffer | string): string {
  return createHmac('sha256', authToken).update(rawBody).digest('hex');
}

export function verifyViberSignature(input: { authToken: string; rawBody: Buffer; signature: string | undefined }): boolean {
  if (!input.signature) return false;
  const expected = Buffer.from(viberSignature(input.authToken, input.rawBody));
  const given = Buffer.from(input.signature.trim().toLowerCase());
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/**
 * Viber's message tokens are 64-bit integers, beyond JavaScript's exact range: read them as the
 * digits they are, before JSON.parse rounds them (two tokens would otherwise collide).
 */
export function parseViberJson(text: string): unknown {
  return JSON.parse(text.replace(/"message_token"\s*:\s*(\d+)/g, '"message_token":"$1"'));
}
