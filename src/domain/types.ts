/**
 * The core's vocabulary. Pure types: no framework, no database, no vendor SDK.
 * Every record belongs to an organization (a practice); ids are opaque strings except message
 * and job ids, which are increasing integers so clients can resume "after id N".
 */

export type ChannelKind = 'web' | 'sms' | 'email' | 'messenger' | 'whatsapp' | 'viber';
export type ConversationStatus = 'open' | 'resolved';
export type Direction = 'in' | 'out';
/** `note` is internal: visible to staff, never delivered to the patient. */
export type MessageKind = 'message' | 'note';
export type AuthorType = 'contact' | 'staff' | 'system';
/** Where Slack content goes: `notice` sends opaque references only, `full` mirrors messages. */
export type SlackContentMode = 'notice' | 'full';

export interface Organization {
  id: string;
  name: string;
  slug: string;
  createdAt: number;
  settings?: OrganizationSettings;
}

export type Weekday = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';

export interface BusinessHours {
  /** IANA time zone, e.g. America/Chicago. */
  timezone: string;
  days: Record<Weekday, Array<{ open: string; close: string }>>;
  afterHoursMessage: string;
}

export interface InboxSettings {
  greeting: string;
  color: string;
  preChat: { enabled: boolean; fields: Array<'name' | 'email' | 'phone'> };
  businessHours?: BusinessHours;
}

/** Why an administrator allowed patient content into Slack. */
export interface SlackAttestation { kind: 'baa' | 'no_phi'; byStaffId: string; at: number }

export interface Consent {
  id: number;
  contactId: string;
  channel: ChannelKind;
  granted: boolean;
  /** The exact wording the patient was shown. */
  wording: string;
  source: 'patient' | 'staff';
  recordedBy: string | null;
  recordedAt: number;
}

/** Seven years: the longest common US medical-record retention rule; practices may shorten it. */
export const DEFAULT_RETENTION_DAYS = 2557;

export interface OrganizationSettings {
  /** Per patient channel without encryption: send the reply itself, or a notice with a secure link. */
  channelContent?: Partial<Record<'sms' | 'email', 'text' | 'notice'>>;
  /** Message content older than this is deleted (contacts under legal hold excepted). */
  retentionDays?: number;
  /** Overrides SLACK_CONTENT for this practice once an administrator chose. */
  slackContent?: SlackContentMode;
  slackAttestation?: SlackAttestation | null;
}

export interface Inbox {
  id: string;
  orgId: string;
  name: string;
  channel: ChannelKind;
  publicKey: string;
  settings: InboxSettings;
  createdAt: number;
}

export interface Contact {
  id: string;
  orgId: string;
  displayName: string | null;
  email: string | null;
  phone: string | null;
  createdAt: number;
}

export type Role = 'owner' | 'admin' | 'agent';
export type StaffStatus = 'invited' | 'active' | 'disabled';

export interface Staff {
  id: string;
  orgId: string;
  displayName: string;
  slackUserId: string | null;
}

/** A staff member as sign-in and administration see them. Secrets stay in the store layer's
 *  own fields and are fetched only by the auth service. */
export interface StaffAccount extends Staff {
  email: string | null;
  role: Role;
  status: StaffStatus;
  mfaEnrolled: boolean;
  lastLoginAt: number | null;
  createdAt: number;
}

export interface StaffCredentials {
  passwordHash: string | null;
  /** Encrypted. */
  totpSecret: string | null;
  totpLastStep: number | null;
  /** SHA-256 hashes of the unused recovery codes. */
  recoveryCodes: string[];
}

export interface StaffSession {
  idHash: string;
  orgId: string;
  staffId: string;
  csrfToken: string;
  mfaVerifiedAt: number | null;
  createdAt: number;
  lastSeenAt: number;
  expiresAt: number;
  revokedAt: number | null;
}

export interface CannedResponse { id: string; orgId: string; shortcut: string; title: string; body: string }

export type AuditOutcome = 'success' | 'denied' | 'failure';

export interface AuditEvent {
  orgId: string | null;
  at: number;
  actorType: 'staff' | 'system' | 'anonymous' | 'slack';
  actorId: string | null;
  ip: string | null;
  action: string;
  targetType: string | null;
  targetId: string | null;
  outcome: AuditOutcome;
  /** Ids and reasons only; never patient content or secrets. */
  details: Record<string, unknown> | null;
}

export interface Conversation {
  id: string;
  orgId: string;
  inboxId: string;
  contactId: string;
  channel: ChannelKind;
  /** Short opaque reference shown to staff ("7F3K"): carries no PHI, safe for Slack notices. */
  ref: string;
  status: ConversationStatus;
  assigneeId: string | null;
  slackChannelId: string | null;
  slackThreadTs: string | null;
  createdAt: number;
  updatedAt: number;
  lastMessageAt: number;
  resolvedAt: number | null;
  /** Since when the patient has been waiting for a staff answer; null when answered. */
  waitingSince: number | null;
}

/** A file a patient sent, as staff see it listed (the content is fetched separately). */
export interface AttachmentInfo {
  id: string;
  messageId: number;
  filename: string;
  contentType: string;
  size: number;
}

export interface Message {
  id: number;
  orgId: string;
  conversationId: string;
  direction: Direction;
  kind: MessageKind;
  authorType: AuthorType;
  authorStaffId: string | null;
  authorName: string | null;
  body: string;
  /** Patient-side idempotency key (widget client message id). */
  clientId: string | null;
  /** Where the message came from and its id there (e.g. `slack` + message ts): a second key. */
  source: string;
  sourceId: string | null;
  createdAt: number;
  /** Outbound on vendor channels: queued, sent, delivered, undelivered, failed, refused. */
  deliveryStatus?: string | null;
  /** Why delivery failed or was refused (a code or reason, never content). */
  deliveryError?: string | null;
}
