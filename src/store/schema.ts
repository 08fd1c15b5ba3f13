/**
 * Table shapes as Kysely sees them (camelCase in code, snake_case in SQL via CamelCasePlugin).
 * Timestamps are epoch milliseconds in BIGINT columns, identical on SQLite and PostgreSQL.
 */
import type { Generated } from 'kysely';

export interface OrganizationsTable { id: string; name: string; slug: string; createdAt: number; settings: Generated<string> }

export interface InboxesTable {
  id: string; orgId: string; name: string; channel: string; publicKey: string;
  /** JSON: InboxSettings */
  settings: string;
  createdAt: number;
}

export interface ContactsTable {
  id: string; orgId: string;
  /** Encrypted (AES-256-GCM, organization data key). */
  displayName: string | null; email: string | null; phone: string | null;
  /** Keyed blind indexes (HMAC) of the normalised e-mail and phone, for look-ups. */
  emailIndex: Generated<string | null>; phoneIndex: Generated<string | null>;
  createdAt: number; updatedAt: number;
  legalHoldAt: Generated<number | null>; legalHoldReason: Generated<string | null>;
  /** Sealed, YYYY-MM-DD. */
  dateOfBirth: Generated<string | null>;
}

export interface SecureLinksTable {
  tokenHash: string; orgId: string; conversationId: string; createdAt: number; expiresAt: number;
  codeHash: string | null; codeExpiresAt: number | null; codesSent: Generated<number>; failedAttempts: Generated<number>;
  readerHash: string | null; readerExpiresAt: number | null;
}

export interface ConsentsTable {
  id: Generated<number>; orgId: string; contactId: string; channel: string; granted: number; wording: string;
  source: string; recordedBy: string | null; recordedAt: number;
}

/** E-mail threading (migration 009). */
export interface EmailMessageIdsTable {
  id: Generated<number>; orgId: string; conversationId: string; messageId: number | null; direction: string;
  headerIndex: string; header: string; subject: string | null; createdAt: number;
}

export interface WebhookTokensTable { tokenHash: string; seenAt: number }

export interface DataKeysTable {
  orgId: string; purpose: string; version: number; wrapped: string; masterKeyId: string; createdAt: number; retiredAt: number | null;
}

export interface MessageTermsTable { orgId: string; term: string; messageId: number }
export interface SearchIndexProgressTable { name: string; throughMessageId: number }

export interface ContactIdentitiesTable {
  orgId: string; contactId: string; channel: string;
  /** Blind index (HMAC) of the address: a phone number or e-mail is never stored in the clear. */
  externalId: string; createdAt: number; optedOutAt: Generated<number | null>;
  /** Sealed: where replies go on channels whose id is not a phone or e-mail (Messenger, Viber, WhatsApp). */
  address: Generated<string | null>; lastInboundAt: Generated<number | null>;
}

export interface StaffTable {
  id: string; orgId: string; displayName: string; email: string | null; role: string;
  slackUserId: string | null; createdAt: number; updatedAt: number;
  status: Generated<string>; passwordHash: string | null; totpSecret: string | null; totpEnabledAt: number | null;
  totpLastStep: number | null; recoveryCodes: string | null; lastLoginAt: number | null;
}

export interface EnrolmentTokensTable {
  tokenHash: string; orgId: string; staffId: string; createdAt: number; expiresAt: number; usedAt: number | null;
}

export interface SessionsTable {
  idHash: string; orgId: string; staffId: string; csrfToken: string; mfaVerifiedAt: number | null;
  createdAt: number; lastSeenAt: number; expiresAt: number; revokedAt: number | null; ip: string | null;
}

export interface ConversationReadsTable { orgId: string; staffId: string; conversationId: string; lastReadMessageId: number }

export interface CannedResponsesTable {
  id: string; orgId: string; shortcut: string; title: string; body: string; createdAt: number; updatedAt: number;
}

export interface AuditLogTable {
  id: Generated<number>; orgId: string | null; at: number; actorType: string; actorId: string | null; ip: string | null;
  action: string; targetType: string | null; targetId: string | null; outcome: string; details: string | null;
  prevHash: string | null; hash: string | null;
}

export interface AuditHeadsTable { chain: string; lastId: number; lastHash: string; count: number }

export interface ConversationsTable {
  id: string; orgId: string; inboxId: string; contactId: string; channel: string; ref: string;
  status: string; assigneeId: string | null; slackChannelId: string | null; slackThreadTs: string | null;
  createdAt: number; updatedAt: number; lastMessageAt: number; resolvedAt: number | null; waitingSince: number | null;
}

export interface MessagesTable {
  id: Generated<number>; orgId: string; conversationId: string; direction: string; kind: string;
  authorType: string; authorStaffId: string | null; authorName: string | null; body: string;
  clientId: string | null; source: string; sourceId: string | null; createdAt: number;
  deliveryStatus: Generated<string | null>; deliveryError: Generated<string | null>; externalId: Generated<string | null>;
}

export interface AttachmentsTable {
  id: string; orgId: string; messageId: number;
  /** Sealed: the file name, and the content (base64 before sealing). */
  filename: string; data: string;
  contentType: string; size: number; createdAt: number;
}

export interface JobsTable {
  id: Generated<number>; orgId: string | null; kind: string;
  /** JSON; cleared when the job completes so delivered content does not linger in the queue. */
  payload: string;
  /** Unique when set: a second enqueue with the same key is a no-op (webhook de-duplication). */
  dedupeKey: string | null;
  /** Jobs with the same key run one at a time in id order (per-conversation ordering). */
  queueKey: string;
  status: string; attempts: number; runAt: number; lockedUntil: number | null; lastError: string | null;
  createdAt: number; updatedAt: number;
}

export interface SlackInstallationsTable {
  orgId: string; teamId: string; teamName: string; appId: string | null; botUserId: string; scope: string;
  /** Sealed (organization data key); null once revoked. */
  botToken: string | null;
  status: string; defaultChannelId: string | null; installedBy: string | null; installedAt: number;
  revokedAt: number | null; revokedReason: string | null;
}

export interface SlackOauthStatesTable {
  stateHash: string; orgId: string; staffId: string; sessionHash: string; browserHash: string;
  createdAt: number; expiresAt: number; usedAt: number | null;
}

export interface Database {
  organizations: OrganizationsTable;
  inboxes: InboxesTable;
  contacts: ContactsTable;
  contactIdentities: ContactIdentitiesTable;
  staff: StaffTable;
  conversations: ConversationsTable;
  messages: MessagesTable;
  jobs: JobsTable;
  enrolmentTokens: EnrolmentTokensTable;
  sessions: SessionsTable;
  conversationReads: ConversationReadsTable;
  cannedResponses: CannedResponsesTable;
  auditLog: AuditLogTable;
  auditHeads: AuditHeadsTable;
  dataKeys: DataKeysTable;
  messageTerms: MessageTermsTable;
  searchIndexProgress: SearchIndexProgressTable;
  consents: ConsentsTable;
  secureLinks: SecureLinksTable;
  emailMessageIds: EmailMessageIdsTable;
  webhookTokens: WebhookTokensTable;
  attachments: AttachmentsTable;
  slackInstallations: SlackInstallationsTable;
  slackOauthStates: SlackOauthStatesTable;
}
