/** Live events published on the bus for connected staff and visitors. No PHI beyond what the
 *  subscriber is already entitled to see; these never reach a log. */
import type { Conversation } from '../domain/types.ts';

export type OrgEvent =
  | { type: 'message.created'; conversationId: string; messageId: number }
  /** A delivery status changed (sent, delivered, failed, refused). */
  | { type: 'message.updated'; conversationId: string; messageId: number }
  | { type: 'conversation.updated'; conversationId: string; status: Conversation['status']; assigneeId: string | null }
  /** A staff member read a conversation up to a message: their other open inboxes clear its unread count. */
  | { type: 'conversation.read'; conversationId: string; staffId: string }
  | { type: 'typing'; conversationId: string; who: 'contact' | 'staff'; on: boolean; staffId?: string; name?: string }
  /** A staff member's first connection opened, or their last one closed (see presence.ts). */
  | { type: 'presence'; staffId: string; online: boolean };

/** Visitor events name the message by id: its text never travels over the bus (Redis, across
 *  nodes); the socket loads it from the store, where it is encrypted at rest. */
export type VisitorEvent =
  | { type: 'message'; messageId: number }
  | { type: 'typing'; on: boolean; name?: string };
