/**
 * Live updates: one WebSocket to /api/ws, reconnected with exponential backoff and jitter, a ping
 * every 25 s to keep proxies from closing it, and the typing indicator the agent sends. Free of the
 * DOM: the socket factory and the clock are injected.
 */
import type { ClientFrame, ServerFrame } from '../api-types.ts';
import type { IdleClock } from './idle.ts';

export const PING_INTERVAL_MS = 25_000;
/** No pong this long after a ping: the connection is dead (a sleeping laptop, a dropped network). */
export const PONG_TIMEOUT_MS = 10_000;
export const BACKOFF_MIN_MS = 1_000;
export const BACKOFF_MAX_MS = 30_000;
/** A connection that stayed up this long resets the backoff. */
export const STABLE_AFTER_MS = 10_000;

export interface SocketHandlers {
  open(): void;
  message(data: string): void;
  close(code: number): void;
}
export interface SocketLike {
  send(data: string): void;
  close(): void;
}
export type SocketFactory = (url: string, handlers: SocketHandlers) => SocketLike;

export type LiveStatus = 'connecting' | 'online' | 'offline';

export interface LiveOptions {
  url: string;
  socket: SocketFactory;
  clock: IdleClock;
  random?: () => number;
  onFrame: (frame: ServerFrame) => void;
  onStatus?: (status: LiveStatus) => void;
  /** The socket is open again after having been lost: whatever happened meanwhile was missed. */
  onReconnected?: () => void;
  /** A connection attempt failed or an open one dropped (`failures` in a row). */
  onDrop?: (failures: number) => void;
}

/** Delay before reconnect attempt `attempt` (0-based): doubling from 1 s, at most 30 s, 50-100 % jitter. */
export function backoffDelay(attempt: number, random: () => number): number {
  const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** attempt);
  return Math.round(ceiling * (0.5 + random() * 0.5));
}

export function parseServerFrame(data: string): ServerFrame | null {
  let v: unknown;
  try {
    v = JSON.parse(data);
  } catch {
    return null;
  }
  if (!v || typeof v !== 'object') return null;
  const f = v as Record<string, unknown>;
  switch (f.type) {
    case 'message.created':
    case 'message.updated': {
      if (typeof f.conversationId !== 'string' || !f.message || typeof f.message !== 'object') return null;
      // Without usable list fields the conversation counts as belonging in every view (the list
      // then asks the server), never as belonging in none.
      if (f.conversation !== undefined && !isListFields(f.conversation)) return { ...f, conversation: undefined } as unknown as ServerFrame;
      return f as unknown as ServerFrame;
    }
    case 'conversation.updated':
      return !!f.conversation && typeof f.conversation === 'object' ? (f as unknown as ServerFrame) : null;
    case 'typing':
      return typeof f.conversationId === 'string' && typeof f.on === 'boolean' ? (f as unknown as ServerFrame) : null;
    case 'presence.snapshot':
      return Array.isArray(f.online) ? { type: 'presence.snapshot', online: f.online.filter((x): x is string => typeof x === 'string') } : null;
    case 'presence':
      return typeof f.staffId === 'string' && typeof f.online === 'boolean' ? { type: 'presence', staffId: f.staffId, online: f.online } : null;
    case 'session.ended':
      return { type: 'session.ended' };
    case 'pong':
      return { type: 'pong' };
    case 'error':
      return { type: 'error', code: String(f.code ?? ''), message: String(f.message ?? '') };
    default:
      return null;
  }
}

export class LiveConnection {
  private socket: SocketLike | null = null;
  private status: LiveStatus = 'offline';
  private failures = 0;
  private everOpen = false;
  private openedAt = 0;
  private retryTimer: unknown = null;
  private pingTimer: unknown = null;
  private pongTimer: unknown = null;
  private stopped = true;
  private readonly random: () => number;

  constructor(private readonly o: LiveOptions) {
    this.random = o.random ?? Math.random;
  }

  get state(): LiveStatus {
    return this.status;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.clearTimers();
    const s = this.socket;
    this.socket = null;
    s?.close();
    this.setStatus('offline');
  }

  /** Sends a frame when connected; returns false otherwise (frames are not queued). */
  send(frame: ClientFrame): boolean {
    if (this.status !== 'online' || !this.socket) return false;
    this.socket.send(JSON.stringify(frame));
    return true;
  }

  /** Reconnect now instead of waiting out the backoff (the browser came back online). */
  wake(): void {
    if (this.stopped || this.status === 'online' || this.status === 'connecting') return;
    if (this.retryTimer != null) this.o.clock.clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.connect();
  }

