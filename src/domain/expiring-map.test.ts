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
});
