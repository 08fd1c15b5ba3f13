/**
 * Records management for the practice: a patient's record exported (JSON, and a readable page to
 * print or save as PDF), erasure that leaves only the audit record that it happened, legal hold,
 * and the retention sweep that deletes message content past the practice's retention period.
 */
import type { Contact } from '../domain/types.ts';
import { DEFAULT_RETENTION_DAYS } from '../domain/types.ts';
import { AppError } from '../errors.ts';
import type { Store } from '../store/types.ts';
import type { Actor, AuditTrail } from './audit.ts';

const DAY_MS = 86_400_000;
const SWEEP_BATCH = 500;

export interface ContactExport {
  exportedAt: string;
  organization: string;
  contact: { id: string; displayName: string | null; email: string | null; phone: string | null; createdAt: string; channels: string[] };
  legalHold: { since: string; reason: string } | null;
  consents: Array<{ channel: string; granted: boolean; wording: string; source: string; recordedAt: string }>;
  conversations: Array<{
    id: string; ref: string; channel: string; status: string; createdAt: string;
    messages: Array<{ id: number; at: string; from: string; kind: string; body: string }>;
  }>;
}

const iso = (t: number) => new Date(t).toISOString();

export class RecordsService {
  constructor(private readonly store: Store, private readonly audit: AuditTrail, private readonly now: () => number = Date.now) {}

  private async contact(orgId: string, contactId: string): Promise<Contact> {
    const c = await this.store.getContact(orgId, contactId);
    if (!c) throw new AppError('not_found', 404, 'Contact not found');
    return c;
  }

  async exportContact(orgId: string, contactId: string, actor: Actor, format: string): Promise<ContactExport> {
    const contact = await this.contact(orgId, contactId);
    const [org, channels, hold, consents, conversations] = await Promise.all([
      this.store.getOrganization(orgId), this.store.inbox.contactChannels(orgId, contactId), this.store.records.legalHold(orgId, contactId),
      this.store.records.listConsents(orgId, contactId), this.store.records.conversationsOfContact(orgId, contactId),
    ]);
    const messages = await this.store.records.messagesOfConversations(orgId, conversations.map((c) => c.id));
    await this.audit.record(this.store, actor, 'contact.export', 'success', { type: 'contact', id: contactId }, { format, messages: messages.length });
    return {
      exportedAt: iso(this.now()),
      organization: org?.name ?? '',
      contact: { id: contact.id, displayName: contact.displayName, email: contact.email, phone: contact.phone, createdAt: iso(contact.createdAt), channels },
      legalHold: hold && { since: iso(hold.at), reason: hold.reason },
      consents: consents.map((c) => ({ channel: c.channel, granted: c.granted, wording: c.wording, source: c.source, recordedAt: iso(c.recordedAt) })),
      conversations: conversations.map((c) => ({
        id: c.id, ref: c.ref, channel: c.channel, status: c.status, createdAt: iso(c.createdAt),
        messages: messages.filter((m) => m.conversationId === c.id).map((m) => ({
          id: m.id, at: iso(m.createdAt), from: m.direction === 'in' ? 'patient' : (m.authorName ?? 'staff'), kind: m.kind, body: m.body,
        })),
      })),
    };
  }

  async erase(orgId: string, contactId: string, actor: Actor): Promise<{ conversations: number; messages: number }> {
    await this.contact(orgId, contactId);
    if (await this.store.records.legalHold(orgId, contactId)) {
      await this.audit.record(this.store, actor, 'contact.erase', 'denied', { type: 'contact', id: contactId }, { reason: 'legal_hold' });
      throw new AppError('legal_hold', 409, 'This contact is under legal hold; lift the hold before erasing');
    }
    return this.store.transaction(async (tx) => {
      const counts = await tx.records.eraseContact(orgId, contactId);
      await this.audit.record(tx, actor, 'contact.erase', 'success', { type: 'contact', id: contactId }, counts);
      return counts;
    });
  }

  async setLegalHold(orgId: string, contactId: string, hold: { reason: string } | null, actor: Actor): Promise<void> {
    await this.store.transaction(async (tx) => {
      if (!(await tx.records.setLegalHold(orgId, contactId, hold && { reason: hold.reason, at: this.now() }))) {
        throw new AppError('not_found', 404, 'Contact not found');
      }
      await this.audit.record(tx, actor, hold ? 'contact.legal_hold' : 'contact.legal_hold_lifted', 'success', { type: 'contact', id: contactId });
    });
  }

  /** One pass of the retention rule over every organization; returns messages deleted. */
  async sweep(): Promise<number> {
    let total = 0;
    for (const org of await this.store.listOrganizations()) {
      const days = org.settings?.retentionDays ?? DEFAULT_RETENTION_DAYS;
      const before = this.now() - days * DAY_MS;
      let deleted = 0;
      for (let n = SWEEP_BATCH; n === SWEEP_BATCH;) {
        n = await this.store.records.deleteExpiredMessages(org.id, before, SWEEP_BATCH);
        deleted += n;
      }
      if (deleted > 0) {
        await this.audit.record(this.store, { type: 'system', id: null, orgId: org.id, ip: null }, 'retention.sweep', 'success', undefined, { deleted, retentionDays: days });
      }
      total += deleted;
    }
    return total;
  }
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A self-contained, printable page of the record (no scripts, no external resources). */
export function contactExportHtml(x: ContactExport): string {
  const c = x.contact;
  const rows = x.conversations.map((cv) => `
<section><h2>Conversation ${esc(cv.ref)} <small>(${esc(cv.channel)}, ${esc(cv.status)}, started ${esc(cv.createdAt)})</small></h2>
<table><thead><tr><th scope="col">Time (UTC)</th><th scope="col">From</th><th scope="col">Message</th></tr></thead><tbody>
${cv.messages.map((m) => `<tr${m.kind === 'note' ? ' class="note"' : ''}><td>${esc(m.at)}</td><td>${esc(m.from)}${m.kind === 'note' ? ' (internal note)' : ''}</td><td>${esc(m.body).replace(/\n/g, '<br>')}</td></tr>`).join('\n')}
</tbody></table></section>`).join('\n');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Patient record export</title>
<style>body{font:14px/1.45 system-ui,sans-serif;margin:2rem;color:#111}table{border-collapse:collapse;width:100%}td,th{border:1px solid #999;padding:.3rem .5rem;text-align:left;vertical-align:top}tr.note td{background:#fff8db}small{font-weight:normal;color:#444}@media print{section{break-inside:avoid-page}}</style>
</head><body>
<h1>Patient record: ${esc(c.displayName ?? 'Unnamed contact')}</h1>
<p>${esc(x.organization)}. Exported ${esc(x.exportedAt)}. Contains protected health information.</p>
<dl><dt>E-mail</dt><dd>${esc(c.email ?? '-')}</dd><dt>Phone</dt><dd>${esc(c.phone ?? '-')}</dd><dt>Channels</dt><dd>${esc(c.channels.join(', ') || '-')}</dd>
${x.legalHold ? `<dt>Legal hold</dt><dd>since ${esc(x.legalHold.since)}: ${esc(x.legalHold.reason)}</dd>` : ''}</dl>
<h2>Consents</h2>${x.consents.length ? `<ul>${x.consents.map((k) => `<li>${esc(k.recordedAt)}: ${esc(k.channel)} ${k.granted ? 'granted' : 'withdrawn'} (${esc(k.source)}). Shown: "${esc(k.wording)}"</li>`).join('')}</ul>` : '<p>None recorded.</p>'}
${rows}
</body></html>`;
}
