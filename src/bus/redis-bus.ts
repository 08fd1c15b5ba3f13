/**
 * Fan-out across nodes through Redis pub/sub: a widget connected to node A and a staff member on
 * node B see each other's events. One connection publishes, one subscribes (a subscribed Redis
 * connection can do nothing else). Every Redis channel is `prefix + topic`; there are no pattern
 * subscriptions, so each node receives only the topics its own sockets asked for.
 *
 * Redis is a convenience here, not a source of truth: an event lost while Redis is down is still in
 * the store. So nothing in this class ever throws into a caller because Redis is unreachable; a
 * failed publish is logged (without the event) and counted, and when the link comes back the bus
 * reports a gap so that socket owners make their clients resume from the store.
 */
import { randomBytes } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';
import type { Bus, BusHandler } from './types.ts';
import { withFields } from '../domain/with-fields.ts';

/** The little the bus needs of a logger; never given an event, which may name a patient. */
export interface BusLog {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

export interface RedisBusOptions {
  url: string;
  /** Prepended to every channel, so several installations (or tests) can share one Redis. */
  prefix?: string;
  log?: BusLog;
  /** Called for every event that could not be published (the metrics count them). */
  onPublishFailed?: () => void;
  /** Upper bound on one publish or ping while Redis is slow or unreachable. */
  commandTimeoutMs?: number;
}

export const DEFAULT_REDIS_PREFIX = 'bedside:';
const MAX_RECONNECT_DELAY_MS = 5_000;
/** A subscriber that cannot confirm its subscription this fast carries on; it is renewed on reconnect. */
const SUBSCRIBE_WAIT_MS = 2_000;

/** Reconnect attempt `n` (1-based) waits 100 ms doubling up to 5 s, with jitter so nodes do not stampede. */
export function reconnectDelay(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(MAX_RECONNECT_DELAY_MS, 100 * 2 ** Math.min(attempt - 1, 10));
  return Math.round(ceiling * (0.5 + random() * 0.5));
}

interface TopicEntry {
  handlers: Set<BusHandler>;
  subscribed: Promise<void>;
}

export class RedisBus implements Bus {
  /** Events go through Redis, as JSON, to this node's subscribers too. */
  readonly deliversPublishedObject = false;
  /** The Redis client name of this bus's two connections (`CLIENT LIST` shows it). */
  readonly connectionName: string;
  private readonly prefix: string;
  private readonly pub: Redis;
  private readonly sub: Redis;
  private readonly entries = new Map<string, TopicEntry>();
  private readonly gapListeners = new Set<() => void>();
  private subReadyBefore = false;
  private pubReadyBefore = false;
  /** Events were lost since the links were last healthy: report a gap once they are. */
  private missed = false;
  private down = false;
  private closed = false;

  constructor(private readonly options: RedisBusOptions) {
    this.prefix = options.prefix ?? DEFAULT_REDIS_PREFIX;
    this.connectionName = `bedside-${randomBytes(4).toString('hex')}`;
    const common: RedisOptions = {
      retryStrategy: (times) => reconnectDelay(times),
      connectTimeout: 5_000,
      // We renew subscriptions ourselves from `entries`, the one record of what this node wants.
      autoResubscribe: false,
      connectionName: this.connectionName,
    };
    const timeout = options.commandTimeoutMs ?? 1_000;
    // Publishing must never wait for a reconnect: the caller is answering a patient.
    this.pub = new Redis(options.url, withFields(common, { enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: timeout }));
    // Subscriptions may wait for a reconnect (they are bounded by SUBSCRIBE_WAIT_MS at the call).
    this.sub = new Redis(options.url, withFields(common, { maxRetriesPerRequest: null }));

    // Renew first, so that a gap reported by linkBack finds the subscriptions already on their way.
    this.sub.on('ready', () => this.renewSubscriptions());
    for (const conn of [this.pub, this.sub]) {
      conn.on('error', (err: Error) => this.linkLost(err));
      conn.on('close', () => this.linkLost());
      conn.on('ready', () => this.linkBack());
    }
    this.pub.on('ready', () => { this.pubReadyBefore = true; });
    this.sub.on('message', (channel: string, message: string) => this.dispatch(channel, message));
  }

  async publish(topic: string, event: unknown): Promise<void> {
    if (this.closed) return;
    try {
      // Only while first connecting is a publish worth a short wait; in an outage it fails fast.
      if (!this.pubReadyBefore) await this.whenReady(this.pub);
      await this.pub.publish(this.prefix + topic, JSON.stringify(event));
      // A publish that only timed out leaves the connection up (no "ready" event to come): the
      // next success is where the outage ends and the gap is reported.
      if (this.down || this.missed) this.linkBack();
    } catch (err) {
      this.missed = true;
      this.options.onPublishFailed?.();
      this.linkLost(err instanceof Error ? err : undefined);
    }
  }

