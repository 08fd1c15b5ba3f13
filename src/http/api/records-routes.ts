import { z } from 'zod';
import { DEFAULT_RETENTION_DAYS } from '../../domain/types.ts';
import { AppError } from '../../errors.ts';
import type { AuditTrail } from '../../features/audit.ts';
import { contactExportHtml, type RecordsService } from '../../features/records.ts';
import type { Authenticated } from '../../features/staff-auth.ts';
import type { Store } from '../../store/types.ts';
import type { ApiRegistry } from './registry.ts';
import { staffActor } from './session-guard.ts';
import { withFields } from '../../domain/with-fields.ts';

const idParams = z.object({ id: z.string().min(1).max(64) });
/** Channels whose replies can be sent as a notice with a secure link instead of the text. */
const CONTENT_CHANNELS = ['sms', 'email', 'messenger', 'whatsapp', 'viber'] as const;
type ContentChannel = typeof CONTENT_CHANNELS[number];
const consentChannels = ['sms', 'email', 'messenger', 'whatsapp', 'viber', 'web'] as const;

export function recordsRoutes(api: ApiRegistry, deps: { store: Store; records: RecordsService; audit: AuditTrail }): void {
  const { store, records, audit } = deps;
  const requireContact = async (a: Authenticated, id: string) => {
    if (!(await store.getContact(a.org.id, id))) throw new AppError('not_found', 404, 'Contact not found');
  };

  api.route({
    method: 'GET', url: '/api/contacts/:id/export', tag: 'records', access: 'admin',
    summary: "A patient's whole record: JSON, or a readable page to print or save as PDF",
    params: idParams, query: z.object({ format: z.enum(['json', 'html']).default('json') }).strict(),
    handler: async ({ auth, params, query, reply, ip }) => {
      const x = await records.exportContact(auth.org.id, params.id, staffActor(auth, ip), query.format);
      // The printable page opens in the browser (to read or print to PDF); JSON downloads.
      reply.header('cache-control', 'no-store')
        .header('content-disposition', `${query.format === 'html' ? 'inline' : 'attachment'}; filename="patient-record-${params.id}.${query.format}"`);
      if (query.format === 'html') {
        return reply.type('text/html; charset=utf-8').header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'").send(contactExportHtml(x));
      }
      return reply.type('application/json').send(JSON.stringify(x, null, 2));
    },
  });

  api.route({
    method: 'DELETE', url: '/api/contacts/:id', tag: 'records', access: 'admin',
    summary: 'Erase a contact and everything about them (right to erasure); refused under legal hold',
    params: idParams,
    response: { schema: z.object({ erased: z.object({ conversations: z.number(), messages: z.number() }) }) },
    handler: async ({ auth, params, ip }) => ({ erased: await records.erase(auth.org.id, params.id, staffActor(auth, ip)) }),
  });

  api.route({
    method: 'PUT', url: '/api/contacts/:id/legal-hold', tag: 'records', access: 'admin',
    summary: 'Place or lift a legal hold: held records are skipped by retention and cannot be erased', response: { status: 204, description: 'Done' },
    params: idParams,
    body: z.discriminatedUnion('hold', [
      z.object({ hold: z.literal(true), reason: z.string().trim().min(3).max(500) }).strict(),
      z.object({ hold: z.literal(false) }).strict(),
    ]),
    handler: async ({ auth, params, body, ip }) => {
      await records.setLegalHold(auth.org.id, params.id, body.hold ? { reason: body.reason } : null, staffActor(auth, ip));
    },
  });

  api.route({
    method: 'PUT', url: '/api/contacts/:id/date-of-birth', tag: 'records', access: 'agent',
    summary: "The patient's date of birth (sealed); the secure link asks for it before showing anything", response: { status: 204, description: 'Done' },
    params: idParams, body: z.object({ dateOfBirth: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).nullable() }).strict(),
    handler: async ({ auth, params, body, ip }) => {
      if (!(await store.records.setDateOfBirth(auth.org.id, params.id, body.dateOfBirth))) throw new AppError('not_found', 404, 'Contact not found');
      await audit.record(store, staffActor(auth, ip), 'contact.update', 'success', { type: 'contact', id: params.id }, { field: 'date_of_birth' });
    },
  });

  api.route({
    method: 'GET', url: '/api/admin/channel-content', tag: 'records', access: 'admin', summary: 'How replies go over each channel without end-to-end encryption: text, or notice with a secure link',
    response: { schema: z.object(Object.fromEntries(CONTENT_CHANNELS.map((c) => [c, z.enum(['text', 'notice'])])) as Record<ContentChannel, z.ZodEnum<{ text: 'text'; notice: 'notice' }>>) },
    handler: async ({ auth }) => {
      const content = (await store.getOrganization(auth.org.id))?.settings?.channelContent;
      return Object.fromEntries(CONTENT_CHANNELS.map((c) => [c, content?.[c] ?? 'text'])) as Record<ContentChannel, 'text' | 'notice'>;
    },
  });

  api.route({
    method: 'PUT', url: '/api/admin/channel-content', tag: 'records', access: 'admin',
    summary: 'For SMS, e-mail, Messenger, WhatsApp or Viber: send replies as text, or as a notice with a secure link (no PHI over a channel without a BAA)',
    body: z.object({ channel: z.enum(CONTENT_CHANNELS), mode: z.enum(['text', 'notice']) }).strict(),
    handler: async ({ auth, body, ip }) => {
      const org = await store.getOrganization(auth.org.id);
      await store.transaction(async (tx) => {
        const channelContent = withFields(org?.settings?.channelContent, { [body.channel]: body.mode });
        await tx.updateOrganizationSettings(auth.org.id, withFields(org?.settings, { channelContent }));
        await audit.record(tx, staffActor(auth, ip), 'settings.channel_content', 'success', { type: 'organization', id: auth.org.id }, { ...body });
      });
      return { channel: body.channel, mode: body.mode };
    },
  });

  api.route({
    method: 'POST', url: '/api/contacts/:id/merge', tag: 'records', access: 'agent',
    summary: 'Merge this contact into another (the same person known twice); recorded in the audit trail',
    params: idParams, body: z.object({ intoContactId: z.string().min(1).max(64) }).strict(),
    response: { schema: z.object({ contactId: z.string(), movedConversations: z.number() }) },
    handler: async ({ auth, params, body, ip }) => {
      if (params.id === body.intoContactId) throw new AppError('invalid_request', 400, 'Invalid request: a contact cannot be merged into itself');
      await requireContact(auth, params.id);
      await requireContact(auth, body.intoContactId);
      const r = await store.transaction(async (tx) => {
        const moved = await tx.records.mergeContacts(auth.org.id, params.id, body.intoContactId);
        await audit.record(tx, staffActor(auth, ip), 'contact.merge', 'success', { type: 'contact', id: body.intoContactId },
          { mergedContactId: params.id, conversations: moved.conversations });
        return moved;
      });
      return { contactId: body.intoContactId, movedConversations: r.conversations };
    },
  });

  const consentSchema = z.object({
    id: z.number(), channel: z.string(), granted: z.boolean(), wording: z.string(), source: z.string(),
    recordedBy: z.string().nullable(), recordedAt: z.string(),
  });
  const consentView = (c: Awaited<ReturnType<Store['records']['listConsents']>>[number]) => withFields(c, {
    recordedAt: new Date(c.recordedAt).toISOString(),
  });

  api.route({
    method: 'GET', url: '/api/contacts/:id/consents', tag: 'records', access: 'agent',
    summary: "The patient's consent records per channel, oldest first (the last one per channel is in force)",
    params: idParams, response: { schema: z.object({ items: z.array(consentSchema) }) },
    handler: async ({ auth, params }) => {
      await requireContact(auth, params.id);
      return { items: (await store.records.listConsents(auth.org.id, params.id)).map(consentView) };
    },
  });

  api.route({
    method: 'POST', url: '/api/contacts/:id/consents', tag: 'records', access: 'agent',
    summary: 'Record that the patient accepted (or withdrew) an unencrypted channel, with the wording shown',
    params: idParams,
    body: z.object({ channel: z.enum(consentChannels), granted: z.boolean(), wording: z.string().trim().min(10).max(2000) }).strict(),
    response: { status: 201, schema: consentSchema },
    handler: async ({ auth, params, body, ip }) => {
      await requireContact(auth, params.id);
      const consent = await store.transaction(async (tx) => {
        const c = await tx.records.addConsent(auth.org.id, {
          contactId: params.id, channel: body.channel, granted: body.granted, wording: body.wording, source: 'staff',
          recordedBy: auth.account.id, recordedAt: Date.now(),
        });
        await audit.record(tx, staffActor(auth, ip), 'contact.consent', 'success', { type: 'contact', id: params.id }, { channel: body.channel, granted: body.granted });
        return c;
      });
      return consentView(consent);
    },
  });

  api.route({
    method: 'GET', url: '/api/admin/retention', tag: 'records', access: 'owner', summary: 'How long message content is kept',
    response: { schema: z.object({ retentionDays: z.number() }) },
    handler: async ({ auth }) => ({ retentionDays: (await store.getOrganization(auth.org.id))?.settings?.retentionDays ?? DEFAULT_RETENTION_DAYS }),
  });

  api.route({
    method: 'PUT', url: '/api/admin/retention', tag: 'records', access: 'owner', summary: 'Change how long message content is kept',
    body: z.object({ retentionDays: z.number().int().min(30).max(36_500) }).strict(),
    handler: async ({ auth, body, ip }) => {
      const org = await store.getOrganization(auth.org.id);
      await store.transaction(async (tx) => {
        await tx.updateOrganizationSettings(auth.org.id, withFields(org?.settings, { retentionDays: body.retentionDays }));
        await audit.record(tx, staffActor(auth, ip), 'settings.retention', 'success', { type: 'organization', id: auth.org.id }, { retentionDays: body.retentionDays });
      });
      return { retentionDays: body.retentionDays };
    },
  });
}
