/**
 * A Twilio Programmable Messaging emulator for tests, the demo and benchmarks.
 *
 * - Serves the Messages resource of the REST API (2010-04-01) under `apiUrl`: create, fetch, list
 *   and delete, with HTTP Basic auth (AccountSid:AuthToken) and Twilio's error bodies and codes.
 * - Moves each created message through its statuses and posts signed status callbacks.
 * - Sends the app signed incoming-message webhooks, and acts on `<Message>` in the TwiML answer.
 * - Injects faults: HTTP 429 (+ Retry-After), 5xx, any Twilio error code, a full outage, and a
 *   create that is applied but never answered.
 *
 * See README.md in this folder for which Twilio reference each shape follows.
 */
import http from 'node:http';
import { errorMessage, readBody, sendJson } from '../shared/http.ts';
import type { AddressInfo } from 'node:net';
import { twilioSignature } from './signing.ts';
import {
  API_VERSION,
  ERROR_MESSAGES,
  type InboundGeo,
  type MessageResource,
  type MessageStatus,
  type RestError,
  type TwimlMessage,
  inboundParams,
  isValidAddress,
  newMessageResource,
  newSid,
  parseTwimlMessages,
  restError,
  rfc2822,
  segmentCount,
  statusCallbackParams,
} from './payloads.ts';

export { twilioSignature } from './signing.ts';
export { rfc2822, segmentCount } from './payloads.ts';
export type { InboundGeo, MessageResource, MessageStatus, RestError, TwimlMessage } from './payloads.ts';

export interface TwilioEmulatorOptions {
  /** The account the app authenticates as (`AC` + 32 hex digits in real life; any string works). */
  accountSid: string;
  /** Password of HTTP Basic auth, and the key of every X-Twilio-Signature the emulator computes. */
  authToken: string;
  /** Default 0 (ephemeral). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** The app's incoming-message webhook URL ("A message comes in"); can be set later with setSmsUrl. */
  smsUrl?: string;
  /** Delay before each status change of an outbound message. Default 20 ms. */
  statusDelayMs?: number;
  /** The sender a Messaging Service assigns when a create names no `From`. Default +15005550006. */
  messagingServiceSender?: string;
  /**
   * Act like Twilio's default opt-out handling: an incoming STOP / STOPALL / UNSUBSCRIBE / CANCEL /
   * END / QUIT / REVOKE / OPTOUT opts the sender out (later creates to it answer 21610) and START /
   * YES / UNSTOP opts it back in. Default false: opt-outs change only through `optOut` / `optIn`.
   */
  handleOptOutKeywords?: boolean;
  /** Serve the JSON control API under `/_emulator/` (used by cli.ts). Default false. */
  controlApi?: boolean;
  /** Timeout for each request the emulator sends to the app. Default 15 000 ms. */
  callbackTimeoutMs?: number;
}

export type RestOp = 'create' | 'fetch' | 'list' | 'delete';

/**
 * A fault for the next REST call(s): `{status: 429, retryAfter: 2}` (20429, with Retry-After when
 * given), `{status: 500}` (20500), `{code: 21614, status: 400}` (any Twilio error; `message`
 * overrides the text). `op` limits it to one operation; `times` defaults to 1.
 */
export interface RestFault {
  status: number;
  code?: number;
  message?: string;
  retryAfter?: number;
  op?: RestOp;
}

export type DeliveryOutcome = 'delivered' | 'undelivered' | 'failed';

export interface CallRecord {
  method: string;
  path: string;
  /** Which Messages operation the call addressed; undefined for unknown routes. */
  op?: RestOp;
  /** Form parameters (POST) or query parameters (GET); repeated names keep their first value. */
  params: Record<string, string>;
  /** HTTP status sent; 0 while unanswered (hangNext). */
  status: number;
  /** Twilio error code of an error answer. */
  code?: number;
  /** SID of the created or addressed message. */
  sid?: string;
  hung?: boolean;
}

/** An outbound message as created through the REST API (or a TwiML `<Message>` reply). */
export interface SentMessage {
  sid: string;
  /** The Message resource as it stands now (status, date_sent, error_code follow the lifecycle). */
  resource: MessageResource;
  /** The create's form parameters as sent; repeated names keep their first value. */
  params: Record<string, string>;
  /** Every `MediaUrl` parameter, in order. */
  mediaUrl: string[];
  statusCallback?: string;
}

export interface CallbackRecord {
  messageSid: string;
  messageStatus: MessageStatus;
  url: string;
  params: Record<string, string>;
  headers: Record<string, string>;
  /** HTTP status the app answered; 0 when no answer came (see `error`). */
  status: number;
  responseBody: string;
  error?: string;
}

