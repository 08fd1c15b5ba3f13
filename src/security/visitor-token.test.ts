import { describe, expect, it } from 'vitest';
import { issueVisitorToken, VISITOR_TOKEN_MAX_AGE_MS, verifyVisitorToken } from './visitor-token.ts';

const secret = 'k'.repeat(43);
const now = Date.UTC(2026, 10, 1);
const token = issueVisitorToken(secret, { visitorId: 'v_abc', inboxId: 'ibx_1', issuedAt: now });

describe('visitor tokens', () => {
  it('verify for the inbox they were issued for', () => {
    expect(verifyVisitorToken(secret, token, 'ibx_1', now + 1000)).toEqual({ visitorId: 'v_abc', inboxId: 'ibx_1', issuedAt: now });
  });

  it('are refused for another inbox, another secret, or when altered', () => {
    expect(verifyVisitorToken(secret, token, 'ibx_2', now)).toBeUndefined();
    expect(verifyVisitorToken(`${secret}x`, token, 'ibx_1', now)).toBeUndefined();
    expect(verifyVisitorToken(secret, token.replace('v_abc', 'v_abd'), 'ibx_1', now)).toBeUndefined();
    expect(verifyVisitorToken(secret, `${token}x`, 'ibx_1', now)).toBeUndefined();
    expect(verifyVisitorToken(secret, 'garbage', 'ibx_1', now)).toBeUndefined();
    expect(verifyVisitorToken(secret, '', 'ibx_1', now)).toBeUndefined();
  });

  it('expire', () => {
    expect(verifyVisitorToken(secret, token, 'ibx_1', now + VISITOR_TOKEN_MAX_AGE_MS + 1)).toBeUndefined();
  });
});
