/** Inbox settings editing: business hours periods, time zones and validation. */
import type { BusinessHours, InboxSettings, OpeningPeriod, Weekday } from '../api-types.ts';

export const WEEKDAYS: readonly { day: Weekday; label: string }[] = [
  { day: 'mon', label: 'Monday' },
  { day: 'tue', label: 'Tuesday' },
  { day: 'wed', label: 'Wednesday' },
  { day: 'thu', label: 'Thursday' },
  { day: 'fri', label: 'Friday' },
  { day: 'sat', label: 'Saturday' },
  { day: 'sun', label: 'Sunday' },
];

/** Opening periods a day may have. */
export const MAX_PERIODS = 4;

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;

export function minutesOf(hhmm: string): number | null {
  if (!HHMM.test(hhmm)) return null;
  return Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
}

function hhmm(minutes: number): string {
  const m = Math.max(0, Math.min(23 * 60 + 59, minutes));
  return `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
}

/** A new period after the day's last one (09:00-17:00 for an empty day). */
export function suggestPeriod(periods: readonly OpeningPeriod[]): OpeningPeriod {
  const last = periods[periods.length - 1];
  const end = last ? minutesOf(last.close) : null;
  if (end == null) return { open: '09:00', close: '17:00' };
  const open = Math.min(end + 60, 23 * 60);
  return { open: hhmm(open), close: hhmm(Math.min(open + 120, 23 * 60 + 59)) };
}

export function addPeriod(hours: BusinessHours, day: Weekday): BusinessHours {
  const periods = hours.days[day] ?? [];
  if (periods.length >= MAX_PERIODS) return hours;
  return { ...hours, days: { ...hours.days, [day]: [...periods, suggestPeriod(periods)] } };
}

export function removePeriod(hours: BusinessHours, day: Weekday, index: number): BusinessHours {
  const periods = (hours.days[day] ?? []).filter((_, i) => i !== index);
  return { ...hours, days: { ...hours.days, [day]: periods } };
}

export function setPeriod(hours: BusinessHours, day: Weekday, index: number, field: 'open' | 'close', value: string): BusinessHours {
  const periods = (hours.days[day] ?? []).map((p, i) => (i === index ? { ...p, [field]: value } : p));
  return { ...hours, days: { ...hours.days, [day]: periods } };
}

/** Field errors keyed "hours-mon-0" (a period), "name", "color", "prechat". */
export type SettingsErrors = Record<string, string>;

export function validatePeriods(day: Weekday, label: string, periods: readonly OpeningPeriod[], errors: SettingsErrors): void {
  const spans: [number, number, number][] = [];
  if (periods.length > MAX_PERIODS) errors[`hours-${day}-${MAX_PERIODS}`] = `${label}: at most ${MAX_PERIODS} periods.`;
  periods.forEach((p, i) => {
    const key = `hours-${day}-${i}`;
    const open = minutesOf(p.open);
    const close = minutesOf(p.close);
    if (open == null || close == null) {
      errors[key] = `${label}, period ${i + 1}: enter times as HH:MM.`;
    } else if (close <= open) {
      errors[key] = `${label}, period ${i + 1}: closing time must be after opening time.`;
    } else {
      spans.push([open, close, i]);
    }
  });
  spans.sort((a, b) => a[0] - b[0]);
  for (let k = 1; k < spans.length; k++) {
    const prev = spans[k - 1]!;
    const cur = spans[k]!;
    if (cur[0] < prev[1]) errors[`hours-${day}-${cur[2]}`] ??= `${label}, period ${cur[2] + 1} overlaps period ${prev[2] + 1}.`;
  }
}

export function validateInbox(name: string, s: InboxSettings): SettingsErrors {
  const errors: SettingsErrors = {};
  if (!name.trim()) errors.name = 'Enter a name for the inbox.';
  if (!/^#[0-9a-f]{6}$/i.test(s.color)) errors.color = 'Enter a colour as #rrggbb, for example #1f5fbf.';
  if (s.preChat.enabled && s.preChat.fields.length === 0) errors.prechat = 'Choose at least one detail to ask for, or turn the form off.';
  const hours = s.businessHours;
  if (hours) {
    if (!hours.timezone) errors.timezone = 'Choose a time zone.';
    for (const { day, label } of WEEKDAYS) validatePeriods(day, label, hours.days[day] ?? [], errors);
  }
  return errors;
}

/** Every day present (an inbox stored without some days gets them empty). */
export function normaliseSettings(s: InboxSettings): InboxSettings {
  const preChat = { enabled: !!s.preChat?.enabled, fields: [...(s.preChat?.fields ?? [])] };
  if (!s.businessHours) return { ...s, preChat };
  const days = { ...s.businessHours.days };
  for (const { day } of WEEKDAYS) days[day] = (days[day] ?? []).map((p) => ({ open: p.open, close: p.close }));
  return { ...s, preChat, businessHours: { ...s.businessHours, days } };
}

/** Business hours to start from: Monday to Friday 09:00-17:00 in `timezone`. */
export function defaultHours(timezone: string): BusinessHours {
  const weekday = [{ open: '09:00', close: '17:00' }];
  return {
    timezone,
    days: { mon: weekday, tue: weekday, wed: weekday, thu: weekday, fri: weekday, sat: [], sun: [] },
    afterHoursMessage: 'Thank you for your message. We are closed now and will answer when we open again. In an emergency, call 911.',
  };
}

/** IANA time zones the browser knows, with `current` included even when it does not. */
export function timeZones(current: string, supported?: () => string[]): string[] {
  let zones: string[] = [];
  try {
    zones = supported ? supported() : (Intl as unknown as { supportedValuesOf?: (k: string) => string[] }).supportedValuesOf?.('timeZone') ?? [];
  } catch {
    zones = [];
  }
  if (zones.length === 0) zones = ['UTC', 'America/New_York', 'America/Chicago', 'America/Denver', 'America/Phoenix', 'America/Los_Angeles', 'America/Anchorage', 'Pacific/Honolulu', 'Europe/London'];
  if (current && !zones.includes(current)) zones = [current, ...zones];
  if (!zones.includes('UTC')) zones = [...zones, 'UTC'];
  return zones;
}
