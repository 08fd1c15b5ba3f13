/**
 * The audit trail and records management as staff read them: who did what (staff ids named from
 * the staff list), outcomes, the integrity check's answer, the retention period in days and
 * years, consent records per channel, and the checks the forms make before they send anything.
 * Free of the DOM, for tests.
 */
import type { AdminUser, AuditEntry, AuditPage, AuditVerifyResult, ConsentChannel, ConsentRecord, ConversationSummary } from '../api-types.ts';
import { ApiError } from './api.ts';
import { contactName } from './format.ts';

// ---------------------------------------------------------------------------------------------
// Audit trail

export const AUDIT_PAGE_SIZE = 100;

const ACTOR_LABELS: Record<string, string> = { staff: 'Staff', system: 'System', anonymous: 'Anonymous', slack: 'Slack' };

/** Staff id -> the name to show (display name, else email, else the id). */
export function staffNames(users: readonly Pick<AdminUser, 'id' | 'displayName' | 'email'>[]): Map<string, string> {
  return new Map(users.map((u) => [u.id, u.displayName.trim() || u.email || u.id]));
}

export interface ActorLabel {
  /** "Staff", "System", ... */
  kind: string;
  /** The staff member's name, else the raw id; null when there is no id. */
  who: string | null;
  /** True when `who` is a name from the staff list (false: an id). */
  named: boolean;
}

export function actorLabel(e: Pick<AuditEntry, 'actorType' | 'actorId'>, names: ReadonlyMap<string, string>): ActorLabel {
  const kind = ACTOR_LABELS[e.actorType] ?? e.actorType;
  if (!e.actorId) return { kind, who: null, named: false };
  const name = e.actorType === 'staff' ? names.get(e.actorId) : undefined;
  return name ? { kind, who: name, named: true } : { kind, who: e.actorId, named: false };
}

export interface TargetLabel {
  type: string;
  /** A staff member's name when the target is one, else the id (or null). */
  who: string | null;
  named: boolean;
}

export function targetLabel(e: Pick<AuditEntry, 'targetType' | 'targetId'>, names: ReadonlyMap<string, string>): TargetLabel | null {
  if (!e.targetType && !e.targetId) return null;
  const type = e.targetType ?? 'record';
  if (!e.targetId) return { type, who: null, named: false };
  const name = type === 'staff' ? names.get(e.targetId) : undefined;
  return name ? { type, who: name, named: true } : { type, who: e.targetId, named: false };
}

export interface OutcomeInfo {
  label: string;
  /** 'bad' for refusals and failures, which the table marks with more than colour. */
  tone: 'ok' | 'bad';
}

export function outcomeInfo(outcome: string): OutcomeInfo {
  if (outcome === 'success') return { label: 'Success', tone: 'ok' };
  if (outcome === 'denied') return { label: 'Denied', tone: 'bad' };
  if (outcome === 'failure') return { label: 'Failure', tone: 'bad' };
  return { label: outcome ? outcome[0]!.toUpperCase() + outcome.slice(1) : 'Unknown', tone: 'bad' };
}

