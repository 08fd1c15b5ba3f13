import { afterEach, expect, it } from 'vitest';
import { describeRedis, dropPrefix, killConnections, TEST_REDIS_URL, uniquePrefix } from '../../test/support/redis.ts';
import { runBusContract } from './bus.contract.ts';
import { reconnectDelay, RedisBus } from './redis-bus.ts';

describeRedis('Redis bus', () => {
  runBusContract('Redis (two nodes sharing a prefix)', async () => {
    const prefix = uniquePrefix();
    const a = new RedisBus({ url: TEST_REDIS_URL, prefix });
    const b = new RedisBus({ url: TEST_REDIS_URL, prefix });
    return {
      a, b,
      interrupt: async () => {
        expect(await killConnections(b.connectionName)).toBe(2);
      },
      dispose: async () => {
        await Promise.all([a.close(), b.close()]);
        await dropPrefix(prefix);
      },
    };
  });

  const open: RedisBus[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((b) => b.close()));
  });

  it('keeps deployments with different prefixes apart', async () => {
    const a = new RedisBus({ url: TEST_REDIS_URL, prefix: uniquePrefix() });
    const b = new RedisBus({ url: TEST_REDIS_URL, prefix: uniquePrefix() });
    open.push(a, b);
    const got: unknown[] = [];
    const mine: unknown[] = [];
    await b.subscribe('org:shared-name', (e) => got.push(e));
    await a.subscribe('org:shared-name', (e) => mine.push(e));
    await a.publish('org:shared-name', { n: 1 });
    await new Promise((r) => setTimeout(r, 150));
    expect(mine).toEqual([{ n: 1 }]);
    expect(got).toEqual([]);
  });
});

// Needs no Redis: a bus pointed at a port where nothing listens.
it('with Redis unreachable, never throws into callers and counts what it could not publish', async () => {
  let failed = 0;
  const warnings: string[] = [];
  const bus = new RedisBus({
    url: 'redis://127.0.0.1:1', prefix: uniquePrefix(), onPublishFailed: () => failed++,
    log: { warn: (_o, m) => warnings.push(m), info: () => undefined },
  });
  try {
    const t0 = Date.now();
    await expect(bus.publish('org:x', { body: 'Patient text never logged' })).resolves.toBeUndefined();
    const off = await bus.subscribe('org:x', () => undefined);
    await off();
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(failed).toBe(1);
    expect(await bus.reachable()).toBe(false);
    expect(warnings.length).toBeGreaterThan(0);
    expect(warnings.join(' ')).not.toContain('Patient text');
  } finally {
    await bus.close();
  }
});

it('backs off reconnects from 100 ms to at most 5 s, with jitter', () => {
  expect(reconnectDelay(1, () => 1)).toBe(100);
  expect(reconnectDelay(4, () => 1)).toBe(800);
  expect(reconnectDelay(50, () => 1)).toBe(5000);
  expect(reconnectDelay(50, () => 0)).toBe(2500);
});
