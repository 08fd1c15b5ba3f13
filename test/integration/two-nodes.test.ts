/**
 * Two real Bedside processes of one deployment: node A and node B share a PostgreSQL database and a
 * Redis prefix, as two servers behind a load balancer would. They start together on an empty
 * database; a patient talks to A while Slack's events reach B; then A is killed mid-burst and every
 * message still reaches the store and Slack exactly once.
 */
import { WebSocket } from 'ws';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { AuditTrail } from '../../src/features/audit.ts';
import { ensureSmsInbox, seedDemoPractice } from '../../src/features/demo.ts';
import { StaffAuth } from '../../src/features/staff-auth.ts';
import { createLogger } from '../../src/log.ts';
import { openPostgresStore } from '../../src/store/postgres/open.ts';
import type { Store } from '../../src/store/types.ts';
import type { SlackEmulator } from '../emulators/slack/index.ts';
import { eventually, SLACK, STAFF } from '../support/harness.ts';
import { testMasterKey } from '../support/keys.ts';
import { createTestDatabase, rawClient, type TestDatabase } from '../support/postgres.ts';
import { describePostgres } from '../support/postgres-suite.ts';
import type { BedsideProcess } from '../support/process.ts';
import { describeRedis } from '../support/redis.ts';
import { PASSWORD, StaffClient, tokenOf } from '../support/staff.ts';
import { SHARED_SECRET_KEY, startTwoNodes, type TwoNodes } from '../support/two-nodes.ts';
import { WidgetClient } from '../support/widget-client.ts';
import { totpCode } from '../../src/security/totp.ts';

type Frame = Record<string, unknown>;

const BURST = 40;
const PATIENTS = 5;

