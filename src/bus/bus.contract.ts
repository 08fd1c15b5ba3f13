/**
 * The contract every Bus implementation meets, run against MemoryBus and RedisBus. A "cluster" is
 * what the implementation calls one deployment: for the memory bus, one process (both nodes are
 * the same bus); for Redis, two independent buses sharing a prefix, as two nodes would.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Bus } from './types.ts';

export interface BusCluster {
  /** Two nodes of one deployment: what one publishes, the other's subscribers receive. */
  a: Bus;
  b: Bus;
  /** Cuts node `b`'s link to the others, as a broker restart would, and lets it reconnect. */
  interrupt?: () => Promise<void>;
  dispose(): Promise<void>;
}

async function eventually<T>(fn: () => T | undefined | false, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

export function runBusContract(name: string, makeCluster: () => Promise<BusCluster>): void {
  describe(`Bus contract: ${name}`, () => {
    let cluster: BusCluster | undefined;
    const start = async () => (cluster = await makeCluster());
    afterEach(async () => {
      await cluster?.dispose();
      cluster = undefined;
    });

    it('delivers a JSON event to a subscriber on the same node and on another node', async () => {
      const { a, b } = await start();
      const onA: unknown[] = [];
      const onB: unknown[] = [];
      await a.subscribe('org:o1', (e) => onA.push(e));
      await b.subscribe('org:o1', (e) => onB.push(e));
      const event = { type: 'message.created', conversationId: 'cv_1', messageId: 7, nested: { on: true, list: [1, 'x', null] } };
      await a.publish('org:o1', event);
      await eventually(() => onA.length === 1 && onB.length === 1);
      expect(onA[0]).toEqual(event);
      expect(onB[0]).toEqual(event);
    });

    it('keeps topics apart', async () => {
      const { a, b } = await start();
      const got: string[] = [];
      await b.subscribe('visitor:in1:ct1', (e) => got.push(`one:${(e as { n: number }).n}`));
      await b.subscribe('visitor:in1:ct2', (e) => got.push(`two:${(e as { n: number }).n}`));
      await a.publish('visitor:in1:ct2', { n: 1 });
      await a.publish('visitor:in1:ct3', { n: 2 });
      await a.publish('visitor:in1:ct1', { n: 3 });
      await eventually(() => got.length === 2);
      expect(got).toEqual(['two:1', 'one:3']);
    });

    it('keeps the order of one topic, awaited or not', async () => {
      const { a, b } = await start();
      const got: number[] = [];
      await b.subscribe('org:ordered', (e) => got.push((e as { n: number }).n));
      for (let n = 0; n < 25; n++) await a.publish('org:ordered', { n });
      await Promise.all(Array.from({ length: 25 }, (_, i) => a.publish('org:ordered', { n: 25 + i })));
      await eventually(() => got.length === 50);
      expect(got).toEqual(Array.from({ length: 50 }, (_, i) => i));
    });

    it('unsubscribes one handler while the topic\'s others keep receiving (reference-counted)', async () => {
      const { a, b } = await start();
      const first: number[] = [];
      const second: number[] = [];
      const offFirst = await b.subscribe('org:rc', (e) => first.push((e as { n: number }).n));
      const offSecond = await b.subscribe('org:rc', (e) => second.push((e as { n: number }).n));
      await a.publish('org:rc', { n: 1 });
      await eventually(() => first.length === 1 && second.length === 1);
      await offFirst();
      await offFirst(); // twice is harmless
      await a.publish('org:rc', { n: 2 });
      await eventually(() => second.length === 2);
      expect(first).toEqual([1]);

      // The last handler gone, a new one on the same topic starts afresh.
      await offSecond();
      const third: number[] = [];
      await b.subscribe('org:rc', (e) => third.push((e as { n: number }).n));
      await a.publish('org:rc', { n: 3 });
      await eventually(() => third.length === 1);
      expect(third).toEqual([3]);
      expect(second).toEqual([1, 2]);
    });

    it('isolates a handler that throws from the others and from the publisher', async () => {
      const { a, b } = await start();
      const got: number[] = [];
      await b.subscribe('org:throws', () => { throw new Error('socket gone'); });
      await b.subscribe('org:throws', (e) => got.push((e as { n: number }).n));
      await expect(a.publish('org:throws', { n: 1 })).resolves.toBeUndefined();
      await eventually(() => got.length === 1);
    });

    it('is reachable while running, and after close neither delivers nor throws', async () => {
      const { a, b } = await start();
      expect(await a.reachable()).toBe(true);
      const got: unknown[] = [];
      await b.subscribe('org:closing', (e) => got.push(e));
      await b.close();
      await expect(b.close()).resolves.toBeUndefined();
      await expect(a.publish('org:closing', { n: 1 })).resolves.toBeUndefined();
      await expect(b.publish('org:closing', { n: 2 })).resolves.toBeUndefined();
      await new Promise((r) => setTimeout(r, 100));
      expect(got).toEqual([]);
    });

    it('after its link is cut and back: reports a gap, and events flow again both ways', async () => {
      const { a, b, interrupt } = await start();
      if (!interrupt) {
        // A single process has no link to lose: it never reports a gap.
        let gaps = 0;
        b.onGap(() => gaps++);
        expect(gaps).toBe(0);
        return;
      }
      const onA: number[] = [];
      const onB: number[] = [];
      await a.subscribe('org:outage', (e) => onA.push((e as { n: number }).n));
      await b.subscribe('org:outage', (e) => onB.push((e as { n: number }).n));
      let gaps = 0;
      b.onGap(() => gaps++);
      await interrupt();
      await eventually(() => gaps > 0, 10_000);
      // Publishing while the other side may still be settling never throws; later events flow.
      await eventually(() => {
        void a.publish('org:outage', { n: 1 });
        void b.publish('org:outage', { n: 2 });
        return onB.includes(1) && onA.includes(2);
      }, 10_000);
      expect(await b.reachable()).toBe(true);
    });
  });
}
