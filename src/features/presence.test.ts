import { describe, expect, it } from 'vitest';
import { MemoryBus } from '../bus/memory-bus.ts';
import { MemoryPresence } from '../bus/presence.ts';
import { topics } from '../bus/types.ts';
import { StaffPresence } from './presence.ts';

describe('staff presence', () => {
  it('announces the first connection and the last, not the ones between', async () => {
    const bus = new MemoryBus();
    const events: unknown[] = [];
    await bus.subscribe(topics.org('org_1'), (e) => events.push(e));
    const presence = new StaffPresence(new MemoryPresence(), bus);
    const tab1 = await presence.connect('org_1', 'st_amy');
    const tab2 = await presence.connect('org_1', 'st_amy');
    expect(await presence.online('org_1')).toEqual(['st_amy']);
    await tab1.end();
    await tab1.end();
    expect(await presence.online('org_1')).toEqual(['st_amy']);
    await tab2.end();
    expect(await presence.online('org_1')).toEqual([]);
    expect(events).toEqual([
      { type: 'presence', staffId: 'st_amy', online: true },
      { type: 'presence', staffId: 'st_amy', online: false },
    ]);
  });

  it('keeps a connection alive with heartbeats, and lets one without them expire', async () => {
    const clock = { now: 0 };
    const registry = new MemoryPresence(() => clock.now);
    const presence = new StaffPresence(registry, new MemoryBus(), { ttlMs: 100, heartbeatMs: 20 });
    const session = await presence.connect('org_1', 'st_amy');
    // A connection of a node that died: recorded once, never renewed.
    await registry.touch('org_1', 'st_gone', 'dead-node-conn', 100);
    clock.now = 150;
    // Both expired at 100; only st_amy's heartbeat (every 20 ms of real time) brings it back.
    const end = Date.now() + 2000;
    let online: string[] = [];
    while (Date.now() < end && (online = await presence.online('org_1')).join() !== 'st_amy') await new Promise((r) => setTimeout(r, 10));
    expect(online).toEqual(['st_amy']);
    await session.end();
  });
});
