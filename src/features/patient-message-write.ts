/**
 * What a patient's message writes, as one transaction: the contact and conversation it belongs to
 * (found, or created), the message itself, the conversation's times and state, and the Slack job
 * it implies. A function of the transaction and plain data only, so the same code runs on the
 * server's thread and on the SQLite writer thread (see writer-thread/).
 */
import { newConversationRef, newId } from '../domain/ids.ts';
import type { ChannelKind, Contact, Conversation, Inbox, Message } from '../domain/types.ts';
import type { ContactPatch, Store, StoreOps } from '../store/types.ts';
import { screenAll, type AttachmentPolicy, type IncomingAttachment } from './attachments.ts';
import { jobKinds, queueKeys } from './job-kinds.ts';
import { withFields } from '../domain/with-fields.ts';

export interface PatientMessageInput {
  /** Which inbox: only its id and organization are needed to write the message. */
  inbox: Pick<Inbox, 'id' | 'orgId'>;
  /** How this channel knows the patient: a widget visitor id, a phone number... */
  identity: { channel: ChannelKind; externalId: string };
  body: string;
  clientId?: string;
  sourceId?: string;
  profile?: ContactPatch;
  /**
   * The channel vouches for the address (the carrier delivered the SMS from this number): a
   * contact already known by it (e.g. from the website's pre-chat form) is the same person.
   * Never set for self-declared details such as a widget form.
   */
  linkByAddress?: { phone?: string; email?: string };
  /** Files sent with the message; screened by the attachment policy, kept ones stored sealed. */
  attachments?: IncomingAttachment[];
  /**
   * The patient is already proven to be this contact (a verified secure link): the message joins
   * them whatever the identity says, e.g. an answer to a Messenger notice given through the link.
   */
  contactId?: string;
  /**
   * Whom this identity resolved to earlier on the same connection (the widget's socket). When that
   * contact still has a conversation in this inbox, the identity look-up is skipped; a merged or
   * erased contact has none, and the identity decides as usual.
   */
  lastContactId?: string;
}

export interface PatientMessageRules {
  now(): number;
  /** The practice mirrors conversations to Slack: the message gets a Slack job. */
  slackEnabled: boolean;
  /** What files are kept; without it every attachment is refused. */
  attachmentPolicy?: AttachmentPolicy;
}

export interface PatientMessageRecord {
  message: Message;
  conversation: Conversation;
  /** False for a resend (same client id or vendor id): nothing was written. */
  created: boolean;
  /** This message opened a new conversation. */
  conversationCreated: boolean;
  /** The conversation was resolved and this message opened it again. */
  reopened: boolean;
  withFiles: boolean;
}

/** Writes a patient's message; where it runs (which thread, which transaction) is the caller's. */
export interface PatientMessageWriter {
  write(input: PatientMessageInput, slackEnabled: boolean): Promise<PatientMessageRecord>;
}

/** Writes in a transaction of the store, on the caller's thread. */
export function writerInTransaction(store: Store, rules: Omit<PatientMessageRules, 'slackEnabled'>): PatientMessageWriter {
  return { write: (input, slackEnabled) => store.transaction((tx) => writePatientMessage(tx, input, withFields(rules, { slackEnabled }))) };
}

/** A new, open conversation of a contact in an inbox. */
export function newConversation(inbox: Pick<Inbox, 'id' | 'orgId'>, contactId: string, channel: ChannelKind, now: number): Conversation {
  return {
    id: newId('cv'), orgId: inbox.orgId, inboxId: inbox.id, contactId, channel,
    ref: newConversationRef(), status: 'open', assigneeId: null, slackChannelId: null, slackThreadTs: null,
    createdAt: now, updatedAt: now, lastMessageAt: now, resolvedAt: null, waitingSince: null,
  };
}

