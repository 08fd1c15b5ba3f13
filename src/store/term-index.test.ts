import { describe, expect, it } from 'vitest';
import { RecentTermHashes } from './term-index.ts';

describe('recent term hashes', () => {
  it('computes a word once while fresh, per organization, and forgets it after its time or over its count', () => {
    let t = 0;
    let computed = 0;
    const hmac = (w: string) => { computed++; return `h(${w})`; };
    const recent = new RecentTermHashes(2, 1000, () => t);
    expect(recent.hashOf('org_a', 'knee', hmac)).toBe('h(knee)');
    expect(recent.hashOf('org_a', 'knee', hmac)).toBe('h(knee)');
    expect(computed).toBe(1);
    // Another practice's key gives another hash: never shared.
    recent.hashOf('org_b', 'knee', (w) => `other(${w})`);
    expect(recent.hashOf('org_b', 'knee', hmac)).toBe('other(knee)');
    t = 1500;
    expect(recent.hashOf('org_b', 'knee', hmac)).toBe('h(knee)');
    expect(computed).toBe(2);
    recent.hashOf('org_a', 'elbow', hmac);
    recent.hashOf('org_a', 'wrist', hmac);
    // Count bound of 2: the oldest ("knee" of org_b) went.
    recent.hashOf('org_b', 'knee', hmac);
    expect(computed).toBe(5);
  });
});
