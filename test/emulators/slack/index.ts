/**
 * A Slack emulator for tests, the demo and benchmarks.
 *
 * - Serves the Web API at `POST /api/<method>` (form-urlencoded or JSON, Bearer token) with
 *   Slack's response shapes and error codes.
 * - Sends the app signed callbacks exactly as Slack does: Events API `event_callback` envelopes,
 *   `url_verification`, `block_actions` interaction payloads and slash commands.
 * - Injects faults: HTTP 429 + Retry-After, 5xx, `ok:false` errors, a full outage, and a call that
 *   is applied but never answered.
 *
 * See README.md in this folder for which Slack reference each shape follows.
 */
import http from 'node:http';
import { errorMessage, readBody, sendJson as sendJsonAs } from '../shared/http.ts';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { signSlackRequest } from './signing.ts';
import {
  type MessageMetadata,
  type SlackIdentity,
  type SlackUser,
  type StoredMessage,
  type ThreadSummary,
  escapeSlackText,
  eventCallbackEnvelope,
  messageEvent,
  newBlockId,
  newClientMsgId,
  newEventId,
  newTriggerId,
  richTextBlocks,
  serializeMessage,
  userObject,
} from './payloads.ts';

/** Slack answers JSON with an explicit charset. */
const sendJson = (res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) =>
  sendJsonAs(res, status, body, headers, 'application/json; charset=utf-8');

export { signSlackRequest } from './signing.ts';
export type { MessageMetadata, StoredMessage } from './payloads.ts';

export interface SlackEmulatorOptions {
  /** Bearer token the app must present (xoxb-...). */
  botToken: string;
  /** Used to sign callbacks the emulator sends to the app. */
  signingSecret: string;
  /** The app's `POST /slack/events` URL; can be set later via setEventsUrl. */
  eventsUrl?: string;
  /** Where block_actions payloads go; defaults to eventsUrl. */
  interactionsUrl?: string;
  /** Where slash commands go; defaults to eventsUrl. */
  commandsUrl?: string;
  /** Default 0 (ephemeral). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  teamId?: string;
  teamDomain?: string;
  teamName?: string;
  botUserId?: string;
  botId?: string;
  appId?: string;
  botName?: string;
  /** The deprecated verification token Slack puts in payloads' `token` field. */
  verificationToken?: string;
  /** Like real Slack: when the bot posts, send the app a `message` event with bot_id. Default false. */
  echoBotMessages?: boolean;
  /** Serve the JSON control API under `/_emulator/` (used by cli.ts). Default false. */
  controlApi?: boolean;
  /** Timeout for each callback the emulator sends to the app. Default 10 000 ms. */
  callbackTimeoutMs?: number;
}

export interface AddUserInput {
  id: string;
  name: string;
  realName?: string;
  displayName?: string;
  isBot?: boolean;
  email?: string;
  tz?: string;
  tzLabel?: string;
  tzOffset?: number;
  deleted?: boolean;
}

/** Inspection record of one stored message (top-level or thread reply). */
export type Post = StoredMessage;

export interface UpdateRecord {
  channel: string;
  ts: string;
  text?: string;
  blocks?: unknown[];
  metadata?: MessageMetadata;
}

export interface CallRecord {
  method: string;
  /** Parsed arguments (JSON-encoded form fields such as `blocks` stay as sent), token removed. */
  args: Record<string, unknown>;
  /** HTTP status sent; 0 while unanswered (hangNext). */
  status: number;
  ok?: boolean;
  error?: string;
  hung?: boolean;
}

/**
 * A fault for the next call(s) of a method:
 * `{status: 429, retryAfter: 1}` (HTTP 429 + Retry-After), `{status: 500}` (HTTP 5xx) or
 * `{error: 'ratelimited'}` (HTTP 200 with `ok:false`). `times` defaults to 1.
 */
export interface ApiFault {
  status?: number;
  retryAfter?: number;
  error?: string;
  times?: number;
}

export interface SendResult {
  status: number;
  body: string;
  headers: Record<string, string>;
  /** Set when no HTTP response arrived (connection refused, timeout). status is then 0. */
  error?: string;
}

export interface SentRecord {
  kind: 'event' | 'url_verification' | 'block_actions' | 'slash_command';
  url: string;
  body: string;
  headers: Record<string, string>;
  status: number;
  responseBody: string;
  error?: string;
}

export interface ResponseUrlPost {
  path: string;
  body: unknown;
}

export interface SendOptions {
  eventId?: string;
  /** Adds X-Slack-Retry-Num (and X-Slack-Retry-Reason, default `http_timeout`). */
  retryNum?: number;
  retryReason?: string;
  /** X-Slack-Request-Timestamp in seconds; pass an old one for replay tests. */
  timestamp?: number;
  /** Sign with this secret instead of the configured one. */
  signingSecret?: string;
  /** Send this X-Slack-Signature verbatim (forged signature tests). */
  signature?: string;
  /** Override the destination URL. */
  url?: string;
  /** event_time in the envelope (seconds); defaults to now. */
  eventTime?: number;
  timeoutMs?: number;
}

export interface RetryDeliveryOptions extends Omit<SendOptions, 'retryNum' | 'retryReason'> {
  /** How long Slack waits for an answer before counting an attempt as failed. Default 3000 ms. */
  ackTimeoutMs?: number;
  /** Delays before each retry. Slack: immediately, after 1 min, after 5 min. */
  retryDelaysMs?: number[];
}

export interface StaffReplyInput {
  /** Defaults to the channel that holds the message `threadTs`. */
  channel?: string;
  threadTs: string;
  user: string;
  text: string;
  eventId?: string;
  ts?: string;
  send?: SendOptions;
}

export interface HumanMessageInput {
  channel: string;
  user: string;
  text: string;
  threadTs?: string;
  ts?: string;
}

export interface BotMessageInput {
  channel: string;
  text: string;
  threadTs?: string;
  blocks?: unknown[];
  ts?: string;
}

export interface EditInput {
  channel: string;
  ts: string;
  text: string;
  /** Who edited; defaults to the message's author. */
  user?: string;
}

export interface DeleteInput {
  channel: string;
  ts: string;
}

export interface BlockActionInput {
  user: string;
  actionId: string;
  value?: string;
  channel: string;
  messageTs: string;
  threadTs?: string;
  /** Defaults to the block holding `actionId` in the stored message, else a generated id. */
  blockId?: string;
  send?: SendOptions;
}

export interface SlashCommandInput {
  command: string;
  text: string;
  userId: string;
  userName?: string;
  channelId: string;
  channelName?: string;
  send?: SendOptions;
}

interface Handled {
  body: Record<string, unknown>;
  after?: () => void;
}

class ApiError extends Error {
  constructor(readonly code: string) {
    super(code);
  }
}


