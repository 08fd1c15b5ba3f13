import { describe, expect, it } from 'vitest';
import type { AuditEntry, ConsentRecord, ConversationSummary } from '../api-types.ts';
import { ApiError } from './api.ts';
import {
  actorLabel, appendAuditPage, auditExportUrl, compactJson, consentsInForce, consentsNewestFirst, consentWordingProblem,
  contactExportUrl, dateOfBirthLabel, dateOfBirthProblem, DEFAULT_CONSENT_WORDING, eraseConfirmed, isoDay, mergeCandidates, holdReasonProblem, isLegalHoldError, outcomeInfo,
  parseRetentionDays, retentionLength, staffNames, targetLabel, verifySummary,
} from './records.ts';

function entry(over: Partial<AuditEntry> & { id: number }): AuditEntry {
  return {
    at: '2025-03-03T10:00:00.000Z', actorType: 'staff', actorId: 'st_1', ip: '10.0.0.1', action: 'contact.export',
    targetType: 'contact', targetId: 'ct_1', outcome: 'success', details: null, ...over,
  };
}

function consent(over: Partial<ConsentRecord> & { id: number }): ConsentRecord {
  return {
    channel: 'sms', granted: true, wording: DEFAULT_CONSENT_WORDING, source: 'staff', recordedBy: 'st_1',
    recordedAt: '2025-03-03T10:00:00.000Z', ...over,
  };
}

const names = staffNames([
  { id: 'st_1', displayName: 'Dr Ann Lee', email: 'ann@example.org' },
  { id: 'st_2', displayName: '  ', email: 'bob@example.org' },
]);

describe('audit records', () => {
  it('names staff actors from the staff list, and shows the id of anyone else', () => {
    expect(actorLabel(entry({ id: 1 }), names)).toEqual({ kind: 'Staff', who: 'Dr Ann Lee', named: true });
    expect(actorLabel(entry({ id: 1, actorId: 'st_2' }), names)).toEqual({ kind: 'Staff', who: 'bob@example.org', named: true });
    expect(actorLabel(entry({ id: 1, actorId: 'st_gone' }), names)).toEqual({ kind: 'Staff', who: 'st_gone', named: false });
    expect(actorLabel(entry({ id: 1, actorType: 'system', actorId: null }), names)).toEqual({ kind: 'System', who: null, named: false });
    // A Slack user id that happens to equal a staff id is not a staff member.
    expect(actorLabel(entry({ id: 1, actorType: 'slack', actorId: 'st_1' }), names)).toEqual({ kind: 'Slack', who: 'st_1', named: false });
    expect(actorLabel(entry({ id: 1, actorType: 'robot', actorId: null }), names).kind).toBe('robot');
  });

  it('labels targets, naming staff ones', () => {
    expect(targetLabel(entry({ id: 1 }), names)).toEqual({ type: 'contact', who: 'ct_1', named: false });
    expect(targetLabel(entry({ id: 1, targetType: 'staff', targetId: 'st_1' }), names)).toEqual({ type: 'staff', who: 'Dr Ann Lee', named: true });
    expect(targetLabel(entry({ id: 1, targetType: null, targetId: null }), names)).toBeNull();
  });

  it('sets refusals and failures apart from successes', () => {
    expect(outcomeInfo('success')).toEqual({ label: 'Success', tone: 'ok' });
    expect(outcomeInfo('denied')).toEqual({ label: 'Denied', tone: 'bad' });
    expect(outcomeInfo('failure')).toEqual({ label: 'Failure', tone: 'bad' });
    expect(outcomeInfo('odd')).toEqual({ label: 'Odd', tone: 'bad' });
  });

  it('shows details as compact JSON, nothing for none', () => {
    expect(compactJson({ format: 'csv', records: 3 })).toBe('{"format":"csv","records":3}');
    expect(compactJson(null)).toBe('');
    expect(compactJson({})).toBe('');
    const long = compactJson({ s: 'x'.repeat(500) }, 50);
    expect(long).toHaveLength(50);
    expect(long.endsWith('…')).toBe(true);
  });

  it('appends an older page without duplicates, newest first', () => {
    const shown = [entry({ id: 9 }), entry({ id: 8 })];
    const out = appendAuditPage(shown, { items: [entry({ id: 8 }), entry({ id: 7 }), entry({ id: 5 })], nextBefore: 5 });
    expect(out.map((e) => e.id)).toEqual([9, 8, 7, 5]);
    expect(shown.map((e) => e.id)).toEqual([9, 8]);
  });

  it('words the integrity check', () => {
    expect(verifySummary({ ok: true, records: 1234, chains: 1 }, 'en-US')).toEqual({ ok: true, text: 'Intact: 1,234 records' });
    expect(verifySummary({ ok: true, records: 1, chains: 1 }, 'en-US').text).toBe('Intact: 1 record');
    expect(verifySummary({ ok: false, records: 40, chains: 1, firstBadRecord: 12, reason: 'its content does not match its hash' })).toEqual({
      ok: false,
      text: 'Integrity check failed at record #12: its content does not match its hash.',
    });
    expect(verifySummary({ ok: false, records: 0, chains: 0 }).text).toBe('Integrity check failed at a record.');
  });

  it('links the exports', () => {
    expect(auditExportUrl('csv')).toBe('/api/audit/export?format=csv');
    expect(contactExportUrl('ct/1 x', 'html')).toBe('/api/contacts/ct%2F1%20x/export?format=html');
  });
});