  private setStatus(s: LiveStatus): void {
    if (s === this.status) return;
    this.status = s;
    this.o.onStatus?.(s);
  }

  private clearTimers(): void {
    if (this.retryTimer != null) this.o.clock.clearTimeout(this.retryTimer);
    if (this.pingTimer != null) this.o.clock.clearTimeout(this.pingTimer);
    if (this.pongTimer != null) this.o.clock.clearTimeout(this.pongTimer);
    this.retryTimer = null;
    this.pingTimer = null;
    this.pongTimer = null;
  }

  private connect(): void {
    this.setStatus('connecting');
    let socket: SocketLike | null = null;
    const current = () => socket !== null && this.socket === socket;
    socket = this.o.socket(this.o.url, {
      open: () => {
        if (!current()) return;
        const reconnect = this.everOpen;
        this.everOpen = true;
        this.openedAt = this.o.clock.now();
        this.setStatus('online');
        this.schedulePing();
        if (reconnect) this.o.onReconnected?.();
      },
      message: (data) => {
        if (!current()) return;
        const frame = parseServerFrame(data);
        if (!frame) return;
        if (frame.type === 'pong') {
          if (this.pongTimer != null) this.o.clock.clearTimeout(this.pongTimer);
          this.pongTimer = null;
          return;
        }
        this.o.onFrame(frame);
      },
      close: () => {
        if (current()) this.dropped();
      },
    });
    this.socket = socket;
  }

  /** The current socket is gone: schedule the next attempt. */
  private dropped(): void {
    const s = this.socket;
    this.socket = null;
    this.clearTimers();
    s?.close();
    if (this.stopped) return;
    if (this.status === 'online' && this.o.clock.now() - this.openedAt >= STABLE_AFTER_MS) this.failures = 0;
    const delay = backoffDelay(this.failures, this.random);
    this.failures++;
    this.setStatus('offline');
    this.o.onDrop?.(this.failures);
    this.retryTimer = this.o.clock.setTimeout(() => {
      this.retryTimer = null;
      if (!this.stopped) this.connect();
    }, delay);
  }

  private schedulePing(): void {
    this.pingTimer = this.o.clock.setTimeout(() => {
      this.pingTimer = null;
      if (!this.send({ type: 'ping' })) return;
      this.pongTimer = this.o.clock.setTimeout(() => {
        this.pongTimer = null;
        this.dropped();
      }, PONG_TIMEOUT_MS);
      this.schedulePing();
    }, PING_INTERVAL_MS);
  }
}

export const TYPING_REPEAT_MS = 3_000;
export const TYPING_IDLE_MS = 4_000;

/**
 * The agent's typing indicator for one conversation: "on" at the first keystroke and again at most
 * every 3 s while typing continues, "off" after 4 s without a keystroke or when the reply is sent.
 */
export class TypingSender {
  private on = false;
  private lastOnAt = -Infinity;
  private idleTimer: unknown = null;

  constructor(
    private readonly conversationId: string,
    private readonly send: (frame: ClientFrame) => void,
    private readonly clock: IdleClock,
  ) {}

  input(): void {
    const now = this.clock.now();
    if (!this.on || now - this.lastOnAt >= TYPING_REPEAT_MS) {
      this.on = true;
      this.lastOnAt = now;
      this.send({ type: 'typing', conversationId: this.conversationId, on: true });
    }
    if (this.idleTimer != null) this.clock.clearTimeout(this.idleTimer);
    this.idleTimer = this.clock.setTimeout(() => {
      this.idleTimer = null;
      this.stop();
    }, TYPING_IDLE_MS);
  }

  /** Typing ended (sent, cleared, left the conversation). */
  stop(): void {
    if (this.idleTimer != null) this.clock.clearTimeout(this.idleTimer);
    this.idleTimer = null;
    if (!this.on) return;
    this.on = false;
    this.send({ type: 'typing', conversationId: this.conversationId, on: false });
  }
}

/** Who is connected after a presence frame (other frames change nothing). */
export function applyPresence(online: ReadonlySet<string>, f: ServerFrame): ReadonlySet<string> {
  if (f.type === 'presence.snapshot') return new Set(f.online);
  if (f.type !== 'presence' || online.has(f.staffId) === f.online) return online;
  const next = new Set(online);
  if (f.online) next.add(f.staffId);
  else next.delete(f.staffId);
  return next;
}

function isListFields(v: unknown): boolean {
  if (!v || typeof v !== 'object') return false;
  const c = v as Record<string, unknown>;
  return typeof c.inboxId === 'string' && typeof c.channel === 'string' && (c.status === 'open' || c.status === 'resolved')
    && (c.assigneeId === null || typeof c.assigneeId === 'string');
}
