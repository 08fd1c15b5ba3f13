import { describeRedis, dropPrefix, TEST_REDIS_URL, uniquePrefix } from '../../test/support/redis.ts';
import { runPresenceContract } from './presence.contract.ts';
import { MemoryPresence } from './presence.ts';
import { RedisPresence } from './redis-presence.ts';

runPresenceContract('memory (one process)', async () => {
  const clock = { now: 1_000_000 };
  const registry = new MemoryPresence(() => clock.now);
  return { a: registry, b: registry, clock, dispose: () => registry.close() };
});

describeRedis('Redis presence', () => {
  runPresenceContract('Redis (two nodes sharing a prefix)', async () => {
    const clock = { now: 1_000_000 };
    const prefix = uniquePrefix();
    const a = new RedisPresence({ url: TEST_REDIS_URL, prefix }, () => clock.now);
    const b = new RedisPresence({ url: TEST_REDIS_URL, prefix }, () => clock.now);
    return {
      a, b, clock,
      dispose: async () => {
        await Promise.all([a.close(), b.close()]);
        await dropPrefix(prefix);
      },
    };
  });
});
