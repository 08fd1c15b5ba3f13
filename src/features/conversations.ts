/**
 * The conversation rules, one place for every channel and every staff surface:
 * a patient message opens or continues the contact's conversation, a staff reply is queued for
 * delivery, claim/resolve/reopen change state. Each operation is one transaction that also writes
 * the outbox jobs it implies, so a crash can delay a delivery but never lose or double it.
 * No framework and no vendor SDK here: callers are the widget socket, the Slack handlers and
 * (later) the web inbox API.
 */
import type { Bus } from '../bus/types.ts';
import { topics } from '../bus/types.ts';
import type { ChannelKind, Contact, Conversation, Inbox, Message, Staff } from '../domain/types.ts';
import type { ContactPatch, Store } from '../store/types.ts';
import type { OrgEvent, VisitorEvent } from './events.ts';
import { jobKinds, queueKeys } from './job-kinds.ts';
import { screenAll, type AttachmentPolicy, type IncomingAttachment } from './attachments.ts';
import { RecentMessages, withRecord, type RecentMessage } from './recent-messages.ts';
import type { CoreMetrics } from './metrics.ts';
import { withFields } from '../domain/with-fields.ts';
import {
  enqueueSlackUpdate, findOrCreateContact, writerInTransaction,
  type PatientMessageInput, type PatientMessageRecord, type PatientMessageWriter,
} from './patient-message-write.ts';

/** Delivery outcomes that mean the patient did not get the message. */
export const DELIVERY_PROBLEMS = new Set(['undelivered', 'failed', 'refused']);

export interface StaffReplyInput {
  conversation: Conversation;
  /** The conversation was opened for this reply (on another of the contact's channels). */
  opensConversation?: boolean;
  staff: Staff;
  body: string;
  internal: boolean;
  source: string;
  sourceId: string;
}

export interface ConversationServiceOptions {
  /** Whether conversations of this organization are mirrored to Slack. */
  slackEnabledFor(orgId: string): boolean;
  /** Called after a commit that enqueued jobs, so the worker need not wait for its next poll. */
  onJobsQueued(): void;
  /** What files are kept; without it every attachment is refused. */
  attachmentPolicy?: AttachmentPolicy;
  now?: () => number;
  metrics?: CoreMetrics;
  /**
   * Where patients' messages are written; by default in this thread, through the store. The
   * embedded SQLite store gives the writing to a thread of its own (see writer-thread/).
   */
  patientMessageWriter?: PatientMessageWriter;
}

export class ConversationService {
  private readonly now: () => number;
  private readonly writer: PatientMessageWriter;
  /**
   * New messages without attachments, as committed here, for a bus whose events leave the process:
   * live sockets need not read them back.
   */
  readonly recent = new RecentMessages();

  constructor(
    private readonly store: Store,
    private readonly bus: Bus,
    private readonly options: ConversationServiceOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.writer = options.patientMessageWriter ?? writerInTransaction(store, {
      now: this.now, ...(options.attachmentPolicy ? { attachmentPolicy: options.attachmentPolicy } : {}),
    });
  }

  /** Finds the patient by this channel's identity, without creating anything. */
  findContact(inbox: Inbox, identity: { channel: ChannelKind; externalId: string }): Promise<Contact | undefined> {
    return this.store.findContactByIdentity(inbox.orgId, identity.channel, identity.externalId);
  }

  /** Creates the contact for an identity if needed, and applies profile fields (pre-chat form). */
  async saveContactProfile(inbox: Inbox, identity: { channel: ChannelKind; externalId: string }, profile: ContactPatch): Promise<Contact> {
    return this.store.transaction(async (tx) => {
      const contact = await findOrCreateContact(tx, inbox.orgId, identity, this.now(), profile);
      await tx.updateContact(inbox.orgId, contact.id, profile);
      return withFields(contact, profile);
    });
  }

