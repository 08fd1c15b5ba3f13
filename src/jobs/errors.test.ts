import { describe, expect, it } from 'vitest';
import { mayHaveBeenApplied } from './errors.ts';

describe('mayHaveBeenApplied', () => {
  it('is false on a first attempt', () => {
    expect(mayHaveBeenApplied({ attempts: 1, lastError: null })).toBe(false);
  });

  it('is true after a crash (no recorded failure) or a call that got no answer', () => {
    expect(mayHaveBeenApplied({ attempts: 2, lastError: null })).toBe(true);
    expect(mayHaveBeenApplied({ attempts: 3, lastError: 'AmbiguousError: slack unreachable' })).toBe(true);
  });

  it('is false after Slack answered with a refusal', () => {
    expect(mayHaveBeenApplied({ attempts: 2, lastError: 'RetryableError: slack rate limited' })).toBe(false);
    expect(mayHaveBeenApplied({ attempts: 2, lastError: 'RetryableError: slack http 503' })).toBe(false);
    expect(mayHaveBeenApplied({ attempts: 2, lastError: 'RetryableError: slack error fatal_error' })).toBe(false);
  });
});