function compareTs(a: string, b: string): number {
  const [as = '0', af = '0'] = a.split('.');
  const [bs = '0', bf = '0'] = b.split('.');
  const ds = Number(as) - Number(bs);
  if (ds !== 0) return ds;
  return Number(af.padEnd(6, '0')) - Number(bf.padEnd(6, '0'));
}

function str(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

function bool(v: unknown): boolean {
  return v === true || v === 1 || v === 'true' || v === '1';
}

function jsonArg(v: unknown, error: string): unknown {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v);
  } catch {
    throw new ApiError(error);
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function formEncode(fields: Array<[string, string]>): string {
  return new URLSearchParams(fields).toString();
}

export class SlackEmulator {
  readonly apiUrl: string;
  readonly url: string;
  readonly port: number;
  /** Every API call, in arrival order. */
  readonly calls: CallRecord[] = [];
  /** Every successful chat.update. */
  readonly updates: UpdateRecord[] = [];
  /** Every callback sent to the app. */
  readonly sent: SentRecord[] = [];
  /** Bodies the app POSTed to response_url links. */
  readonly responseUrlPosts: ResponseUrlPost[] = [];

  private readonly ids: SlackIdentity;
  private readonly opts: SlackEmulatorOptions;
  private eventsUrl: string | undefined;
  private interactionsUrl: string | undefined;
  private commandsUrl: string | undefined;
  private readonly byChannel = new Map<string, StoredMessage[]>();
  private readonly byKey = new Map<string, StoredMessage>();
  private readonly channels = new Map<string, string>();
  private readonly users = new Map<string, SlackUser>();
  private readonly faults = new Map<string, Array<Required<Pick<ApiFault, 'times'>> & ApiFault>>();
  private readonly hangs = new Map<string, number>();
  private readonly delays = new Map<string, number[]>();
  private readonly heldResponses = new Set<http.ServerResponse>();
  private readonly inflight = new Set<AbortController>();
  private outage = false;
  private lastTsMicros = 0n;
  private readonly startedAt = Math.floor(Date.now() / 1000);
  private closed = false;

  private constructor(
    private readonly server: http.Server,
    opts: SlackEmulatorOptions,
    port: number,
    host: string,
  ) {
    this.opts = opts;
    this.port = port;
    this.url = `http://${host}:${port}`;
    this.apiUrl = `${this.url}/api/`;
    this.eventsUrl = opts.eventsUrl;
    this.interactionsUrl = opts.interactionsUrl;
    this.commandsUrl = opts.commandsUrl;
    this.ids = {
      teamId: opts.teamId ?? 'T0BEDSIDE1',
      teamDomain: opts.teamDomain ?? 'bedside-emulator',
      teamName: opts.teamName ?? 'Bedside Emulator',
      botUserId: opts.botUserId ?? 'U0BEDSIDEB',
      botId: opts.botId ?? 'B0BEDSIDEB',
      appId: opts.appId ?? 'A0BEDSIDEA',
      botName: opts.botName ?? 'bedside',
      verificationToken: opts.verificationToken ?? randomBytes(12).toString('hex').slice(0, 24),
    };
    this.addBotUser();
  }

  /** @internal */
  static async start(opts: SlackEmulatorOptions): Promise<SlackEmulator> {
    const host = opts.host ?? '127.0.0.1';
    const ref: { emu?: SlackEmulator } = {};
    const server = http.createServer((req, res) => {
      const emu = ref.emu;
      if (!emu) {
        res.writeHead(503).end();
        return;
      }
      emu.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) sendJson(res, 500, { ok: false, error: 'internal_error', detail: String(err) });
        else res.destroy();
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port ?? 0, host, () => resolve());
    });
    const port = (server.address() as AddressInfo).port;
    ref.emu = new SlackEmulator(server, opts, port, host);
    return ref.emu;
  }

  // ---------------------------------------------------------------- configuration

  get teamId(): string {
    return this.ids.teamId;
  }
  get botUserId(): string {
    return this.ids.botUserId;
  }
  get botId(): string {
    return this.ids.botId;
  }
  get appId(): string {
    return this.ids.appId;
  }
  get verificationToken(): string {
    return this.ids.verificationToken;
  }
  get teamName(): string {
    return this.ids.teamName;
  }
  /** The bot token this workspace accepts (what an OAuth install hands the app). */
  get botToken(): string {
    return this.opts.botToken;
  }

  setEventsUrl(url: string | undefined): void {
    this.eventsUrl = url;
  }
  setInteractionsUrl(url: string | undefined): void {
    this.interactionsUrl = url;
  }
  setCommandsUrl(url: string | undefined): void {
    this.commandsUrl = url;
  }

  /**
   * Registers a channel. Until the first call, any channel id starting with C is accepted;
   * afterwards only registered channels exist (others give `channel_not_found`).
   */
  addChannel(id: string, name = 'bedside-inbox'): void {
    this.channels.set(id, name);
  }

  addUser(input: AddUserInput): void {
    this.users.set(input.id, {
      id: input.id,
      name: input.name,
      realName: input.realName ?? input.name,
      displayName: input.displayName ?? input.name,
      isBot: input.isBot ?? false,
      email: input.email,
      tz: input.tz,
      tzLabel: input.tzLabel,
      tzOffset: input.tzOffset,
      deleted: input.deleted,
      updated: Math.floor(Date.now() / 1000),
    });
  }

  /** Forgets messages, calls, faults and deliveries; keeps users, channels and URLs. */
  reset(): void {
    this.byChannel.clear();
    this.byKey.clear();
    this.calls.length = 0;
    this.updates.length = 0;
    this.sent.length = 0;
    this.responseUrlPosts.length = 0;
    this.faults.clear();
    this.hangs.clear();
    this.delays.clear();
    this.outage = false;
  }

  // ---------------------------------------------------------------- fault injection

  /** The next `times` calls (default 1) to `method` (or `*` for any) fail as described. */
  failNext(method: string, fault: ApiFault): void {
    const list = this.faults.get(method) ?? [];
    list.push({ ...fault, times: fault.times ?? 1 });
    this.faults.set(method, list);
  }

  /** While on, every Web API call answers HTTP 503, as when Slack is down. */
  setOutage(on: boolean): void {
    this.outage = on;
  }

  /** The next call(s) to `method` are applied but never answered; the socket stays open until close(). */
  hangNext(method: string, times = 1): void {
    this.hangs.set(method, (this.hangs.get(method) ?? 0) + times);
  }

  /** The next call(s) to `method` are applied at once but answered only after `ms` (a slow Slack). */
  delayNext(method: string, ms: number, times = 1): void {
    this.delays.set(method, [...(this.delays.get(method) ?? []), ...Array<number>(times).fill(ms)]);
  }

  // ---------------------------------------------------------------- inspection

  /** Every stored message (top-level and thread replies), oldest first. */
  posts(channel?: string): Post[] {
    const list = channel !== undefined
      ? [...(this.byChannel.get(channel) ?? [])]
      : [...this.byChannel.values()].flat().sort((a, b) => compareTs(a.ts, b.ts));
    return list.map((m) => structuredClone(m));
  }

  /** The stored message with this ts, if any. */
  message(channel: string, ts: string): Post | undefined {
    const m = this.byKey.get(`${channel}:${ts}`);
    return m ? structuredClone(m) : undefined;
  }

  /** Polls `fn` every 20 ms until it returns something other than undefined, null or false. */
  async waitFor<T>(fn: () => T | undefined | null | false, timeoutMs = 5000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = fn();
      if (v !== undefined && v !== null && v !== false) return v;
      if (Date.now() >= deadline) throw new Error(`waitFor: condition not met within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  // ---------------------------------------------------------------- callbacks to the app

  /** Wraps `event` in an `event_callback` envelope, signs it and POSTs it to the events URL. */
  async sendEvent(event: Record<string, unknown>, opts: SendOptions = {}): Promise<SendResult & { eventId: string }> {
    const eventId = opts.eventId ?? newEventId();
    const envelope = eventCallbackEnvelope(this.ids, event, eventId, opts.eventTime ?? Math.floor(Date.now() / 1000));
    const result = await this.deliver('event', this.requireUrl(opts.url ?? this.eventsUrl, 'eventsUrl'), JSON.stringify(envelope), 'application/json', opts);
    return { ...result, eventId };
  }

  /**
   * Delivers an event the way Slack's Events API does: if the app does not answer 2xx within
   * `ackTimeoutMs` (Slack: 3 s), it retries up to three times with the same event_id and
   * X-Slack-Retry-Num 1..3, X-Slack-Retry-Reason `http_timeout` / `http_error` / `connection_failed`.
   * A response carrying `X-Slack-No-Retry: 1` stops the retries.
   */
  async sendEventWithRetries(event: Record<string, unknown>, opts: RetryDeliveryOptions = {}): Promise<SendResult[]> {
    const eventId = opts.eventId ?? newEventId();
    const eventTime = opts.eventTime ?? Math.floor(Date.now() / 1000);
    const delays = opts.retryDelaysMs ?? [0, 60_000, 300_000];
    const results: SendResult[] = [];
    let reason: string | undefined;
    for (let attempt = 0; attempt <= delays.length; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, delays[attempt - 1]));
      const r = await this.sendEvent(event, {
        ...opts,
        eventId,
        eventTime,
        timeoutMs: opts.ackTimeoutMs ?? 3000,
        ...(attempt > 0 ? { retryNum: attempt, retryReason: reason } : {}),
      });
      results.push(r);
      if (r.status >= 200 && r.status < 300) break;
      if (r.headers['x-slack-no-retry'] === '1') break;
      if (r.status === 0) reason = /timeout|abort/i.test(r.error ?? '') ? 'http_timeout' : 'connection_failed';
      else reason = 'http_error';
    }
    return results;
  }

  /** The Events API `url_verification` handshake. */
  async sendUrlVerification(challenge: string, opts: SendOptions = {}): Promise<SendResult> {
    const body = JSON.stringify({ token: this.ids.verificationToken, challenge, type: 'url_verification' });
    return this.deliver('url_verification', this.requireUrl(opts.url ?? this.eventsUrl, 'eventsUrl'), body, 'application/json', opts);
  }

  /** Stores a message typed by a person (as Slack would) and returns its `message` event. */
  humanMessage(input: HumanMessageInput): Record<string, unknown> {
    const ts = input.ts ?? this.nextTs();
    const stored: StoredMessage = {
      channel: input.channel,
      ts,
      ...(input.threadTs !== undefined ? { thread_ts: input.threadTs } : {}),
      text: escapeSlackText(input.text),
      blocks: richTextBlocks(input.text),
      user: input.user,
      client_msg_id: newClientMsgId(),
    };
    this.store(stored);
    return this.eventFor(stored);
  }

  /**
   * A person's reply in a thread, exactly as Slack sends it: stored in the channel history,
   * then delivered as a signed `message` event.
   */
  async staffReply(input: StaffReplyInput): Promise<SendResult & { eventId: string; event: Record<string, unknown> }> {
    const channel = input.channel ?? this.channelOf(input.threadTs);
    if (channel === undefined) throw new Error(`staffReply: no stored message ${input.threadTs}; pass channel`);
    const event = this.humanMessage({ channel, user: input.user, text: input.text, threadTs: input.threadTs, ts: input.ts });
    const result = await this.sendEvent(event, { ...input.send, ...(input.eventId !== undefined ? { eventId: input.eventId } : {}) });
    return { ...result, event };
  }

  /** A `message` event for a bot post (bot_id, app_id, bot_profile). Stores the post. */
  botMessageEvent(input: BotMessageInput): Record<string, unknown> {
    const stored: StoredMessage = {
      channel: input.channel,
      ts: input.ts ?? this.nextTs(),
      ...(input.threadTs !== undefined ? { thread_ts: input.threadTs } : {}),
      text: input.text,
      ...(input.blocks !== undefined ? { blocks: input.blocks } : {}),
      bot_id: this.ids.botId,
      user: this.ids.botUserId,
    };
    this.store(stored);
    return this.eventFor(stored);
  }

  /** A `message_changed` event (message / previous_message); applies the edit to the store. */
  editEvent(input: EditInput): Record<string, unknown> {
    const msg = this.byKey.get(`${input.channel}:${input.ts}`);
    if (!msg) throw new Error(`editEvent: no stored message ${input.channel} ${input.ts}`);
    const previous = this.serialize(msg, false);
    const editTs = this.nextTs();
    msg.text = msg.bot_id === undefined ? escapeSlackText(input.text) : input.text;
    if (msg.bot_id === undefined) msg.blocks = richTextBlocks(input.text);
    msg.edited = { user: input.user ?? msg.user, ts: `${editTs.split('.')[0]}.000000` };
    const message = { ...this.serialize(msg, false), source_team: this.ids.teamId, user_team: this.ids.teamId };
    return {
      type: 'message',
      subtype: 'message_changed',
      message,
      previous_message: previous,
      channel: input.channel,
      hidden: true,
      ts: editTs,
      event_ts: editTs,
      channel_type: 'channel',
    };
  }

  /** A `message_deleted` event (deleted_ts, previous_message); removes the message from the store. */
  deleteEvent(input: DeleteInput): Record<string, unknown> {
    const msg = this.byKey.get(`${input.channel}:${input.ts}`);
    if (!msg) throw new Error(`deleteEvent: no stored message ${input.channel} ${input.ts}`);
    const previous = this.serialize(msg, false);
    this.unstore(msg);
    const ts = this.nextTs();
    return {
      type: 'message',
      subtype: 'message_deleted',
      previous_message: previous,
      channel: input.channel,
      hidden: true,
      deleted_ts: input.ts,
      event_ts: ts,
      ts,
      channel_type: 'channel',
    };
  }

  /** The `block_actions` interaction payload for a button click, sent as `payload=<json>`. */
  async sendBlockAction(input: BlockActionInput): Promise<SendResult & { payload: Record<string, unknown> }> {
    const payload = this.blockActionPayload(input);
    const body = formEncode([['payload', JSON.stringify(payload)]]);
    const url = this.requireUrl(input.send?.url ?? this.interactionsUrl ?? this.eventsUrl, 'interactionsUrl/eventsUrl');
    const result = await this.deliver('block_actions', url, body, 'application/x-www-form-urlencoded', input.send ?? {});
    return { ...result, payload };
  }

  blockActionPayload(input: BlockActionInput): Record<string, unknown> {
    const user = this.users.get(input.user);
    const stored = this.byKey.get(`${input.channel}:${input.messageTs}`);
    const found = stored ? findAction(stored.blocks, input.actionId) : undefined;
    const actionTs = this.nextTs();
    const container: Record<string, unknown> = {
      type: 'message',
      message_ts: input.messageTs,
      channel_id: input.channel,
      is_ephemeral: false,
    };
    const threadTs = input.threadTs ?? (stored?.thread_ts !== stored?.ts ? stored?.thread_ts : undefined);
    if (threadTs !== undefined) container.thread_ts = threadTs;
    const action: Record<string, unknown> = {
      action_id: input.actionId,
      block_id: input.blockId ?? found?.blockId ?? newBlockId(),
      text: found?.element.text ?? { type: 'plain_text', text: input.actionId, emoji: true },
      ...(input.value !== undefined ? { value: input.value } : found?.element.value !== undefined ? { value: found.element.value } : {}),
      ...(found?.element.style !== undefined ? { style: found.element.style } : {}),
      type: 'button',
      action_ts: actionTs,
    };
    return {
      type: 'block_actions',
      user: { id: input.user, username: user?.name ?? input.user, name: user?.name ?? input.user, team_id: this.ids.teamId },
      api_app_id: this.ids.appId,
      token: this.ids.verificationToken,
      container,
      trigger_id: newTriggerId(),
      team: { id: this.ids.teamId, domain: this.ids.teamDomain },
      enterprise: null,
      is_enterprise_install: false,
      channel: { id: input.channel, name: this.channels.get(input.channel) ?? 'bedside-inbox' },
      message: stored ? this.serializeForHistory(stored, false) : { type: 'message', ts: input.messageTs, text: '' },
      state: { values: {} },
      response_url: `${this.url}/_response/actions/${this.ids.teamId}/${randomDigits(13)}/${randomBytes(12).toString('hex')}`,
      actions: [action],
    };
  }

  /** A slash command, form-urlencoded with the fields Slack sends, signed. */
  async sendSlashCommand(input: SlashCommandInput): Promise<SendResult & { fields: Record<string, string> }> {
    const fields: Array<[string, string]> = [
      ['token', this.ids.verificationToken],
      ['team_id', this.ids.teamId],
      ['team_domain', this.ids.teamDomain],
      ['channel_id', input.channelId],
      ['channel_name', input.channelName ?? this.channels.get(input.channelId) ?? 'bedside-inbox'],
      ['user_id', input.userId],
      ['user_name', input.userName ?? this.users.get(input.userId)?.name ?? input.userId],
      ['command', input.command],
      ['text', input.text],
      ['api_app_id', this.ids.appId],
      ['is_enterprise_install', 'false'],
      ['response_url', `${this.url}/_response/commands/${this.ids.teamId}/${randomDigits(13)}/${randomBytes(12).toString('hex')}`],
      ['trigger_id', newTriggerId()],
    ];
    const url = this.requireUrl(input.send?.url ?? this.commandsUrl ?? this.eventsUrl, 'commandsUrl/eventsUrl');
    const result = await this.deliver('slash_command', url, formEncode(fields), 'application/x-www-form-urlencoded', input.send ?? {});
    return { ...result, fields: Object.fromEntries(fields) };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const c of this.inflight) c.abort();
    for (const res of this.heldResponses) res.destroy();
    this.heldResponses.clear();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  // ---------------------------------------------------------------- HTTP

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    if (url.pathname.startsWith('/api/')) return this.handleApi(req, res, url);
    if (url.pathname.startsWith('/_response/') && req.method === 'POST') {
      const raw = await readBody(req);
      let body: unknown = raw;
      try {
        body = JSON.parse(raw);
      } catch {
        /* kept as text */
      }
      this.responseUrlPosts.push({ path: url.pathname, body });
      sendJson(res, 200, { ok: true });
      return;
    }
    if (this.opts.controlApi && url.pathname.startsWith('/_emulator/')) return this.handleControl(req, res, url);
    sendJson(res, 404, { ok: false, error: 'not_found' });
  }

  private async handleApi(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    const method = decodeURIComponent(url.pathname.slice('/api/'.length));
    const raw = await readBody(req);
    const record: CallRecord = { method, args: {}, status: 0 };
    this.calls.push(record);
    const reply = (status: number, body: Record<string, unknown>, headers: Record<string, string> = {}) => {
      record.status = status;
      record.ok = body.ok === true;
      if (typeof body.error === 'string') record.error = body.error;
      sendJson(res, status, body, headers);
    };

    let token: string | undefined;
    const auth = req.headers.authorization;
    if (typeof auth === 'string' && /^Bearer\s+/i.test(auth)) token = auth.replace(/^Bearer\s+/i, '').trim();
    try {
      const { args, bodyToken } = parseApiArgs(req.headers['content-type'], raw, url.searchParams);
      record.args = args;
      token ??= bodyToken;
    } catch (err) {
      if (this.outage) return reply(503, { ok: false, error: 'service_unavailable' });
      return reply(200, { ok: false, error: err instanceof ApiError ? err.code : 'invalid_form_data' });
    }

    if (this.outage) return reply(503, { ok: false, error: 'service_unavailable' });

    const fault = this.takeFault(method);
    if (fault) {
      if (fault.status !== undefined && fault.status !== 200) {
        const headers: Record<string, string> = {};
        if (fault.status === 429) headers['Retry-After'] = String(fault.retryAfter ?? 1);
        else if (fault.retryAfter !== undefined) headers['Retry-After'] = String(fault.retryAfter);
        return reply(fault.status, { ok: false, error: fault.error ?? (fault.status === 429 ? 'ratelimited' : 'internal_error') }, headers);
      }
      return reply(200, { ok: false, error: fault.error ?? 'internal_error' });
    }

    const handler = this.handlers[method];
    if (!handler) return reply(200, { ok: false, error: 'unknown_method', req_method: method });
    if (!token) return reply(200, { ok: false, error: 'not_authed' });
    if (token !== this.opts.botToken) return reply(200, { ok: false, error: 'invalid_auth' });

    let handled: Handled;
    try {
      handled = handler(record.args);
    } catch (err) {
      if (err instanceof ApiError) return reply(200, { ok: false, error: err.code });
      throw err;
    }

    if (this.takeHang(method)) {
      record.hung = true;
      record.ok = true;
      this.heldResponses.add(res);
      res.on('close', () => this.heldResponses.delete(res));
      handled.after?.();
      return;
    }
    const delay = this.delays.get(method)?.shift();
    if (delay !== undefined) {
      this.heldResponses.add(res);
      setTimeout(() => {
        this.heldResponses.delete(res);
        if (res.writableEnded || res.destroyed) return;
        reply(200, handled.body);
        handled.after?.();
      }, delay);
      return;
    }
    reply(200, handled.body);
    handled.after?.();
  }

  private takeFault(method: string): ApiFault | undefined {
    for (const key of [method, '*']) {
      const list = this.faults.get(key);
      const head = list?.[0];
      if (!list || !head) continue;
      head.times -= 1;
      if (head.times <= 0) list.shift();
      return head;
    }
    return undefined;
  }

  private takeHang(method: string): boolean {
    for (const key of [method, '*']) {
      const n = this.hangs.get(key) ?? 0;
      if (n > 0) {
        this.hangs.set(key, n - 1);
        return true;
      }
    }
    return false;
  }

  // ---------------------------------------------------------------- Web API methods

  private readonly handlers: Record<string, (args: Record<string, unknown>) => Handled> = {
    'auth.test': () => ({
      body: {
        ok: true,
        url: `https://${this.ids.teamDomain}.slack.com/`,
        team: this.ids.teamName,
        user: this.ids.botName,
        team_id: this.ids.teamId,
        user_id: this.ids.botUserId,
        bot_id: this.ids.botId,
        is_enterprise_install: false,
      },
    }),

    'chat.postMessage': (args) => {
      const channel = this.requireChannel(args.channel);
      const blocks = blocksArg(args.blocks);
      const attachments = arrayArg(args.attachments, 'invalid_attachments');
      const metadata = metadataArg(args.metadata);
      const text = str(args.text) ?? '';
      if (text === '' && !blocks?.length && !attachments?.length) throw new ApiError('no_text');
      if (text.length > 40_000) throw new ApiError('msg_too_long');
      const threadTs = str(args.thread_ts) || undefined;
      const parent = threadTs !== undefined ? this.byKey.get(`${channel}:${threadTs}`) : undefined;
      const broadcast = threadTs !== undefined && bool(args.reply_broadcast);
      const stored: StoredMessage = {
        channel,
        ts: this.nextTs(),
        ...(threadTs !== undefined ? { thread_ts: threadTs } : {}),
        text,
        ...(blocks !== undefined ? { blocks } : {}),
        ...(attachments !== undefined ? { attachments } : {}),
        ...(metadata !== undefined ? { metadata } : {}),
        bot_id: this.ids.botId,
        user: this.ids.botUserId,
        ...(broadcast ? { subtype: 'thread_broadcast', reply_broadcast: true } : {}),
        ...(args.unfurl_links !== undefined ? { unfurl_links: bool(args.unfurl_links) } : {}),
        ...(args.unfurl_media !== undefined ? { unfurl_media: bool(args.unfurl_media) } : {}),
      };
      this.store(stored);
      const message = this.serialize(stored, true);
      if (broadcast && parent) message.root = this.serializeForHistory(parent, false);
      return {
        body: { ok: true, channel, ts: stored.ts, message },
        after: () => {
          if (this.opts.echoBotMessages) this.echo(this.eventFor(stored));
        },
      };
    },

    'chat.update': (args) => {
      const channel = this.requireChannel(args.channel);
      const ts = str(args.ts);
      const msg = ts !== undefined ? this.byKey.get(`${channel}:${ts}`) : undefined;
      if (!msg || ts === undefined) throw new ApiError('message_not_found');
      if (msg.bot_id !== this.ids.botId) throw new ApiError('cant_update_message');
      const blocks = blocksArg(args.blocks);
      const attachments = arrayArg(args.attachments, 'invalid_attachments');
      const metadata = metadataArg(args.metadata);
      const text = str(args.text);
      if (text === undefined && blocks === undefined && attachments === undefined) throw new ApiError('no_text');
      if (text !== undefined && text.length > 40_000) throw new ApiError('msg_too_long');
      const previous = this.serialize(msg, false);
      if (text !== undefined) msg.text = text;
      if (blocks !== undefined) {
        if (blocks.length) msg.blocks = blocks;
        else delete msg.blocks;
      }
      if (attachments !== undefined) msg.attachments = attachments;
      if (metadata !== undefined) msg.metadata = metadata;
      const editTs = this.nextTs();
      msg.edited = { user: this.ids.botUserId, ts: `${editTs.split('.')[0]}.000000` };
      this.updates.push({
        channel,
        ts,
        ...(text !== undefined ? { text } : {}),
        ...(blocks !== undefined ? { blocks: structuredClone(blocks) } : {}),
        ...(metadata !== undefined ? { metadata: structuredClone(metadata) } : {}),
      });
      const message = this.serialize(msg, true);
      delete message.ts;
      delete message.thread_ts;
      delete message.parent_user_id;
      return {
        body: { ok: true, channel, ts, text: msg.text, message },
        after: () => {
          if (!this.opts.echoBotMessages) return;
          this.echo({
            type: 'message',
            subtype: 'message_changed',
            message: { ...this.serialize(msg, false), source_team: this.ids.teamId, user_team: this.ids.teamId },
            previous_message: previous,
            channel,
            hidden: true,
            ts: editTs,
            event_ts: editTs,
            channel_type: 'channel',
          });
        },
      };
    },

    'chat.delete': (args) => {
      const channel = this.requireChannel(args.channel);
      const ts = str(args.ts);
      const msg = ts !== undefined ? this.byKey.get(`${channel}:${ts}`) : undefined;
      if (!msg || ts === undefined) throw new ApiError('message_not_found');
      if (msg.bot_id !== this.ids.botId) throw new ApiError('cant_delete_message');
      const previous = this.serialize(msg, false);
      this.unstore(msg);
      return {
        body: { ok: true, channel, ts },
        after: () => {
          if (!this.opts.echoBotMessages) return;
          const eventTs = this.nextTs();
          this.echo({
            type: 'message',
            subtype: 'message_deleted',
            previous_message: previous,
            channel,
            hidden: true,
            deleted_ts: ts,
            event_ts: eventTs,
            ts: eventTs,
            channel_type: 'channel',
          });
        },
      };
    },

    'chat.getPermalink': (args) => {
      const channel = this.requireChannel(args.channel);
      const ts = str(args.message_ts);
      const msg = ts !== undefined ? this.byKey.get(`${channel}:${ts}`) : undefined;
      if (!msg || ts === undefined) throw new ApiError('message_not_found');
      let permalink = `https://${this.ids.teamDomain}.slack.com/archives/${channel}/p${ts.replace('.', '')}`;
      if (msg.thread_ts !== undefined && msg.thread_ts !== msg.ts) permalink += `?thread_ts=${msg.thread_ts}&cid=${channel}`;
      return { body: { ok: true, channel, permalink } };
    },

    'users.info': (args) => {
      const id = str(args.user);
      const user = id !== undefined ? this.users.get(id) : undefined;
      if (!user) throw new ApiError('user_not_found');
      return { body: { ok: true, user: userObject(this.ids, user) } };
    },

    // conversations.list reference: channel objects, cursor paging via response_metadata.
    'conversations.list': () => ({
      body: {
        ok: true,
        channels: [...this.channels].map(([id, name]) => ({
          id, name, is_channel: !id.startsWith('G'), is_group: id.startsWith('G'), is_im: false, is_mpim: false,
          is_private: id.startsWith('G'), created: this.startedAt, is_archived: false, is_general: false,
          name_normalized: name, is_shared: false, is_org_shared: false, is_member: true, num_members: 2,
          topic: { value: '', creator: '', last_set: 0 }, purpose: { value: '', creator: '', last_set: 0 },
        })),
        response_metadata: { next_cursor: '' },
      },
    }),

    'conversations.history': (args) => {
      const channel = this.requireChannel(args.channel);
      const includeMetadata = bool(args.include_all_metadata);
      const all = (this.byChannel.get(channel) ?? []).filter(
        (m) => m.thread_ts === undefined || m.thread_ts === m.ts || m.subtype === 'thread_broadcast',
      );
      const inWindow = filterWindow(all, args).reverse();
      const cursor = decodeCursor(args.cursor);
      const start = cursor === undefined ? 0 : inWindow.findIndex((m) => compareTs(m.ts, cursor) <= 0);
      const limit = limitArg(args.limit, 100);
      const from = start < 0 ? inWindow.length : start;
      const page = inWindow.slice(from, from + limit);
      const next = inWindow[from + limit];
      return {
        body: {
          ok: true,
          messages: page.map((m) => this.serializeForHistory(m, includeMetadata)),
          has_more: next !== undefined,
          pin_count: 0,
          channel_actions_ts: null,
          channel_actions_count: 0,
          response_metadata: { next_cursor: next ? encodeCursor(next.ts) : '' },
        },
      };
    },

    'conversations.replies': (args) => {
      const channel = this.requireChannel(args.channel);
      const ts = str(args.ts);
      const found = ts !== undefined ? this.byKey.get(`${channel}:${ts}`) : undefined;
      if (!found) throw new ApiError('thread_not_found');
      const parentTs = found.thread_ts ?? found.ts;
      const parent = this.byKey.get(`${channel}:${parentTs}`) ?? found;
      const includeMetadata = bool(args.include_all_metadata);
      const replies = filterWindow(this.repliesOf(channel, parent.ts), args);
      const cursor = decodeCursor(args.cursor);
      const start = cursor === undefined ? 0 : replies.findIndex((m) => compareTs(m.ts, cursor) >= 0);
      const limit = limitArg(args.limit, 1000);
      const from = start < 0 ? replies.length : start;
      const take = Math.max(limit - 1, 1);
      const page = replies.slice(from, from + take);
      const next = replies[from + take];
      return {
        body: {
          ok: true,
          messages: [parent, ...page].map((m) => this.serializeForHistory(m, includeMetadata)),
          has_more: next !== undefined,
          response_metadata: { next_cursor: next ? encodeCursor(next.ts) : '' },
        },
      };
    },
  };

  // ---------------------------------------------------------------- storage

  private nextTs(): string {
    let micros = BigInt(Date.now()) * 1000n;
    if (micros <= this.lastTsMicros) micros = this.lastTsMicros + 1n;
    this.lastTsMicros = micros;
    const s = micros.toString();
    return `${s.slice(0, -6)}.${s.slice(-6)}`;
  }

  private store(msg: StoredMessage): void {
    const key = `${msg.channel}:${msg.ts}`;
    if (this.byKey.has(key)) throw new Error(`duplicate ts ${key}`);
    const list = this.byChannel.get(msg.channel) ?? [];
    list.push(msg);
    const prev = list[list.length - 2];
    if (prev && compareTs(prev.ts, msg.ts) > 0) list.sort((a, b) => compareTs(a.ts, b.ts));
    this.byChannel.set(msg.channel, list);
    this.byKey.set(key, msg);
    const [sec = '0', frac = '0'] = msg.ts.split('.');
    const micros = BigInt(sec) * 1_000_000n + BigInt(frac.padEnd(6, '0').slice(0, 6));
    if (micros > this.lastTsMicros) this.lastTsMicros = micros;
  }

  private unstore(msg: StoredMessage): void {
    this.byKey.delete(`${msg.channel}:${msg.ts}`);
    const list = this.byChannel.get(msg.channel);
    if (list) {
      const i = list.indexOf(msg);
      if (i >= 0) list.splice(i, 1);
    }
  }

  private repliesOf(channel: string, parentTs: string): StoredMessage[] {
    return (this.byChannel.get(channel) ?? []).filter((m) => m.thread_ts === parentTs && m.ts !== parentTs);
  }

  private channelOf(ts: string): string | undefined {
    for (const [channel, list] of this.byChannel) if (list.some((m) => m.ts === ts)) return channel;
    return undefined;
  }

  private requireChannel(v: unknown): string {
    const channel = str(v);
    if (!channel) throw new ApiError('channel_not_found');
    if (this.channels.size > 0 ? !this.channels.has(channel) : !channel.startsWith('C')) throw new ApiError('channel_not_found');
    return channel;
  }

  private threadSummary(channel: string, ts: string): ThreadSummary | undefined {
    const replies = this.repliesOf(channel, ts);
    const last = replies[replies.length - 1];
    if (!last) return undefined;
    const users = [...new Set(replies.map((r) => r.user))];
    return { reply_count: replies.length, reply_users_count: users.length, latest_reply: last.ts, reply_users: users.slice(0, 5) };
  }

  private serialize(msg: StoredMessage, includeMetadata: boolean): Record<string, unknown> {
    const parent = msg.thread_ts !== undefined && msg.thread_ts !== msg.ts ? this.byKey.get(`${msg.channel}:${msg.thread_ts}`) : undefined;
    return serializeMessage(this.ids, msg, {
      includeMetadata,
      ...(parent ? { parentUser: parent.user } : {}),
      updated: this.startedAt,
    });
  }

  /** As in conversations.history / .replies: parents carry their thread summary. */
  private serializeForHistory(msg: StoredMessage, includeMetadata: boolean): Record<string, unknown> {
    const isParent = msg.thread_ts === undefined || msg.thread_ts === msg.ts;
    const thread = isParent ? this.threadSummary(msg.channel, msg.ts) : undefined;
    if (!thread) return this.serialize(msg, includeMetadata);
    return serializeMessage(this.ids, msg, { includeMetadata, thread, updated: this.startedAt });
  }

  private eventFor(msg: StoredMessage): Record<string, unknown> {
    return messageEvent(this.serialize(msg, false), msg.channel, msg.ts);
  }

  private addBotUser(): void {
    this.addUser({
      id: this.ids.botUserId,
      name: this.ids.botName,
      realName: this.ids.botName,
      displayName: '',
      isBot: true,
    });
  }

  // ---------------------------------------------------------------- delivery

  private echo(event: Record<string, unknown>): void {
    if (!this.eventsUrl || this.closed) return;
    setImmediate(() => {
      this.sendEvent(event).catch(() => undefined);
    });
  }

  private requireUrl(url: string | undefined, what: string): string {
    if (!url) throw new Error(`Slack emulator: ${what} is not set`);
    return url;
  }

  private async deliver(
    kind: SentRecord['kind'],
    url: string,
    body: string,
    contentType: string,
    opts: SendOptions,
  ): Promise<SendResult> {
    const timestamp = opts.timestamp ?? Math.floor(Date.now() / 1000);
    const headers: Record<string, string> = {
      'Content-Type': contentType,
      'User-Agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
      'X-Slack-Request-Timestamp': String(timestamp),
      'X-Slack-Signature': opts.signature ?? signSlackRequest(opts.signingSecret ?? this.opts.signingSecret, timestamp, body),
    };
    if (opts.retryNum !== undefined) {
      headers['X-Slack-Retry-Num'] = String(opts.retryNum);
      headers['X-Slack-Retry-Reason'] = opts.retryReason ?? 'http_timeout';
    }
    const controller = new AbortController();
    this.inflight.add(controller);
    const timer = setTimeout(() => controller.abort(new Error('timeout')), opts.timeoutMs ?? this.opts.callbackTimeoutMs ?? 10_000);
    const record: SentRecord = { kind, url, body, headers, status: 0, responseBody: '' };
    this.sent.push(record);
    try {
      const res = await fetch(url, { method: 'POST', headers, body, signal: controller.signal, redirect: 'manual' });
      const text = await res.text();
      const resHeaders: Record<string, string> = {};
      res.headers.forEach((v, k) => {
        resHeaders[k] = v;
      });
      record.status = res.status;
      record.responseBody = text;
      return { status: res.status, body: text, headers: resHeaders };
    } catch (err) {
      const reason = controller.signal.aborted ? `timeout: ${String(controller.signal.reason)}` : errorMessage(err);
      record.error = reason;
      return { status: 0, body: '', headers: {}, error: reason };
    } finally {
      clearTimeout(timer);
      this.inflight.delete(controller);
    }
  }

  // ---------------------------------------------------------------- control API (cli.ts)

  private async handleControl(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    const cors = { 'Access-Control-Allow-Origin': '*', 'Access-Control-Allow-Headers': 'content-type', 'Access-Control-Allow-Methods': 'GET, POST, OPTIONS' };
    if (req.method === 'OPTIONS') {
      res.writeHead(204, cors).end();
      return;
    }
    const route = `${req.method} ${url.pathname.slice('/_emulator'.length)}`;
    let input: Record<string, unknown> = {};
    if (req.method === 'POST') {
      const raw = await readBody(req);
      try {
        const parsed: unknown = raw ? JSON.parse(raw) : {};
        if (isObject(parsed)) input = parsed;
      } catch {
        sendJson(res, 400, { ok: false, error: 'invalid_json' }, cors);
        return;
      }
    }
    const s = (k: string) => str(input[k]);
    try {
      let out: unknown;
      switch (route) {
        case 'GET /health':
          out = { ok: true, apiUrl: this.apiUrl, eventsUrl: this.eventsUrl ?? null };
          break;
        case 'GET /posts':
          out = { ok: true, posts: this.posts(url.searchParams.get('channel') ?? undefined) };
          break;
        case 'GET /calls':
          out = { ok: true, calls: this.calls };
          break;
        case 'GET /updates':
          out = { ok: true, updates: this.updates };
          break;
        case 'GET /sent':
          out = { ok: true, sent: this.sent };
          break;
        case 'GET /responses':
          out = { ok: true, responses: this.responseUrlPosts };
          break;
        case 'POST /reply': {
          const threadTs = s('threadTs');
          const user = s('user');
          const text = s('text');
          if (!threadTs || !user || text === undefined) throw new Error('threadTs, user and text are required');
          const r = await this.staffReply({ channel: s('channel'), threadTs, user, text, eventId: s('eventId') });
          out = { ok: true, status: r.status, body: r.body, eventId: r.eventId, event: r.event, error: r.error };
          break;
        }
        case 'POST /event': {
          if (!isObject(input.event)) throw new Error('event is required');
          const r = await this.sendEvent(input.event, { eventId: s('eventId'), retryNum: typeof input.retryNum === 'number' ? input.retryNum : undefined, retryReason: s('retryReason') });
          out = { ok: true, ...r };
          break;
        }
        case 'POST /block-action': {
          const user = s('user');
          const actionId = s('actionId');
          const channel = s('channel');
          const messageTs = s('messageTs');
          if (!user || !actionId || !channel || !messageTs) throw new Error('user, actionId, channel and messageTs are required');
          const r = await this.sendBlockAction({ user, actionId, value: s('value'), channel, messageTs, threadTs: s('threadTs') });
          out = { ok: true, status: r.status, body: r.body, error: r.error };
          break;
        }
        case 'POST /slash-command': {
          const command = s('command');
          const userId = s('userId');
          const channelId = s('channelId');
          if (!command || !userId || !channelId) throw new Error('command, userId and channelId are required');
          const r = await this.sendSlashCommand({ command, text: s('text') ?? '', userId, userName: s('userName'), channelId });
          out = { ok: true, status: r.status, body: r.body, error: r.error };
          break;
        }
        case 'POST /users': {
          const id = s('id');
          const name = s('name');
          if (!id || !name) throw new Error('id and name are required');
          this.addUser({ id, name, realName: s('realName'), displayName: s('displayName'), isBot: input.isBot === true });
          out = { ok: true };
          break;
        }
        case 'POST /channels': {
          const id = s('id');
          if (!id) throw new Error('id is required');
          this.addChannel(id, s('name'));
          out = { ok: true };
          break;
        }
        case 'POST /fail': {
          const method = s('method');
          if (!method) throw new Error('method is required');
          this.failNext(method, {
            ...(typeof input.status === 'number' ? { status: input.status } : {}),
            ...(typeof input.retryAfter === 'number' ? { retryAfter: input.retryAfter } : {}),
            ...(s('error') !== undefined ? { error: s('error') } : {}),
            ...(typeof input.times === 'number' ? { times: input.times } : {}),
          });
          out = { ok: true };
          break;
        }
        case 'POST /outage':
          this.setOutage(input.on === true);
          out = { ok: true };
          break;
        case 'POST /hang': {
          const method = s('method');
          if (!method) throw new Error('method is required');
          this.hangNext(method, typeof input.times === 'number' ? input.times : 1);
          out = { ok: true };
          break;
        }
        case 'POST /events-url':
          this.setEventsUrl(s('url'));
          out = { ok: true };
          break;
        case 'POST /reset':
          this.reset();
          out = { ok: true };
          break;
        default:
          sendJson(res, 404, { ok: false, error: 'unknown_route', route }, cors);
          return;
      }
      sendJson(res, 200, out, cors);
    } catch (err) {
      sendJson(res, 400, { ok: false, error: errorMessage(err) }, cors);
    }
  }
}