  async receivePatientMessage(input: PatientMessageInput): Promise<{ message: Message; conversation: Conversation; created: boolean }> {
    const { inbox } = input;
    const orgId = inbox.orgId;
    const slackEnabled = this.options.slackEnabledFor(orgId);
    const result: PatientMessageRecord = await this.writer.write(input, slackEnabled);

    if (result.created) {
      const entry = result.withFiles ? undefined : this.committed({ message: result.message, conversation: result.conversation, opensConversation: result.conversationCreated });
      this.options.metrics?.messageRecorded(input.identity.channel, 'in');
      // A new message with Slack on queued a job. Waking the worker for nothing costs a job-table
      // scan per message.
      if (slackEnabled) this.options.onJobsQueued();
      await this.publishOrg(orgId, carrying({ type: 'message.created', conversationId: result.conversation.id, messageId: result.message.id }, entry));
      await this.publishVisitor(result.conversation, carrying({ type: 'message', messageId: result.message.id }, entry));
      if (result.reopened) await this.publishConversation(result.conversation);
    }
    return result;
  }

  /** A staff reply (or internal note) from any staff surface; replies are queued for the patient. */
  async recordStaffReply(input: StaffReplyInput): Promise<{ message: Message; created: boolean }> {
    const { conversation, staff } = input;
    const result = await this.store.transaction(async (tx) => {
      const now = this.now();
      const { message, created } = await tx.insertMessage({
        orgId: conversation.orgId, conversationId: conversation.id, direction: 'out',
        kind: input.internal ? 'note' : 'message', authorType: 'staff', authorStaffId: staff.id,
        authorName: staff.displayName, body: input.body, clientId: null, source: input.source,
        sourceId: input.sourceId, createdAt: now,
      });
      if (!created) return { message, created };
      await tx.updateConversation(conversation.orgId, conversation.id, {
        lastMessageAt: now, updatedAt: now, ...(input.internal ? {} : { waitingSince: null }),
      });
      if (!input.internal) {
        await tx.enqueueJob({
          orgId: conversation.orgId, kind: jobKinds.deliver, payload: { messageId: message.id },
          queueKey: queueKeys.deliver(conversation.id), dedupeKey: `${jobKinds.deliver}:${message.id}`,
        });
      }
      // Written elsewhere than Slack: the thread shows it too, so Slack stays a faithful record.
      if (input.source !== 'slack' && this.options.slackEnabledFor(conversation.orgId)) {
        await tx.enqueueJob({
          orgId: conversation.orgId, kind: jobKinds.slackMirror, payload: { conversationId: conversation.id, messageId: message.id },
          queueKey: queueKeys.slack(conversation.id), dedupeKey: `${jobKinds.slackMirror}:${message.id}`,
        });
      }
      return { message, created };
    });
    if (result.created) {
      const entry = this.committed({ message: result.message, conversation, opensConversation: input.opensConversation ?? false });
      // Internal notes never leave the practice: only replies count as messages out.
      if (!input.internal) this.options.metrics?.messageRecorded(conversation.channel, 'out');
      this.options.onJobsQueued();
      await this.publishOrg(conversation.orgId, carrying({ type: 'message.created', conversationId: conversation.id, messageId: result.message.id }, entry));
    }
    return result;
  }

  /** Read up to `lastMessageId` by this staff member, in every inbox they have open. */
  async markRead(conversation: Conversation, staff: Staff, lastMessageId: number): Promise<void> {
    await this.store.inbox.markRead(conversation.orgId, staff.id, conversation.id, lastMessageId);
    await this.publishOrg(conversation.orgId, { type: 'conversation.read', conversationId: conversation.id, staffId: staff.id });
  }

  claim(conversation: Conversation, staff: Staff): Promise<Conversation> {
    return this.changeState(conversation, { assigneeId: staff.id, status: 'open', resolvedAt: null });
  }

  /** Hand the conversation to a colleague (or to nobody). */
  assign(conversation: Conversation, assigneeId: string | null): Promise<Conversation> {
    return this.changeState(conversation, { assigneeId, status: conversation.status, resolvedAt: conversation.resolvedAt });
  }

  resolve(conversation: Conversation, staff: Staff): Promise<Conversation> {
    // Whoever resolves becomes the owner of record if nobody had claimed it.
    return this.changeState(conversation, { assigneeId: conversation.assigneeId ?? staff.id, status: 'resolved', resolvedAt: this.now() });
  }

  reopen(conversation: Conversation): Promise<Conversation> {
    return this.changeState(conversation, { status: 'open', resolvedAt: null });
  }