describe('retention', () => {
  it('says days as years or months', () => {
    expect(retentionLength(2557)).toBe('about 7 years');
    expect(retentionLength(365)).toBe('about 1 year');
    expect(retentionLength(548)).toBe('about 1.5 years');
    expect(retentionLength(36_500)).toBe('about 99.9 years');
    expect(retentionLength(30)).toBe('about 1 month');
    expect(retentionLength(180)).toBe('about 6 months');
    expect(retentionLength(0)).toBe('');
  });

  it('accepts whole days from 30 to 36 500 only', () => {
    expect(parseRetentionDays(' 2557 ')).toEqual({ days: 2557 });
    expect(parseRetentionDays('30')).toEqual({ days: 30 });
    expect(parseRetentionDays('36500')).toEqual({ days: 36_500 });
    for (const bad of ['', '29', '36501', '7.5', '-40', '1e3', 'seven']) expect(parseRetentionDays(bad), bad).toHaveProperty('error');
  });
});

describe('consent', () => {
  it('checks the wording and the hold reason like the server', () => {
    expect(consentWordingProblem(DEFAULT_CONSENT_WORDING)).toBeNull();
    expect(consentWordingProblem('  I agree  ')).toMatch(/at least 10/);
    expect(consentWordingProblem('x'.repeat(2001))).toMatch(/2000/);
    expect(holdReasonProblem('Subpoena 24-113')).toBeNull();
    expect(holdReasonProblem(' ab ')).toMatch(/at least 3/);
  });

  it('lists newest first and knows the record in force per channel', () => {
    const items = [
      consent({ id: 1, channel: 'sms', granted: true, recordedAt: '2025-01-01T00:00:00Z' }),
      consent({ id: 2, channel: 'email', granted: true, recordedAt: '2025-01-02T00:00:00Z' }),
      consent({ id: 3, channel: 'sms', granted: false, recordedAt: '2025-02-01T00:00:00Z' }),
      // Same instant: the later id wins.
      consent({ id: 4, channel: 'email', granted: false, recordedAt: '2025-01-02T00:00:00Z' }),
    ];
    expect(consentsNewestFirst(items).map((c) => c.id)).toEqual([3, 4, 2, 1]);
    expect([...consentsInForce(items)].sort()).toEqual([3, 4]);
    expect(consentsInForce([]).size).toBe(0);
  });
});

