/**
 * Builders for the JSON shapes Slack puts on the wire. Each follows a published Slack reference
 * page or example payload (see README.md in this folder); field names are Slack's, unchanged.
 */
import { randomBytes, randomUUID } from 'node:crypto';

export interface SlackIdentity {
  teamId: string;
  teamDomain: string;
  teamName: string;
  botUserId: string;
  botId: string;
  appId: string;
  botName: string;
  /** The deprecated verification token Slack still puts in every payload's `token` field. */
  verificationToken: string;
}

export interface MessageMetadata {
  event_type: string;
  event_payload: Record<string, unknown>;
}

/** One message as the emulator stores it: both top-level messages and thread replies. */
export interface StoredMessage {
  channel: string;
  ts: string;
  thread_ts?: string;
  text: string;
  blocks?: unknown[];
  attachments?: unknown[];
  metadata?: MessageMetadata;
  /** Set for messages the app's bot posted; undefined for people. */
  bot_id?: string;
  user: string;
  subtype?: string;
  client_msg_id?: string;
  edited?: { user: string; ts: string };
  reply_broadcast?: boolean;
  unfurl_links?: boolean;
  unfurl_media?: boolean;
}

export interface SlackUser {
  id: string;
  name: string;
  realName: string;
  displayName: string;
  isBot: boolean;
  email?: string;
  tz?: string;
  tzLabel?: string;
  tzOffset?: number;
  deleted?: boolean;
  updated: number;
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const UPPER_ALNUM = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';

function randomChars(alphabet: string, length: number): string {
  const bytes = randomBytes(length);
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[bytes[i]! % alphabet.length];
  return out;
}

/** Event ids look like `Ev043T7CKN84`. */
export function newEventId(): string {
  return `Ev${randomChars(UPPER_ALNUM, 10)}`;
}

/** Short block ids like Slack generates for rich_text blocks (`u6n`, `7/i8g`). */
export function newBlockId(): string {
  return randomChars(BASE62, 5);
}

/** trigger_id: `<digits>.<digits>.<32 hex>`. */
export function newTriggerId(): string {
  const digits = (n: number) => randomChars('0123456789', n);
  return `${digits(13)}.${digits(13)}.${randomBytes(16).toString('hex')}`;
}

/** Slack escapes these three characters in the `text` of messages people type. */
export function escapeSlackText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The rich_text block Slack attaches to a message typed in the client. */
export function richTextBlocks(rawText: string): unknown[] {
  return [
    {
      type: 'rich_text',
      block_id: newBlockId(),
      elements: [{ type: 'rich_text_section', elements: [{ type: 'text', text: rawText }] }],
    },
  ];
}

export function botProfile(ids: SlackIdentity, updated: number): Record<string, unknown> {
  return {
    id: ids.botId,
    deleted: false,
    name: ids.botName,
    updated,
    app_id: ids.appId,
    icons: {
      image_36: 'https://a.slack-edge.com/80588/img/plugins/app/bot_36.png',
      image_48: 'https://a.slack-edge.com/80588/img/plugins/app/bot_48.png',
      image_72: 'https://a.slack-edge.com/80588/img/plugins/app/service_72.png',
    },
    team_id: ids.teamId,
  };
}

/** `authorizations` entry of an Events API envelope, for a bot-token installation. */
export function authorizations(ids: SlackIdentity): unknown[] {
  return [
    {
      enterprise_id: null,
      team_id: ids.teamId,
      user_id: ids.botUserId,
      is_bot: true,
      is_enterprise_install: false,
    },
  ];
}

/** Opaque `event_context`; Slack's is a `4-` prefix and a base64 JSON blob. */
export function eventContext(ids: SlackIdentity, event: Record<string, unknown>): string {
  const blob = {
    et: typeof event.type === 'string' ? event.type : 'message',
    tid: ids.teamId,
    aid: ids.appId,
    cid: typeof event.channel === 'string' ? event.channel : undefined,
  };
  return `4-${Buffer.from(JSON.stringify(blob)).toString('base64url')}`;
}

/** The `event_callback` envelope of the Events API. */
export function eventCallbackEnvelope(
  ids: SlackIdentity,
  event: Record<string, unknown>,
  eventId: string,
  eventTime: number,
): Record<string, unknown> {
  return {
    token: ids.verificationToken,
    team_id: ids.teamId,
    context_team_id: ids.teamId,
    context_enterprise_id: null,
    api_app_id: ids.appId,
    event,
    type: 'event_callback',
    event_id: eventId,
    event_time: eventTime,
    authorizations: authorizations(ids),
    is_ext_shared_channel: false,
    event_context: eventContext(ids, event),
  };
}

/** users.info `user` object (shape of the users.info reference example). */
export function userObject(ids: SlackIdentity, user: SlackUser): Record<string, unknown> {
  const [firstName, ...rest] = user.realName.split(' ');
  const profile: Record<string, unknown> = {
    title: '',
    phone: '',
    skype: '',
    real_name: user.realName,
    real_name_normalized: user.realName,
    display_name: user.displayName,
    display_name_normalized: user.displayName,
    fields: null,
    status_text: '',
    status_emoji: '',
    status_emoji_display_info: [],
    status_expiration: 0,
    avatar_hash: 'g000000000000',
    first_name: firstName ?? '',
    last_name: rest.join(' '),
    team: ids.teamId,
  };
  if (user.email !== undefined) profile.email = user.email;
  if (user.isBot && user.id === ids.botUserId) {
    profile.bot_id = ids.botId;
    profile.api_app_id = ids.appId;
    profile.always_active = true;
  }
  return {
    id: user.id,
    team_id: ids.teamId,
    name: user.name,
    deleted: user.deleted ?? false,
    color: '9f69e7',
    real_name: user.realName,
    tz: user.tz ?? 'America/New_York',
    tz_label: user.tzLabel ?? 'Eastern Standard Time',
    tz_offset: user.tzOffset ?? -18000,
    profile,
    is_admin: false,
    is_owner: false,
    is_primary_owner: false,
    is_restricted: false,
    is_ultra_restricted: false,
    is_bot: user.isBot,
    is_app_user: false,
    updated: user.updated,
    is_email_confirmed: !user.isBot,
    has_2fa: false,
    who_can_share_contact_card: 'EVERYONE',
  };
}

export interface ThreadSummary {
  reply_count: number;
  reply_users_count: number;
  latest_reply: string;
  reply_users: string[];
}

export interface SerializeOptions {
  includeMetadata: boolean;
  parentUser?: string;
  thread?: ThreadSummary;
  updated: number;
}

/**
 * A stored message as Slack returns it from conversations.history / conversations.replies and
 * in chat.postMessage's `message` (bot posts carry bot_id, app_id and bot_profile; people's
 * messages carry client_msg_id and blocks).
 */
export function serializeMessage(ids: SlackIdentity, msg: StoredMessage, opts: SerializeOptions): Record<string, unknown> {
  const out: Record<string, unknown> = { user: msg.user, type: 'message', ts: msg.ts };
  if (msg.subtype !== undefined) out.subtype = msg.subtype;
  if (msg.bot_id !== undefined) {
    out.bot_id = msg.bot_id;
    out.app_id = ids.appId;
  }
  if (msg.client_msg_id !== undefined) out.client_msg_id = msg.client_msg_id;
  out.text = msg.text;
  out.team = ids.teamId;
  if (msg.edited !== undefined) out.edited = { ...msg.edited };
  if (msg.bot_id !== undefined) out.bot_profile = botProfile(ids, opts.updated);
  if (opts.thread !== undefined) {
    out.thread_ts = msg.ts;
    out.reply_count = opts.thread.reply_count;
    out.reply_users_count = opts.thread.reply_users_count;
    out.latest_reply = opts.thread.latest_reply;
    out.reply_users = [...opts.thread.reply_users];
    out.is_locked = false;
    out.subscribed = false;
  } else if (msg.thread_ts !== undefined && msg.thread_ts !== msg.ts) {
    out.thread_ts = msg.thread_ts;
    if (opts.parentUser !== undefined) out.parent_user_id = opts.parentUser;
  }
  if (msg.attachments !== undefined) out.attachments = structuredClone(msg.attachments);
  if (msg.blocks !== undefined) out.blocks = structuredClone(msg.blocks);
  if (opts.includeMetadata && msg.metadata !== undefined) out.metadata = structuredClone(msg.metadata);
  return out;
}

/** `message` event for a stored message: the serialized message plus channel, event_ts, channel_type. */
export function messageEvent(message: Record<string, unknown>, channel: string, ts: string): Record<string, unknown> {
  return { ...message, channel, event_ts: ts, channel_type: 'channel' };
}

export function newClientMsgId(): string {
  return randomUUID();
}
