import { describe, expect, it } from 'vitest';
import { MIN_PASSWORD_LENGTH, passwordStrength } from './password.ts';

describe('passwordStrength', () => {
  it('refuses fewer than 12 characters, saying how many more', () => {
    const s = passwordStrength('short');
    expect(s).toMatchObject({ level: 0, label: 'Too short', acceptable: false });
    expect(s.hint).toContain('7 more');
    expect(passwordStrength('x'.repeat(MIN_PASSWORD_LENGTH - 1)).acceptable).toBe(false);
  });

  it('calls long but predictable passwords weak', () => {
    expect(passwordStrength('aaaaaaaaaaaaaaaa').label).toBe('Weak');
    expect(passwordStrength('123456789012345').label).toBe('Weak');
    expect(passwordStrength('password12345').label).toBe('Weak');
    expect(passwordStrength('qwertyuiopasdf').label).toBe('Weak');
  });

  it('counts the person’s own name and e-mail against it', () => {
    const alone = passwordStrength('annexample!42x');
    const withContext = passwordStrength('annexample!42x', ['annexample']);
    expect(withContext.level).toBeLessThan(alone.level);
  });

  it('rates a passphrase of unrelated words strong', () => {
    expect(passwordStrength('correct horse battery staple')).toMatchObject({ level: 4, label: 'Strong', acceptable: true });
    expect(passwordStrength('Tulip-Harbor-7-Quiet').level).toBeGreaterThanOrEqual(3);
  });

  it('never rates a longer version of a password lower (monotone in added random words)', () => {
    const base = 'maple river';
    expect(passwordStrength(`${base} orbit`).level).toBeGreaterThanOrEqual(passwordStrength(`${base} o`).level);
  });
});
