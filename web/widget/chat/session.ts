/**
 * The chat widget's connection, outbox and message merging, free of the DOM so it can be tested
 * with a fake socket, a fake clock and an in-memory storage.
 *
 * Guarantees, together with the server (see the protocol module):
 *  - a message typed by the patient is kept in a persisted outbox until the server acknowledges it,
 *    and is resent (same clientId) after every reconnect, so neither a dropped connection nor a page
 *    reload loses it and the server never stores it twice;
 *  - every stored message is shown once: messages are merged by `id`, and a stored message that
 *    carries a pending item's clientId replaces that item;
 *  - on a reconnect, `hello.lastSeenId` is the newest message this page holds, so the server replays
 *    only what was missed; a freshly loaded page sends none and gets the recent history;
 *  - the newest id ever seen is persisted, so a reloaded page still knows which replies are new.
 */
import type {
  ClientFrame,
  ServerFrame,
  VisitorProfile,
  WidgetInboxInfo,
  WidgetMessage,
} from '../../../src/channels/widget/protocol.ts';

/** Mirrors `MAX_MESSAGE_CHARS` in the protocol (a test keeps them equal; zod stays out of the bundle). */
export const MAX_MESSAGE_CHARS = 4000;
export const CLIENT_ID_PATTERN = /^[A-Za-z0-9_-]{8,64}$/;

export const PING_INTERVAL_MS = 25_000;
export const DEAD_AFTER_MS = 60_000;
/** After `wake()` on a live connection, how long to wait for the pong before calling it dead. */
export const WAKE_PONG_MS = 10_000;
export const TYPING_REPEAT_MS = 3_000;
export const TYPING_IDLE_MS = 4_000;
export const TYPING_SHOWN_MS = 6_000;
/** A message the server refused as `rate_limited` is sent again after this long, not shown as failed. */
export const RATE_RETRY_MS = 2_000;
export const BACKOFF_MIN_MS = 500;
export const BACKOFF_MAX_MS = 10_000;

export interface SocketHandlers {
  open(): void;
  message(data: string): void;
  close(): void;
  error(): void;
}

/** The part of a WebSocket the session uses. */
export interface SocketLike {
  send(data: string): void;
  close(): void;
}

export type SocketFactory = (url: string, handlers: SocketHandlers) => SocketLike;

export interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface SessionOptions {
  /** The inbox's public key. */
  inbox: string;
  /** Full ws:// or wss:// URL of the widget socket. */
  url: string;
  socket: SocketFactory;
  storage: StorageLike;
  clock: Clock;
  /** Uniform in [0, 1); defaults to Math.random. */
  random?: () => number;
  /** Defaults to 22 random url-safe characters from crypto.getRandomValues. */
  newClientId?: () => string;
  /** Called for each staff message not seen before (id above the persisted last seen one). */
  onIncoming?: (message: WidgetMessage) => void;
}

export interface PendingMessage {
  clientId: string;
  body: string;
  /** ISO 8601, when the patient pressed Send. */
  at: string;
  /** Set when the server refused the message; such an item waits for `retry` or `discard`. */
  error?: string;
}

export type ConnectionStatus = 'connecting' | 'online' | 'reconnecting' | 'stopped';

export interface SessionState {
  status: ConnectionStatus;
  inbox: WidgetInboxInfo | null;
  profileComplete: boolean;
  profileSaving: boolean;
  /** Stored messages, ascending by id, each id once. */
  messages: readonly WidgetMessage[];
  /** Outbox, in the order typed. */
  pending: readonly PendingMessage[];
  /** Set while staff is typing. */
  typing: { name?: string } | null;
  /** A problem to show in the status line. */
  notice: string | null;
}

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** 22 url-safe characters, 132 random bits. */
export function randomClientId(): string {
  let id = '';
  for (const byte of crypto.getRandomValues(new Uint8Array(22))) id += ID_ALPHABET[byte & 63];
  return id;
}

/** Delay before reconnect attempt `attempt` (0-based): doubling from 0.5-1 s up to 5-10 s. */
export function backoffDelay(attempt: number, random: () => number): number {
  const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** (attempt + 1));
  return Math.round(ceiling * (0.5 + random() * 0.5));
}

export function storageKey(inbox: string, name: 'token' | 'lastSeenId' | 'outbox'): string {
  return `bedside:v1:${inbox}:${name}`;
}