export async function startSlackEmulator(opts: SlackEmulatorOptions): Promise<SlackEmulator> {
  return SlackEmulator.start(opts);
}

// ------------------------------------------------------------------ helpers

function randomDigits(n: number): string {
  let out = '';
  for (const b of randomBytes(n)) out += String(b % 10);
  return out;
}

function parseApiArgs(
  contentType: string | undefined,
  raw: string,
  query: URLSearchParams,
): { args: Record<string, unknown>; bodyToken?: string } {
  const args: Record<string, unknown> = Object.fromEntries(query);
  let bodyToken: string | undefined = typeof args.token === 'string' ? args.token : undefined;
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (raw.length > 0) {
    if (type === 'application/json') {
      let parsed: unknown;
      try {
        parsed = JSON.parse(raw);
      } catch {
        throw new ApiError('invalid_json');
      }
      if (!isObject(parsed)) throw new ApiError('invalid_json');
      // Slack ignores a token inside a JSON body: JSON requests must use the Authorization header.
      const { token: _ignored, ...rest } = parsed;
      Object.assign(args, rest);
    } else if (type === 'application/x-www-form-urlencoded' || type === '' || type === 'text/plain') {
      const form = Object.fromEntries(new URLSearchParams(raw));
      if (typeof form.token === 'string') bodyToken = form.token;
      Object.assign(args, form);
    } else {
      throw new ApiError('invalid_post_type');
    }
  }
  delete args.token;
  return { args, ...(bodyToken !== undefined ? { bodyToken } : {}) };
}