function staffSocket(wsUrl: string, cookie: string | undefined): Promise<{ ws: WebSocket; frames: Frame[] }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${wsUrl}/api/ws`, { headers: { cookie: cookie ?? '' } });
    const frames: Frame[] = [];
    ws.on('message', (d) => frames.push(JSON.parse(String(d)) as Frame));
    ws.once('open', () => resolve({ ws, frames }));
    ws.once('error', reject);
  });
}

const wsOf = (p: BedsideProcess) => p.url.replace(/^http/, 'ws');

await describePostgres('two Bedside processes on PostgreSQL and Redis', () => {
  describeRedis('two nodes', () => {
    let nodes: TwoNodes;
    let a: BedsideProcess;
    let b: BedsideProcess;
    let db: TestDatabase;
    let slack: SlackEmulator;
    let store: Store;
    let staff: StaffClient;
    let publicKey: string;

    beforeAll(async () => {
      // Both at the same moment, on a database with no schema and no practice yet.
      nodes = await startTwoNodes();
      ({ a, b, db, slack } = nodes);
      store = await openPostgresStore(db.url, testMasterKey(), { poolMax: 2 });
      const inbox = await store.findFirstWebInbox();
      if (!inbox) throw new Error('no website inbox');
      publicKey = inbox.publicKey;
      const auth = new StaffAuth(store, new AuditTrail(createLogger('silent')), {
        idleMs: 900_000, maxAgeMs: 3600_000, enrolmentLinkMs: 86_400_000, publicUrl: b.url, serverKey: SHARED_SECRET_KEY,
      });
      const { enrolmentUrl } = await auth.createAccount(
        { orgId: inbox.orgId, email: 'night.nurse@clinic.test', role: 'agent', displayName: 'Night Nurse' },
        { type: 'system', id: null, orgId: inbox.orgId, ip: null },
      );
      // Enrolled through node B, as the nurse's browser would be.
      staff = new StaffClient(b.url);
      const token = tokenOf(enrolmentUrl);
      const inspect = await staff.post<{ totpSecret: string }>('/api/enrol/inspect', { token });
      const done = await staff.post('/api/enrol/complete', { token, displayName: 'Night Nurse', password: PASSWORD, totpCode: totpCode(inspect.body.totpSecret) });
      if (done.status !== 200) throw new Error(`enrol failed: ${done.status}`);
    }, 60_000);

    afterAll(async () => {
      await store?.close();
      await nodes?.close();
    });

    it('started together on an empty database, they create one demo practice between them', async () => {
      const client = await rawClient(db.name);
      try {
        const orgs = await client.query<{ slug: string }>('select slug from organizations');
        expect(orgs.rows.map((r) => r.slug)).toEqual(['demo']);
        expect((await client.query('select id from inboxes')).rowCount).toBe(1);
        expect((await client.query('select id from staff')).rowCount).toBe(2);
      } finally {
        await client.end();
      }
      for (const p of [a, b]) {
        expect(await (await fetch(`${p.url}/readyz`)).json()).toMatchObject({ status: 'ok', database: 'ok', redis: 'ok' });
        expect(p.output()).not.toMatch(/failed to start|Error/);
      }
    });

    it('starts racing on one empty database seed the demo practice and a channel inbox once, and none fails', async () => {
      const fresh = await createTestDatabase({ migrated: true });
      const racing = await openPostgresStore(fresh.url, testMasterKey(), { poolMax: 6 });
      try {
        const auth = new StaffAuth(racing, new AuditTrail(createLogger('silent')), {
          idleMs: 900_000, maxAgeMs: 3600_000, enrolmentLinkMs: 86_400_000, publicUrl: b.url, serverKey: SHARED_SECRET_KEY,
        });
        // Every start's first look at the database on a connection of its own, already open, as on
        // separate nodes (a cold pool would let the first caller finish before the others connect).
        await Promise.all([1, 2, 3, 4, 5, 6].map(() => racing.countOrganizations()));
        const seeded = await Promise.all([1, 2, 3].map(() => seedDemoPractice(racing, auth)));
        expect(seeded.filter(Boolean)).toHaveLength(1);
        expect(await racing.countOrganizations()).toBe(1);
        const inboxes = await Promise.all([1, 2, 3].map(() => ensureSmsInbox(racing)));
        expect(new Set(inboxes.map((i) => i?.id)).size).toBe(1);
        const org = (await racing.listOrganizations())[0];
        expect((await racing.listInboxes(org?.id as string)).map((i) => i.channel).sort()).toEqual(['sms', 'web']);
      } finally {
        await racing.close();
        await fresh.drop();
      }
    });

    it('a patient on node A reaches Slack and staff on node B; a Slack reply sent to node B shows live on A', async () => {
      const inbox = await staffSocket(wsOf(b), staff.cookie);
      const visitor = await WidgetClient.connect(wsOf(a), publicKey);
      try {
        await visitor.hello();
        await visitor.say('Is the clinic open on Saturday?');
        const created = await eventually(() => inbox.frames.find((f) => f.type === 'message.created'));
        expect((created.message as { body: string }).body).toBe('Is the clinic open on Saturday?');

        const parent = await slack.waitFor(() => slack.posts(SLACK.channelId).find((p) => !p.thread_ts), 10_000);
        expect(JSON.stringify(parent.blocks)).toContain('Is the clinic open on Saturday?');
        // Slack has the post a moment before Bedside has recorded its thread.
        await eventually(() => store.findConversationBySlackThread(SLACK.channelId, parent.ts));

        const from = visitor.frames.length;
        const sent = await slack.staffReply({ threadTs: parent.ts, user: STAFF.id, text: 'Yes, 9 to 12.' });
        expect(sent.status).toBe(200);
        expect(slack.sent.at(-1)?.url).toContain(b.url);
        const live = await visitor.next('message', from, (f) => f.message.body === 'Yes, 9 to 12.');
        expect(live.message).toMatchObject({ from: 'staff' });
      } finally {
        inbox.ws.close();
        await visitor.close();
      }
    });

    it('node A killed mid-burst: after the widgets resend and A restarts, each message is stored and posted exactly once', async () => {
      // Five patients on node A, eight messages each (a widget socket takes ten at once, then one a second).
      const patients = await Promise.all(Array.from({ length: PATIENTS }, async (_, n) => {
        const widget = await WidgetClient.connect(wsOf(a), publicKey);
        const { token } = await widget.hello();
        const opening = await widget.say(`Patient ${n} opens a conversation`);
        const messages = Array.from({ length: BURST / PATIENTS }, (_, i) => ({
          body: `Burst message ${n}-${i}`, clientId: `burst-${n}-${i}`,
        }));
        return { widget, token, lastSeenId: opening.message.id, messages };
      }));
      const all = patients.flatMap((p) => p.messages.map((m) => ({ ...m, patient: p })));
      const bodies = all.map((m) => m.body).sort();
      const acked = () => new Set(patients.flatMap((p) => p.widget.frames.flatMap((f) => (f.type === 'ack' ? [f.clientId] : []))));

      // The burst: a frame every 15 ms, without waiting for acks, as patients typing fast would;
      // node A dies once about half of them are acknowledged.
      const sending = (async () => {
        for (const m of all) {
          if (a.child.signalCode) return;
          m.patient.widget.send({ type: 'message', clientId: m.clientId, body: m.body });
          await new Promise((r) => setTimeout(r, 15));
        }
      })();
      await eventually(() => acked().size >= BURST / 2, 10_000);
      a.child.kill('SIGKILL');
      expect((await a.exited).signal).toBe('SIGKILL');
      await sending;
      const ackedBeforeKill = acked();
      expect(ackedBeforeKill.size).toBeLessThan(BURST);

      // Each widget reconnects to the surviving node and resends everything not acknowledged.
      const resumed = await Promise.all(patients.map(async (p) => {
        const again = await WidgetClient.connect(wsOf(b), publicKey);
        await again.hello(p.token, p.lastSeenId);
        for (const m of p.messages) if (!ackedBeforeKill.has(m.clientId)) await again.say(m.body, m.clientId);
        return again;
      }));
      a = await nodes.restartA();

      const burstPosts = () => slack.posts(SLACK.channelId).filter((p) => p.text.startsWith('Burst message'));
      await slack.waitFor(() => new Set(burstPosts().map((p) => p.text)).size === BURST, 30_000);
      // Give a duplicate, were one coming, the time to arrive: past a lease and a retry.
      await new Promise((r) => setTimeout(r, 2500));
      const perText = new Map<string, number>();
      for (const p of burstPosts()) perText.set(p.text, (perText.get(p.text) ?? 0) + 1);
      expect([...perText.entries()].filter(([, n]) => n !== 1)).toEqual([]);
      expect([...perText.keys()].sort()).toEqual(bodies);

      // Stored exactly once, read through either node.
      const list = await staff.get<{ items: Array<{ id: string }> }>('/api/conversations');
      for (const p of [a, b]) {
        const client = new StaffClient(p.url);
        client.cookie = staff.cookie;
        const stored: string[] = [];
        for (const c of list.body.items) {
          const detail = await client.get<{ messages: Array<{ body: string }> }>(`/api/conversations/${c.id}`);
          expect(detail.status).toBe(200);
          stored.push(...detail.body.messages.map((m) => m.body).filter((body) => body.startsWith('Burst message')));
        }
        expect(stored.sort()).toEqual(bodies);
      }
      await Promise.all([...resumed, ...patients.map((p) => p.widget)].map((w) => w.close()));
    }, 60_000);
  });
});
