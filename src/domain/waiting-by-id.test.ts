import { describe, expect, it } from 'vitest';
import { WaitingById } from './waiting-by-id.ts';

describe('WaitingById', () => {
  it('gives back what waits under an id once, and nothing for an id never set', () => {
    const w = new WaitingById<string>(4);
    w.set(1, 'a');
    w.set(2, 'b');
    expect(w.size).toBe(2);
    expect(w.take(2)).toBe('b');
    expect(w.take(2)).toBeUndefined();
    expect(w.take(3)).toBeUndefined();
    // 5 falls on the slot of 1 in four slots: it is not 1.
    expect(w.take(5)).toBeUndefined();
    expect(w.take(1)).toBe('a');
    expect(w.size).toBe(0);
  });

  it('grows when more ids are in flight than it has slots, answered in any order', () => {
    const w = new WaitingById<number>(4);
    for (let id = 1; id <= 5000; id++) w.set(id, id * 10);
    expect(w.capacity).toBeGreaterThanOrEqual(5000);
    const order = Array.from({ length: 5000 }, (_, i) => i + 1).sort((a, b) => ((a * 7919) % 5000) - ((b * 7919) % 5000));
    for (const id of order) expect(w.take(id)).toBe(id * 10);
    expect(w.size).toBe(0);
  });

  it('keeps two ids that would share a slot (one long unanswered, one far newer)', () => {
    const w = new WaitingById<string>(8);
    w.set(3, 'old');
    w.set(3 + 8, 'new');
    w.set(3 + 64, 'newer');
    expect([w.take(3 + 64), w.take(3), w.take(3 + 8)]).toEqual(['newer', 'old', 'new']);
  });

  it('does not reallocate under steady traffic: a bounded window of ids in flight keeps its slots', () => {
    const w = new WaitingById<number>(128);
    let next = 1;
    let oldest = 1;
    let wrong = 0;
    for (let i = 0; i < 100_000; i++) {
      w.set(next, next);
      next++;
      // About a hundred in flight, answered a little out of order.
      if (next - oldest > 100) {
        if (w.take(oldest + 1) !== oldest + 1 || w.take(oldest) !== oldest) wrong++;
        oldest += 2;
      }
    }
    expect(wrong).toBe(0);
    expect(w.capacity).toBe(128);
  });

  it('replaces what waits under an id set again', () => {
    const w = new WaitingById<string>(4);
    w.set(6, 'first');
    w.set(6, 'second');
    expect(w.size).toBe(1);
    expect(w.take(6)).toBe('second');
    expect(w.size).toBe(0);
  });

  it('hands over everything still waiting in id order, and is empty after', () => {
    const w = new WaitingById<string>(2);
    w.set(7, 'c');
    w.set(2, 'a');
    w.set(5, 'b');
    expect(w.takeAll()).toEqual(['a', 'b', 'c']);
    expect(w.size).toBe(0);
    expect(w.take(5)).toBeUndefined();
  });
});
