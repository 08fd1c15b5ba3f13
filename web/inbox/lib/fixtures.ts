/** Test data builders for the inbox's unit tests. */
import type { ConversationSummary, Message } from '../api-types.ts';

let seq = 0;

export function conv(over: Partial<ConversationSummary> & { id: string }): ConversationSummary {
  return {
    ref: over.id.toUpperCase(),
    status: 'open',
    channel: 'web',
    inboxId: 'ib_web',
    inboxName: 'Website',
    contact: { id: `ct_${over.id}`, displayName: null },
    assignee: null,
    lastMessageAt: '2025-03-03T10:00:00.000Z',
    createdAt: '2025-03-03T09:00:00.000Z',
    waitingSince: null,
    unreadCount: 0,
    preview: '',
    ...over,
  };
}

export function msg(over: Partial<Message> & { id: number }): Message {
  seq++;
  return {
    conversationId: 'c1',
    direction: 'in',
    kind: 'message',
    channel: 'web',
    authorName: null,
    body: `message ${seq}`,
    createdAt: '2025-03-03T10:00:00.000Z',
    ...over,
  };
}

/** An ISO time `minutes` after 2025-03-03 10:00 UTC. */
export const at = (minutes: number) => new Date(Date.parse('2025-03-03T10:00:00Z') + minutes * 60_000).toISOString();