  async subscribe(topic: string, handler: BusHandler): Promise<() => Promise<void>> {
    let entry = this.entries.get(topic);
    if (entry) {
      entry.handlers.add(handler);
    } else {
      const pending = this.bounded(this.sub.subscribe(this.prefix + topic));
      // In an outage, do not wait: the subscription is renewed when Redis is back, and meanwhile
      // the caller (a socket being opened) must not hang.
      entry = { handlers: new Set([handler]), subscribed: this.subReadyBefore && this.sub.status !== 'ready' ? Promise.resolve() : pending };
      this.entries.set(topic, entry);
    }
    await entry.subscribed;
    const mine = entry;
    let done = false;
    return async () => {
      if (done) return;
      done = true;
      mine.handlers.delete(handler);
      // Reference-counted: the Redis subscription ends with the topic's last local listener.
      if (mine.handlers.size === 0 && this.entries.get(topic) === mine) {
        this.entries.delete(topic);
        if (this.closed) return;
        const pending = this.bounded(this.sub.unsubscribe(this.prefix + topic));
        if (this.sub.status === 'ready') await pending;
      }
    };
  }

  onGap(listener: () => void): () => void {
    this.gapListeners.add(listener);
    return () => this.gapListeners.delete(listener);
  }

  /** Whether Redis answers right now (readiness probe). */
  async reachable(): Promise<boolean> {
    if (this.closed) return false;
    try {
      // Just started or reconnecting: a probe may wait a moment for the link instead of failing.
      await Promise.all([this.pub, this.sub].map((conn) => this.whenReady(conn)));
      return (await this.pub.ping()) === 'PONG' && this.sub.status === 'ready';
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.entries.clear();
    this.gapListeners.clear();
    await Promise.all([this.pub, this.sub].map(async (conn) => {
      if (conn.status === 'ready') await this.bounded(conn.quit());
      conn.disconnect();
    }));
  }

  private dispatch(channel: string, message: string): void {
    if (!channel.startsWith(this.prefix)) return;
    const entry = this.entries.get(channel.slice(this.prefix.length));
    if (!entry) return;
    let event: unknown;
    try {
      event = JSON.parse(message);
    } catch {
      this.options.log?.warn({ topicLength: channel.length }, 'bus event is not JSON; dropped');
      return;
    }
    for (const h of [...entry.handlers]) {
      try {
        h(event);
      } catch {
        // A broken subscriber (e.g. a socket closing mid-send) must not stop delivery to others.
      }
    }
  }

  private renewSubscriptions(): void {
    const channels = [...this.entries.keys()].map((t) => this.prefix + t);
    if (channels.length) void this.bounded(this.sub.subscribe(...channels));
    // Anything published while this node was not listening never reached it.
    if (this.subReadyBefore) this.missed = true;
    this.subReadyBefore = true;
  }

  private linkLost(err?: Error): void {
    if (this.closed) return;
    this.missed ||= this.subReadyBefore;
    if (this.down) return;
    this.down = true;
    // One line per outage, not one per retry; the error's code says why, never an event.
    this.options.log?.warn({ code: (err as { code?: string } | undefined)?.code }, 'redis unreachable: live updates across nodes are paused, clients will resume from the store');
  }

  private linkBack(): void {
    if (this.closed || this.pub.status !== 'ready' || this.sub.status !== 'ready') return;
    if (this.down) this.options.log?.info({}, 'redis reachable again');
    this.down = false;
    if (!this.missed) return;
    this.missed = false;
    for (const l of [...this.gapListeners]) {
      try {
        l();
      } catch {
        // One listener's failure must not keep the others from resynchronising.
      }
    }
  }

  private whenReady(conn: Redis): Promise<void> {
    if (conn.status === 'ready') return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        conn.off('ready', done);
        resolve();
      };
      const timer = setTimeout(done, this.options.commandTimeoutMs ?? 1_000);
      conn.on('ready', done);
    });
  }

  /** Waits for a Redis command at most SUBSCRIBE_WAIT_MS and never rejects. */
  private bounded(p: Promise<unknown>): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const settled = p.then(() => undefined, (err: unknown) => this.linkLost(err instanceof Error ? err : undefined));
    return Promise.race([
      settled,
      new Promise<void>((resolve) => { timer = setTimeout(resolve, SUBSCRIBE_WAIT_MS); timer.unref(); }),
    ]).finally(() => clearTimeout(timer));
  }
}
