/**
 * Redis for tests: the server at TEST_REDIS_URL (default 127.0.0.1:6379), a key prefix per test so
 * parallel suites never see each other, and a way to cut a bus's connections as an outage would.
 * Without Redis these suites fail, naming the server they looked for; they are never skipped: a
 * run that silently stopped testing the Redis bus would look as green as one that tested it.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { describe, it } from 'vitest';

export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export async function redisAvailable(url = TEST_REDIS_URL): Promise<boolean> {
  const probe = new Redis(url, { lazyConnect: true, connectTimeout: 1000, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

const available = await redisAvailable();

/** `describe` for suites that need Redis: runs them, or one failing test when Redis does not answer. */
export function describeRedis(name: string, fn: () => void): void {
  if (available) {
    describe(name, fn);
    return;
  }
  describe(name, () => {
    it('needs Redis', () => {
      throw new Error(`Redis is not reachable at ${TEST_REDIS_URL}: start it, or set TEST_REDIS_URL`);
    });
  });
}

export function uniquePrefix(): string {
  return `bedside-test:${randomBytes(6).toString('hex')}:`;
}

async function withAdmin<T>(fn: (r: Redis) => Promise<T>): Promise<T> {
  const admin = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
  try {
    return await fn(admin);
  } finally {
    admin.disconnect();
  }
}

/** Kills every Redis connection named `name` (a bus's two connections), as a Redis restart would. Returns how many. */
export function killConnections(name: string): Promise<number> {
  return withAdmin(async (admin) => {
    const list = String(await admin.client('LIST'));
    const ids = list.split('\n').filter((l) => l.includes(` name=${name} `)).map((l) => /^id=(\d+)/.exec(l)?.[1]).filter(Boolean);
    for (const id of ids) await admin.client('KILL', 'ID', id as string);
    return ids.length;
  });
}

/** Deletes the keys a test wrote under its prefix. */
export function dropPrefix(prefix: string): Promise<void> {
  return withAdmin(async (admin) => {
    let cursor = '0';
    do {
      const [next, keys] = await admin.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 200);
      if (keys.length) await admin.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  });
}
