import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { twilioSignature, verifyTwilioRequest } from './verify.ts';

// Twilio's published example ("Webhooks security"), see shared test vectors.
const token = '12345';
const url = 'https://mycompany.com/myapp.php?foo=1&bar=2';
const params = { CallSid: 'CA1234567890ABCDE', Caller: '+12349013030', Digits: '1234', From: '+12349013030', To: '+18005551212' };
const expected = '0/KCTR6DLpKmkAf8muzZqo1nDgQ=';

describe('Twilio request validation', () => {
  it("computes Twilio's published example", () => {
    expect(twilioSignature(token, url, params)).toBe(expected);
    expect(verifyTwilioRequest({ authToken: token, url, params, signature: expected })).toBe(true);
  });

  it('refuses a changed parameter, URL, token or signature', () => {
    expect(verifyTwilioRequest({ authToken: token, url, params: { ...params, Digits: '1235' }, signature: expected })).toBe(false);
    expect(verifyTwilioRequest({ authToken: token, url: url.replace('foo=1', 'foo=2'), params, signature: expected })).toBe(false);
    expect(verifyTwilioRequest({ authToken: '54321', url, params, signature: expected })).toBe(false);
    expect(verifyTwilioRequest({ authToken: token, url, params, signature: undefined })).toBe(false);
    expect(verifyTwilioRequest({ authToken: token, url, params, signature: 'AAAA' })).toBe(false);
  });

  it('validates JSON bodies through bodySHA256', () => {
    const body = Buffer.from('{"hello":"world"}');
    const u = `https://example.com/hook?bodySHA256=${createHash('sha256').update(body).digest('hex')}`;
    const sig = twilioSignature(token, u, {});
    expect(verifyTwilioRequest({ authToken: token, url: u, rawBody: body, signature: sig })).toBe(true);
    expect(verifyTwilioRequest({ authToken: token, url: u, rawBody: Buffer.from('{"hello":"w0rld"}'), signature: sig })).toBe(false);
  });
});
