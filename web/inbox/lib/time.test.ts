import { describe, expect, it } from 'vitest';
import { clockTime, dayLabel, dayNumber, hoursUntil, relativeTime, shortDateTime, shortDuration, waitingLabel, waitingMinutes } from './time.ts';

const o = { timeZone: 'America/Chicago', locale: 'en-US' };
// Monday 3 March 2025, 14:00 in Chicago (UTC-6).
const now = Date.parse('2025-03-03T20:00:00Z');
const ago = (ms: number) => new Date(now - ms).toISOString();
const MIN = 60_000;
const H = 60 * MIN;

describe('relativeTime', () => {
  it('counts minutes and hours today', () => {
    expect(relativeTime(ago(20_000), now, o)).toBe('now');
    expect(relativeTime(ago(5 * MIN), now, o)).toBe('5 min');
    expect(relativeTime(ago(59 * MIN), now, o)).toBe('59 min');
    expect(relativeTime(ago(3 * H), now, o)).toBe('3 h');
  });

  it('uses the calendar day of the time zone, not 24-hour spans', () => {
    // 23:30 the day before in Chicago is "yesterday" although only 14.5 hours ago.
    expect(relativeTime('2025-03-03T05:30:00Z', now, o)).toBe('yesterday');
    // The same instant is already "today" in UTC... where it is 05:30 on the 3rd.
    expect(relativeTime('2025-03-03T05:30:00Z', now, { ...o, timeZone: 'UTC' })).toBe('14 h');
  });

  it('names the weekday within a week, then the date', () => {
    expect(relativeTime(ago(3 * 24 * H), now, o)).toBe('Fri');
    expect(relativeTime('2025-02-12T15:00:00Z', now, o)).toBe('Feb 12');
    expect(relativeTime('2024-12-30T15:00:00Z', now, o)).toBe('Dec 30, 2024');
  });

  it('is empty for a bad date', () => {
    expect(relativeTime('not a date', now, o)).toBe('');
  });
});

describe('waiting', () => {
  it('says how long the patient has waited', () => {
    expect(waitingLabel(null, now)).toBe('');
    expect(waitingLabel(ago(30_000), now)).toBe('waiting <1 min');
    expect(waitingLabel(ago(12 * MIN), now)).toBe('waiting 12 min');
    expect(waitingLabel(ago(2 * H + 5 * MIN), now)).toBe('waiting 2 h 5 min');
    expect(waitingLabel(ago(11 * H + 5 * MIN), now)).toBe('waiting 11 h');
    expect(waitingLabel(ago(50 * H), now)).toBe('waiting 2 d');
    expect(waitingMinutes(ago(12 * MIN + 59_000), now)).toBe(12);
  });

  it('never goes negative with a clock ahead', () => {
    expect(shortDuration(-5000)).toBe('<1 min');
    expect(waitingMinutes(new Date(now + 60_000).toISOString(), now)).toBe(0);
  });
});

describe('days', () => {
  it('labels day separators', () => {
    expect(dayLabel(ago(H), now, o)).toBe('Today');
    expect(dayLabel('2025-03-03T05:30:00Z', now, o)).toBe('Yesterday');
    expect(dayLabel('2025-02-27T15:00:00Z', now, o)).toBe('Thursday, February 27, 2025');
  });

  it('counts calendar days in the zone', () => {
    expect(dayNumber(Date.parse('2025-03-03T05:59:00Z'), o) + 1).toBe(dayNumber(Date.parse('2025-03-03T06:00:00Z'), o));
    expect(clockTime('2025-03-03T20:05:00Z', { timeZone: 'UTC', locale: 'en-GB' })).toBe('20:05');
    expect(clockTime('2025-03-03T20:05:00Z', o)).toBe('2:05 PM');
  });

  it('rounds a link validity to hours', () => {
    expect(hoursUntil(new Date(now + 24 * H - 3000).toISOString(), now)).toBe(24);
    expect(hoursUntil(new Date(now + 10 * MIN).toISOString(), now)).toBe(1);
  });
});

describe('shortDateTime', () => {
  it('writes the local date and time, with seconds when asked', () => {
    expect(shortDateTime('2025-03-03T20:05:09Z', o)).toBe('Mar 3, 2025, 2:05 PM');
    expect(shortDateTime('2025-03-03T20:05:09Z', { ...o, seconds: true })).toBe('Mar 3, 2025, 2:05:09 PM');
    expect(shortDateTime('2025-03-04T13:05:09Z', { timeZone: 'UTC', locale: 'en-GB', seconds: true })).toBe('4 Mar 2025, 13:05:09');
    expect(shortDateTime('not a date', o)).toBe('');
  });
});
