import { describe, expect, it } from 'vitest';
import { normalizeEmail, normalizePhone, searchTerms } from './normalize.ts';

describe('normalisation', () => {
  it('writes phone numbers in E.164, reading local numbers in the practice country', () => {
    expect(normalizePhone('(415) 555-0123')).toBe('+14155550123');
    expect(normalizePhone('+1 415 555 0123')).toBe('+14155550123');
    expect(normalizePhone('020 7946 0018', 'GB')).toBe('+442079460018');
    expect(normalizePhone('12')).toBe('12');
  });

  it('lower-cases e-mail addresses and finds search words', () => {
    expect(normalizeEmail('  Ann.Example@Clinic.TEST ')).toBe('ann.example@clinic.test');
    expect(searchTerms('Flu-shot on Monday? flu SHOT, a')).toEqual(['flu', 'shot', 'on', 'monday']);
  });
});