describe('erasure', () => {
  it('is confirmed by the name or ERASE, nothing else', () => {
    expect(eraseConfirmed('Jane  Doe ', 'Jane Doe')).toBe(true);
    expect(eraseConfirmed('jane doe', 'Jane Doe')).toBe(true);
    expect(eraseConfirmed('ERASE', 'Jane Doe')).toBe(true);
    expect(eraseConfirmed('erase', null)).toBe(true);
    expect(eraseConfirmed('Jane', 'Jane Doe')).toBe(false);
    expect(eraseConfirmed('', 'Jane Doe')).toBe(false);
    expect(eraseConfirmed('   ', '')).toBe(false);
    expect(eraseConfirmed('DELETE', 'Jane Doe')).toBe(false);
  });

  it('recognises the refusal of a contact under legal hold', () => {
    expect(isLegalHoldError(new ApiError(409, 'legal_hold', 'held'))).toBe(true);
    expect(isLegalHoldError(new ApiError(409, 'conflict', 'other'))).toBe(false);
    expect(isLegalHoldError(new ApiError(403, 'legal_hold', 'odd'))).toBe(false);
    expect(isLegalHoldError(new Error('legal_hold'))).toBe(false);
  });
});

function conv(id: string, ref: string, contactId: string, displayName: string | null): ConversationSummary {
  return {
    id, ref, status: 'open', channel: 'web', inboxId: 'ib', inboxName: 'Main', contact: { id: contactId, displayName },
    assignee: null, lastMessageAt: '2025-03-03T10:00:00.000Z', createdAt: '2025-03-03T10:00:00.000Z', waitingSince: null,
    unreadCount: 0, preview: '',
  };
}

describe('date of birth', () => {
  it('accepts a real past date or nothing, and refuses the rest', () => {
    expect(dateOfBirthProblem('', '2025-03-03')).toBeNull();
    expect(dateOfBirthProblem('1980-02-29', '2025-03-03')).toBeNull();
    expect(dateOfBirthProblem('2025-03-03', '2025-03-03')).toBeNull();
    expect(dateOfBirthProblem('1981-02-29', '2025-03-03')).toMatch(/full date/);
    expect(dateOfBirthProblem('1980-3-3', '2025-03-03')).toMatch(/full date/);
    expect(dateOfBirthProblem('1850-01-01', '2025-03-03')).toMatch(/after 1900/);
    expect(dateOfBirthProblem('2025-03-04', '2025-03-03')).toMatch(/future/);
  });

  it('takes today as the local calendar day', () => {
    expect(isoDay(new Date(2025, 0, 5, 23, 59))).toBe('2025-01-05');
  });

  it('reads the date as written, whatever the time zone', () => {
    expect(dateOfBirthLabel('1980-03-03', 'en-GB')).toBe('3 March 1980');
    expect(dateOfBirthLabel('odd', 'en-GB')).toBe('odd');
  });
});

describe('merge candidates', () => {
  it('lists each other contact once, in list order, named as in the list', () => {
    const items = [
      conv('c1', 'AAAA', 'ct_me', 'Jane Doe'),
      conv('c2', 'BBBB', 'ct_2', 'Jane Doe'),
      conv('c3', 'CCCC', 'ct_3', null),
      conv('c4', 'DDDD', 'ct_2', 'Jane Doe'),
      conv('c5', 'EEEE', 'ct_me', 'Jane Doe'),
      conv('c6', 'FFFF', 'ct_4', '  Bob  '),
    ];
    expect(mergeCandidates(items, 'ct_me')).toEqual([
      { contactId: 'ct_2', label: 'Jane Doe', conversationId: 'c2' },
      { contactId: 'ct_3', label: 'Visitor CCCC', conversationId: 'c3' },
      { contactId: 'ct_4', label: 'Bob', conversationId: 'c6' },
    ]);
    expect(mergeCandidates([conv('c1', 'AAAA', 'ct_me', null)], 'ct_me')).toEqual([]);
  });

  it('adds the reference when two candidates would read the same', () => {
    const items = [conv('c1', 'AAAA', 'ct_1', 'Jane Doe'), conv('c2', 'BBBB', 'ct_2', 'jane doe'), conv('c3', 'CCCC', 'ct_3', 'Ann')];
    expect(mergeCandidates(items, 'ct_me').map((c) => c.label)).toEqual(['Jane Doe (Ref AAAA)', 'jane doe (Ref BBBB)', 'Ann']);
  });
});
