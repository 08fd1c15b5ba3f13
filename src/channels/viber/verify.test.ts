import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseViberJson, verifyViberSignature, viberSignature } from './verify.ts';

describe('X-Viber-Content-Signature', () => {
  const authToken = '445da6az1s345z78-dazcczb2542zv51a-e0vc5fva17480im9';
  const rawBody = Buffer.from('{"event":"webhook","timestamp":1457764197627,"message_token":241256543215}');

  it('is the hex HMAC-SHA256 of the raw body keyed with the auth token', () => {
    expect(viberSignature(authToken, rawBody)).toBe(createHmac('sha256', authToken).update(rawBody).digest('hex'));
    expect(verifyViberSignature({ authToken, rawBody, signature: viberSignature(authToken, rawBody) })).toBe(true);
  });

  it('refuses a missing, wrong or other-body signature', () => {
    const good = viberSignature(authToken, rawBody);
    for (const signature of [undefined, '', good.slice(1), viberSignature('another-token-0000', rawBody)]) {
      expect(verifyViberSignature({ authToken, rawBody, signature })).toBe(false);
    }
    expect(verifyViberSignature({ authToken, rawBody: Buffer.from(`${rawBody.toString()} `), signature: good })).toBe(false);
  });

  it('keeps 64-bit message tokens as their exact digits', () => {
    const parsed = parseViberJson('{"event":"delivered","message_token":4912661846655238145,"user_id":"01234567890A="}') as { message_token: string };
    expect(parsed.message_token).toBe('4912661846655238145');
  });
});
