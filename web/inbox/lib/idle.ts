/**
 * Automatic logoff on the client (HIPAA 164.312(a)(2)(iii)); the server enforces the same limit.
 *
 * The timer watches user activity (reported by the page, also from other tabs of the app) and
 *  - calls `onWarn` `warnSeconds` before the limit,
 *  - calls `onExpire` at the limit,
 *  - calls `onKeepAlive` when the user is active but the server has not heard from this app for a
 *    while, so the server's idle clock (reset only by requests a person makes) does not run out
 *    under someone who is only reading.
 * Free of the DOM: the clock is injected.
 */

export interface IdleClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface IdleOptions {
  timeoutSeconds: number;
  warnSeconds?: number;
  clock: IdleClock;
  onWarn: (secondsLeft: number) => void;
  onExpire: () => void;
  onKeepAlive?: () => void;
}

/** Activity this close together counts once (pointer moves fire constantly). */
export const ACTIVITY_GRANULARITY_MS = 1_000;

export class IdleTimer {
  private lastActivity: number;
  private lastServerContact: number;
  private timer: unknown = null;
  private warned = false;
  private stopped = false;
  private readonly warnMs: number;
  private readonly timeoutMs: number;

  constructor(private readonly o: IdleOptions) {
    this.timeoutMs = Math.max(1, o.timeoutSeconds) * 1000;
    // Never warn earlier than half way through a very short limit.
    this.warnMs = Math.min((o.warnSeconds ?? 60) * 1000, this.timeoutMs / 2);
    this.lastActivity = o.clock.now();
    this.lastServerContact = this.lastActivity;
    this.schedule();
  }

  /** Keep-alive requests are sent at most this often (a quarter of the limit, at most a minute). */
  get keepAliveEveryMs(): number {
    return Math.min(60_000, this.timeoutMs / 4);
  }

  /** When the person was last active (ms since the epoch). */
  get lastActivityAt(): number {
    return this.lastActivity;
  }

  get warning(): boolean {
    return this.warned;
  }

  /** The user did something (here or in another tab, at `at`). Ignored once the warning is up. */
  activity(at = this.o.clock.now()): void {
    if (this.stopped || this.warned) return;
    if (at - this.lastActivity < ACTIVITY_GRANULARITY_MS) return;
    this.lastActivity = Math.max(this.lastActivity, at);
    if (this.o.onKeepAlive && this.lastActivity - this.lastServerContact >= this.keepAliveEveryMs) {
      this.lastServerContact = this.lastActivity;
      this.o.onKeepAlive();
    }
    this.schedule();
  }

  /** The server answered a request: its idle clock restarted. */
  serverContact(at = this.o.clock.now()): void {
    this.lastServerContact = Math.max(this.lastServerContact, at);
  }

  /** "Stay signed in": the warning is dismissed and the count starts again. */
  reset(): void {
    if (this.stopped) return;
    this.warned = false;
    this.lastActivity = this.o.clock.now();
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer != null) this.o.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    if (this.timer != null) this.o.clock.clearTimeout(this.timer);
    this.timer = null;
    if (this.stopped) return;
    const now = this.o.clock.now();
    const expireAt = this.lastActivity + this.timeoutMs;
    const warnAt = expireAt - this.warnMs;
    if (now >= expireAt) {
      this.stopped = true;
      this.o.onExpire();
      return;
    }
    if (!this.warned && now >= warnAt) {
      this.warned = true;
      this.o.onWarn(Math.ceil((expireAt - now) / 1000));
    }
    const nextAt = this.warned ? expireAt : warnAt;
    this.timer = this.o.clock.setTimeout(() => {
      this.timer = null;
      this.schedule();
    }, Math.max(0, nextAt - now));
  }
}
