import { describe, expect, it } from 'vitest';
import { slackSignature, verifySlackRequest } from './verify.ts';

// Slack's published example ("Verifying requests from Slack"), see shared test vectors.
const secret = '8f742231b10e8888abcd99yyyzzz85a5';
const timestamp = '1531420618';
const body = 'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
const signature = 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503';
const headers = { 'x-slack-request-timestamp': timestamp, 'x-slack-signature': signature };
const at = Number(timestamp);

describe('verifySlackRequest', () => {
  it("computes Slack's published example signature", () => {
    expect(slackSignature(secret, timestamp, body)).toBe(signature);
    expect(verifySlackRequest({ signingSecret: secret, rawBody: Buffer.from(body), headers, nowSeconds: at + 10 })).toBe(true);
  });

  it('refuses a changed body, a wrong secret, a changed signature', () => {
    expect(verifySlackRequest({ signingSecret: secret, rawBody: `${body}x`, headers, nowSeconds: at })).toBe(false);
    expect(verifySlackRequest({ signingSecret: `${secret}x`, rawBody: body, headers, nowSeconds: at })).toBe(false);
    const flipped = `${signature.slice(0, -1)}a`;
    expect(verifySlackRequest({ signingSecret: secret, rawBody: body, headers: { ...headers, 'x-slack-signature': flipped }, nowSeconds: at })).toBe(false);
  });

  it('refuses timestamps more than five minutes away, either way', () => {
    expect(verifySlackRequest({ signingSecret: secret, rawBody: body, headers, nowSeconds: at + 300 })).toBe(true);
    expect(verifySlackRequest({ signingSecret: secret, rawBody: body, headers, nowSeconds: at + 301 })).toBe(false);
    expect(verifySlackRequest({ signingSecret: secret, rawBody: body, headers, nowSeconds: at - 301 })).toBe(false);
  });

  it('refuses missing or malformed headers without throwing', () => {
    expect(verifySlackRequest({ signingSecret: secret, rawBody: body, headers: {}, nowSeconds: at })).toBe(false);
    expect(verifySlackRequest({ signingSecret: secret, rawBody: body, headers: { ...headers, 'x-slack-request-timestamp': '1e9' }, nowSeconds: at })).toBe(false);
    expect(verifySlackRequest({ signingSecret: secret, rawBody: body, headers: { ...headers, 'x-slack-signature': 'v0=' }, nowSeconds: at })).toBe(false);
  });
});
