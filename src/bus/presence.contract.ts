/** The contract of PresenceRegistry, run against the memory and Redis registries. */
import { afterEach, describe, expect, it } from 'vitest';
import type { PresenceRegistry } from './presence.ts';

export interface PresenceCluster {
  /** Two nodes' views of one deployment, on the same clock `clock.now`. */
  a: PresenceRegistry;
  b: PresenceRegistry;
  clock: { now: number };
  dispose(): Promise<void>;
}

export function runPresenceContract(name: string, makeCluster: () => Promise<PresenceCluster>): void {
  describe(`Presence contract: ${name}`, () => {
    let cluster: PresenceCluster | undefined;
    const start = async () => (cluster = await makeCluster());
    afterEach(async () => {
      await cluster?.dispose();
      cluster = undefined;
    });

    it('shows a connection on one node to the other, per organization, sorted', async () => {
      const { a, b } = await start();
      await a.touch('org_1', 'st_zoe', 'c1', 60_000);
      await b.touch('org_1', 'st_amy', 'c2', 60_000);
      await a.touch('org_2', 'st_bob', 'c3', 60_000);
      expect(await b.online('org_1')).toEqual(['st_amy', 'st_zoe']);
      expect(await a.online('org_2')).toEqual(['st_bob']);
      expect(await a.online('org_3')).toEqual([]);
    });

    it('keeps staff online until their last connection leaves', async () => {
      const { a, b } = await start();
      await a.touch('org_1', 'st_amy', 'tab1', 60_000);
      await b.touch('org_1', 'st_amy', 'tab2', 60_000);
      await a.leave('org_1', 'st_amy', 'tab1');
      expect(await a.online('org_1')).toEqual(['st_amy']);
      await b.leave('org_1', 'st_amy', 'tab2');
      expect(await a.online('org_1')).toEqual([]);
    });

    it('forgets a connection whose heartbeats stopped (its node died), and keeps one that beats', async () => {
      const { a, b, clock } = await start();
      await a.touch('org_1', 'st_dead', 'c1', 1_000);
      await b.touch('org_1', 'st_alive', 'c2', 1_000);
      clock.now += 800;
      await b.touch('org_1', 'st_alive', 'c2', 1_000);
      clock.now += 400;
      expect(await b.online('org_1')).toEqual(['st_alive']);
      clock.now += 1_000;
      expect(await a.online('org_1')).toEqual([]);
    });
  });
}
