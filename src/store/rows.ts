/** Row-to-domain mappers shared by the Kysely query classes. BIGINT columns come back as strings
 *  from PostgreSQL, hence the Number() calls. */
import type { Selectable } from 'kysely';
import type { ChannelKind, Conversation, ConversationStatus, Message } from '../domain/types.ts';
import type { ConversationsTable, MessagesTable } from './schema.ts';

// Field by field, as toMessage: a copy made by spreading the row and then adding to it outlives the
// next young-generation collection (see domain/with-fields.ts), on every message's path.
export const toConversation = (r: Selectable<ConversationsTable>): Conversation => ({
  id: r.id, orgId: r.orgId, inboxId: r.inboxId, contactId: r.contactId, ref: r.ref,
  assigneeId: r.assigneeId, slackChannelId: r.slackChannelId, slackThreadTs: r.slackThreadTs,
  channel: r.channel as ChannelKind,
  status: r.status as ConversationStatus,
  createdAt: Number(r.createdAt),
  updatedAt: Number(r.updatedAt),
  lastMessageAt: Number(r.lastMessageAt),
  resolvedAt: r.resolvedAt == null ? null : Number(r.resolvedAt),
  waitingSince: r.waitingSince == null ? null : Number(r.waitingSince),
});

export const toMessage = (r: Selectable<MessagesTable>): Message => ({
  id: Number(r.id), orgId: r.orgId, conversationId: r.conversationId,
  direction: r.direction as Message['direction'], kind: r.kind as Message['kind'], authorType: r.authorType as Message['authorType'],
  authorStaffId: r.authorStaffId, authorName: r.authorName, body: r.body, clientId: r.clientId, source: r.source, sourceId: r.sourceId,
  createdAt: Number(r.createdAt), deliveryStatus: r.deliveryStatus ?? null, deliveryError: r.deliveryError ?? null,
});