export interface SendSmsInput {
  from: string;
  to: string;
  body: string;
  /**
   * Media as links (`url`), or as content (`data`) that the emulator hosts at a Media resource
   * URL under its own API, behind the account's Basic auth (Twilio's "HTTP Basic Authentication
   * for media" setting).
   */
  media?: Array<{ url?: string; contentType: string; data?: Buffer }>;
  /** Defaults to a new `SM…` (or `MM…` with media) SID. */
  messageSid?: string;
  /** Post here instead of the configured smsUrl (the signature covers this exact URL). */
  url?: string;
  /** Send this X-Twilio-Signature verbatim (forged signature tests). */
  signature?: string;
  /** Sign with this token instead of the configured one (wrong-token tests). */
  authToken?: string;
  /** Present when the receiving number belongs to a Messaging Service. */
  messagingServiceSid?: string;
  /** FromCity, FromState, ... ; Twilio sends them empty when it has no data. */
  geo?: InboundGeo;
  timeoutMs?: number;
}

export interface SendSmsResult {
  status: number;
  body: string;
  headers: Record<string, string>;
  messageSid: string;
  url: string;
  params: Record<string, string>;
  /** The X-Twilio-Signature that was sent. */
  signature: string;
  /** Outbound messages created from `<Message>` verbs in the app's TwiML answer. */
  replies: MessageResource[];
  /** Set when no HTTP response arrived (connection refused, timeout). status is then 0. */
  error?: string;
}

export interface InboundRecord {
  messageSid: string;
  url: string;
  params: Record<string, string>;
  headers: Record<string, string>;
  status: number;
  responseBody: string;
  /** `<Message>` verbs the emulator did not send because the recipient had opted out. */
  blocked: TwimlMessage[];
  error?: string;
}

interface Stored {
  resource: MessageResource;
  params: Record<string, string>;
  mediaUrl: string[];
  statusCallback?: string;
  /** Creation order, to keep list ordering stable within the same millisecond. */
  seq: number;
  createdAt: Date;
  sentAt?: Date;
}

interface Pending {
  timer: NodeJS.Timeout;
  resolve: () => void;
}

class RestFailure extends Error {
  constructor(readonly status: number, readonly code: number, message?: string) {
    super(message ?? ERROR_MESSAGES[code] ?? `Error ${code}`);
  }
}

const OPT_OUT_KEYWORDS = new Set(['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'REVOKE', 'OPTOUT']);
const OPT_IN_KEYWORDS = new Set(['START', 'YES', 'UNSTOP']);
const MESSAGES_PATH = new RegExp(`^/${API_VERSION}/Accounts/([^/]+)/Messages(?:/([^/]+))?\\.json$`);

function firstValues(search: URLSearchParams): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of search) if (!(k in out)) out[k] = v;
  return out;
}

export class TwilioEmulator {
  /** Base URL: the Messages endpoint is `${apiUrl}/2010-04-01/Accounts/{AccountSid}/Messages.json`. */
  readonly apiUrl: string;
  /** Same as apiUrl; the control API lives under `${url}/_emulator/`. */
  readonly url: string;
  readonly port: number;
  /** Every REST call, in arrival order. */
  readonly calls: CallRecord[] = [];
  /** Every status callback sent, with the app's answer. */
  readonly callbacks: CallbackRecord[] = [];
  /** Every incoming-message webhook sent (sendSms / resend), with the app's answer. */
  readonly inbound: InboundRecord[] = [];

  private readonly opts: TwilioEmulatorOptions;
  private readonly store = new Map<string, Stored>();
  /** Media content the emulator serves for inbound MMS (path -> content). */
  private readonly hostedMedia = new Map<string, { contentType: string; data: Buffer }>();
  /** Paths of every media GET, authenticated or not. */
  readonly mediaFetches: string[] = [];
  private seq = 0;
  private smsUrl: string | undefined;
  private statusDelayMs: number;
  private readonly optedOut = new Set<string>();
  private readonly outcomes = new Map<string, { outcome: DeliveryOutcome; errorCode?: number }>();
  private readonly faults: Array<RestFault & { times: number }> = [];
  private hangs = 0;
  private outage = false;
  private closed = false;
  private readonly pending = new Set<Pending>();
  private readonly inflight = new Set<AbortController>();
  private readonly heldResponses = new Set<http.ServerResponse>();

  private constructor(
    private readonly server: http.Server,
    opts: TwilioEmulatorOptions,
    port: number,
    host: string,
  ) {
    this.opts = opts;
    this.port = port;
    this.url = `http://${host}:${port}`;
    this.apiUrl = this.url;
    this.smsUrl = opts.smsUrl;
    this.statusDelayMs = opts.statusDelayMs ?? 20;
  }

