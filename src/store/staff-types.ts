/** Store contracts for staff accounts, sessions, the inbox's list queries and the audit log. */
import type {
  AttachmentInfo, AuditEvent, CannedResponse, ChannelKind, Consent, Conversation, Message, Role, StaffAccount, StaffCredentials, StaffSession, StaffStatus,
} from '../domain/types.ts';

export interface NewStaffAccount {
  id: string; orgId: string; email: string; displayName: string; role: Role; status: StaffStatus;
}

export interface AuthStoreOps {
  createAccount(account: NewStaffAccount, now: number): Promise<void>;
  /** Any organization: e-mail addresses are unique across the installation. */
  findAccountByEmail(email: string): Promise<StaffAccount | undefined>;
  getAccount(orgId: string, id: string): Promise<StaffAccount | undefined>;
  listAccounts(orgId: string): Promise<StaffAccount[]>;
  updateAccount(orgId: string, id: string, patch: Partial<Pick<StaffAccount, 'role' | 'status' | 'displayName' | 'lastLoginAt'>>): Promise<void>;
  getCredentials(orgId: string, id: string): Promise<StaffCredentials | undefined>;
  setCredentials(orgId: string, id: string, c: Partial<StaffCredentials> & { totpEnabledAt?: number | null }): Promise<void>;
  /** Accepts a TOTP step only if it is newer than the last one accepted (no replay); atomic. */
  advanceTotpStep(orgId: string, id: string, step: number): Promise<boolean>;
  /** Removes one recovery code hash if present; true when it was there (single use, atomic). */
  consumeRecoveryCode(orgId: string, id: string, codeHash: string): Promise<boolean>;

  createEnrolmentToken(t: { tokenHash: string; orgId: string; staffId: string; createdAt: number; expiresAt: number }): Promise<void>;
  findEnrolmentToken(tokenHash: string): Promise<{ orgId: string; staffId: string; expiresAt: number; usedAt: number | null } | undefined>;
  /** Marks it used if it was unused; false when someone used it first. */
  useEnrolmentToken(tokenHash: string, now: number): Promise<boolean>;
  /** Every unused link of an account stops working (a new one was issued). */
  revokeEnrolmentTokens(staffId: string, now: number): Promise<void>;

  createSession(s: StaffSession & { ip: string | null }): Promise<void>;
  findSession(idHash: string): Promise<StaffSession | undefined>;
  touchSession(idHash: string, now: number, patch?: { mfaVerifiedAt?: number }): Promise<void>;
  revokeSession(idHash: string, now: number): Promise<void>;
  revokeAllSessions(staffId: string, now: number): Promise<number>;
}

export interface ConversationListQuery {
  orgId: string;
  staffId: string;
  status: 'open' | 'resolved' | 'all';
  assignee: 'any' | 'me' | 'unassigned';
  inboxId?: string;
  channel?: ChannelKind;
  limit: number;
  /** Keyset cursor: continue after this (lastMessageAt, id). */
  after?: { lastMessageAt: number; id: string };
}

export interface ConversationRow extends Conversation {
  inboxName: string;
  contactName: string | null;
  assigneeName: string | null;
  unreadCount: number;
  preview: string;
}

export interface InboxStoreOps {
  listConversations(q: ConversationListQuery): Promise<ConversationRow[]>;
  /**
   * `known`: the conversation's newest message, just committed and held opened by the caller (a
   * live event): it is the preview, so nothing is looked up or opened for it. Should a newer one
   * exist already, its own event follows with the right preview.
   */
  conversationRow(orgId: string, staffId: string, id: string, known?: { id: number; body: string }): Promise<ConversationRow | undefined>;
  countConversations(orgId: string, staffId: string): Promise<{ open: number; mine: number; unassigned: number; resolved: number }>;
  /** The contact's messages across all their conversations (every channel), newest `limit` before `beforeId`, oldest first. */
  contactHistory(orgId: string, contactId: string, limit: number, beforeId?: number): Promise<Array<Message & { channel: ChannelKind }>>;
  contactChannels(orgId: string, contactId: string): Promise<ChannelKind[]>;
  /** Messages containing every word of `text` (through the blind word index), newest first. */
  searchMessages(orgId: string, text: string, limit: number): Promise<Array<Message & { channel: ChannelKind }>>;
  markRead(orgId: string, staffId: string, conversationId: string, lastMessageId: number): Promise<void>;

