/**
 * Twilio request signing ("Webhooks security"):
 *   data = the full URL Twilio requested (scheme, host, port, path and query string)
 *          + each POST parameter sorted by name, name and value appended with no separator
 *   X-Twilio-Signature = base64(HMAC-SHA1(auth token, data))
 */
import { createHmac } from 'node:crypto';

export function twilioSignature(authToken: string, url: string, params: Record<string, string>): string {
  let data = url;
  for (const name of Object.keys(params).sort()) data += name + params[name];
  return createHmac('sha1', authToken).update(data, 'utf8').digest('base64');
}
