/** X-Viber-Content-Signature as Viber computes it: hex HMAC-SHA256(auth token, raw body). */
import { createHmac } from 'node:crypto';

export function viberSignature(authToken: string, rawBody: string | Buffer): string {
  return createHmac('sha256', authToken).update(rawBody).digest('hex');
}
