/**
 * A Meta Graph API emulator (Messenger Send API, WhatsApp Cloud API) for tests, the demo and
 * benchmarks.
 *
 * - Serves `POST /me/messages` (page token) and `POST /{phone-number-id}/messages` (WhatsApp token),
 *   with bearer auth and Graph's error bodies; `GET /{media-id}` and the authenticated media
 *   download; an unauthenticated CDN for Messenger attachment URLs.
 * - Enforces WhatsApp's 24-hour window like the Cloud API (error 131047 for free text to a user
 *   who has not written in 24 hours; templates always pass).
 * - Sends the app signed (X-Hub-Signature-256) webhooks: incoming messages, WhatsApp `statuses`,
 *   Messenger `delivery` and `read`; answers the verification GET handshake.
 * - Injects faults: HTTP 500, 429 (+ Retry-After), any Graph error code.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { errorMessage, readBody, sendJson } from '../shared/http.ts';
import { hubSignature } from './signing.ts';
import {
  graphError, messengerDelivery, messengerInbound, messengerRead, newMid, newWamid, waInbound, waStatus, type WaIds,
} from './payloads.ts';

export { hubSignature } from './signing.ts';

export interface MetaEmulatorOptions {
  appSecret: string;
  verifyToken: string;
  pageId: string;
  pageToken: string;
  phoneNumberId: string;
  whatsappToken: string;
  /** The app's webhook (GET handshake and POST callbacks); can be set later. */
  webhookUrl?: string;
  /** Delay between the status callbacks of one outbound message. Default 20 ms. */
  statusDelayMs?: number;
}

export interface GraphFault { status: number; code?: number; subcode?: number; retryAfter?: number; path?: 'messenger' | 'whatsapp' }

export interface SentRecord {
  product: 'messenger' | 'whatsapp';
  /** The JSON body as the app sent it. */
  body: Record<string, unknown>;
  /** PSID or WhatsApp number. */
  to: string;
  id: string;
}

export interface CallRecord { method: string; path: string; status: number; authorization: string | undefined }

export interface PostResult { status: number; body: string }

interface Media { data: Buffer; mimeType: string }

export class MetaEmulator {
  readonly url: string;
  /** Point META_GRAPH_URL here. */
  readonly graphUrl: string;
  readonly calls: CallRecord[] = [];
  readonly sent: SentRecord[] = [];
  /** Every webhook POST sent, with the app's answer. */
  readonly webhooks: Array<{ payload: unknown; status: number }> = [];

  private webhookUrl: string | undefined;
  private readonly faults: Array<GraphFault & { times: number }> = [];
  private readonly media = new Map<string, Media>();
  private readonly lastInbound = new Map<string, number>();
  private readonly ids: WaIds;
  private closed = false;

  private constructor(private readonly server: http.Server, private readonly opts: MetaEmulatorOptions, port: number) {
    this.url = `http://127.0.0.1:${port}`;
    this.graphUrl = `${this.url}/v21.0`;
    this.webhookUrl = opts.webhookUrl;
    this.ids = { wabaId: '102290129340398', phoneNumberId: opts.phoneNumberId, displayPhoneNumber: '15550783881' };
  }