function arrayArg(v: unknown, error: string): unknown[] | undefined {
  const parsed = jsonArg(v, error);
  if (parsed === undefined) return undefined;
  if (!Array.isArray(parsed)) throw new ApiError(error);
  return parsed;
}

/** Like Slack, gives every block that came without a block_id a generated one. */
function blocksArg(v: unknown): unknown[] | undefined {
  const blocks = arrayArg(v, 'invalid_blocks_format');
  if (blocks === undefined) return undefined;
  return blocks.map((b) => {
    if (!isObject(b) || typeof b.type !== 'string') throw new ApiError('invalid_blocks');
    return typeof b.block_id === 'string' ? b : { ...b, block_id: newBlockId() };
  });
}

function metadataArg(v: unknown): MessageMetadata | undefined {
  const parsed = jsonArg(v, 'invalid_metadata_format');
  if (parsed === undefined) return undefined;
  if (!isObject(parsed)) throw new ApiError('invalid_metadata_format');
  if (typeof parsed.event_type !== 'string' || parsed.event_type === '' || !isObject(parsed.event_payload)) {
    throw new ApiError('invalid_metadata_schema');
  }
  return { event_type: parsed.event_type, event_payload: parsed.event_payload };
}

function limitArg(v: unknown, dflt: number): number {
  const n = Number(str(v) ?? '');
  return Number.isInteger(n) && n > 0 ? Math.min(n, 1000) : dflt;
}

