/**
 * Slack request signing ("Verifying requests from Slack"): a pure function of the secret, the raw
 * bytes, the headers and the clock. v0=hex(HMAC-SHA256(secret, "v0:{timestamp}:{body}")), compared
 * in constant time; a timestamp more than five minutes away is refused, which stops replays.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const MAX_CLOCK_SKEW_SECONDS = 300;

export interface SlackVerifyInput {
  signingSecret: string;
  rawBody: Buffer | string;
  headers: Record<string, string | string[] | undefined>;
  nowSeconds: number;
}

function header(headers: SlackVerifyInput['headers'], name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export function slackSignature(signingSecret: string, timestamp: string, rawBody: Buffer | string): string {
  const mac = createHmac('sha256', signingSecret);
  mac.update(`v0:${timestamp}:`);
  mac.update(rawBody);
  return `v0=${mac.digest('hex')}`;
}

export function verifySlackRequest({ signingSecret, rawBody, headers, nowSeconds }: SlackVerifyInput): boolean {
  const timestamp = header(headers, 'x-slack-request-timestamp');
  const signature = header(headers, 'x-slack-signature');
  if (!timestamp || !signature || !/^\d{1,12}$/.test(timestamp)) return false;
  if (Math.abs(nowSeconds - Number(timestamp)) > MAX_CLOCK_SKEW_SECONDS) return false;
  const expected = Buffer.from(slackSignature(signingSecret, timestamp, rawBody));
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
