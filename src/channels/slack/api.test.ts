import { describe, expect, it } from 'vitest';
import { AMBIGUOUS_FAILURE, mayHaveBeenApplied } from './api.ts';

describe('mayHaveBeenApplied', () => {
  it('is false on a first attempt', () => {
    expect(mayHaveBeenApplied(1, null)).toBe(false);
  });

  it('is true after a crash (no recorded failure) or a call that got no answer', () => {
    expect(mayHaveBeenApplied(2, null)).toBe(true);
    expect(mayHaveBeenApplied(3, `RetryableError: ${AMBIGUOUS_FAILURE}`)).toBe(true);
  });

  it('is false after Slack answered with a refusal', () => {
    expect(mayHaveBeenApplied(2, 'RetryableError: slack rate limited')).toBe(false);
    expect(mayHaveBeenApplied(2, 'RetryableError: slack http 503')).toBe(false);
    expect(mayHaveBeenApplied(2, 'RetryableError: slack error fatal_error')).toBe(false);
  });
});
