/**
 * Two nodes of one deployment in one process: app A and app B share the database and a Redis
 * prefix, as two servers behind a load balancer would. A patient on A and a staff member on B see
 * each other live; losing Redis for a moment makes clients resume from the store, losing nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RedisBus } from '../../src/bus/redis-bus.ts';
import type { Store } from '../../src/store/types.ts';
import { eventually, startHarness, type Harness } from '../support/harness.ts';
import { describeRedis, dropPrefix, killConnections, TEST_REDIS_URL, uniquePrefix } from '../support/redis.ts';
import { enrolStaff, type Enrolled } from '../support/staff.ts';
import { WidgetClient } from '../support/widget-client.ts';

type Frame = Record<string, unknown>;

/** The same store for a second app; closing it is left to the app that opened it. */
function sharedStore(store: Store): Store {
  return new Proxy(store, {
    get(target, prop) {
      if (prop === 'close') return async () => undefined;
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

function staffSocket(h: Harness, cookie: string | undefined): Promise<{ ws: WebSocket; frames: Frame[] }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${h.wsUrl}/api/ws`, { headers: { cookie: cookie ?? '' } });
    const frames: Frame[] = [];
    ws.on('message', (d) => frames.push(JSON.parse(String(d)) as Frame));
    ws.once('open', () => resolve({ ws, frames }));
    ws.once('error', reject);
  });
}

describeRedis('two nodes sharing Redis', () => {
  const prefix = uniquePrefix();
  const dataDir = mkdtempSync(join(tmpdir(), 'bedside-2node-'));
  let a: Harness;
  let b: Harness;
  let agent: Enrolled;

  beforeAll(async () => {
    const env = { REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: prefix };
    a = await startHarness({ dataDir, slack: false, env });
    b = await startHarness({ dataDir, slack: false, env, store: sharedStore(a.app.store) });
    agent = await enrolStaff(b, 'agent', 'night.nurse@clinic.test');
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
    rmSync(dataDir, { recursive: true, force: true });
    await dropPrefix(prefix);
  });

  it('both nodes are ready with Redis reachable', async () => {
    for (const h of [a, b]) {
      const res = await fetch(`${h.url}/readyz`);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ status: 'ok', database: 'ok', redis: 'ok' });
    }
  });

  it('a patient on node A and staff on node B see each other\'s messages and typing live', async () => {
    const staff = await staffSocket(b, agent.client.cookie);
    const visitor = await WidgetClient.connect(a.wsUrl, a.inbox.publicKey);
    await visitor.hello();
    try {
      await visitor.say('Written on node A');
      const created = await eventually(() => staff.frames.find((f) => f.type === 'message.created'));
      expect((created.message as { body: string }).body).toBe('Written on node A');
      const conversationId = created.conversationId as string;

      visitor.send({ type: 'typing', on: true });
      await eventually(() => staff.frames.find((f) => f.type === 'typing' && f.who === 'contact' && f.on === true));

      const from = visitor.frames.length;
      staff.ws.send(JSON.stringify({ type: 'typing', conversationId, on: true }));
      expect(await visitor.next('typing', from)).toMatchObject({ on: true, name: 'Test agent' });

      const reply = await agent.client.post(`/api/conversations/${conversationId}/messages`, { body: 'Answered on node B', clientId: 'two-node-reply-01' });
      expect(reply.status).toBe(201);
      const live = await visitor.next('message', from, (f) => f.message.body === 'Answered on node B');
      expect(live.message).toMatchObject({ from: 'staff', authorName: 'Test agent' });
    } finally {
      staff.ws.close();
      await visitor.close();
    }
  });

  it('shows staff presence across nodes: online with the first connection, offline after the last', async () => {
    const colleague = await enrolStaff(a, 'agent', 'day.nurse@clinic.test');
    const watcher = await staffSocket(b, agent.client.cookie);
    try {
      const snapshot = await eventually(() => watcher.frames.find((f) => f.type === 'presence.snapshot'));
      expect(snapshot.online).toEqual([agent.staffId]);
      const first = await staffSocket(a, colleague.client.cookie);
      await eventually(() => watcher.frames.find((f) => f.type === 'presence' && f.staffId === colleague.staffId && f.online === true));
      const second = await staffSocket(b, colleague.client.cookie);
      const secondSnapshot = await eventually(() => second.frames.find((f) => f.type === 'presence.snapshot'));
      expect(secondSnapshot.online).toEqual([agent.staffId, colleague.staffId].sort());
      // One tab closed on node A: still online through node B.
      first.ws.close();
      await new Promise((r) => setTimeout(r, 300));
      expect(watcher.frames.some((f) => f.type === 'presence' && f.staffId === colleague.staffId && f.online === false)).toBe(false);
      second.ws.close();
      await eventually(() => watcher.frames.find((f) => f.type === 'presence' && f.staffId === colleague.staffId && f.online === false));
    } finally {
      watcher.ws.close();
    }
  });

  it('after a Redis outage on node A, its clients are asked to resume and lose nothing', async () => {
    const visitor = await WidgetClient.connect(a.wsUrl, a.inbox.publicKey);
    const welcome = await visitor.hello();
    const ack = await visitor.say('Before the outage');
    const list = await agent.client.get<{ items: Array<{ id: string }> }>('/api/conversations');
    const conversationId = list.body.items[0]?.id as string;

    expect(await killConnections((a.app.bus as RedisBus).connectionName)).toBe(2);
    // Node A reconnects, knows it may have missed events, and closes its sockets as a restart would.
    await eventually(() => visitor.closeCode === 1012, 10_000);

    // Meanwhile staff on B answered; the patient's widget reconnects (to any node) and catches up.
    const reply = await agent.client.post(`/api/conversations/${conversationId}/messages`, { body: 'Sent while A was cut off', clientId: 'two-node-reply-02' });
    expect(reply.status).toBe(201);
    const again = await WidgetClient.connect(b.wsUrl, b.inbox.publicKey);
    try {
      const resumed = await again.hello(welcome.token, ack.message.id);
      expect(resumed.messages.map((m) => m.body)).toContain('Sent while A was cut off');
      // And live updates flow through node A again.
      const onA = await WidgetClient.connect(a.wsUrl, a.inbox.publicKey);
      await onA.hello(welcome.token, ack.message.id);
      const from = onA.frames.length;
      await eventually(async () => (await fetch(`${a.url}/readyz`)).status === 200, 10_000);
      const third = await agent.client.post(`/api/conversations/${conversationId}/messages`, { body: 'Live again on A', clientId: 'two-node-reply-03' });
      expect(third.status).toBe(201);
      await onA.next('message', from, (f) => f.message.body === 'Live again on A');
      await onA.close();
    } finally {
      await again.close();
    }
  });
});
