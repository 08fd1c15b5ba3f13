/**
 * The storage contract. Feature code depends on this interface only; the SQLite (embedded) and
 * PostgreSQL implementations share one Kysely query layer and pass one contract suite.
 * Every lookup that takes an id also takes the organization: a row of another practice is
 * "not found", never returned.
 */
import type {
  Contact, Conversation, Inbox, InboxSettings, Message, Organization, OrganizationSettings, Staff,
} from '../domain/types.ts';

import type { AttachmentStoreOps, AuditStoreOps, AuthStoreOps, InboxStoreOps, RecordsStoreOps } from './staff-types.ts';
import type { MasterKey } from '../security/master-key.ts';
import type { SlackStoreOps } from './slack-types.ts';
import type { EmailStoreOps } from './email-types.ts';

export type Dialect = 'sqlite' | 'postgres';

/** Where replies reach a contact on a channel, and when they last wrote from there. */
export interface ChannelAddress { address: string; lastInboundAt: number | null; optedOutAt: number | null }

export interface IdentityStoreOps {
  /** After an inbound message: remembers the (sealed) reply address and the time. False when the identity is unknown. */
  recordInbound(orgId: string, channel: string, externalId: string, address: string, at: number): Promise<boolean>;
  /** The contact's addresses on a channel, the one written from most recently first. */
  addresses(orgId: string, contactId: string, channel: string): Promise<ChannelAddress[]>;
}

export type NewMessage = Omit<Message, 'id'>;

export interface Job {
  id: number;
  orgId: string | null;
  kind: string;
  payload: unknown;
  queueKey: string;
  attempts: number;
  /** Why the previous attempt failed; null on the first attempt or after a crash (lease expiry). */
  lastError: string | null;
  createdAt: number;
}

export interface NewJob {
  orgId: string | null;
  kind: string;
  payload: unknown;
  queueKey: string;
  dedupeKey?: string;
  runAt?: number;
  /** The payload carries PHI (a webhook's message text): stored encrypted. */
  sensitive?: boolean;
}

export interface JobCounts {
  pending: number; running: number; dead: number; done: number;
  /** When the oldest job still waiting (pending or running) was queued: how far the outbox lags. */
  oldestWaitingAt?: number | null;
}

export type ConversationPatch = Partial<Pick<Conversation,
  'status' | 'assigneeId' | 'slackChannelId' | 'slackThreadTs' | 'updatedAt' | 'lastMessageAt' | 'resolvedAt' | 'waitingSince'>>;

export type ContactPatch = Partial<Pick<Contact, 'displayName' | 'email' | 'phone'>>;

export interface StoreOps {
  readonly auth: AuthStoreOps;
  readonly inbox: InboxStoreOps;
  readonly audit: AuditStoreOps;
  readonly records: RecordsStoreOps;
  readonly email: EmailStoreOps;
  readonly attachments: AttachmentStoreOps;
  /** Slack workspaces installed by OAuth, one per organization. */
  readonly slack: SlackStoreOps;
  readonly identities: IdentityStoreOps;

  countOrganizations(): Promise<number>;
  createOrganization(org: Organization): Promise<void>;
  getOrganization(id: string): Promise<Organization | undefined>;
  findOrganizationBySlug(slug: string): Promise<Organization | undefined>;
  listOrganizations(): Promise<Organization[]>;
  updateOrganizationSettings(id: string, settings: OrganizationSettings): Promise<void>;

  createInbox(inbox: Inbox): Promise<void>;
  findInboxByPublicKey(publicKey: string): Promise<Inbox | undefined>;
  getInbox(orgId: string, id: string): Promise<Inbox | undefined>;
  listInboxes(orgId: string): Promise<Inbox[]>;
  updateInboxSettings(orgId: string, id: string, settings: InboxSettings): Promise<void>;
  renameInbox(orgId: string, id: string, name: string): Promise<void>;
  /** The oldest website inbox of any organization (the demo page of a single-practice install). */
  findFirstWebInbox(): Promise<Inbox | undefined>;

  findContactByIdentity(orgId: string, channel: string, externalId: string): Promise<Contact | undefined>;
  /** Contacts whose e-mail and/or phone match (through blind indexes; nothing stored in the clear). */
  findContactsByEmailOrPhone(orgId: string, by: { email?: string; phone?: string }): Promise<Contact[]>;
  createContact(contact: Contact, identity: { channel: string; externalId: string }): Promise<void>;
  updateContact(orgId: string, id: string, patch: ContactPatch): Promise<void>;
  /** Another address of a known contact (the same person writing from a new channel). */
  addIdentity(orgId: string, contactId: string, channel: string, externalId: string): Promise<void>;
  /** STOP / START: when an address opted out, or null. False when the address is unknown. */
  setIdentityOptOut(orgId: string, channel: string, externalId: string, at: number | null): Promise<boolean>;
  identityOptOut(orgId: string, channel: string, externalId: string): Promise<number | null>;
  getContact(orgId: string, id: string): Promise<Contact | undefined>;

