/**
 * Slack request signing ("Verifying requests from Slack"):
 *   basestring = `v0:${X-Slack-Request-Timestamp}:${raw body}`
 *   X-Slack-Signature = `v0=` + hex(HMAC-SHA256(signing secret, basestring))
 */
import { createHmac } from 'node:crypto';

export function signSlackRequest(secret: string, timestamp: number | string, rawBody: string): string {
  const basestring = `v0:${timestamp}:${rawBody}`;
  return `v0=${createHmac('sha256', secret).update(basestring, 'utf8').digest('hex')}`;
}
