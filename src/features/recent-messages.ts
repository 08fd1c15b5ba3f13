import { ExpiringMap } from '../domain/expiring-map.ts';
import type { Conversation, Message } from '../domain/types.ts';

export interface RecentMessage {
  message: Message;
  /** As of this message's commit. */
  conversation: Pick<Conversation, 'id' | 'orgId' | 'inboxId' | 'contactId' | 'channel' | 'status' | 'assigneeId'>;
  /**
   * The message opened a new conversation: staff lists need its whole row. For any other message
   * the inbox moves the row it holds itself (time, preview, unread, waiting); a reopened one has its
   * own `conversation.updated` event.
   */
  opensConversation: boolean;
}

/**
 * The messages this process has just committed, as the transaction wrote them. Live events carry
 * only ids (no PHI on the bus), so every staff and visitor socket used to load each new message
 * back from the store and open it again, once per event and recipient. A subscriber on the node
 * that wrote the message finds it here instead; other nodes, and anything older, fall back to the
 * store. Only what cannot change after the commit is used from here (a new message's text, its
 * conversation's id, contact and channel); status changes still come from the store.
 * Bounded in count and in time: decrypted text is kept only for the few seconds the live fan-out
 * needs, not for as long as an idle node happens to run.
 */
export class RecentMessages {
  private readonly byId: ExpiringMap<number, RecentMessage>;

  /**
   * `max` covers the live fan-out running a couple of seconds behind at 5,000 messages a second:
   * with fewer, a busy node missed here exactly when it could least afford the reads from the store.
   */
  constructor(max = 10_000, ttlMs = 10_000, now: () => number = Date.now) {
    this.byId = new ExpiringMap(max, ttlMs, now);
  }

  remember(entry: RecentMessage): void {
    const { id, orgId, inboxId, contactId, channel, status, assigneeId } = entry.conversation;
    // Only what is needed: the rest of the conversation would stay in memory for nothing.
    this.byId.set(entry.message.id, { message: entry.message, conversation: { id, orgId, inboxId, contactId, channel, status, assigneeId }, opensConversation: entry.opensConversation });
  }

  /** The entry, only when it belongs to this organization and is still fresh. */
  get(orgId: string, messageId: number): RecentMessage | undefined {
    const e = this.byId.get(messageId);
    return e && e.message.orgId === orgId ? e : undefined;
  }
}

/** Where an event carries its record (see withRecord). A symbol key: no serializer carries it. */
const RECORD = Symbol('committed record');

/**
 * The event, carrying the record it announces to the subscribers of this process. The in-process
 * bus hands them the very object published, so they need neither the store nor the cache; a bus
 * between nodes serializes the event and leaves the record behind, and its subscribers use
 * `RecentMessages` or the store as before.
 */
export function withRecord<E extends object>(event: E, entry: RecentMessage): E {
  return Object.assign(event, { [RECORD]: entry });
}

/** The record an event carries, if it was published in this process (see withRecord). */
export function recordOf(event: unknown): RecentMessage | undefined {
  return event && typeof event === 'object' ? (event as { [RECORD]?: RecentMessage })[RECORD] : undefined;
}