  static async start(opts: MetaEmulatorOptions): Promise<MetaEmulator> {
    const ref: { emu?: MetaEmulator } = {};
    const server = http.createServer((req, res) => {
      if (!ref.emu) return void res.writeHead(503).end();
      ref.emu.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) sendJson(res, 500, { error: { message: errorMessage(err), code: 2 } });
        else res.destroy();
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    ref.emu = new MetaEmulator(server, opts, (server.address() as AddressInfo).port);
    return ref.emu;
  }

  setWebhookUrl(url: string): void {
    this.webhookUrl = url;
  }

  /** The next `times` Graph calls (optionally only sends of one product) fail like this. */
  failNext(fault: GraphFault, times = 1): void {
    this.faults.push({ ...fault, times });
  }

  /** Pretend the WhatsApp user last wrote at `at` (ms), e.g. 25 hours ago. */
  setLastInbound(waId: string, at: number): void {
    this.lastInbound.set(waId, at);
  }

  // ------------------------------------------------------------ what the vendor sends to the app

  /** The verification GET, as the App Dashboard sends it when the webhook is saved. */
  async verify(token = this.opts.verifyToken, challenge = randomBytes(6).toString('hex')): Promise<{ status: number; body: string; challenge: string }> {
    const q = new URLSearchParams({ 'hub.mode': 'subscribe', 'hub.verify_token': token, 'hub.challenge': challenge });
    const res = await fetch(`${this.requireWebhook()}?${q.toString()}`);
    return { status: res.status, body: await res.text(), challenge };
  }

  /** Posts a payload signed with the app secret (or `signature` verbatim, or another secret). */
  async post(payload: unknown, opts: { signature?: string; appSecret?: string; raw?: string } = {}): Promise<PostResult> {
    const body = opts.raw ?? JSON.stringify(payload);
    const res = await fetch(this.requireWebhook(), {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': opts.signature ?? hubSignature(opts.appSecret ?? this.opts.appSecret, body) },
      body,
    });
    const text = await res.text();
    this.webhooks.push({ payload, status: res.status });
    return { status: res.status, body: text };
  }

  /** A WhatsApp text from `from` (digits, no +). Returns the wamid and the app's answer. */
  async whatsappText(m: { from: string; text: string; name?: string; id?: string; timestamp?: number }): Promise<PostResult & { id: string; payload: unknown }> {
    const id = m.id ?? newWamid();
    const timestamp = m.timestamp ?? Math.floor(Date.now() / 1000);
    this.lastInbound.set(m.from, Math.max(this.lastInbound.get(m.from) ?? 0, timestamp * 1000));
    const payload = waInbound(this.ids, { from: m.from, ...(m.name ? { name: m.name } : {}), id, timestamp, type: 'text', content: { body: m.text } });
    return { ...(await this.post(payload)), id, payload };
  }

  /** A WhatsApp image or document: the bytes are held here, the webhook carries only the media id. */
  async whatsappMedia(m: { from: string; kind: 'image' | 'document'; data: Buffer; mimeType: string; filename?: string; caption?: string }): Promise<PostResult & { id: string }> {
    const mediaId = String(1_000_000_000_000 + Math.floor(Math.random() * 1e12));
    this.media.set(mediaId, { data: m.data, mimeType: m.mimeType });
    const id = newWamid();
    const now = Math.floor(Date.now() / 1000);
    this.lastInbound.set(m.from, now * 1000);
    const content = {
      mime_type: m.mimeType, sha256: randomBytes(32).toString('base64'), id: mediaId,
      ...(m.caption ? { caption: m.caption } : {}), ...(m.kind === 'document' && m.filename ? { filename: m.filename } : {}),
    };
    return { ...(await this.post(waInbound(this.ids, { from: m.from, id, timestamp: now, type: m.kind, content }))), id };
  }

  /** A Messenger message from a page-scoped id; attachments are served from this emulator's CDN. */
  async messengerMessage(m: { psid: string; text?: string; mid?: string; attachments?: Array<{ type: 'image' | 'file'; data: Buffer; contentType: string; filename: string }> }): Promise<PostResult & { mid: string; payload: unknown }> {
    const mid = m.mid ?? newMid();
    const attachments = m.attachments?.map((a) => {
      const key = `${randomBytes(8).toString('hex')}/${encodeURIComponent(a.filename)}`;
      this.media.set(`cdn/${key}`, { data: a.data, mimeType: a.contentType });
      return { type: a.type, url: `${this.url}/cdn/${key}?_nc_oc=${randomBytes(6).toString('hex')}` };
    });
    const payload = messengerInbound(this.opts.pageId, { psid: m.psid, mid, ...(m.text !== undefined ? { text: m.text } : {}), ...(attachments ? { attachments } : {}) });
    return { ...(await this.post(payload)), mid, payload };
  }

  // ------------------------------------------------------------ REST

  private requireWebhook(): string {
    if (!this.webhookUrl) throw new Error('webhook URL not set');
    return this.webhookUrl;
  }

  private takeFault(product: 'messenger' | 'whatsapp' | undefined): GraphFault | undefined {
    const i = this.faults.findIndex((f) => f.path === undefined || f.path === product);
    if (i < 0) return undefined;
    const f = this.faults[i]!;
    if (--f.times <= 0) this.faults.splice(i, 1);
    return f;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const authorization = req.headers.authorization;
    const record: CallRecord = { method: req.method ?? '', path: url.pathname, status: 0, authorization };
    this.calls.push(record);
    const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      record.status = status;
      sendJson(res, status, body, headers);
    };

    if (req.method === 'GET' && url.pathname.startsWith('/cdn/')) {
      const m = this.media.get(`cdn/${url.pathname.slice(5)}`);
      if (!m) return answer(404, { error: 'not found' });
      record.status = 200;
      res.writeHead(200, { 'content-type': m.mimeType, 'content-length': m.data.length }).end(m.data);
      return;
    }
    const path = url.pathname.replace(/^\/v\d+\.\d+/, '');
    const bearer = authorization?.startsWith('Bearer ') ? authorization.slice(7) : url.searchParams.get('access_token') ?? undefined;

    if (req.method === 'GET' && path.startsWith('/_media/')) {
      if (bearer !== this.opts.whatsappToken) return answer(401, graphError(190, 'Invalid OAuth access token.'));
      const m = this.media.get(path.slice('/_media/'.length));
      if (!m) return answer(404, graphError(100, 'Unsupported get request.'));
      record.status = 200;
      res.writeHead(200, { 'content-type': m.mimeType, 'content-length': m.data.length }).end(m.data);
      return;
    }

    const product = path === '/me/messages' ? 'messenger' : path === `/${this.opts.phoneNumberId}/messages` ? 'whatsapp' : undefined;
    const fault = this.takeFault(product);
    if (fault) {
      const headers: Record<string, string> = fault.retryAfter !== undefined ? { 'Retry-After': String(fault.retryAfter) } : {};
      return answer(fault.status, graphError(fault.code ?? (fault.status === 429 ? 4 : 2), fault.status >= 500 ? 'An unexpected error has occurred.' : 'Request failed', fault.subcode), headers);
    }

    if (req.method === 'GET' && /^\/\d+$/.test(path)) {
      if (bearer !== this.opts.whatsappToken) return answer(401, graphError(190, 'Invalid OAuth access token.'));
      const id = path.slice(1);
      const m = this.media.get(id);
      if (!m) return answer(400, graphError(100, 'Unsupported get request.', 33));
      return answer(200, { messaging_product: 'whatsapp', url: `${this.url}/_media/${id}`, mime_type: m.mimeType, sha256: randomBytes(32).toString('hex'), file_size: m.data.length, id });
    }

    if (req.method !== 'POST' || !product) return answer(400, graphError(100, 'Unsupported request.'));
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(await readBody(req)) as Record<string, unknown>;
    } catch {
      return answer(400, graphError(100, 'Invalid JSON.'));
    }
    if (product === 'messenger') {
      if (bearer !== this.opts.pageToken) return answer(401, graphError(190, 'Invalid OAuth access token.'));
      const psid = (body.recipient as { id?: string } | undefined)?.id;
      const text = (body.message as { text?: string } | undefined)?.text;
      if (!psid || typeof text !== 'string' || !body.messaging_type) return answer(400, graphError(100, '(#100) Invalid parameter'));
      if (text.length > 2000) return answer(400, graphError(100, '(#100) Length of param message[text] must be less than or equal to 2000'));
      const mid = newMid();
      this.sent.push({ product, body, to: psid, id: mid });
      answer(200, { recipient_id: psid, message_id: mid });
      void this.messengerLifecycle(psid, mid);
      return;
    }
    if (bearer !== this.opts.whatsappToken) return answer(401, graphError(190, 'Invalid OAuth access token.'));
    const to = typeof body.to === 'string' ? body.to.replace(/^\+/, '') : '';
    if (body.messaging_product !== 'whatsapp' || !to || (body.type !== 'text' && body.type !== 'template')) {
      return answer(400, graphError(100, '(#100) Invalid parameter'));
    }
    if (body.type === 'text') {
      const last = this.lastInbound.get(to);
      if (last === undefined || Date.now() - last > 24 * 3600_000) {
        return answer(400, graphError(131047, 'Re-engagement message'));
      }
    }
    const id = newWamid();
    this.sent.push({ product, body, to, id });
    answer(200, { messaging_product: 'whatsapp', contacts: [{ input: body.to, wa_id: to }], messages: [{ id }] });
    void this.whatsappLifecycle(to, id);
  }

  private sleep(ms: number) {
    return new Promise((r) => setTimeout(r, ms));
  }

  private async whatsappLifecycle(to: string, id: string): Promise<void> {
    for (const status of ['sent', 'delivered', 'read'] as const) {
      await this.sleep(this.opts.statusDelayMs ?? 20);
      if (this.closed || !this.webhookUrl) return;
      await this.post(waStatus(this.ids, { id, status, recipient: to, timestamp: Math.floor(Date.now() / 1000) })).catch(() => undefined);
    }
  }

  private async messengerLifecycle(psid: string, mid: string): Promise<void> {
    await this.sleep(this.opts.statusDelayMs ?? 20);
    if (this.closed || !this.webhookUrl) return;
    await this.post(messengerDelivery(this.opts.pageId, psid, [mid], Date.now())).catch(() => undefined);
    await this.sleep(this.opts.statusDelayMs ?? 20);
    if (this.closed) return;
    await this.post(messengerRead(this.opts.pageId, psid, Date.now())).catch(() => undefined);
  }

  async waitFor<T>(fn: () => T | undefined | null | false, ms = 5000): Promise<T> {
    const end = Date.now() + ms;
    for (;;) {
      const v = fn();
      if (v) return v;
      if (Date.now() > end) throw new Error('meta emulator: condition not met in time');
      await this.sleep(20);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

export function startMetaEmulator(opts: MetaEmulatorOptions): Promise<MetaEmulator> {
  return MetaEmulator.start(opts);
}
