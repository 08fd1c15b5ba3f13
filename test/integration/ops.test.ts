/**
 * Operating Bedside: the liveness and readiness probes, the Prometheus metrics (and who may read
 * them), and a shutdown that lets running deliveries finish, within a bound.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/store/sqlite/open.ts';
import { eventually, SLACK, startHarness, type Harness } from '../support/harness.ts';
import { testMasterKey } from '../support/keys.ts';
import { enrolStaff } from '../support/staff.ts';
import { WidgetClient } from '../support/widget-client.ts';

const PATIENT_TEXT = 'My name is Zelda Quartermain and my knee hurts';
const REPLY_TEXT = 'Please come in at 3 pm, Zelda';

let h: Harness | undefined;
const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
  await h?.close();
  h = undefined;
});

async function visitor(harness: Harness): Promise<WidgetClient> {
  const v = await WidgetClient.connect(harness.wsUrl, harness.inbox.publicKey);
  cleanup.push(() => v.close());
  await v.hello();
  return v;
}

describe('health probes', () => {
  it('/healthz says alive; /readyz checks the database, reports Redis as not configured, and shows the outbox', async () => {
    h = await startHarness();
    const alive = await fetch(`${h.url}/healthz`);
    expect(alive.status).toBe(200);
    expect(await alive.json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${h.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ok', database: 'ok', redis: 'not_configured', outbox: { pending: 0, running: 0, deadLetters: 0 } });
  });

  it('/readyz answers 503 while the node drains, /healthz stays 200, and then the node closes', async () => {
    h = await startHarness({ env: { SHUTDOWN_DRAIN_MS: '1500' } });
    const url = h.url;
    const stopped = h.app.stop();
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ status: 'starting_or_stopping' });
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    await stopped;
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });

  it('/readyz answers 503 when the database does not answer', async () => {
    h = await startHarness();
    const harness = h;
    const original = harness.app.store.jobCounts.bind(harness.app.store);
    // The database file vanishing is hard to stage portably; a store that fails its query is the same to the probe.
    harness.app.store.jobCounts = () => Promise.reject(new Error('SQLITE_IOERR'));
    cleanup.push(() => { harness.app.store.jobCounts = original; });
    const res = await fetch(`${harness.url}/readyz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ status: 'unavailable', database: 'unreachable' });
    expect((await fetch(`${harness.url}/healthz`)).status).toBe(200);
  });
});

/** Parses the exposition text into `name{labels} value` samples. */
function samples(text: string): Array<{ name: string; labels: Record<string, string>; value: number }> {
  return text.split('\n').filter((l) => l && !l.startsWith('#')).map((line) => {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`unparseable metrics line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m[2] ?? '').matchAll(/([a-zA-Z_]+)="((?:[^"\\]|\\.)*)"/g)) labels[k as string] = v as string;
    return { name: m[1] as string, labels, value: Number(m[3]) };
  });
}

describe('metrics', () => {
  it('counts messages both ways, deliveries, sockets and the outbox, labels requests by route template, and carries no ids or PHI', async () => {
    h = await startHarness();
    const harness = h;
    const agent = await enrolStaff(harness, 'agent', 'zelda.colleague@clinic.test');
    const v = await visitor(harness);
    // Slack down for the first post: one failed delivery attempt to count.
    harness.slack.failNext('chat.postMessage', { status: 503 });
    await v.say(PATIENT_TEXT);
    const list = await agent.client.get<{ items: Array<{ id: string }> }>('/api/conversations');
    const conversationId = list.body.items[0]?.id as string;
    const sent = await agent.client.post(`/api/conversations/${conversationId}/messages`, { body: REPLY_TEXT, clientId: 'ops-reply-0001' });
    expect(sent.status).toBe(201);
    await v.next('message', 0, (f) => f.message.body === REPLY_TEXT);
    await harness.slack.waitFor(() => harness.slack.posts(SLACK.channelId).length >= 2);

    const res = await fetch(`${harness.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    const all = samples(text);
    const value = (name: string, labels: Record<string, string> = {}) =>
      all.find((s) => s.name === name && Object.entries(labels).every(([k, v2]) => s.labels[k] === v2))?.value;

    expect(value('bedside_messages_total', { channel: 'web', direction: 'in' })).toBe(1);
    expect(value('bedside_messages_total', { channel: 'web', direction: 'out' })).toBe(1);
    expect(value('bedside_delivery_failures_total', { channel: 'slack' })).toBe(1);
    expect(value('bedside_websocket_connections', { kind: 'widget' })).toBe(1);
    expect(value('bedside_websocket_connections', { kind: 'staff' })).toBe(0);
    expect(value('bedside_outbox_depth')).toBeTypeOf('number');
    expect(value('bedside_outbox_oldest_age_seconds')).toBeGreaterThanOrEqual(0);
    expect(value('process_cpu_user_seconds_total')).toBeGreaterThan(0);
    // Latency by the route's template, never the path the request used.
    expect(value('bedside_http_request_duration_seconds_count', { route: '/api/conversations/:id/messages', method: 'POST', status_code: '201' })).toBe(1);
    expect(value('bedside_http_request_duration_seconds_count', { route: '/api/conversations', method: 'GET' })).toBe(1);

    // Nothing that identifies a conversation, a person or what they wrote.
    for (const secret of [conversationId, agent.staffId, harness.inbox.id, harness.inbox.orgId, harness.inbox.publicKey, 'Zelda', 'knee', agent.email]) {
      expect(text).not.toContain(secret);
    }
    const allowed: Record<string, RegExp> = {
      channel: /^(web|sms|email|messenger|whatsapp|viber|slack)$/, direction: /^(in|out)$/, kind: /^(widget|staff)$/,
      method: /^[A-Z]+$/, status_code: /^\d{3}$/, route: /^(unmatched|\/[a-z0-9/:._*-]*)$/,
    };
    for (const s of all.filter((x) => x.name.startsWith('bedside_'))) {
      for (const [k, val] of Object.entries(s.labels)) {
        if (k === 'le') continue;
        expect(allowed[k], `label ${k}`).toBeDefined();
        expect(val, `label ${k}`).toMatch(allowed[k] as RegExp);
      }
    }
  });

  it('with the socket closed, the connection gauge goes back to zero', async () => {
    h = await startHarness({ slack: false });
    const harness = h;
    const v = await WidgetClient.connect(harness.wsUrl, harness.inbox.publicKey);
    const gauge = async () => /bedside_websocket_connections\{kind="widget"\} (\d+)/.exec(await (await fetch(`${harness.url}/metrics`)).text())?.[1];
    expect(await gauge()).toBe('1');
    await v.close();
    await eventually(async () => (await gauge()) === '0');
  });

  it('refuses requests that came through a proxy, and with METRICS_TOKEN asks for the bearer token', async () => {
    h = await startHarness({ slack: false });
    const proxied = await fetch(`${h.url}/metrics`, { headers: { 'x-forwarded-for': '203.0.113.9' } });
    expect(proxied.status).toBe(403);
    expect(await proxied.json()).toEqual({ error: { code: 'forbidden', message: 'Metrics are not available from here' } });
    await h.close();

    const token = 'metrics-token-0123456789abcdef';
    h = await startHarness({ slack: false, env: { METRICS_TOKEN: token } });
    expect((await fetch(`${h.url}/metrics`)).status).toBe(403);
    expect((await fetch(`${h.url}/metrics`, { headers: { authorization: 'Bearer wrong-token-0123456789abcdef' } })).status).toBe(403);
    const ok = await fetch(`${h.url}/metrics`, { headers: { authorization: `Bearer ${token}`, 'x-forwarded-for': '203.0.113.9' } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('bedside_messages_total');
  });

  it('keeps one registry per app: two apps in one process count separately', async () => {
    h = await startHarness({ slack: false });
    const other = await startHarness({ slack: false });
    cleanup.push(() => other.close());
    const v = await visitor(h);
    await v.say('Counted once, on the first app only');
    const first = await (await fetch(`${h.url}/metrics`)).text();
    const second = await (await fetch(`${other.url}/metrics`)).text();
    expect(first).toMatch(/bedside_messages_total\{channel="web",direction="in"\} 1/);
    expect(second).not.toMatch(/bedside_messages_total\{channel="web",direction="in"\} [1-9]/);
  });
});

describe('graceful shutdown', () => {
  async function harnessWithDir(env: Record<string, string>): Promise<{ harness: Harness; dataDir: string }> {
    const dataDir = mkdtempSync(join(tmpdir(), 'bedside-ops-'));
    cleanup.push(() => rmSync(dataDir, { recursive: true, force: true }));
    return { harness: await startHarness({ dataDir, env }), dataDir };
  }

  it('lets a delivery in flight finish and records it before closing the store', async () => {
    const { harness, dataDir } = await harnessWithDir({ SHUTDOWN_GRACE_MS: '5000' });
    h = harness;
    harness.slack.delayNext('chat.postMessage', 800);
    const v = await visitor(harness);
    await v.say('Sent just before the node stops');
    await harness.slack.waitFor(() => harness.slack.calls.find((c) => c.method === 'chat.postMessage'));
    await v.close();
    const t0 = Date.now();
    await harness.app.stop();
    expect(Date.now() - t0).toBeGreaterThan(300); // it waited for Slack's answer
    expect(harness.slack.posts(SLACK.channelId)).toHaveLength(1);

    const store = await openSqliteStore(dataDir, testMasterKey());
    try {
      // Done, not merely sent: the outcome was written before the store closed.
      expect(await store.jobCounts()).toMatchObject({ pending: 0, running: 0, dead: 0 });
    } finally {
      await store.close();
    }
  });

  it('waits no longer than SHUTDOWN_GRACE_MS; the unfinished delivery stays leased for the next start', async () => {
    const { harness, dataDir } = await harnessWithDir({ SHUTDOWN_GRACE_MS: '300' });
    h = harness;
    harness.slack.hangNext('chat.postMessage');
    const v = await visitor(harness);
    await v.say('Sent while Slack hangs');
    await harness.slack.waitFor(() => harness.slack.calls.find((c) => c.method === 'chat.postMessage'));
    await v.close();
    const t0 = Date.now();
    await harness.app.stop();
    expect(Date.now() - t0).toBeLessThan(2000);
    const store = await openSqliteStore(dataDir, testMasterKey());
    try {
      expect(await store.jobCounts()).toMatchObject({ running: 1, dead: 0 });
    } finally {
      await store.close();
    }
  });
});
