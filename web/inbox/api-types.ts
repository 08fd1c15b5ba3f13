/**
 * The staff inbox HTTP API and WebSocket frames (docs/inbox-api.md), as TypeScript types.
 * Types only, no DOM and no runtime code, so server code may import them too.
 */

export type Channel = 'web' | 'sms' | 'email' | 'messenger' | 'whatsapp' | 'viber';
export type ConversationStatus = 'open' | 'resolved';
export type Role = 'agent' | 'admin' | 'owner';
/** ISO 8601 date-time string. */
export type IsoDateTime = string;

/** Every error answer: `{"error": {"code", "message"}}`. */
export interface ApiErrorBody {
  error: { code: string; message: string };
}

// ---------------------------------------------------------------------------------------------
// Sessions and enrolment

export interface SessionUser {
  id: string;
  /** Null only for colleagues who exist through Slack alone (they cannot sign in). */
  email: string | null;
  displayName: string;
  role: Role;
  orgId: string;
  orgName: string;
}

export interface Session {
  user: SessionUser;
  /** Sent back as `X-CSRF-Token` on every POST, PUT, PATCH and DELETE. */
  csrfToken: string;
  idleTimeoutSeconds: number;
  /** When the session ends regardless of activity. */
  expiresAt: IsoDateTime;
}

export interface LoginRequest {
  email: string;
  password: string;
}
export interface LoginResponse {
  next: 'totp';
}
export type VerifyRequest = { code: string } | { recoveryCode: string };

export interface EnrolInspectRequest {
  token: string;
}
export interface EnrolInspectResponse {
  email: string | null;
  displayName: string;
  role: Role;
  orgName: string;
  /** Base32 TOTP secret, for entering by hand. */
  totpSecret: string;
  otpauthUrl: string;
  /** An SVG document (the QR code of `otpauthUrl`). */
  qrSvg: string;
}
export interface EnrolCompleteRequest {
  token: string;
  displayName: string;
  password: string;
  totpCode: string;
}
export type EnrolCompleteResponse = Session & { recoveryCodes: string[] };

// ---------------------------------------------------------------------------------------------
// Conversations

export interface StaffRef {
  id: string;
  displayName: string;
}

export interface ConversationSummary {
  id: string;
  /** Short public reference, e.g. "7F3K". */
  ref: string;
  status: ConversationStatus;
  channel: Channel;
  inboxId: string;
  inboxName: string;
  contact: { id: string; displayName: string | null };
  assignee: StaffRef | null;
  lastMessageAt: IsoDateTime;
  createdAt: IsoDateTime;
  /** Set while the patient's last message has no staff answer yet. */
  waitingSince: IsoDateTime | null;
  unreadCount: number;
  preview: string;
}

export interface Message {
  id: number;
  conversationId: string;
  direction: 'in' | 'out';
  kind: 'message' | 'note';
  channel: Channel;
  authorName: string | null;
  body: string;
  createdAt: IsoDateTime;
  /** Outbound on vendor channels: queued, sent, delivered, read, undelivered, failed, refused. */
  deliveryStatus?: string | null;
  /** Why delivery failed or was refused: a code, never content. */
  deliveryError?: string | null;
  attachments?: Attachment[];
}

/** A file the patient sent; downloaded from /api/attachments/:id. */
export interface Attachment {
  id: string;
  filename: string;
  contentType: string;
  size: number;
}

export interface Contact {
  id: string;
  displayName: string | null;
  email: string | null;
  phone: string | null;
  /** "YYYY-MM-DD", or null when not on file. */
  dateOfBirth: string | null;
  channels: string[];
  /** Channels a reply can go out on: those of the contact's conversations, plus SMS or e-mail
   *  when the number or address is on file and the practice has that inbox. */
  replyChannels?: string[];
}

export type StatusQuery = 'open' | 'resolved' | 'all';
export type AssigneeQuery = 'any' | 'me' | 'unassigned';

export interface ConversationListQuery {
  status?: StatusQuery;
  assignee?: AssigneeQuery;
  inboxId?: string;
  channel?: Channel;
  /** At most 100. */
  limit?: number;
  cursor?: string;
}
export interface ConversationPage {
  items: ConversationSummary[];
  nextCursor: string | null;
}

export interface ConversationCounts {
  open: number;
  mine: number;
  unassigned: number;
  resolved: number;
}

