/**
 * A Viber REST bot API emulator for tests, the demo and benchmarks.
 *
 * - Serves `POST /pa/send_message` and `POST /pa/set_webhook` with `X-Viber-Auth-Token`, answering
 *   HTTP 200 with Viber's `status` codes (0 ok, 2 invalid token, 6 receiver not subscribed, 12 too
 *   many requests...), and `message_token`s as bare 64-bit integers.
 * - `set_webhook` first calls the URL with `event: webhook`, as Viber does.
 * - Sends the app signed (X-Viber-Content-Signature) callbacks: `message`, `conversation_started`,
 *   `subscribed`, `unsubscribed`, and `delivered`/`seen` for each message it accepted.
 * - Injects faults: HTTP 500, 429 (+ Retry-After), or any Viber status code.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { errorMessage, readBody } from '../shared/http.ts';
import { viberSignature } from './signing.ts';
import {
  conversationStartedEvent, messageEvent, newMessageToken, serialise, statusEvent, subscribedEvent, unsubscribedEvent, webhookEvent,
  type ViberUser,
} from './payloads.ts';

export { viberSignature } from './signing.ts';
export type { ViberUser } from './payloads.ts';

export interface ViberEmulatorOptions {
  authToken: string;
  webhookUrl?: string;
  statusDelayMs?: number;
}

export interface ViberFault { httpStatus?: number; viberStatus?: number; retryAfter?: number }

export interface ViberSent { receiver: string; body: Record<string, unknown>; messageToken: string }

export interface CallbackResult { status: number; body: string; token: string | undefined }

const STATUS_MESSAGES: Record<number, string> = {
  0: 'ok', 2: 'invalidAuthToken', 3: 'badData', 5: 'receiverNotRegistered', 6: 'receiverNotSubscribed', 12: 'tooManyRequests',
};

export class ViberEmulator {
  readonly url: string;
  /** Point VIBER_API_URL here. */
  readonly apiUrl: string;
  readonly sent: ViberSent[] = [];
  readonly calls: Array<{ path: string; status: number; viberStatus: number | undefined }> = [];
  private webhookUrl: string | undefined;
  private readonly subscribed = new Set<string>();
  private readonly faults: Array<ViberFault & { times: number }> = [];
  private closed = false;

  private constructor(private readonly server: http.Server, private readonly opts: ViberEmulatorOptions, port: number) {
    this.url = `http://127.0.0.1:${port}`;
    this.apiUrl = `${this.url}/pa`;
    this.webhookUrl = opts.webhookUrl;
  }

  static async start(opts: ViberEmulatorOptions): Promise<ViberEmulator> {
    const ref: { emu?: ViberEmulator } = {};
    const server = http.createServer((req, res) => {
      if (!ref.emu) return void res.writeHead(503).end();
      ref.emu.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' }).end(errorMessage(err));
        else res.destroy();
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    ref.emu = new ViberEmulator(server, opts, (server.address() as AddressInfo).port);
    return ref.emu;
  }

  setWebhookUrl(url: string): void {
    this.webhookUrl = url;
  }

  failNext(fault: ViberFault, times = 1): void {
    this.faults.push({ ...fault, times });
  }

  isSubscribed(userId: string): boolean {
    return this.subscribed.has(userId);
  }

  /** Posts a callback signed with the auth token (or `signature` verbatim / another token). */
  async post(event: Record<string, unknown>, opts: { signature?: string; authToken?: string; raw?: string } = {}): Promise<CallbackResult> {
    if (!this.webhookUrl) throw new Error('webhook URL not set');
    const body = opts.raw ?? serialise(event);
    const res = await fetch(this.webhookUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-viber-content-signature': opts.signature ?? viberSignature(opts.authToken ?? this.opts.authToken, body) },
      body,
    });
    return { status: res.status, body: await res.text(), token: typeof event.message_token === 'string' ? event.message_token : undefined };
  }

  /** A text from a user; writing to the bot subscribes them (as on Viber). */
  async text(user: ViberUser, text: string, token = newMessageToken()): Promise<CallbackResult & { token: string }> {
    this.subscribed.add(user.id);
    return { ...(await this.post(messageEvent(user, { type: 'text', text }, token))), token };
  }

  async picture(user: ViberUser, media: { url: string; size?: number; text?: string }): Promise<CallbackResult> {
    this.subscribed.add(user.id);
    return this.post(messageEvent(user, { type: 'picture', media: media.url, thumbnail: media.url, text: media.text ?? '', ...(media.size !== undefined ? { size: media.size } : {}) }, newMessageToken()));
  }

  conversationStarted(user: ViberUser): Promise<CallbackResult> {
    return this.post(conversationStartedEvent(user, this.subscribed.has(user.id)));
  }

  subscribe(user: ViberUser): Promise<CallbackResult> {
    this.subscribed.add(user.id);
    return this.post(subscribedEvent(user));
  }

  unsubscribe(userId: string): Promise<CallbackResult> {
    this.subscribed.delete(userId);
    return this.post(unsubscribedEvent(userId));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', this.url).pathname;
    const record: { path: string; status: number; viberStatus: number | undefined } = { path, status: 0, viberStatus: undefined };
    this.calls.push(record);
    const reply = (viberStatus: number, extra: Record<string, unknown> = {}) => {
      record.status = 200;
      record.viberStatus = viberStatus;
      const text = serialise({ status: viberStatus, status_message: STATUS_MESSAGES[viberStatus] ?? 'error', chat_hostname: 'SN-CHAT-05_', ...extra });
      res.writeHead(200, { 'content-type': 'application/json' }).end(text);
    };
    if (req.method !== 'POST') {
      record.status = 405;
      return void res.writeHead(405).end();
    }
    const raw = await readBody(req);
    const fault = this.faults[0];
    if (fault) {
      if (--fault.times <= 0) this.faults.shift();
      if (fault.httpStatus) {
        record.status = fault.httpStatus;
        res.writeHead(fault.httpStatus, { 'content-type': 'text/plain', ...(fault.retryAfter !== undefined ? { 'Retry-After': String(fault.retryAfter) } : {}) }).end('error');
        return;
      }
      return reply(fault.viberStatus ?? 12);
    }
    if (req.headers['x-viber-auth-token'] !== this.opts.authToken) return reply(2);
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      return reply(3);
    }
    if (path === '/pa/set_webhook') {
      if (typeof body.url !== 'string') return reply(3);
      this.webhookUrl = body.url;
      const check = await this.post(webhookEvent());
      return check.status === 200 ? reply(0, { event_types: body.event_types ?? [] }) : reply(1);
    }
    if (path !== '/pa/send_message') return reply(3);
    const receiver = typeof body.receiver === 'string' ? body.receiver : '';
    const sender = body.sender as { name?: unknown } | undefined;
    if (!receiver || typeof sender?.name !== 'string' || sender.name.length > 28 || body.type !== 'text' || typeof body.text !== 'string') return reply(3);
    if (!this.subscribed.has(receiver)) return reply(6);
    const token = newMessageToken();
    this.sent.push({ receiver, body, messageToken: token });
    reply(0, { message_token: token });
    void this.lifecycle(receiver, token);
  }

  private async lifecycle(userId: string, token: string): Promise<void> {
    for (const event of ['delivered', 'seen'] as const) {
      await new Promise((r) => setTimeout(r, this.opts.statusDelayMs ?? 20));
      if (this.closed || !this.webhookUrl) return;
      await this.post(statusEvent(event, token, userId)).catch(() => undefined);
    }
  }

  async waitFor<T>(fn: () => T | undefined | null | false, ms = 5000): Promise<T> {
    const end = Date.now() + ms;
    for (;;) {
      const v = fn();
      if (v) return v;
      if (Date.now() > end) throw new Error('viber emulator: condition not met in time');
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

export function startViberEmulator(opts: ViberEmulatorOptions): Promise<ViberEmulator> {
  return ViberEmulator.start(opts);
}
