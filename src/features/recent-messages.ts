import type { Conversation, Message } from '../domain/types.ts';

export interface RecentMessage {
  message: Message;
  conversation: Pick<Conversation, 'id' | 'orgId' | 'inboxId' | 'contactId' | 'channel'>;
}

/**
 * The messages this process has just committed, as the transaction wrote them. Live events carry
 * only ids (no PHI on the bus), so every staff and visitor socket used to load each new message
 * back from the store and open it again, once per event and recipient. A subscriber on the node
 * that wrote the message finds it here instead; other nodes, and anything older, fall back to the
 * store. Only what cannot change after the commit is used from here (a new message's text, its
 * conversation's id, contact and channel); status changes still come from the store. Bounded,
 * oldest out first; it holds what the process held in memory a moment before anyway.
 */
export class RecentMessages {
  private readonly byId = new Map<number, RecentMessage>();

  constructor(private readonly max = 2000) {}

  remember(entry: RecentMessage): void {
    this.byId.set(entry.message.id, entry);
    if (this.byId.size > this.max) this.byId.delete(this.byId.keys().next().value as number);
  }

  /** The entry, only when it belongs to this organization. */
  get(orgId: string, messageId: number): RecentMessage | undefined {
    const e = this.byId.get(messageId);
    return e && e.message.orgId === orgId ? e : undefined;
  }
}