function isMessage(m: unknown): m is WidgetMessage {
  const x = m as WidgetMessage | null;
  return !!x && typeof x.id === 'number' && typeof x.body === 'string' && typeof x.at === 'string';
}

function isPending(p: unknown): p is PendingMessage {
  const x = p as PendingMessage | null;
  return !!x && typeof x.clientId === 'string' && CLIENT_ID_PATTERN.test(x.clientId)
    && typeof x.body === 'string' && typeof x.at === 'string';
}

export class ChatSession {
  private state: SessionState = {
    status: 'connecting',
    inbox: null,
    profileComplete: false,
    profileSaving: false,
    messages: [],
    pending: [],
    typing: null,
    notice: null,
  };
  private readonly listeners = new Set<(s: SessionState) => void>();
  private readonly random: () => number;
  private readonly newId: () => string;

  private sock: SocketLike | null = null;
  private welcomed = false;
  private attempt = 0;
  private lastSeenId = 0;
  private queuedProfile: VisitorProfile | null = null;

  private retryTimer: unknown = null;
  private pingTimer: unknown = null;
  private deadTimer: unknown = null;
  private typingIdleTimer: unknown = null;
  private typingShownTimer: unknown = null;
  private rateTimer: unknown = null;
  private typingOn = false;
  private typingSentAt = 0;

  constructor(private readonly opts: SessionOptions) {
    this.random = opts.random ?? Math.random;
    this.newId = opts.newClientId ?? randomClientId;
    const seen = Number(this.read('lastSeenId'));
    if (Number.isSafeInteger(seen) && seen > 0) this.lastSeenId = seen;
    try {
      const saved: unknown = JSON.parse(this.read('outbox') ?? '[]');
      if (Array.isArray(saved)) this.state.pending = saved.filter(isPending);
    } catch {
      // A corrupt outbox is dropped rather than blocking the chat.
    }
  }

  getState(): SessionState {
    return this.state;
  }

  subscribe(fn: (s: SessionState) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  start(): void {
    if (this.sock || this.retryTimer !== null) return;
    this.set({ status: this.attempt ? 'reconnecting' : 'connecting' });
    this.connect();
  }

  stop(): void {
    this.stopTyping();
    this.clearTimers();
    const sock = this.sock;
    this.sock = null;
    this.welcomed = false;
    sock?.close();
    this.set({ status: 'stopped' });
  }

  /** Reconnect now (network back, tab visible) instead of waiting out the backoff. */
  wake(): void {
    if (this.state.status === 'stopped') return;
    if (this.welcomed) {
      // The device may have slept with the socket silently dead: ask, and give up sooner.
      this.sendFrame({ type: 'ping' });
      this.clear('deadTimer');
      this.deadTimer = this.opts.clock.setTimeout(() => this.lost(), WAKE_PONG_MS);
    } else if (!this.sock) {
      this.clear('retryTimer');
      this.attempt = 0;
      this.connect();
    }
  }

  /** Queues a message; returns false if it is empty or too long. */
  send(text: string): boolean {
    const body = text.trim();
    if (!body || body.length > MAX_MESSAGE_CHARS) return false;
    this.stopTyping();
    const item: PendingMessage = { clientId: this.newId(), body, at: new Date(this.opts.clock.now()).toISOString() };
    this.setPending([...this.state.pending, item], { notice: null });
    this.transmit(item);
    return true;
  }

  retry(clientId: string): void {
    const item = this.state.pending.find((p) => p.clientId === clientId);
    if (!item) return;
    const fresh: PendingMessage = { clientId: item.clientId, body: item.body, at: item.at };
    this.setPending(this.state.pending.map((p) => (p === item ? fresh : p)));
    this.transmit(fresh);
  }

  discard(clientId: string): void {
    this.setPending(this.state.pending.filter((p) => p.clientId !== clientId));
  }

  saveProfile(profile: VisitorProfile): void {
    this.setProfile(profile, { notice: null });
    if (this.welcomed) this.sendFrame({ type: 'profile', profile });
  }

  /** Call on every edit of the composer. */
  typingInput(): void {
    if (!this.welcomed) return;
    const now = this.opts.clock.now();
    if (!this.typingOn || now - this.typingSentAt >= TYPING_REPEAT_MS) {
      this.typingOn = true;
      this.typingSentAt = now;
      this.sendFrame({ type: 'typing', on: true });
    }
    this.clear('typingIdleTimer');
    this.typingIdleTimer = this.opts.clock.setTimeout(() => this.stopTyping(), TYPING_IDLE_MS);
  }

  // ---- connection -------------------------------------------------------------------------

  private connect(): void {
    this.retryTimer = null;
    let sock: SocketLike | null = null;
    const mine = (fn: () => void) => () => {
      if (sock && sock === this.sock) fn();
    };
    const handlers: SocketHandlers = {
      open: mine(() => {
        const hello: ClientFrame = { type: 'hello' };
        const token = this.read('token');
        if (token) hello.token = token;
        const held = this.state.messages;
        const newest = held.length ? held[held.length - 1]!.id : 0;
        if (newest > 0) hello.lastSeenId = newest;
        this.sendFrame(hello);
      }),
      message: (data) => mine(() => this.receive(data))(),
      close: mine(() => this.lost()),
      error: mine(() => this.lost()),
    };
    try {
      sock = this.opts.socket(this.opts.url, handlers);
    } catch {
      this.sock = null;
      this.scheduleReconnect();
      return;
    }
    this.sock = sock;
    this.armDeadTimer();
  }

  private lost(): void {
    const sock = this.sock;
    this.sock = null;
    this.welcomed = false;
    this.typingOn = false;
    this.clear('pingTimer');
    this.clear('deadTimer');
    this.clear('typingIdleTimer');
    this.clear('typingShownTimer');
    this.clear('rateTimer');
    try {
      sock?.close();
    } catch {
      // already closed
    }
    this.set({ status: 'reconnecting', typing: null });
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.state.status === 'stopped') return;
    this.set({ status: 'reconnecting' });
    const delay = backoffDelay(this.attempt, this.random);
    this.attempt++;
    this.retryTimer = this.opts.clock.setTimeout(() => this.connect(), delay);
  }

