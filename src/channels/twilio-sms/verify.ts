/**
 * Twilio request validation ("Webhooks security"): X-Twilio-Signature is base64 HMAC-SHA1 (auth
 * token) of the full URL Twilio called, followed by every POST parameter sorted by name, each name
 * and value appended without separators. JSON bodies instead put bodySHA256 (hex SHA-256 of the
 * raw body) in the URL, and only the URL is signed. Compared in constant time.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export function twilioSignature(authToken: string, url: string, params: Record<string, string | string[]>): string {
  const mac = createHmac('sha1', authToken);
  mac.update(url);
  for (const name of Object.keys(params).sort()) {
    const v = params[name] as string | string[];
    for (const value of Array.isArray(v) ? v : [v]) mac.update(name + value);
  }
  return mac.digest('base64');
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export interface TwilioVerifyInput {
  authToken: string;
  /** The URL exactly as Twilio requested it: the configured public base plus path and query. */
  url: string;
  signature: string | undefined;
  /** Form parameters; for JSON bodies, pass rawBody instead. */
  params?: Record<string, string | string[]>;
  rawBody?: Buffer;
}

export function verifyTwilioRequest({ authToken, url, signature, params, rawBody }: TwilioVerifyInput): boolean {
  if (!signature) return false;
  const bodyHash = new URL(url).searchParams.get('bodySHA256');
  if (rawBody && bodyHash !== null) {
    const actual = createHash('sha256').update(rawBody).digest('hex');
    return same(actual, bodyHash) && same(twilioSignature(authToken, url, {}), signature);
  }
  return same(twilioSignature(authToken, url, params ?? {}), signature);
}
