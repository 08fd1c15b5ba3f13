/** A scripted widget visitor speaking the real WebSocket protocol, for integration tests. */
import { WebSocket } from 'ws';
import type { ServerFrame } from '../../src/channels/widget/protocol.ts';

export class WidgetClient {
  readonly frames: ServerFrame[] = [];
  private ws!: WebSocket;
  closeCode: number | undefined;

  static async connect(wsUrl: string, publicKey: string): Promise<WidgetClient> {
    const c = new WidgetClient();
    await c.open(`${wsUrl}/widget/ws?inbox=${encodeURIComponent(publicKey)}`);
    return c;
  }

  /** A visitor who filled in the pre-chat form with `profile` and wrote `body`; the socket stays open. */
  static async withProfile(wsUrl: string, publicKey: string, profile: { name?: string; email?: string; phone?: string }, body: string): Promise<WidgetClient> {
    const c = await WidgetClient.connect(wsUrl, publicKey);
    await c.hello();
    const before = c.frames.length;
    c.send({ type: 'profile', profile });
    await c.next('profile_saved', before);
    await c.say(body);
    return c;
  }

  private open(url: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.ws = new WebSocket(url);
      this.ws.on('message', (d) => this.frames.push(JSON.parse(String(d)) as ServerFrame));
      this.ws.on('close', (code) => { this.closeCode = code; });
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
  }

  sendRaw(data: string | Buffer): void {
    this.ws.send(data);
  }

  send(frame: object): void {
    this.ws.send(JSON.stringify(frame));
  }

  async hello(token?: string, lastSeenId?: number): Promise<Extract<ServerFrame, { type: 'welcome' }>> {
    const before = this.frames.length;
    this.send({ type: 'hello', ...(token ? { token } : {}), ...(lastSeenId !== undefined ? { lastSeenId } : {}) });
    return this.next('welcome', before);
  }

  async say(body: string, clientId = `c${Math.random().toString(36).slice(2, 12)}`): Promise<Extract<ServerFrame, { type: 'ack' }>> {
    const before = this.frames.length;
    this.send({ type: 'message', clientId, body });
    return this.next('ack', before, (f) => f.clientId === clientId);
  }

  /** The first frame of `type` at or after index `from` (and matching `pred`). */
  async next<T extends ServerFrame['type']>(
    type: T, from = 0, pred: (f: Extract<ServerFrame, { type: T }>) => boolean = () => true, ms = 5000,
  ): Promise<Extract<ServerFrame, { type: T }>> {
    const end = Date.now() + ms;
    for (;;) {
      const hit = this.frames.slice(from).find((f) => f.type === type && pred(f as Extract<ServerFrame, { type: T }>));
      if (hit) return hit as Extract<ServerFrame, { type: T }>;
      if (Date.now() > end) throw new Error(`no ${type} frame within ${ms} ms; got ${this.frames.map((f) => f.type).join(',')}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.ws.readyState === WebSocket.CLOSED) return resolve();
      this.ws.once('close', () => resolve());
      this.ws.close();
    });
  }
}

/** The visitor id inside a widget token (layout: v1.<inboxId>.<visitorId>.<issuedAt base36>.<mac>). */
export function visitorIdOf(token: string): string {
  const id = token.split('.')[2];
  if (!id) throw new Error('token has no visitor id');
  return id;
}