/** Details as one line of JSON ("" when there are none), cut at `max` characters. */
export function compactJson(details: unknown, max = 300): string {
  if (details === null || details === undefined) return '';
  if (typeof details === 'object' && !Array.isArray(details) && Object.keys(details).length === 0) return '';
  let s: string;
  try {
    s = JSON.stringify(details) ?? '';
  } catch {
    return '';
  }
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** Older records appended to those shown: no duplicates, newest (highest id) first. */
export function appendAuditPage(items: readonly AuditEntry[], page: AuditPage): AuditEntry[] {
  const seen = new Set(items.map((e) => e.id));
  const out = items.slice();
  for (const e of page.items) {
    if (seen.has(e.id)) continue;
    seen.add(e.id);
    out.push(e);
  }
  return out.sort((a, b) => b.id - a.id);
}

export function countLabel(n: number, one: string, many = `${one}s`, locale?: string): string {
  return `${new Intl.NumberFormat(locale).format(n)} ${n === 1 ? one : many}`;
}

/** The answer of GET /api/audit/verify in words. */
export function verifySummary(r: AuditVerifyResult, locale?: string): { ok: boolean; text: string } {
  if (r.ok) return { ok: true, text: `Intact: ${countLabel(r.records, 'record', 'records', locale)}` };
  const where = r.firstBadRecord != null ? `record #${r.firstBadRecord}` : 'a record';
  const why = r.reason ? `: ${r.reason}` : '';
  return { ok: false, text: `Integrity check failed at ${where}${why}.` };
}

export function auditExportUrl(format: 'csv' | 'json'): string {
  return `/api/audit/export?format=${format}`;
}

// ---------------------------------------------------------------------------------------------
// Retention

export const RETENTION_MIN_DAYS = 30;
export const RETENTION_MAX_DAYS = 36_500;

/** "about 7 years", "about 6 months": for the days of a retention period. */
export function retentionLength(days: number): string {
  if (!Number.isFinite(days) || days <= 0) return '';
  if (days < 365) {
    const months = Math.max(1, Math.round(days / 30.44));
    return `about ${months} ${months === 1 ? 'month' : 'months'}`;
  }
  const years = Math.round((days / 365.25) * 10) / 10;
  const text = Number.isInteger(years) ? String(years) : years.toFixed(1);
  return `about ${text} ${years === 1 ? 'year' : 'years'}`;
}

/** The days typed in the retention field, or why they cannot be saved. */
export function parseRetentionDays(input: string): { days: number } | { error: string } {
  const v = input.trim();
  if (!v) return { error: `Enter a number of days from ${RETENTION_MIN_DAYS} to ${RETENTION_MAX_DAYS}.` };
  if (!/^\d+$/.test(v)) return { error: 'Enter whole days, as a number (for example 2557 for 7 years).' };
  const days = Number(v);
  if (days < RETENTION_MIN_DAYS) return { error: `Keep message content for at least ${RETENTION_MIN_DAYS} days.` };
  if (days > RETENTION_MAX_DAYS) return { error: `Enter at most ${RETENTION_MAX_DAYS} days (100 years).` };
  return { days };
}

// ---------------------------------------------------------------------------------------------
// A contact's record: consent, legal hold, export, erasure

/** The channels whose consent staff record (the web chat is accepted in the chat itself). */
export const CONSENT_CHANNELS: readonly ConsentChannel[] = ['sms', 'email', 'messenger', 'whatsapp', 'viber'];

export const DEFAULT_CONSENT_WORDING =
  'Text messages and e-mail are not encrypted; others may be able to read them. I agree to receive messages from the practice this way.';

export const CONSENT_WORDING_MIN = 10;
export const CONSENT_WORDING_MAX = 2000;
export const HOLD_REASON_MIN = 3;
export const HOLD_REASON_MAX = 500;

export function consentWordingProblem(wording: string): string | null {
  const w = wording.trim();
  if (w.length < CONSENT_WORDING_MIN) return `Enter the exact words the patient was shown (at least ${CONSENT_WORDING_MIN} characters).`;
  if (w.length > CONSENT_WORDING_MAX) return `Shorten the wording to ${CONSENT_WORDING_MAX} characters or fewer.`;
  return null;
}

export function holdReasonProblem(reason: string): string | null {
  const r = reason.trim();
  if (r.length < HOLD_REASON_MIN) return `Enter the reason for the hold (at least ${HOLD_REASON_MIN} characters), for example the case or request it is for.`;
  if (r.length > HOLD_REASON_MAX) return `Shorten the reason to ${HOLD_REASON_MAX} characters or fewer.`;
  return null;
}

function newer(a: ConsentRecord, b: ConsentRecord): boolean {
  const ta = Date.parse(a.recordedAt);
  const tb = Date.parse(b.recordedAt);
  return ta !== tb ? ta > tb : a.id > b.id;
}

/** Newest first. */
export function consentsNewestFirst(items: readonly ConsentRecord[]): ConsentRecord[] {
  return items.slice().sort((a, b) => (newer(a, b) ? -1 : newer(b, a) ? 1 : 0));
}

/** Ids of the records in force: the latest one of each channel. */
export function consentsInForce(items: readonly ConsentRecord[]): Set<number> {
  const latest = new Map<string, ConsentRecord>();
  for (const c of items) {
    const had = latest.get(c.channel);
    if (!had || newer(c, had)) latest.set(c.channel, c);
  }
  return new Set([...latest.values()].map((c) => c.id));
}

export function contactExportUrl(contactId: string, format: 'json' | 'html'): string {
  return `/api/contacts/${encodeURIComponent(contactId)}/export?format=${format}`;
}

const ERASE_WORD = 'ERASE';

function normal(s: string): string {
  return s.normalize('NFC').trim().replace(/\s+/g, ' ').toLocaleLowerCase();
}

/** True when what was typed is the contact's name or ERASE (case and extra spaces aside). */
export function eraseConfirmed(typed: string, name: string | null | undefined): boolean {
  const t = normal(typed);
  if (!t) return false;
  if (t === normal(ERASE_WORD)) return true;
  const n = normal(name ?? '');
  return n !== '' && t === n;
}

/** Legal hold as far as this page knows it: there is no way to read it, only to set it. */
export type HoldState = 'on' | 'off' | 'unknown';

/** True for the answer to an erase refused because the contact is under legal hold. */
export function isLegalHoldError(err: unknown): boolean {
  return err instanceof ApiError && err.status === 409 && err.code === 'legal_hold';
}

// ---------------------------------------------------------------------------------------------
// Date of birth and merging

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** The local calendar day of `d` as "YYYY-MM-DD" (what `<input type="date">` holds). */
export function isoDay(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/**
 * Why a date of birth (the value of an `<input type="date">`, "YYYY-MM-DD") cannot be saved, or
 * null. An empty value is fine: it clears the date. `today` is the local "YYYY-MM-DD".
 */
export function dateOfBirthProblem(value: string, today: string): string | null {
  if (value === '') return null;
  const m = ISO_DATE.exec(value);
  const d = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : null;
  if (!m || !d || d.toISOString().slice(0, 10) !== value) return 'Enter the date of birth as a full date: day, month and year.';
  if (Number(m[1]) < 1900) return 'Enter a date of birth after 1900.';
  if (value > today) return 'The date of birth cannot be in the future.';
  return null;
}

/** "3 March 1980" for "1980-03-03" (the date as written, whatever the time zone). */
export function dateOfBirthLabel(value: string, locale?: string): string {
  const m = ISO_DATE.exec(value);
  if (!m) return value;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.toLocaleDateString(locale, { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });
}

export interface MergeCandidate {
  contactId: string;
  /** The name, or "Visitor 7F3K"; with the reference added when two candidates would read the same. */
  label: string;
  /** The contact's first conversation in the list (the one to open after merging into them). */
  conversationId: string;
}

/**
 * The contacts `contactId` can be merged into: each other contact of the loaded conversations
 * once, in list order, named as in the list.
 */
export function mergeCandidates(items: readonly ConversationSummary[], contactId: string): MergeCandidate[] {
  const seen = new Map<string, { c: ConversationSummary; label: string }>();
  for (const c of items) {
    if (c.contact.id === contactId || seen.has(c.contact.id)) continue;
    seen.set(c.contact.id, { c, label: contactName(c) });
  }
  const counts = new Map<string, number>();
  for (const { label } of seen.values()) counts.set(label.toLocaleLowerCase(), (counts.get(label.toLocaleLowerCase()) ?? 0) + 1);
  return [...seen.entries()].map(([id, { c, label }]) => ({
    contactId: id,
    label: (counts.get(label.toLocaleLowerCase()) ?? 0) > 1 && c.contact.displayName?.trim() ? `${label} (Ref ${c.ref})` : label,
    conversationId: c.id,
  }));
}
