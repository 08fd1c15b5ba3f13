/**
 * Times as staff read them, with `Intl` only. Every function takes `now` and an optional time zone
 * so tests are deterministic; the app passes the browser's clock and zone.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export interface TimeOptions {
  /** IANA zone; the browser's when omitted. */
  timeZone?: string;
  locale?: string;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function fmt(o: TimeOptions, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = JSON.stringify([o.locale, o.timeZone, options]);
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(o.locale, { ...options, timeZone: o.timeZone });
    formatters.set(key, f);
  }
  return f;
}

/** Days since 1970-01-01 of the calendar day `t` falls on in the zone. */
export function dayNumber(t: number, o: TimeOptions = {}): number {
  const parts = fmt({ timeZone: o.timeZone, locale: 'en-US' }, { year: 'numeric', month: 'numeric', day: 'numeric' }).formatToParts(t);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  return Math.floor(Date.UTC(get('year'), get('month') - 1, get('day')) / DAY);
}

/** "12 min" style, for a duration in ms: "<1 min", "12 min", "2 h 5 min", "3 h", "4 d". */
export function shortDuration(ms: number): string {
  const m = Math.floor(Math.max(0, ms) / MINUTE);
  if (m < 1) return '<1 min';
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 && h < 10 ? `${h} h ${m % 60} min` : `${h} h`;
  return `${Math.floor(h / 24)} d`;
}

/** "waiting 12 min" for a conversation whose patient has had no answer since `since`. */
export function waitingLabel(since: string | null, now: number): string {
  if (!since) return '';
  const t = Date.parse(since);
  if (Number.isNaN(t)) return '';
  return `waiting ${shortDuration(now - t)}`;
}

/** Minutes waited, for highlighting long waits. */
export function waitingMinutes(since: string | null, now: number): number {
  if (!since) return 0;
  const t = Date.parse(since);
  return Number.isNaN(t) ? 0 : Math.max(0, Math.floor((now - t) / MINUTE));
}

/**
 * The list's compact time: "now", "5 min", "3 h", "yesterday", a weekday within the week,
 * then "12 Mar" (and the year when it is not this year).
 */
export function relativeTime(iso: string, now: number, o: TimeOptions = {}): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '';
  const diff = now - t;
  if (diff < MINUTE) return 'now';
  if (diff < HOUR) return `${Math.floor(diff / MINUTE)} min`;
  const days = dayNumber(now, o) - dayNumber(t, o);
  if (days <= 0) return `${Math.floor(diff / HOUR)} h`;
  if (days === 1) return 'yesterday';
  if (days < 7) return fmt(o, { weekday: 'short' }).format(t);
  const sameYear = fmt(o, { year: 'numeric' }).format(t) === fmt(o, { year: 'numeric' }).format(now);
  return fmt(o, sameYear ? { day: 'numeric', month: 'short' } : { day: 'numeric', month: 'short', year: 'numeric' }).format(t);
}

/** Full date and time, for a tooltip or screen readers: "Monday 3 March 2025, 14:05". */
export function fullDateTime(iso: string, o: TimeOptions = {}): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '';
  return fmt(o, { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', hour: 'numeric', minute: '2-digit' }).format(t);
}

/** "2:05 PM" or "14:05", as the locale writes it. */
export function clockTime(iso: string, o: TimeOptions = {}): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '';
  return fmt(o, { hour: 'numeric', minute: '2-digit' }).format(t);
}

/** Day separator text: "Today", "Yesterday", or "Monday 3 March 2025". */
export function dayLabel(iso: string, now: number, o: TimeOptions = {}): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '';
  const days = dayNumber(now, o) - dayNumber(t, o);
  if (days === 0) return 'Today';
  if (days === 1) return 'Yesterday';
  return fmt(o, { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' }).format(t);
}

/** "in 24 hours" style validity of a link expiring at `iso`, rounded to whole hours (at least 1). */
export function hoursUntil(iso: string, now: number): number {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return 0;
  return Math.max(1, Math.round((t - now) / HOUR));
}

/**
 * A compact date and time for records: "Mar 3, 2025, 2:05 PM" (with seconds for the audit
 * trail: "Mar 3, 2025, 2:05:09 PM"), as the locale writes it.
 */
export function shortDateTime(iso: string, o: TimeOptions & { seconds?: boolean } = {}): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '';
  const opts: Intl.DateTimeFormatOptions = { day: 'numeric', month: 'short', year: 'numeric', hour: 'numeric', minute: '2-digit' };
  if (o.seconds) opts.second = '2-digit';
  return fmt({ timeZone: o.timeZone, locale: o.locale }, opts).format(t);
}
