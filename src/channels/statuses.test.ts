import { describe, expect, it } from 'vitest';
import { movesForward } from './statuses.ts';
import { splitText } from './split.ts';

describe('delivery statuses', () => {
  it('only move forward, and a failure is final', () => {
    expect(movesForward(null, 'sent')).toBe(true);
    expect(movesForward('queued', 'delivered')).toBe(true);
    expect(movesForward('read', 'delivered')).toBe(false);
    expect(movesForward('delivered', 'delivered')).toBe(false);
    expect(movesForward('sent', 'failed')).toBe(true);
    expect(movesForward('failed', 'read')).toBe(false);
    expect(movesForward('refused', 'sent')).toBe(false);
  });
});

describe('splitText', () => {
  it('splits at spaces under the limit and loses no word', () => {
    const text = 'word '.repeat(900).trim();
    const parts = splitText(text, 2000);
    expect(parts.every((p) => p.length <= 2000)).toBe(true);
    expect(parts.join(' ')).toBe(text);
    expect(splitText('short', 2000)).toEqual(['short']);
    expect(splitText('x'.repeat(4500), 2000).map((p) => p.length)).toEqual([2000, 2000, 500]);
  });
});
