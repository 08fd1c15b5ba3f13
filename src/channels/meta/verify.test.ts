import { describe, expect, it } from 'vitest';
import { metaSignature, verifyHandshake, verifyMetaSignature } from './verify.ts';

describe('X-Hub-Signature-256', () => {
  // The same header and scheme as GitHub's webhooks, whose documentation publishes this example
  // ("Validating webhook deliveries"): secret, payload and the signature they produce.
  it('matches the published example of the scheme', () => {
    const rawBody = Buffer.from('Hello, World!');
    const signature = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';
    expect(metaSignature("It's a Secret to Everybody", rawBody)).toBe(signature);
    expect(verifyMetaSignature({ appSecret: "It's a Secret to Everybody", rawBody, signature })).toBe(true);
  });

  it('refuses a missing, truncated, other-secret or other-body signature', () => {
    const rawBody = Buffer.from('{"object":"page","entry":[]}');
    const good = metaSignature('app-secret-0123456789', rawBody);
    expect(verifyMetaSignature({ appSecret: 'app-secret-0123456789', rawBody, signature: good })).toBe(true);
    expect(verifyMetaSignature({ appSecret: 'app-secret-0123456789', rawBody, signature: good.toUpperCase().replace('SHA256', 'sha256') })).toBe(true);
    for (const signature of [undefined, '', 'sha256=', good.slice(0, -2), good.replace('sha256=', 'sha1='), metaSignature('other-secret-000000', rawBody)]) {
      expect(verifyMetaSignature({ appSecret: 'app-secret-0123456789', rawBody, signature })).toBe(false);
    }
    expect(verifyMetaSignature({ appSecret: 'app-secret-0123456789', rawBody: Buffer.from('{"object":"page","entry":[] }'), signature: good })).toBe(false);
  });
});

describe('subscription handshake', () => {
  it('echoes the challenge only for subscribe with our token', () => {
    expect(verifyHandshake({ 'hub.mode': 'subscribe', 'hub.verify_token': 'tok-12345678', 'hub.challenge': '1158201444' }, 'tok-12345678')).toBe('1158201444');
    expect(verifyHandshake({ 'hub.mode': 'subscribe', 'hub.verify_token': 'wrong-token', 'hub.challenge': '1158201444' }, 'tok-12345678')).toBeUndefined();
    expect(verifyHandshake({ 'hub.mode': 'unsubscribe', 'hub.verify_token': 'tok-12345678', 'hub.challenge': '1' }, 'tok-12345678')).toBeUndefined();
    expect(verifyHandshake({ 'hub.mode': 'subscribe', 'hub.verify_token': 'tok-12345678' }, 'tok-12345678')).toBeUndefined();
    expect(verifyHandshake({ 'hub.mode': 'subscribe', 'hub.verify_token': ['tok-12345678'], 'hub.challenge': '1' }, 'tok-12345678')).toBeUndefined();
  });
});
