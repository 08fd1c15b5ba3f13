import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { gcmOpen, gcmSeal } from './envelope.ts';

describe('AES-256-GCM envelope', () => {
  const key = randomBytes(32);

  it('opens what it sealed only with the same associated data', () => {
    const sealed = gcmSeal(key, Buffer.from('Synthetic patient: knee pain'), 'org_1|messages|body|7');
    expect(gcmOpen(key, sealed, 'org_1|messages|body|7').toString()).toBe('Synthetic patient: knee pain');
    expect(() => gcmOpen(key, sealed, 'org_1|messages|body|8')).toThrow();
    expect(() => gcmOpen(randomBytes(32), sealed, 'org_1|messages|body|7')).toThrow();
  });

  it('never reuses an IV, across refills of its random pool', () => {
    const ivs = new Set<string>();
    // 1,000 IVs of 12 bytes cross the 4 KiB pool's refill twice.
    for (let i = 0; i < 1000; i++) ivs.add(gcmSeal(key, Buffer.from('same text'), 'a').subarray(0, 12).toString('hex'));
    expect(ivs.size).toBe(1000);
  });
});