  listCanned(orgId: string): Promise<CannedResponse[]>;
  createCanned(c: CannedResponse): Promise<boolean>;
  updateCanned(orgId: string, id: string, patch: Partial<Pick<CannedResponse, 'shortcut' | 'title' | 'body'>>): Promise<boolean>;
  deleteCanned(orgId: string, id: string): Promise<boolean>;
}

export interface AuditVerification {
  ok: boolean;
  records: number;
  chains: number;
  firstBad?: { id: number; chain: string; reason: string };
}

export interface AuditStoreOps {
  /** Appends to the organization's hash chain (atomically with the caller's transaction). */
  append(event: AuditEvent): Promise<void>;
  /** Recomputes every chain (or one organization's); names the first record that breaks one. */
  verify(orgId?: string): Promise<AuditVerification>;
  list(orgId: string, limit: number, beforeId?: number): Promise<Array<AuditEvent & { id: number }>>;
}

export interface NewAttachment {
  id: string; orgId: string; messageId: number; filename: string; contentType: string; data: Buffer; createdAt: number;
}

export interface AttachmentStoreOps {
  /** False when an attachment with this id exists already (a repeated fetch). */
  insert(attachment: NewAttachment): Promise<boolean>;
  /** What the inbox lists under each message; no content. */
  listForMessages(orgId: string, messageIds: number[]): Promise<AttachmentInfo[]>;
  get(orgId: string, id: string): Promise<(AttachmentInfo & { data: Buffer }) | undefined>;
  /** Data-key rotation: re-seals up to `limit` attachments not under `currentPrefix`; returns how many. */
  reencryptBatch(orgId: string, currentPrefix: string, limit: number): Promise<number>;
}

export interface RecordsStoreOps {
  /** Null lifts the hold. False when the contact does not exist in the organization. */
  setLegalHold(orgId: string, contactId: string, hold: { reason: string; at: number } | null): Promise<boolean>;
  legalHold(orgId: string, contactId: string): Promise<{ at: number; reason: string } | null>;
  addConsent(orgId: string, consent: Omit<Consent, 'id'>): Promise<Consent>;
  listConsents(orgId: string, contactId: string): Promise<Consent[]>;
  /** Deletes up to `limit` messages older than `before`, skipping contacts under legal hold. */
  deleteExpiredMessages(orgId: string, before: number, limit: number): Promise<number>;
  conversationsOfContact(orgId: string, contactId: string): Promise<Conversation[]>;
  messagesOfConversations(orgId: string, conversationIds: string[]): Promise<Message[]>;
  /** Removes the contact and everything about them (conversations, messages, consents, queued deliveries). */
  eraseContact(orgId: string, contactId: string): Promise<{ conversations: number; messages: number }>;
  /**
   * Moves everything of `fromId` (addresses, conversations, consents, legal hold) to `intoId` and
   * removes `fromId`. Fields `intoId` lacks (name, e-mail, phone, date of birth) are taken from `fromId`.
   */
  mergeContacts(orgId: string, fromId: string, intoId: string): Promise<{ conversations: number }>;
  setDateOfBirth(orgId: string, contactId: string, dateOfBirth: string | null): Promise<boolean>;
  dateOfBirth(orgId: string, contactId: string): Promise<string | null>;
  createSecureLink(link: SecureLink): Promise<void>;
  findSecureLink(tokenHash: string): Promise<SecureLink | undefined>;
  updateSecureLink(tokenHash: string, patch: Partial<Omit<SecureLink, 'tokenHash' | 'orgId' | 'conversationId'>>): Promise<void>;
  /** Destroys the organization's keys, then its rows. */
  deleteOrganization(orgId: string): Promise<void>;
}

export interface SecureLink {
  tokenHash: string;
  orgId: string;
  conversationId: string;
  createdAt: number;
  expiresAt: number;
  codeHash: string | null;
  codeExpiresAt: number | null;
  codesSent: number;
  failedAttempts: number;
  readerHash: string | null;
  readerExpiresAt: number | null;
}