  private armDeadTimer(): void {
    this.clear('deadTimer');
    this.deadTimer = this.opts.clock.setTimeout(() => this.lost(), DEAD_AFTER_MS);
  }

  private schedulePing(): void {
    this.clear('pingTimer');
    this.pingTimer = this.opts.clock.setTimeout(() => {
      this.sendFrame({ type: 'ping' });
      this.schedulePing();
    }, PING_INTERVAL_MS);
  }

  private receive(data: string): void {
    this.armDeadTimer();
    let frame: ServerFrame;
    try {
      frame = JSON.parse(data) as ServerFrame;
    } catch {
      return;
    }
    if (!frame || typeof frame !== 'object') return;
    switch (frame.type) {
      case 'welcome':
        return this.welcome(frame);
      case 'ack':
        this.drop(frame.clientId);
        if (isMessage(frame.message)) this.merge([frame.message]);
        return;
      case 'message':
        if (isMessage(frame.message)) {
          if (frame.message.from === 'staff') this.showTyping(null);
          this.merge([frame.message]);
        }
        return;
      case 'typing':
        return this.showTyping(frame.on ? { name: frame.name } : null);
      case 'profile_saved':
        return this.setProfile(null, { profileComplete: true, notice: null });
      case 'error': {
        const item = frame.clientId ? this.state.pending.find((p) => p.clientId === frame.clientId) : undefined;
        if (item && frame.code === 'rate_limited') {
          // Keep it pending: the server takes it once its rate limit refills.
          if (this.rateTimer === null) {
            this.rateTimer = this.opts.clock.setTimeout(() => {
              this.rateTimer = null;
              this.flushOutbox();
            }, RATE_RETRY_MS);
          }
        } else if (item) {
          this.setPending(this.state.pending.map((p) => (p === item ? { ...p, error: frame.message } : p)));
        } else {
          // Most likely the profile was refused: let the patient correct and resubmit it.
          this.setProfile(null, { notice: frame.message || 'Something went wrong.' });
        }
        return;
      }
      default:
        return; // pong and anything newer: the dead-connection timer is already reset
    }
  }

  private welcome(frame: Extract<ServerFrame, { type: 'welcome' }>): void {
    this.welcomed = true;
    this.attempt = 0;
    // The server refreshes the token on every welcome.
    if (frame.token) this.write('token', frame.token);
    this.set({
      status: 'online',
      inbox: frame.inbox,
      profileComplete: frame.profileComplete,
      notice: null,
    });
    if (Array.isArray(frame.messages)) this.merge(frame.messages.filter(isMessage));
    this.schedulePing();
    this.flushOutbox();
    if (this.queuedProfile) {
      if (frame.profileComplete) this.setProfile(null);
      else this.sendFrame({ type: 'profile', profile: this.queuedProfile });
    }
  }

