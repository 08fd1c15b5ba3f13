import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { smsKeyword, splitSms } from './keywords.ts';

describe('SMS keywords', () => {
  it('recognises the opt-out, opt-in and help words in any case', () => {
    for (const w of ['STOP', 'stop', ' Stop ', 'STOPALL', 'unsubscribe', 'Cancel', 'END', 'quit', 'stop.']) expect(smsKeyword(w)).toBe('stop');
    for (const w of ['START', 'yes', 'Unstop']) expect(smsKeyword(w)).toBe('start');
    expect(smsKeyword('HELP')).toBe('help');
    for (const w of ['stop by tomorrow?', 'Please cancel my appointment', 'yes please', '']) expect(smsKeyword(w)).toBeUndefined();
  });
});

describe('splitSms', () => {
  it('keeps short replies whole and splits long ones at word boundaries', () => {
    expect(splitSms('See you at 10.')).toEqual(['See you at 10.']);
    const parts = splitSms(`${'word '.repeat(500)}end`);
    expect(parts.length).toBe(2);
    expect(parts.every((p) => p.length <= 1600 && !p.startsWith(' ') && !p.endsWith(' '))).toBe(true);
  });

  it('never loses or exceeds: every part fits and the words are all there', () => {
    fc.assert(fc.property(fc.string({ maxLength: 6000 }), (s) => {
      const parts = splitSms(s);
      expect(parts.every((p) => p.length > 0 && p.length <= 1600)).toBe(true);
      expect(parts.join(' ').replace(/\s+/g, '')).toBe(s.trim().replace(/\s+/g, ''));
    }));
  });
});