  /**
   * Files fetched after their message was stored (a vendor that sends links, not content): each
   * is screened like any attachment; `id` makes a repeated fetch store nothing twice. Returns
   * the notes for files refused.
   */
  async addAttachments(message: Message, files: Array<IncomingAttachment & { id: string }>): Promise<string[]> {
    const policy = this.options.attachmentPolicy ?? { maxBytes: 0, allowedTypes: new Set<string>() };
    const notes: string[] = [];
    let added = 0;
    for (const f of files) {
      const { kept, notes: refused } = screenAll(policy, [f]);
      notes.push(...refused);
      for (const k of kept) {
        if (await this.store.attachments.insert({ id: f.id, orgId: message.orgId, messageId: message.id, filename: k.filename, contentType: k.contentType, data: k.data, createdAt: this.now() })) added++;
      }
    }
    if (added) await this.publishOrg(message.orgId, { type: 'message.updated', conversationId: message.conversationId, messageId: message.id });
    return notes;
  }

  /**
   * A vendor's word on an outbound message (queued, sent, delivered, or why not). Staff see it live
   * in the inbox; a message that did not reach the patient is also flagged in the Slack thread.
   */
  async deliveryChanged(message: Message, d: { status: string; error?: string | null; externalId?: string }): Promise<void> {
    await this.store.setDeliveryStatus(message.orgId, message.id, d);
    if (DELIVERY_PROBLEMS.has(d.status) && this.options.slackEnabledFor(message.orgId)) {
      await this.store.enqueueJob({
        orgId: message.orgId, kind: jobKinds.slackDeliveryProblem, payload: { conversationId: message.conversationId, messageId: message.id },
        queueKey: queueKeys.slack(message.conversationId), dedupeKey: `${jobKinds.slackDeliveryProblem}:${message.id}:${d.status}`,
      });
      this.options.onJobsQueued();
    }
    await this.publishOrg(message.orgId, { type: 'message.updated', conversationId: message.conversationId, messageId: message.id });
  }

  /** Typing indicator from staff to the patient; live only, never stored. */
  async staffTyping(conversation: Conversation, staff: Staff, on: boolean): Promise<void> {
    await this.publishVisitor(conversation, { type: 'typing', on, name: staff.displayName });
    // Colleagues see it too, so two people do not answer at once.
    await this.publishOrg(conversation.orgId, { type: 'typing', conversationId: conversation.id, who: 'staff', on, staffId: staff.id, name: staff.displayName });
  }

  async patientTyping(conversation: Conversation, on: boolean): Promise<void> {
    await this.publishOrg(conversation.orgId, { type: 'typing', conversationId: conversation.id, who: 'contact', on });
  }

  private async changeState(
    conversation: Conversation,
    patch: Pick<Conversation, 'status' | 'resolvedAt'> & Partial<Pick<Conversation, 'assigneeId'>>,
  ): Promise<Conversation> {
    const updated = await this.store.transaction(async (tx) => {
      const full = withFields(patch, { updatedAt: this.now() });
      await tx.updateConversation(conversation.orgId, conversation.id, full);
      const next = withFields(conversation, full);
      if (this.options.slackEnabledFor(conversation.orgId)) await enqueueSlackUpdate(tx, next);
      return next;
    });
    this.options.onJobsQueued();
    await this.publishConversation(updated);
    return updated;
  }

  /** A message just committed here, for the live fan-out: on its events, and in `recent` if they leave the process. */
  private committed(entry: RecentMessage): RecentMessage {
    // A bus that hands subscribers the published object carries the record on the event. Kept in
    // `recent` for seconds as well, every record outlived the young generation, and copying and
    // promoting them made each of the server thread's scavenges several milliseconds long.
    if (!this.bus.deliversPublishedObject) this.recent.remember(entry);
    return entry;
  }

  private publishOrg(orgId: string, event: OrgEvent): Promise<void> {
    return this.bus.publish(topics.org(orgId), event);
  }

  private publishVisitor(conversation: Conversation, event: VisitorEvent): Promise<void> {
    return this.bus.publish(topics.visitor(conversation.inboxId, conversation.contactId), event);
  }

  private publishConversation(c: Conversation): Promise<void> {
    return this.publishOrg(c.orgId, { type: 'conversation.updated', conversationId: c.id, status: c.status, assigneeId: c.assigneeId });
  }
}

function carrying<E extends object>(event: E, entry: RecentMessage | undefined): E {
  return entry ? withRecord(event, entry) : event;
}
