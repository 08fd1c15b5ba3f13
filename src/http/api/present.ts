/** API shapes of domain records (see docs/inbox-api.md). Times are ISO 8601 strings. */
import { z } from 'zod';
import type { AttachmentInfo, ChannelKind, Message, StaffAccount } from '../../domain/types.ts';
import type { Store } from '../../store/types.ts';
import type { Authenticated, IssuedSession } from '../../features/staff-auth.ts';
import type { ConversationRow } from '../../store/staff-types.ts';

const iso = (t: number) => new Date(t).toISOString();

export const conversationSummarySchema = z.object({
  id: z.string(), ref: z.string(), status: z.enum(['open', 'resolved']), channel: z.string(), inboxId: z.string(),
  inboxName: z.string(), contact: z.object({ id: z.string(), displayName: z.string().nullable() }),
  assignee: z.object({ id: z.string(), displayName: z.string() }).nullable(), lastMessageAt: z.string(), createdAt: z.string(),
  waitingSince: z.string().nullable(), unreadCount: z.number().int(), preview: z.string(),
});
export type ConversationSummary = z.infer<typeof conversationSummarySchema>;

export const attachmentSchema = z.object({ id: z.string(), filename: z.string(), contentType: z.string(), size: z.number().int() });

export const messageSchema = z.object({
  id: z.number().int(), conversationId: z.string(), direction: z.enum(['in', 'out']), kind: z.enum(['message', 'note']),
  channel: z.string(), authorName: z.string().nullable(), body: z.string(), createdAt: z.string(),
  /** Outbound on SMS and other vendor channels: queued, sent, delivered, undelivered, failed, refused. */
  deliveryStatus: z.string().nullable(), deliveryError: z.string().nullable(),
  /** Files the patient sent; fetched one by one from /api/attachments/:id. */
  attachments: z.array(attachmentSchema),
});
export type ApiMessage = z.infer<typeof messageSchema>;

export const sessionSchema = z.object({
  user: z.object({ id: z.string(), email: z.string().nullable(), displayName: z.string(), role: z.enum(['owner', 'admin', 'agent']), orgId: z.string(), orgName: z.string() }),
  csrfToken: z.string(), idleTimeoutSeconds: z.number().int(), expiresAt: z.string(),
});

export const staffAccountSchema = z.object({
  id: z.string(), email: z.string().nullable(), displayName: z.string(), role: z.enum(['owner', 'admin', 'agent']),
  status: z.enum(['invited', 'active', 'disabled']), mfaEnrolled: z.boolean(), lastLoginAt: z.string().nullable(),
});

export function toSummary(r: ConversationRow): ConversationSummary {
  return {
    id: r.id, ref: r.ref, status: r.status, channel: r.channel, inboxId: r.inboxId, inboxName: r.inboxName,
    contact: { id: r.contactId, displayName: r.contactName },
    assignee: r.assigneeId && r.assigneeName ? { id: r.assigneeId, displayName: r.assigneeName } : null,
    lastMessageAt: iso(r.lastMessageAt), createdAt: iso(r.createdAt),
    waitingSince: r.waitingSince === null ? null : iso(r.waitingSince), unreadCount: r.unreadCount, preview: r.preview,
  };
}

export function toApiMessage(m: Message, channel: ChannelKind, attachments: AttachmentInfo[] = []): ApiMessage {
  return {
    id: m.id, conversationId: m.conversationId, direction: m.direction, kind: m.kind, channel,
    authorName: m.authorName, body: m.body, createdAt: iso(m.createdAt),
    deliveryStatus: m.deliveryStatus ?? null, deliveryError: m.deliveryError ?? null,
    attachments: attachments.filter((a) => a.messageId === m.id).map(({ id, filename, contentType, size }) => ({ id, filename, contentType, size })),
  };
}

/** Messages with their attachments listed, in one query for the page. */
export async function toApiMessages<M extends Message & { channel: ChannelKind }>(store: Store, orgId: string, messages: M[]): Promise<ApiMessage[]> {
  const attachments = await store.attachments.listForMessages(orgId, messages.map((m) => m.id));
  return messages.map((m) => toApiMessage(m, m.channel, attachments));
}

export function toSession(auth: Authenticated | (IssuedSession & { orgName: string }), idleSeconds: number) {
  const orgName = 'org' in auth ? auth.org.name : auth.orgName;
  const a = auth.account;
  return {
    user: { id: a.id, email: a.email, displayName: a.displayName, role: a.role, orgId: a.orgId, orgName },
    csrfToken: auth.session.csrfToken, idleTimeoutSeconds: idleSeconds, expiresAt: iso(auth.session.expiresAt),
  };
}

export function toStaffAccount(a: StaffAccount) {
  return {
    id: a.id, email: a.email, displayName: a.displayName, role: a.role, status: a.status, mfaEnrolled: a.mfaEnrolled,
    lastLoginAt: a.lastLoginAt === null ? null : iso(a.lastLoginAt),
  };
}
