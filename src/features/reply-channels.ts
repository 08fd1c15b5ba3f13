/**
 * Answering a patient on another of their channels: a text to the mobile number they gave in the
 * website chat, an e-mail to someone who texted. The reply goes into the contact's conversation
 * on that channel (created when the practice has an inbox there and knows the address), so each
 * channel keeps its own thread and delivery rules (opt-outs, windows, notice mode) apply as usual.
 */
import type { ChannelKind, Contact, Conversation, Inbox } from '../domain/types.ts';
import { AppError } from '../errors.ts';
import type { Store } from '../store/types.ts';
import { newConversation } from './patient-message-write.ts';

/** Channels where Bedside can start a conversation from an address alone. */
const ADDRESSABLE: Partial<Record<ChannelKind, (c: Contact) => string | null>> = {
  sms: (c) => c.phone,
  email: (c) => c.email,
};

export class ReplyChannels {
  constructor(private readonly store: Store, private readonly now: () => number = Date.now) {}

  /** Every channel a reply to this contact can go out on, the current conversation's first. */
  async available(conversation: Conversation, contact: Contact): Promise<ChannelKind[]> {
    const [conversations, inboxes] = await Promise.all([
      this.store.records.conversationsOfContact(conversation.orgId, contact.id),
      this.store.listInboxes(conversation.orgId),
    ]);
    const out = new Set<ChannelKind>([conversation.channel, ...conversations.map((c) => c.channel)]);
    for (const [channel, address] of Object.entries(ADDRESSABLE) as Array<[ChannelKind, (c: Contact) => string | null]>) {
      if (address(contact) && inboxes.some((i) => i.channel === channel)) out.add(channel);
    }
    return [...out];
  }

  /** The conversation a reply on `channel` belongs to; opened when needed (`opened`). */
  async conversationFor(conversation: Conversation, channel: ChannelKind): Promise<{ conversation: Conversation; opened: boolean }> {
    if (channel === conversation.channel) return { conversation, opened: false };
    const orgId = conversation.orgId;
    // One transaction: two colleagues answering at once end up in one new conversation, not two.
    return this.store.transaction(async (tx) => {
      const existing = (await tx.records.conversationsOfContact(orgId, conversation.contactId))
        .filter((c) => c.channel === channel)
        .sort((a, b) => b.lastMessageAt - a.lastMessageAt)[0];
      if (existing) return { conversation: existing, opened: false };
      const contact = await tx.getContact(orgId, conversation.contactId);
      const address = contact && ADDRESSABLE[channel]?.(contact);
      const inbox: Inbox | undefined = (await tx.listInboxes(orgId)).find((i) => i.channel === channel);
      if (!address || !inbox) {
        throw new AppError('channel_unavailable', 409, `This patient cannot be reached by ${channel} (no address on file, or no ${channel} inbox)`);
      }
      return { conversation: await tx.createConversation(newConversation(inbox, conversation.contactId, channel, this.now())), opened: true };
    });
  }
}