  private setProfile(profile: VisitorProfile | null, extra: Partial<SessionState> = {}): void {
    this.queuedProfile = profile;
    this.set({ ...extra, profileSaving: profile !== null });
  }

  // ---- messages ---------------------------------------------------------------------------

  private merge(incoming: WidgetMessage[]): void {
    if (!incoming.length) return;
    const byId = new Map(this.state.messages.map((m) => [m.id, m]));
    const acked = new Set<string>();
    const fresh: WidgetMessage[] = [];
    const before = this.lastSeenId;
    for (const m of incoming) {
      if (m.clientId) acked.add(m.clientId);
      if (!byId.has(m.id) && m.from === 'staff' && m.id > before) fresh.push(m);
      byId.set(m.id, m);
      if (m.id > this.lastSeenId) this.lastSeenId = m.id;
    }
    const messages = [...byId.values()].sort((a, b) => a.id - b.id);
    if (this.lastSeenId !== before) this.write('lastSeenId', String(this.lastSeenId));
    const pending = this.state.pending.filter((p) => !acked.has(p.clientId));
    if (pending.length !== this.state.pending.length) this.setPending(pending, { messages });
    else this.set({ messages });
    for (const m of fresh) this.opts.onIncoming?.(m);
  }

  private drop(clientId: string): void {
    if (this.state.pending.some((p) => p.clientId === clientId)) {
      this.setPending(this.state.pending.filter((p) => p.clientId !== clientId));
    }
  }

  private flushOutbox(): void {
    for (const item of this.state.pending) if (!item.error) this.transmit(item);
  }

  private transmit(item: PendingMessage): void {
    if (this.welcomed) this.sendFrame({ type: 'message', clientId: item.clientId, body: item.body });
  }

  private setPending(pending: PendingMessage[], extra: Partial<SessionState> = {}): void {
    if (pending.length) this.write('outbox', JSON.stringify(pending));
    else this.remove('outbox');
    this.set({ ...extra, pending });
  }

  // ---- typing -----------------------------------------------------------------------------

  private stopTyping(): void {
    this.clear('typingIdleTimer');
    if (this.typingOn) {
      this.typingOn = false;
      this.sendFrame({ type: 'typing', on: false });
    }
  }

  private showTyping(typing: { name?: string } | null): void {
    this.clear('typingShownTimer');
    if (typing) {
      this.typingShownTimer = this.opts.clock.setTimeout(() => this.set({ typing: null }), TYPING_SHOWN_MS);
    }
    if (typing || this.state.typing) this.set({ typing });
  }

  // ---- plumbing ---------------------------------------------------------------------------

  private sendFrame(frame: ClientFrame): void {
    if (!this.sock) return;
    try {
      this.sock.send(JSON.stringify(frame));
    } catch {
      this.lost();
    }
  }

  private set(patch: Partial<SessionState>): void {
    this.state = { ...this.state, ...patch };
    for (const fn of this.listeners) fn(this.state);
  }

  private clear(name: 'retryTimer' | 'pingTimer' | 'deadTimer' | 'typingIdleTimer' | 'typingShownTimer' | 'rateTimer'): void {
    if (this[name] !== null) this.opts.clock.clearTimeout(this[name]);
    this[name] = null;
  }

  private clearTimers(): void {
    this.clear('retryTimer');
    this.clear('pingTimer');
    this.clear('deadTimer');
    this.clear('typingIdleTimer');
    this.clear('typingShownTimer');
    this.clear('rateTimer');
  }

  private read(name: 'token' | 'lastSeenId' | 'outbox'): string | null {
    try {
      return this.opts.storage.getItem(storageKey(this.opts.inbox, name));
    } catch {
      return null;
    }
  }

  private write(name: 'token' | 'lastSeenId' | 'outbox', value: string): void {
    try {
      this.opts.storage.setItem(storageKey(this.opts.inbox, name), value);
    } catch {
      // Storage full or blocked: the chat still works for this page's lifetime.
    }
  }

  private remove(name: 'token' | 'lastSeenId' | 'outbox'): void {
    try {
      this.opts.storage.removeItem(storageKey(this.opts.inbox, name));
    } catch {
      // ignore
    }
  }
}