export interface ConversationDetail {
  conversation: ConversationSummary;
  contact: Contact;
  /** The contact's newest 100 messages across every channel. */
  messages: Message[];
  hasMore: boolean;
}
export interface HistoryPage {
  messages: Message[];
  hasMore: boolean;
}

export interface SendMessageRequest {
  body: string;
  internal: boolean;
  clientId: string;
}
export interface SendMessageResponse {
  message: Message;
}
export interface AssignRequest {
  staffId: string | null;
}
export interface ConversationResponse {
  conversation: ConversationSummary;
}
export interface ReadRequest {
  lastMessageId: number;
}
export interface TypingRequest {
  on: boolean;
}

export interface StaffMember {
  id: string;
  displayName: string;
  role: Role;
}
export interface InboxRef {
  id: string;
  name: string;
  channel: Channel;
}
export interface CannedResponse {
  id: string;
  shortcut: string;
  title: string;
  body: string;
}
export interface CannedResponseInput {
  shortcut: string;
  title: string;
  body: string;
}
export interface ItemList<T> {
  items: T[];
}

// ---------------------------------------------------------------------------------------------
// Administration

export type UserStatus = 'invited' | 'active' | 'disabled';

export interface AdminUser {
  id: string;
  email: string | null;
  displayName: string;
  role: Role;
  status: UserStatus;
  mfaEnrolled: boolean;
  lastLoginAt: IsoDateTime | null;
}
export interface CreateUserRequest {
  email: string;
  role: Role;
  displayName?: string;
}
export interface EnrolmentLink {
  enrolmentUrl: string;
  expiresAt: IsoDateTime;
}
export type CreateUserResponse = EnrolmentLink & { user: AdminUser };
export interface UpdateUserRequest {
  role?: Role;
  disabled?: boolean;
}
export interface UpdateUserResponse {
  user: AdminUser;
}

export type Weekday = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';
export type PreChatField = 'name' | 'email' | 'phone';

export interface OpeningPeriod {
  /** "HH:MM", 24-hour. */
  open: string;
  close: string;
}
export interface BusinessHours {
  /** IANA time zone, e.g. "America/Chicago". */
  timezone: string;
  days: Record<Weekday, OpeningPeriod[]>;
  afterHoursMessage: string;
}
export interface InboxSettings {
  greeting: string;
  /** "#rrggbb". */
  color: string;
  preChat: { enabled: boolean; fields: PreChatField[] };
  /** Absent when the inbox has no business hours (always answered). */
  businessHours?: BusinessHours;
  /** The Slack channel this inbox's threads open in; absent or null: the practice's default. */
  slackChannelId?: string | null;
}
export interface AdminInbox {
  id: string;
  name: string;
  channel: Channel;
  publicKey: string;
  settings: InboxSettings;
  /** The `<script>` tag practices paste into their site. */
  embedSnippet: string;
}
export interface UpdateInboxRequest {
  name?: string;
  settings?: InboxSettings;
}

export type SlackContentMode = 'notice' | 'full';
export type SlackAttestation = 'baa' | 'no_phi';
/** Who attested what, recorded when full content mode was turned on. */
export interface SlackAttestationRecord {
  kind: SlackAttestation;
  byStaffId: string;
  at: IsoDateTime;
}
/** "Add to Slack" mode: the practice's own workspace. */
export interface SlackWorkspaceInfo {
  teamId: string;
  teamName: string;
  status: 'connected' | 'disconnected';
  installedAt: IsoDateTime;
  revokedAt: IsoDateTime | null;
  /** `app_uninstalled`, `tokens_revoked`, or the error Slack gave (`token_revoked`...). */
  revokedReason: string | null;
}
export interface SlackChannelOption { id: string; name: string; isPrivate: boolean; isMember: boolean }
export interface SlackSettings {
  /** `env`: one workspace set on the server; `oauth`: each practice adds its own ("Add to Slack"). Absent: Slack is off. */
  mode?: 'env' | 'oauth';
  workspace?: SlackWorkspaceInfo | null;
  connected: boolean;
  channelId: string | null;
  contentMode: SlackContentMode;
  /** Set while the mode is full. */
  attestation: SlackAttestationRecord | null;
}
export type SlackContentModeRequest = { mode: 'notice' } | { mode: 'full'; attestation: SlackAttestation };

// ---------------------------------------------------------------------------------------------
// Audit trail (owners) and records management

export type AuditActorType = 'staff' | 'system' | 'anonymous' | 'slack';
export type AuditOutcome = 'success' | 'denied' | 'failure';

