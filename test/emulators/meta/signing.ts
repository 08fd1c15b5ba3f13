/** X-Hub-Signature-256 as Meta computes it: `sha256=` + hex HMAC-SHA256(app secret, raw body). */
import { createHmac } from 'node:crypto';

export function hubSignature(appSecret: string, rawBody: string | Buffer): string {
  return `sha256=${createHmac('sha256', appSecret).update(rawBody).digest('hex')}`;
}