  /** Staff known by their Slack user id; created on first sight, display name kept current. */
  upsertSlackStaff(orgId: string, slackUserId: string, displayName: string): Promise<Staff>;
  getStaff(orgId: string, id: string): Promise<Staff | undefined>;

  /**
   * Stores a new conversation and returns it as stored: its short reference is drawn again if
   * another conversation of the practice already has it.
   */
  createConversation(conversation: Conversation): Promise<Conversation>;
  getConversation(orgId: string, id: string): Promise<Conversation | undefined>;
  /** The contact's most recent conversation in an inbox, whatever its status. */
  findLatestConversation(orgId: string, inboxId: string, contactId: string): Promise<Conversation | undefined>;
  findConversationBySlackThread(channelId: string, threadTs: string): Promise<Conversation | undefined>;
  updateConversation(orgId: string, id: string, patch: ConversationPatch): Promise<void>;

  /**
   * Inserts unless a message with the same (conversation, clientId) or (org, source, sourceId)
   * exists; then returns that one with created=false. This is what makes retries harmless.
   */
  insertMessage(message: NewMessage): Promise<{ message: Message; created: boolean }>;
  getMessage(orgId: string, id: number): Promise<Message | undefined>;
  firstMessage(orgId: string, conversationId: string): Promise<Message | undefined>;
  setDeliveryStatus(orgId: string, messageId: number, d: { status: string; error?: string | null; externalId?: string }): Promise<void>;
  /** An outbound message by its vendor id (Twilio MessageSid), in any organization. */
  findMessageByExternalId(externalId: string): Promise<Message | undefined>;
  /** Patient-visible messages of a contact in an inbox with id > afterId, oldest first. */
  listContactMessagesAfter(orgId: string, inboxId: string, contactId: string, afterId: number, limit: number): Promise<Message[]>;

  /** Returns the new job id, or undefined when dedupeKey was already used. */
  enqueueJob(job: NewJob): Promise<number | undefined>;
}

export interface JobQueueStore {
  /** Leases up to `limit` due jobs, at most one per queue key, oldest first. */
  claimJobs(now: number, limit: number, leaseMs: number): Promise<Job[]>;
  completeJob(id: number, now: number): Promise<void>;
  retryJob(id: number, runAt: number, error: string, now: number): Promise<void>;
  buryJob(id: number, error: string, now: number): Promise<void>;
  jobCounts(): Promise<JobCounts>;
  /** Finished without doing anything, and not to be retried (e.g. Slack was disconnected): the reason is kept. */
  skipJob(id: number, reason: string, now: number): Promise<void>;
  /** Dead jobs back to pending, e.g. after fixing a Slack token. Returns how many. */
  requeueDeadJobs(now: number): Promise<number>;
}

/**
 * SQLite's word index, written behind the messages by whichever thread writes them: the server's
 * by default, or the patient-message writer thread's once handed over.
 */
export interface DeferredWordIndex {
  /** Indexes every message committed so far (search calls it first). */
  catchUp(): Promise<void>;
  /** Stops indexing here; search asks `catchUp` to index what is pending instead. */
  indexElsewhere(catchUp: () => Promise<void>): void;
  /** Indexes here (again: the other thread stopped). */
  indexHere(): void;
}

/** Tells when cached data keys were dropped (a rotation): other connections must drop theirs. */
export interface DataKeyChanges {
  /** `orgId` undefined: every organization's. */
  subscribe(listener: (orgId: string | undefined) => void): void;
}

export interface Store extends StoreOps, JobQueueStore {
  readonly dialect: Dialect;
  /** SQLite only. */
  readonly wordIndex?: DeferredWordIndex;
  /** SQLite only (the writer thread's connection caches keys too). */
  readonly dataKeyChanges?: DataKeyChanges;
  /** Runs `fn` in one database transaction: all of its writes land, or none. */
  transaction<T>(fn: (tx: StoreOps) => Promise<T>): Promise<T>;
  /** Data-key rotation: a new current key version for the organization; returns it. */
  rotateDataKey(orgId: string): Promise<number>;
  /** Re-seals up to `limit` rows still under an older key version; returns how many (0: done). */
  reencryptBatch(orgId: string, limit: number): Promise<number>;
  /** After re-encryption: older versions are retired (kept wrapped, no longer used). */
  retireOldDataKeys(orgId: string): Promise<void>;
  /** Master-key rotation: re-wraps every data key under `next`; returns how many. */
  rewrapDataKeys(next: MasterKey): Promise<number>;
  close(): Promise<void>;
}