  /** @internal */
  static async start(opts: TwilioEmulatorOptions): Promise<TwilioEmulator> {
    const host = opts.host ?? '127.0.0.1';
    const ref: { emu?: TwilioEmulator } = {};
    const server = http.createServer((req, res) => {
      const emu = ref.emu;
      if (!emu) {
        res.writeHead(503).end();
        return;
      }
      emu.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) sendJson(res, 500, { ...restError(20500, 500), detail: String(err) });
        else res.destroy();
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port ?? 0, host, () => resolve());
    });
    const port = (server.address() as AddressInfo).port;
    ref.emu = new TwilioEmulator(server, opts, port, host);
    return ref.emu;
  }

  // ---------------------------------------------------------------- configuration

  get accountSid(): string {
    return this.opts.accountSid;
  }

  /** The Messages list endpoint for the configured account. */
  get messagesUrl(): string {
    return `${this.apiUrl}/${API_VERSION}/Accounts/${this.opts.accountSid}/Messages.json`;
  }

  setSmsUrl(url: string | undefined): void {
    this.smsUrl = url;
  }

  setStatusDelay(ms: number): void {
    this.statusDelayMs = ms;
  }

  /** Marks `number` as having opted out: creates to it answer HTTP 400 with code 21610. */
  optOut(number: string): void {
    this.optedOut.add(number);
  }

  optIn(number: string): void {
    this.optedOut.delete(number);
  }

  isOptedOut(number: string): boolean {
    return this.optedOut.has(number);
  }

  /**
   * How messages to `to` end: `delivered` (default; queued → sent → delivered), `undelivered`
   * (→ sent → undelivered, ErrorCode default 30003) or `failed` (→ failed, ErrorCode default 30008).
   */
  setDeliveryOutcome(to: string, outcome: DeliveryOutcome, errorCode?: number): void {
    this.outcomes.set(to, { outcome, ...(errorCode !== undefined ? { errorCode } : {}) });
  }

  /** Forgets messages, logs, faults, opt-outs and outcomes; keeps the URLs and the status delay. */
  reset(): void {
    this.store.clear();
    this.calls.length = 0;
    this.callbacks.length = 0;
    this.inbound.length = 0;
    this.optedOut.clear();
    this.outcomes.clear();
    this.faults.length = 0;
    this.hangs = 0;
    this.outage = false;
  }

  // ---------------------------------------------------------------- fault injection

  /** The next `times` REST calls (default 1; only `fault.op` calls when set) fail as described. */
  failNext(fault: RestFault, times = 1): void {
    this.faults.push({ ...fault, times });
  }

  /** While on, every REST call answers HTTP 503 (code 20503), as when Twilio is down. */
  setOutage(on: boolean): void {
    this.outage = on;
  }

  /**
   * The next `times` creates are applied (the message is stored and moves through its statuses,
   * callbacks included) but never answered; the socket stays open until close().
   */
  hangNext(times = 1): void {
    this.hangs += times;
  }

  // ---------------------------------------------------------------- inspection

  /** Outbound messages (REST creates and TwiML replies), oldest first, optionally only those to `to`. */
  sent(to?: string): SentMessage[] {
    return this.ordered()
      .filter((s) => s.resource.direction !== 'inbound' && (to === undefined || s.resource.to === to))
      .map((s) => ({
        sid: s.resource.sid,
        resource: structuredClone(s.resource),
        params: { ...s.params },
        mediaUrl: [...s.mediaUrl],
        ...(s.statusCallback !== undefined ? { statusCallback: s.statusCallback } : {}),
      }));
  }

  /** Every stored Message resource, inbound and outbound, oldest first. */
  messages(): MessageResource[] {
    return this.ordered().map((s) => structuredClone(s.resource));
  }

  message(sid: string): MessageResource | undefined {
    const s = this.store.get(sid);
    return s ? structuredClone(s.resource) : undefined;
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

  // ---------------------------------------------------------------- incoming messages to the app

  /**
   * A patient's text arriving at one of the account's numbers: stores an inbound Message
   * (status `received`) and POSTs the documented incoming-message form to the smsUrl (or
   * `input.url`), signed over that exact URL. `<Message>` verbs in the TwiML answer are sent.
   */
  async sendSms(input: SendSmsInput): Promise<SendSmsResult> {
    const messageSid = input.messageSid ?? newSid((input.media ?? []).length > 0 ? 'MM' : 'SM');
    const media = (input.media ?? []).map(({ url, contentType, data }) => {
      if (data === undefined) return { url: url ?? '', contentType };
      const path = `/${API_VERSION}/Accounts/${this.opts.accountSid}/Messages/${messageSid}/Media/${newSid('ME')}`;
      this.hostedMedia.set(path, { contentType, data });
      return { url: `${this.url}${path}`, contentType };
    });
    const url = input.url ?? this.smsUrl;
    if (!url) throw new Error('Twilio emulator: smsUrl is not set (pass url or call setSmsUrl)');
    const params = inboundParams({
      accountSid: this.opts.accountSid,
      messageSid,
      from: input.from,
      to: input.to,
      body: input.body,
      media,
      ...(input.messagingServiceSid !== undefined ? { messagingServiceSid: input.messagingServiceSid } : {}),
      geo: input.geo ?? {},
    });
    if (!this.store.has(messageSid)) {
      const now = new Date();
      this.put({
        resource: newMessageResource({
          accountSid: this.opts.accountSid,
          sid: messageSid,
          direction: 'inbound',
          status: 'received',
          from: input.from,
          to: input.to,
          body: input.body,
          numMedia: media.length,
          numSegments: segmentCount(input.body),
          messagingServiceSid: input.messagingServiceSid ?? null,
          now,
          dateSent: now,
        }),
        params: {},
        mediaUrl: media.map((m) => m.url),
        createdAt: now,
        sentAt: now,
      });
    }
    if (this.opts.handleOptOutKeywords) {
      const word = input.body.trim().toUpperCase();
      if (OPT_OUT_KEYWORDS.has(word)) this.optOut(input.from);
      else if (OPT_IN_KEYWORDS.has(word)) this.optIn(input.from);
    }
    const signature = input.signature ?? twilioSignature(input.authToken ?? this.opts.authToken, url, params);
    return this.deliverInbound(url, params, signature, input.timeoutMs);
  }

  /** Replays an incoming-message webhook byte for byte (same MessageSid, same signature), as a Twilio retry does. */
  async resend(last: SendSmsResult, opts: { timeoutMs?: number } = {}): Promise<SendSmsResult> {
    return this.deliverInbound(last.url, last.params, last.signature, opts.timeoutMs);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.pending) {
      clearTimeout(p.timer);
      p.resolve();
    }
    this.pending.clear();
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
    if (this.opts.controlApi && url.pathname.startsWith('/_emulator/')) return this.handleControl(req, res, url);
    const raw = await readBody(req);
    const method = req.method ?? 'GET';
    const hosted = this.hostedMedia.get(url.pathname);
    if (hosted && method === 'GET') {
      this.mediaFetches.push(url.pathname);
      if (!this.authenticated(req.headers.authorization, this.opts.accountSid)) {
        res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="Twilio API"' }).end();
        return;
      }
      res.writeHead(200, { 'Content-Type': hosted.contentType, 'Content-Length': String(hosted.data.length) }).end(hosted.data);
      return;
    }
    const match = MESSAGES_PATH.exec(url.pathname);
    const sidInPath = match?.[2];
    let op: RestOp | undefined;
    if (match) {
      if (sidInPath === undefined) op = method === 'POST' ? 'create' : method === 'GET' ? 'list' : undefined;
      else op = method === 'GET' ? 'fetch' : method === 'DELETE' ? 'delete' : undefined;
    }
    const form = method === 'POST' ? new URLSearchParams(raw) : url.searchParams;
    const record: CallRecord = {
      method,
      path: url.pathname + url.search,
      ...(op !== undefined ? { op } : {}),
      params: firstValues(form),
      status: 0,
      ...(sidInPath !== undefined ? { sid: sidInPath } : {}),
    };
    this.calls.push(record);
    const fail = (e: RestError, headers: Record<string, string> = {}) => {
      record.status = e.status;
      record.code = e.code;
      sendJson(res, e.status, e, headers);
    };

    if (this.outage) return fail(restError(20503, 503));
    if (!this.authenticated(req.headers.authorization, match?.[1])) {
      return fail(restError(20003, 401), { 'WWW-Authenticate': 'Basic realm="Twilio API"' });
    }
    if (!match) return fail(restError(20404, 404, `The requested resource ${url.pathname} was not found`));
    if (op === undefined) return fail(restError(20004, 405, 'Method not allowed'));

    const fault = this.takeFault(op);
    if (fault) {
      const code = fault.code ?? (fault.status === 429 ? 20429 : fault.status === 503 ? 20503 : 20500);
      const headers: Record<string, string> = fault.retryAfter !== undefined ? { 'Retry-After': String(fault.retryAfter) } : {};
      return fail(restError(code, fault.status, fault.message), headers);
    }

    try {
      switch (op) {
        case 'create': {
          const stored = this.create(new URLSearchParams(raw));
          record.sid = stored.resource.sid;
          if (this.hangs > 0) {
            this.hangs -= 1;
            record.hung = true;
            this.heldResponses.add(res);
            res.on('close', () => this.heldResponses.delete(res));
            return;
          }
          record.status = 201;
          sendJson(res, 201, stored.resource);
          return;
        }
        case 'fetch': {
          const stored = this.store.get(sidInPath!);
          if (!stored) throw new RestFailure(404, 20404, `The requested resource ${url.pathname} was not found`);
          record.status = 200;
          sendJson(res, 200, stored.resource);
          return;
        }
        case 'delete': {
          if (!this.store.delete(sidInPath!)) throw new RestFailure(404, 20404, `The requested resource ${url.pathname} was not found`);
          record.status = 204;
          res.writeHead(204).end();
          return;
        }
        case 'list': {
          const page = this.list(url);
          record.status = 200;
          sendJson(res, 200, page);
          return;
        }
      }
    } catch (err) {
      if (err instanceof RestFailure) return fail(restError(err.code, err.status, err.message));
      throw err;
    }
  }

  private authenticated(header: string | undefined, pathAccount: string | undefined): boolean {
    if (typeof header !== 'string' || !/^Basic\s+/i.test(header)) return false;
    const decoded = Buffer.from(header.replace(/^Basic\s+/i, '').trim(), 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    if (i < 0) return false;
    const user = decoded.slice(0, i);
    const pass = decoded.slice(i + 1);
    if (user !== this.opts.accountSid || pass !== this.opts.authToken) return false;
    return pathAccount === undefined || pathAccount === this.opts.accountSid;
  }

  private takeFault(op: RestOp): RestFault | undefined {
    const i = this.faults.findIndex((f) => f.op === undefined || f.op === op);
    const fault = this.faults[i];
    if (!fault) return undefined;
    fault.times -= 1;
    if (fault.times <= 0) this.faults.splice(i, 1);
    return fault;
  }

  // ---------------------------------------------------------------- Messages resource

  private create(form: URLSearchParams): Stored {
    const to = form.get('To') ?? '';
    const from = form.get('From') || undefined;
    const serviceSid = form.get('MessagingServiceSid') || undefined;
    const body = form.get('Body') ?? '';
    const mediaUrl = form.getAll('MediaUrl').filter((u) => u !== '');
    const contentSid = form.get('ContentSid') || undefined;
    if (to === '') throw new RestFailure(400, 21604);
    if (from === undefined && serviceSid === undefined) throw new RestFailure(400, 21603);
    if (!isValidAddress(to)) throw new RestFailure(400, 21211, `The 'To' number ${to} is not a valid phone number.`);
    if (body === '' && mediaUrl.length === 0 && contentSid === undefined) {
      throw serviceSid !== undefined ? new RestFailure(400, 21619) : new RestFailure(400, 21602);
    }
    if (body.length > 1600) throw new RestFailure(400, 21617);
    if (this.optedOut.has(to)) throw new RestFailure(400, 21610);

    const now = new Date();
    const sid = newSid(mediaUrl.length > 0 ? 'MM' : 'SM');
    const statusCallback = form.get('StatusCallback') || undefined;
    const stored = this.put({
      resource: newMessageResource({
        accountSid: this.opts.accountSid,
        sid,
        direction: 'outbound-api',
        // "Message created with a Messaging Service: accepted"; otherwise queued.
        status: serviceSid !== undefined ? 'accepted' : 'queued',
        from: from ?? null,
        to,
        body,
        numMedia: mediaUrl.length,
        // "For messages sent via a Messaging Service, num_segments is initially 0".
        numSegments: serviceSid !== undefined ? 0 : segmentCount(body),
        messagingServiceSid: serviceSid ?? null,
        now,
      }),
      params: firstValues(form),
      mediaUrl,
      ...(statusCallback !== undefined ? { statusCallback } : {}),
      createdAt: now,
    });
    this.runLifecycle(stored);
    return stored;
  }

  private put(stored: Omit<Stored, 'seq'>): Stored {
    const full = { ...stored, seq: ++this.seq };
    this.store.set(full.resource.sid, full);
    return full;
  }

  private ordered(): Stored[] {
    return [...this.store.values()].sort((a, b) => a.seq - b.seq);
  }

  private list(url: URL): Record<string, unknown> {
    const q = url.searchParams;
    const to = q.get('To') ?? undefined;
    const from = q.get('From') ?? undefined;
    const exact = q.get('DateSent') ?? undefined;
    const before = q.get('DateSent<') ?? undefined;
    const after = q.get('DateSent>') ?? undefined;
    const sizeArg = Number(q.get('PageSize') ?? '50');
    const pageSize = Number.isInteger(sizeArg) && sizeArg > 0 ? Math.min(sizeArg, 1000) : 50;
    const pageArg = Number(q.get('Page') ?? '0');
    const page = Number.isInteger(pageArg) && pageArg >= 0 ? pageArg : 0;
    const token = q.get('PageToken') ?? undefined;

    // "Messages are returned sorted by date, most recent first."
    const all = this.ordered()
      .reverse()
      .filter((s) => {
        if (to !== undefined && s.resource.to !== to) return false;
        if (from !== undefined && s.resource.from !== from) return false;
        if (exact === undefined && before === undefined && after === undefined) return true;
        if (!s.sentAt) return false;
        const t = s.sentAt.getTime();
        if (exact !== undefined && !inDay(t, exact)) return false;
        if (before !== undefined && t > upperBound(before)) return false;
        if (after !== undefined && t < lowerBound(after)) return false;
        return true;
      });

    let start = page * pageSize;
    if (token !== undefined) {
      const sid = token.slice(2);
      const at = all.findIndex((s) => s.resource.sid === sid);
      if (token.startsWith('PA')) start = at < 0 ? all.length : at + 1;
      else if (token.startsWith('PB')) start = Math.max((at < 0 ? 0 : at) - pageSize, 0);
    }
    const items = all.slice(start, start + pageSize);
    const base = `/${API_VERSION}/Accounts/${this.opts.accountSid}/Messages.json`;
    const filters = new URLSearchParams();
    for (const key of ['To', 'From', 'DateSent', 'DateSent<', 'DateSent>']) {
      const v = q.get(key);
      if (v !== null) filters.set(key, v);
    }
    const pageUri = (n: number, pageToken?: string) => {
      const p = new URLSearchParams(filters);
      p.set('PageSize', String(pageSize));
      p.set('Page', String(n));
      if (pageToken !== undefined) p.set('PageToken', pageToken);
      return `${base}?${p.toString()}`;
    };
    const last = items[items.length - 1];
    const first = items[0];
    const hasNext = last !== undefined && start + items.length < all.length;
    const hasPrev = first !== undefined && start > 0;
    return {
      end: items.length > 0 ? start + items.length - 1 : start,
      first_page_uri: pageUri(0),
      messages: items.map((s) => s.resource),
      next_page_uri: hasNext ? pageUri(page + 1, `PA${last.resource.sid}`) : null,
      page,
      page_size: pageSize,
      previous_page_uri: hasPrev ? pageUri(Math.max(page - 1, 0), `PB${first.resource.sid}`) : null,
      start,
      uri: pageUri(page, token),
    };
  }

  // ---------------------------------------------------------------- lifecycle and status callbacks

  /**
   * Moves an outbound message through its statuses, `statusDelayMs` apart. No callback is sent for
   * the initial status ("A status callback request is not sent for the initial status of a newly
   * created Message resource"); each later change is posted to the StatusCallback URL, if any.
   */
  private runLifecycle(stored: Stored): void {
    const plan = this.outcomes.get(stored.resource.to) ?? { outcome: 'delivered' as const };
    const steps: Array<{ status: MessageStatus; errorCode?: number }> = [];
    if (stored.resource.status === 'accepted') steps.push({ status: 'queued' });
    if (plan.outcome === 'failed') steps.push({ status: 'failed', errorCode: plan.errorCode ?? 30008 });
    else {
      steps.push({ status: 'sent' });
      if (plan.outcome === 'undelivered') steps.push({ status: 'undelivered', errorCode: plan.errorCode ?? 30003 });
      else steps.push({ status: 'delivered' });
    }
    void (async () => {
      for (const step of steps) {
        await this.sleep(this.statusDelayMs);
        if (this.closed || !this.store.has(stored.resource.sid)) return;
        const now = new Date();
        const r = stored.resource;
        r.status = step.status;
        r.date_updated = rfc2822(now);
        if (step.status === 'queued' && r.from === null) r.from = this.opts.messagingServiceSender ?? '+15005550006';
        if (step.status === 'queued' && r.messaging_service_sid !== null) r.num_segments = String(segmentCount(r.body));
        if (step.status === 'sent') {
          stored.sentAt = now;
          r.date_sent = rfc2822(now);
        }
        if (step.errorCode !== undefined) {
          r.error_code = step.errorCode;
          r.error_message = ERROR_MESSAGES[step.errorCode] ?? null;
        }
        if (stored.statusCallback) await this.postStatusCallback(stored.statusCallback, r, now);
      }
    })().catch(() => undefined);
  }

  private async postStatusCallback(url: string, msg: MessageResource, now: Date): Promise<void> {
    const params = statusCallbackParams(msg, now);
    const record: CallbackRecord = {
      messageSid: msg.sid,
      messageStatus: msg.status,
      url,
      params,
      headers: {},
      status: 0,
      responseBody: '',
    };
    this.callbacks.push(record);
    const r = await this.post(url, params, twilioSignature(this.opts.authToken, url, params));
    record.headers = r.requestHeaders;
    record.status = r.status;
    record.responseBody = r.body;
    if (r.error !== undefined) record.error = r.error;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const p: Pending = {
        timer: setTimeout(() => {
          this.pending.delete(p);
          resolve();
        }, ms),
        resolve,
      };
      this.pending.add(p);
    });
  }

  private async deliverInbound(url: string, params: Record<string, string>, signature: string, timeoutMs?: number): Promise<SendSmsResult> {
    const messageSid = params.MessageSid ?? '';
    const record: InboundRecord = { messageSid, url, params, headers: {}, status: 0, responseBody: '', blocked: [] };
    this.inbound.push(record);
    const r = await this.post(url, params, signature, timeoutMs);
    record.headers = r.requestHeaders;
    record.status = r.status;
    record.responseBody = r.body;
    if (r.error !== undefined) record.error = r.error;
    const replies: MessageResource[] = [];
    if (r.status >= 200 && r.status < 300) {
      for (const m of parseTwimlMessages(r.body)) {
        const to = m.to ?? params.From ?? '';
        if (this.optedOut.has(to)) {
          record.blocked.push(m);
          continue;
        }
        replies.push(structuredClone(this.createReply(m, to, m.from ?? params.To ?? '').resource));
      }
    }
    return {
      status: r.status,
      body: r.body,
      headers: r.headers,
      messageSid,
      url,
      params,
      signature,
      replies,
      ...(r.error !== undefined ? { error: r.error } : {}),
    };
  }

  /** A `<Message>` in the TwiML answer: Twilio sends it as an `outbound-reply` message. */
  private createReply(m: TwimlMessage, to: string, from: string): Stored {
    const now = new Date();
    const sid = newSid('SM');
    const stored = this.put({
      resource: newMessageResource({
        accountSid: this.opts.accountSid,
        sid,
        direction: 'outbound-reply',
        status: 'queued',
        from,
        to,
        body: m.body,
        numMedia: 0,
        numSegments: segmentCount(m.body),
        messagingServiceSid: null,
        now,
      }),
      params: {},
      mediaUrl: [],
      ...(m.statusCallback !== undefined ? { statusCallback: m.statusCallback } : {}),
      createdAt: now,
    });
    this.runLifecycle(stored);
    return stored;
  }

  private async post(
    url: string,
    params: Record<string, string>,
    signature: string,
    timeoutMs?: number,
  ): Promise<{ status: number; body: string; headers: Record<string, string>; requestHeaders: Record<string, string>; error?: string }> {
    const requestHeaders: Record<string, string> = {
      'Content-Type': 'application/x-www-form-urlencoded',
      'User-Agent': 'TwilioProxy/1.1',
      'X-Twilio-Signature': signature,
    };
    const controller = new AbortController();
    this.inflight.add(controller);
    const timer = setTimeout(() => controller.abort(new Error('timeout')), timeoutMs ?? this.opts.callbackTimeoutMs ?? 15_000);
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: requestHeaders,
        body: new URLSearchParams(params).toString(),
        signal: controller.signal,
        redirect: 'manual',
      });
      const body = await res.text();
      const headers: Record<string, string> = {};
      res.headers.forEach((v, k) => {
        headers[k] = v;
      });
      return { status: res.status, body, headers, requestHeaders };
    } catch (err) {
      const error = controller.signal.aborted ? `timeout: ${String(controller.signal.reason)}` : errorMessage(err);
      return { status: 0, body: '', headers: {}, requestHeaders, error };
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
        if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) input = parsed as Record<string, unknown>;
      } catch {
        sendJson(res, 400, { ok: false, error: 'invalid_json' }, cors);
        return;
      }
    }
    const s = (k: string) => (typeof input[k] === 'string' ? (input[k] as string) : undefined);
    const n = (k: string) => (typeof input[k] === 'number' ? (input[k] as number) : undefined);
    try {
      let out: unknown;
      switch (route) {
        case 'GET /health':
          out = { ok: true, apiUrl: this.apiUrl, accountSid: this.opts.accountSid, smsUrl: this.smsUrl ?? null };
          break;
        case 'GET /messages':
          out = { ok: true, messages: this.messages() };
          break;
        case 'GET /sent':
          out = { ok: true, sent: this.sent(url.searchParams.get('to') ?? undefined) };
          break;
        case 'GET /calls':
          out = { ok: true, calls: this.calls };
          break;
        case 'GET /callbacks':
          out = { ok: true, callbacks: this.callbacks };
          break;
        case 'GET /inbound':
          out = { ok: true, inbound: this.inbound };
          break;
        case 'POST /sms': {
          const from = s('from');
          const to = s('to');
          const body = s('body');
          if (!from || !to || body === undefined) throw new Error('from, to and body are required');
          const media = Array.isArray(input.media)
            ? input.media.filter(
                (m): m is { url: string; contentType: string } =>
                  typeof m === 'object' && m !== null && typeof (m as { url?: unknown }).url === 'string' && typeof (m as { contentType?: unknown }).contentType === 'string',
              )
            : undefined;
          const r = await this.sendSms({
            from,
            to,
            body,
            ...(media ? { media } : {}),
            ...(s('messageSid') !== undefined ? { messageSid: s('messageSid')! } : {}),
            ...(s('url') !== undefined ? { url: s('url')! } : {}),
            ...(s('messagingServiceSid') !== undefined ? { messagingServiceSid: s('messagingServiceSid')! } : {}),
          });
          out = { ok: true, status: r.status, body: r.body, messageSid: r.messageSid, replies: r.replies, error: r.error };
          break;
        }
        case 'POST /opt-out': {
          const number = s('number');
          if (!number) throw new Error('number is required');
          if (input.on === false) this.optIn(number);
          else this.optOut(number);
          out = { ok: true };
          break;
        }
        case 'POST /outcome': {
          const to = s('to');
          const outcome = s('outcome');
          if (!to || (outcome !== 'delivered' && outcome !== 'undelivered' && outcome !== 'failed')) {
            throw new Error('to and outcome (delivered | undelivered | failed) are required');
          }
          this.setDeliveryOutcome(to, outcome, n('errorCode'));
          out = { ok: true };
          break;
        }
        case 'POST /fail': {
          const status = n('status');
          if (status === undefined) throw new Error('status is required');
          const op = s('op');
          if (op !== undefined && !['create', 'fetch', 'list', 'delete'].includes(op)) throw new Error('op must be create, fetch, list or delete');
          this.failNext(
            {
              status,
              ...(n('code') !== undefined ? { code: n('code')! } : {}),
              ...(n('retryAfter') !== undefined ? { retryAfter: n('retryAfter')! } : {}),
              ...(s('message') !== undefined ? { message: s('message')! } : {}),
              ...(op !== undefined ? { op: op as RestOp } : {}),
            },
            n('times') ?? 1,
          );
          out = { ok: true };
          break;
        }
        case 'POST /outage':
          this.setOutage(input.on === true);
          out = { ok: true };
          break;
        case 'POST /hang':
          this.hangNext(n('times') ?? 1);
          out = { ok: true };
          break;
        case 'POST /sms-url':
          this.setSmsUrl(s('url'));
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

export async function startTwilioEmulator(opts: TwilioEmulatorOptions): Promise<TwilioEmulator> {
  return TwilioEmulator.start(opts);
}

// ------------------------------------------------------------------ helpers

const DAY_MS = 86_400_000;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/** `YYYY-MM-DD` is a GMT day; anything else is parsed as an instant. */
function parseDateArg(v: string): number {
  const t = DATE_ONLY.test(v) ? Date.parse(`${v}T00:00:00Z`) : Date.parse(v);
  return Number.isNaN(t) ? NaN : t;
}

function inDay(t: number, v: string): boolean {
  const start = parseDateArg(v);
  if (Number.isNaN(start)) return false;
  return DATE_ONLY.test(v) ? t >= start && t < start + DAY_MS : t === start;
}

/** `DateSent<` is "on and before": a date includes the whole day. */
function upperBound(v: string): number {
  const t = parseDateArg(v);
  if (Number.isNaN(t)) return Number.POSITIVE_INFINITY;
  return DATE_ONLY.test(v) ? t + DAY_MS - 1 : t;
}

/** `DateSent>` is "on and after". */
function lowerBound(v: string): number {
  const t = parseDateArg(v);
  return Number.isNaN(t) ? Number.NEGATIVE_INFINITY : t;
}
