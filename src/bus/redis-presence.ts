/**
 * Presence shared by every node through Redis: one sorted set per organization
 * (`prefix + presence:<orgId>`), a member per staff connection scored with its expiry time. Reads
 * drop expired members first, so a node that died stops counting once its heartbeats stop.
 * Like the bus, it never throws into callers when Redis is away: presence is a nicety.
 */
import { Redis } from 'ioredis';
import type { PresenceRegistry } from './presence.ts';
import { DEFAULT_REDIS_PREFIX, reconnectDelay } from './redis-bus.ts';

export class RedisPresence implements PresenceRegistry {
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly timeoutMs: number;

  constructor(options: { url: string; prefix?: string; commandTimeoutMs?: number }, private readonly now: () => number = Date.now) {
    this.prefix = options.prefix ?? DEFAULT_REDIS_PREFIX;
    this.timeoutMs = options.commandTimeoutMs ?? 1_000;
    this.redis = new Redis(options.url, {
      retryStrategy: (times) => reconnectDelay(times), enableOfflineQueue: false, maxRetriesPerRequest: 0,
      commandTimeout: this.timeoutMs, connectionName: 'bedside-presence',
    });
    // Outages are reported by the bus, which shares the server; nothing to add here.
    this.redis.on('error', () => undefined);
  }

  /** Just started or reconnecting: wait a moment for the link rather than fail at once. */
  private whenReady(): Promise<void> {
    if (this.redis.status === 'ready') return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.redis.off('ready', done);
        resolve();
      };
      const timer = setTimeout(done, this.timeoutMs);
      this.redis.on('ready', done);
    });
  }

  private key(orgId: string): string {
    return `${this.prefix}presence:${orgId}`;
  }

  async touch(orgId: string, staffId: string, connectionId: string, ttlMs: number): Promise<void> {
    const key = this.key(orgId);
    try {
      await this.whenReady();
      // The key itself outlives its longest member a little, so an abandoned organization's set goes away.
      await this.redis.multi().zadd(key, this.now() + ttlMs, `${staffId}|${connectionId}`).pexpire(key, ttlMs * 2).exec();
    } catch {
      // Redis away: this connection shows up again with its next heartbeat.
    }
  }

  async leave(orgId: string, staffId: string, connectionId: string): Promise<void> {
    try {
      await this.whenReady();
      await this.redis.zrem(this.key(orgId), `${staffId}|${connectionId}`);
    } catch {
      // Redis away: the entry expires on its own.
    }
  }

  async online(orgId: string): Promise<string[]> {
    const key = this.key(orgId);
    const now = this.now();
    try {
      await this.whenReady();
      const [, members] = (await this.redis.multi().zremrangebyscore(key, '-inf', now).zrangebyscore(key, `(${now}`, '+inf').exec()) ?? [];
      const list = (members?.[1] ?? []) as string[];
      return [...new Set(list.map((m) => m.slice(0, m.lastIndexOf('|'))))].sort();
    } catch {
      return [];
    }
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}
