import { describe, expect, it } from 'vitest';
import { mailgunSignature, verifyMailgun } from './mailgun-verify.ts';

const key = 'key-mailgun-signing-0123456789';
const timestamp = '1795000000';
const token = 'a'.repeat(50);
const now = 1795000000 * 1000 + 30_000;

describe('Mailgun webhook signature', () => {
  it('is hex HMAC-SHA256 of timestamp followed by token', () => {
    const sig = mailgunSignature(key, timestamp, token);
    expect(sig).toMatch(/^[0-9a-f]{64}$/);
    expect(verifyMailgun({ signingKey: key, timestamp, token, signature: sig, nowMs: now })).toBe(true);
  });

  it('refuses another key, a changed token, a stale or future timestamp, and junk', () => {
    const sig = mailgunSignature(key, timestamp, token);
    expect(verifyMailgun({ signingKey: 'key-other-0123456789', timestamp, token, signature: sig, nowMs: now })).toBe(false);
    expect(verifyMailgun({ signingKey: key, timestamp, token: `${token}b`, signature: sig, nowMs: now })).toBe(false);
    expect(verifyMailgun({ signingKey: key, timestamp, token, signature: sig, nowMs: now + 3600_000 })).toBe(false);
    expect(verifyMailgun({ signingKey: key, timestamp, token, signature: sig, nowMs: now - 3600_000 })).toBe(false);
    expect(verifyMailgun({ signingKey: key, timestamp, token, signature: 'zz', nowMs: now })).toBe(false);
    expect(verifyMailgun({ signingKey: key, timestamp: undefined, token, signature: sig, nowMs: now })).toBe(false);
  });
});