export async function writePatientMessage(tx: StoreOps, input: PatientMessageInput, rules: PatientMessageRules): Promise<PatientMessageRecord> {
  const { inbox } = input;
  const orgId = inbox.orgId;
  const now = rules.now();
  let conversation = input.lastContactId && !input.contactId
    ? await tx.findLatestConversation(orgId, inbox.id, input.lastContactId)
    : undefined;
  let conversationCreated = false;
  if (!conversation) {
    const known = input.contactId ? await tx.getContact(orgId, input.contactId) : undefined;
    if (input.contactId && !known) throw new Error('contact not found');
    const contact = known ?? await findOrCreateContact(tx, orgId, input.identity, now, input.profile, input.linkByAddress);
    conversation = await tx.findLatestConversation(orgId, inbox.id, contact.id);
    if (!conversation) {
      conversation = await tx.createConversation(newConversation(inbox, contact.id, input.identity.channel, now));
      conversationCreated = true;
    }
  }
  const files = screenAll(rules.attachmentPolicy ?? { maxBytes: 0, allowedTypes: new Set() }, input.attachments ?? []);
  const { message, created } = await tx.insertMessage({
    orgId, conversationId: conversation.id, direction: 'in', kind: 'message', authorType: 'contact',
    authorStaffId: null, authorName: null, body: bodyWithFiles(input.body, files), clientId: input.clientId ?? null,
    source: input.identity.channel, sourceId: input.sourceId ?? null, createdAt: now,
  });
  if (!created) return { message, conversation, created, conversationCreated: false, reopened: false, withFiles: false };
  // One random stem, numbered in the order sent: files listed by (created_at, id) keep that order.
  // Made only when there are files: its random bytes were 6% of the writer thread's time.
  const stem = files.kept.length ? newId('att') : '';
  for (const [i, f] of files.kept.entries()) {
    const id = `${stem}_${String(i).padStart(2, '0')}`;
    await tx.attachments.insert({ id, orgId, messageId: message.id, filename: f.filename, contentType: f.contentType, data: f.data, createdAt: now });
  }

  // A patient writing again after "resolved" continues the same conversation and thread.
  const reopened = conversation.status === 'resolved';
  const patch = {
    lastMessageAt: now, updatedAt: now, waitingSince: conversation.waitingSince ?? now,
    ...(reopened ? { status: 'open' as const, resolvedAt: null } : {}),
  };
  await tx.updateConversation(orgId, conversation.id, patch);
  conversation = withFields(conversation, patch);

  if (rules.slackEnabled) {
    await tx.enqueueJob({
      orgId, kind: jobKinds.slackPost, payload: { conversationId: conversation.id, messageId: message.id },
      queueKey: queueKeys.slack(conversation.id), dedupeKey: `${jobKinds.slackPost}:${message.id}`,
    });
    if (reopened) await enqueueSlackUpdate(tx, conversation);
  }
  return { message, conversation, created, conversationCreated, reopened, withFiles: files.kept.length > 0 };
}

export async function findOrCreateContact(
  tx: StoreOps, orgId: string, identity: { channel: ChannelKind; externalId: string }, now: number, profile?: ContactPatch,
  linkByAddress?: { phone?: string; email?: string },
): Promise<Contact> {
  const existing = await tx.findContactByIdentity(orgId, identity.channel, identity.externalId);
  if (existing) return existing;
  if (linkByAddress) {
    const known = await tx.findContactsByEmailOrPhone(orgId, linkByAddress);
    // Only an unambiguous match: two contacts sharing a number stay for staff to merge.
    if (known.length === 1 && known[0]) {
      await tx.addIdentity(orgId, known[0].id, identity.channel, identity.externalId);
      return known[0];
    }
  }
  const contact: Contact = {
    id: newId('ct'), orgId, displayName: profile?.displayName ?? null, email: profile?.email ?? null,
    phone: profile?.phone ?? null, createdAt: now,
  };
  await tx.createContact(contact, identity);
  return contact;
}

export async function enqueueSlackUpdate(tx: StoreOps, conversation: Conversation): Promise<void> {
  await tx.enqueueJob({
    orgId: conversation.orgId, kind: jobKinds.slackUpdate, payload: { conversationId: conversation.id },
    queueKey: queueKeys.slack(conversation.id),
  });
}

/** The text staff see: what the patient wrote, a line per refused file, and names of kept files when there is no text. */
function bodyWithFiles(body: string, files: { kept: IncomingAttachment[]; notes: string[] }): string {
  const text = body.trim();
  const named = text ? [] : files.kept.map((f) => `[Attachment: ${f.filename}]`);
  return [text, ...named, ...files.notes].filter(Boolean).join('\n');
}