/** Applies `oldest` / `latest` / `inclusive` (timestamps are exclusive unless inclusive is set). */
function filterWindow(list: StoredMessage[], args: Record<string, unknown>): StoredMessage[] {
  const oldest = str(args.oldest) || undefined;
  const latest = str(args.latest) || undefined;
  const inclusive = bool(args.inclusive);
  return list.filter((m) => {
    if (oldest !== undefined) {
      const c = compareTs(m.ts, oldest);
      if (c < 0 || (c === 0 && !inclusive)) return false;
    }
    if (latest !== undefined) {
      const c = compareTs(m.ts, latest);
      if (c > 0 || (c === 0 && !inclusive)) return false;
    }
    return true;
  });
}

/** Slack's cursors are base64 of `next_ts:<ts digits>` (e.g. bmV4dF90czoxNTEyMDg1ODYxMDAwNTQz). */
function encodeCursor(ts: string): string {
  return Buffer.from(`next_ts:${ts.replace('.', '')}`).toString('base64');
}

function decodeCursor(v: unknown): string | undefined {
  const s = str(v);
  if (!s) return undefined;
  const decoded = Buffer.from(s, 'base64').toString('utf8');
  const m = /^next_ts:(\d+)(\d{6})$/.exec(decoded);
  if (!m) throw new ApiError('invalid_cursor');
  return `${m[1]}.${m[2]}`;
}

interface FoundAction {
  blockId: string | undefined;
  element: { text?: unknown; value?: string; style?: string };
}

/** Finds the interactive element with `actionId` in a message's blocks (actions blocks and section accessories). */
function findAction(blocks: unknown[] | undefined, actionId: string): FoundAction | undefined {
  for (const block of blocks ?? []) {
    if (!isObject(block)) continue;
    const blockId = typeof block.block_id === 'string' ? block.block_id : undefined;
    const candidates = [...(Array.isArray(block.elements) ? block.elements : []), block.accessory];
    for (const el of candidates) {
      if (isObject(el) && el.action_id === actionId) {
        return {
          blockId,
          element: {
            text: el.text,
            ...(typeof el.value === 'string' ? { value: el.value } : {}),
            ...(typeof el.style === 'string' ? { style: el.style } : {}),
          },
        };
      }
    }
  }
  return undefined;
}
