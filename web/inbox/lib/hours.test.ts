import { describe, expect, it } from 'vitest';
import type { BusinessHours, InboxSettings } from '../api-types.ts';
import { addPeriod, defaultHours, MAX_PERIODS, minutesOf, normaliseSettings, removePeriod, setPeriod, suggestPeriod, timeZones, validateInbox } from './hours.ts';

const empty = { mon: [], tue: [], wed: [], thu: [], fri: [], sat: [], sun: [] };
const hours = (days: Partial<BusinessHours['days']> = {}): BusinessHours => ({
  timezone: 'America/Chicago',
  days: { ...empty, ...days },
  afterHoursMessage: 'We are closed.',
});
const settings = (over: Partial<InboxSettings> = {}): InboxSettings => ({
  greeting: 'Hello',
  color: '#1f5fbf',
  preChat: { enabled: false, fields: [] },
  businessHours: hours({ mon: [{ open: '09:00', close: '17:00' }] }),
  ...over,
});

describe('periods', () => {
  it('reads HH:MM', () => {
    expect(minutesOf('09:30')).toBe(570);
    expect(minutesOf('23:59')).toBe(1439);
    expect(minutesOf('24:00')).toBeNull();
    expect(minutesOf('9:30')).toBeNull();
  });

  it('suggests 09:00-17:00 for an empty day, else a period after the last', () => {
    expect(suggestPeriod([])).toEqual({ open: '09:00', close: '17:00' });
    expect(suggestPeriod([{ open: '08:00', close: '12:00' }])).toEqual({ open: '13:00', close: '15:00' });
    expect(suggestPeriod([{ open: '20:00', close: '23:30' }])).toEqual({ open: '23:00', close: '23:59' });
  });

  it('adds, edits and removes periods of one day without touching others', () => {
    let h = hours({ tue: [{ open: '09:00', close: '12:00' }] });
    h = addPeriod(h, 'mon');
    h = addPeriod(h, 'mon');
    expect(h.days.mon).toEqual([{ open: '09:00', close: '17:00' }, { open: '18:00', close: '20:00' }]);
    h = setPeriod(h, 'mon', 1, 'close', '21:00');
    expect(h.days.mon[1]).toEqual({ open: '18:00', close: '21:00' });
    h = removePeriod(h, 'mon', 0);
    expect(h.days.mon).toEqual([{ open: '18:00', close: '21:00' }]);
    expect(h.days.tue).toEqual([{ open: '09:00', close: '12:00' }]);
  });

  it(`stops at ${MAX_PERIODS} periods a day`, () => {
    let h = hours();
    for (let i = 0; i < MAX_PERIODS + 2; i++) h = addPeriod(h, 'fri');
    expect(h.days.fri).toHaveLength(MAX_PERIODS);
  });
});

describe('validateInbox', () => {
  it('accepts good settings', () => {
    expect(validateInbox('Front desk', settings())).toEqual({});
  });

  it('names each problem by the field it belongs to', () => {
    const errors = validateInbox(' ', settings({
      color: 'blue',
      preChat: { enabled: true, fields: [] },
      businessHours: hours({
        mon: [{ open: '17:00', close: '09:00' }],
        tue: [{ open: '09:00', close: '13:00' }, { open: '12:00', close: '18:00' }],
        wed: [{ open: '9', close: '10:00' }],
      }),
    }));
    expect(Object.keys(errors).sort()).toEqual(['color', 'hours-mon-0', 'hours-tue-1', 'hours-wed-0', 'name', 'prechat']);
    expect(errors['hours-mon-0']).toMatch(/Monday, period 1: closing time must be after/);
    expect(errors['hours-tue-1']).toMatch(/Tuesday, period 2 overlaps period 1/);
  });

  it('lets periods touch without overlapping', () => {
    expect(validateInbox('X', settings({ businessHours: hours({ thu: [{ open: '13:00', close: '17:00' }, { open: '09:00', close: '13:00' }] }) }))).toEqual({});
  });
});

describe('settings', () => {
  it('fills missing days', () => {
    const partial = { ...settings(), businessHours: { ...hours(), days: { mon: [{ open: '09:00', close: '10:00' }] } as BusinessHours['days'] } };
    const n = normaliseSettings(partial);
    expect(Object.keys(n.businessHours!.days).sort()).toEqual(['fri', 'mon', 'sat', 'sun', 'thu', 'tue', 'wed']);
    expect(n.businessHours!.days.sun).toEqual([]);
  });

  it('allows an inbox without business hours', () => {
    const none: InboxSettings = { greeting: '', color: '#000000', preChat: { enabled: false, fields: [] } };
    expect(normaliseSettings(none).businessHours).toBeUndefined();
    expect(validateInbox('X', none)).toEqual({});
  });

  it('starts new business hours on weekdays, valid as they are', () => {
    const h = defaultHours('Europe/London');
    expect(h.days.mon).toEqual([{ open: '09:00', close: '17:00' }]);
    expect(h.days.sun).toEqual([]);
    expect(validateInbox('X', settings({ businessHours: h }))).toEqual({});
  });

  it('lists time zones, keeping the current one and UTC', () => {
    expect(timeZones('Mars/Base', () => ['America/Chicago'])).toEqual(['Mars/Base', 'America/Chicago', 'UTC']);
    expect(timeZones('America/Chicago', () => { throw new Error('unsupported'); })).toContain('America/New_York');
  });
});