/** One record of GET /api/audit (newest first). Ids and reasons only, never patient content. */
export interface AuditEntry {
  id: number;
  at: IsoDateTime;
  /** An `AuditActorType`, typed loosely so a new kind still shows. */
  actorType: string;
  actorId: string | null;
  ip: string | null;
  /** "contact.erase", "auth.login", ... */
  action: string;
  targetType: string | null;
  targetId: string | null;
  /** An `AuditOutcome`. */
  outcome: string;
  details: Record<string, unknown> | null;
}
/** GET /api/audit?limit=&before=: `nextBefore` is the `before` of the next (older) page, null at the start. */
export interface AuditPage {
  items: AuditEntry[];
  nextBefore: number | null;
}
/** GET /api/audit/verify: the hash chains checked from the first record. */
export interface AuditVerifyResult {
  ok: boolean;
  records: number;
  chains: number;
  firstBadRecord?: number;
  reason?: string;
}

/** GET and PUT /api/admin/retention (days, 30 to 36 500). */
export interface RetentionSettings {
  retentionDays: number;
}

/** A channel a patient can accept or withdraw (unencrypted ones, and the web chat). */
export type ConsentChannel = 'sms' | 'email' | 'messenger' | 'whatsapp' | 'viber' | 'web';
/** One record of GET /api/contacts/{id}/consents (oldest first; the last per channel is in force). */
export interface ConsentRecord {
  id: number;
  channel: string;
  granted: boolean;
  /** The exact words the patient was shown. */
  wording: string;
  source: string;
  /** Staff id of who recorded it, null when the patient did so themselves. */
  recordedBy: string | null;
  recordedAt: IsoDateTime;
}
export interface ConsentRequest {
  channel: ConsentChannel;
  granted: boolean;
  /** 10 to 2000 characters. */
  wording: string;
}
/** PUT /api/contacts/{id}/legal-hold (there is no GET; an erase under hold answers 409 `legal_hold`). */
export type LegalHoldRequest = { hold: true; reason: string } | { hold: false };
/** PUT /api/contacts/{id}/date-of-birth → 204 (the secure link asks for it before showing anything). */
export interface DateOfBirthRequest {
  /** "YYYY-MM-DD", or null to clear it. */
  dateOfBirth: string | null;
}
/** POST /api/contacts/{id}/merge: this contact (the same person known twice) becomes `intoContactId`. */
export interface MergeContactRequest {
  intoContactId: string;
}
export interface MergeContactResponse {
  contactId: string;
  movedConversations: number;
}
/** How replies go over a channel without end-to-end encryption: as text, or as a notice with a secure link. */
export type ChannelContentMode = 'text' | 'notice';
export type ContentChannel = 'sms' | 'email' | 'messenger' | 'whatsapp' | 'viber';
/** GET /api/admin/channel-content. */
export type ChannelContentSettings = Record<ContentChannel, ChannelContentMode>;
/** PUT /api/admin/channel-content. */
export interface ChannelContentRequest {
  channel: ContentChannel;
  mode: ChannelContentMode;
}
/** DELETE /api/contacts/{id}. */
export interface EraseContactResponse {
  erased: { conversations: number; messages: number };
}

// ---------------------------------------------------------------------------------------------
// WebSocket GET /api/ws

export interface ConversationListFields {
  inboxId: string;
  channel: Channel;
  status: ConversationStatus;
  assigneeId: string | null;
}

export type ServerFrame =
  /** `conversation`: what decides which lists the conversation belongs in; the row itself follows only when it is new or was reopened. */
  | { type: 'message.created'; conversationId: string; conversation?: ConversationListFields; message: Message }
  /** A message changed: its delivery status, or attachments fetched after it arrived. */
  | { type: 'message.updated'; conversationId: string; message: Message }
  /** On connect: the colleagues connected now, on any node. */
  | { type: 'presence.snapshot'; online: string[] }
  | { type: 'presence'; staffId: string; online: boolean }
  | { type: 'conversation.updated'; conversation: ConversationSummary }
  | { type: 'typing'; conversationId: string; who: 'contact' | 'staff'; name?: string; on: boolean }
  | { type: 'session.ended' }
  /** The answer to a client `ping`. */
  | { type: 'pong' }
  /** A client frame the server could not accept. */
  | { type: 'error'; code: string; message: string };

export type ClientFrame = { type: 'typing'; conversationId: string; on: boolean } | { type: 'ping' };
