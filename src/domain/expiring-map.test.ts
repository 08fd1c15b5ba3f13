import { describe, expect, it } from 'vitest';
import { ExpiringMap } from './expiring-map.ts';

describe('ExpiringMap', () => {
  it('forgets an entry after its time, keeps at most `max` (oldest out), and renews an entry set again', () => {
    let t = 0;
    const m = new ExpiringMap<string, number>(2, 1000, () => t);
    m.set('a', 1);
    m.set('b', 2);
    m.set('c', 3);
    expect(m.get('a')).toBeUndefined();
    expect([m.get('b'), m.get('c')]).toEqual([2, 3]);
    t = 900;
    m.set('b', 20);
    t = 1500;
    expect(m.get('c')).toBeUndefined();
    expect(m.get('b')).toBe(20);
    t = 2000;
    expect(m.get('b')).toBeUndefined();
  });

  it('stays within `max` and keeps the newest through long runs of churn and renewals', () => {
    let t = 0;
    const m = new ExpiringMap<number, number>(100, 1_000_000, () => t);
    for (let i = 0; i < 50_000; i++) {
      t++;
      m.set(i, i);
      // Every tenth write renews an older key, which must then outlive its first place in the order.
      if (i % 10 === 0 && i >= 50) m.set(i - 50, -i);
    }
    const kept = Array.from({ length: 50_000 }, (_, i) => i).filter((i) => m.get(i) !== undefined);
    expect(kept.length).toBe(100);
    expect(m.get(49_999)).toBe(49_999);
    expect(m.get(49_990 - 50)).toBe(-49_990);
    expect(m.get(0)).toBeUndefined();
  });
});
