import { afterEach, describe, expect, it } from 'vitest';
import { eventually, SLACK, startHarness, type Harness } from '../support/harness.ts';
import { WidgetClient } from '../support/widget-client.ts';

let h: Harness | undefined;
afterEach(async () => { await h?.close(); h = undefined; });

async function visitorOf(harness: Harness): Promise<WidgetClient> {
  const v = await WidgetClient.connect(harness.wsUrl, harness.inbox.publicKey);
  await v.hello();
  return v;
}

describe('outbox delivery to Slack', () => {
  it("honours Slack's 429 Retry-After before trying again", async () => {
    h = await startHarness();
    const harness = h;
    harness.slack.failNext('chat.postMessage', { status: 429, retryAfter: 1 });
    const v = await visitorOf(harness);
    const started = Date.now();
    await v.say('Rate limited hello');
    const parent = await harness.slack.waitFor(() => harness.slack.posts(SLACK.channelId)[0], 5000);
    const attempts = harness.slack.calls.filter((c) => c.method === 'chat.postMessage');
    expect(attempts.map((c) => c.status)).toEqual([429, 200]);
    expect(JSON.stringify(parent.blocks)).toContain('Rate limited hello');
    // Retry-After: 1 (second) outweighs the 50 ms backoff this harness is configured with.
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    await v.close();
  });

  it('holds messages through a Slack outage and posts them once, in order, when it is back', async () => {
    h = await startHarness();
    const harness = h;
    harness.slack.setOutage(true);
    const v = await visitorOf(harness);
    for (const text of ['first', 'second', 'third']) await v.say(text);
    await eventually(() => harness.slack.calls.filter((c) => c.status === 503).length >= 3);
    expect(harness.slack.posts(SLACK.channelId)).toHaveLength(0);
    harness.slack.setOutage(false);
    await harness.slack.waitFor(() => harness.slack.posts(SLACK.channelId).length === 3, 8000);
    const posts = harness.slack.posts(SLACK.channelId);
    expect(JSON.stringify(posts[0]?.blocks)).toContain('first');
    expect(posts.slice(1).map((p) => [p.text, p.thread_ts])).toEqual([['second', posts[0]?.ts], ['third', posts[0]?.ts]]);
    await new Promise((r) => setTimeout(r, 300));
    expect(harness.slack.posts(SLACK.channelId)).toHaveLength(3);
    await v.close();
  });

  it('dead-letters after the last attempt: logged, and shown in /readyz', async () => {
    h = await startHarness({ env: { JOB_MAX_ATTEMPTS: '2' } });
    const harness = h;
    harness.slack.setOutage(true);
    const v = await visitorOf(harness);
    await v.say('This will not make it');
    await eventually(async () => (await harness.app.store.jobCounts()).dead === 1, 8000);
    const health = await fetch(`${harness.url}/readyz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'degraded', outbox: { deadLetters: 1 } });
    const dead = harness.logs().split('\n').filter((l) => l.includes('dead-lettered'));
    expect(dead).toHaveLength(1);
    expect(JSON.parse(dead[0]!)).toMatchObject({ level: 50, kind: 'slack.post', reason: expect.stringContaining('503') });
    // Requeued after the outage (what an admin does), it is delivered once.
    harness.slack.setOutage(false);
    await harness.app.store.requeueDeadJobs(Date.now());
    harness.app.worker.wake();
    await harness.slack.waitFor(() => harness.slack.posts(SLACK.channelId).length === 1);
    expect(await (await fetch(`${harness.url}/readyz`)).json()).toMatchObject({ status: 'ok' });
    await v.close();
  });

  it('dead-letters at once on an error no retry can fix (wrong channel)', async () => {
    h = await startHarness({ env: { SLACK_CHANNEL_ID: 'C0GONE' } });
    const harness = h;
    harness.slack.addChannel(SLACK.channelId);
    const v = await visitorOf(harness);
    await v.say('Into the void');
    await eventually(async () => (await harness.app.store.jobCounts()).dead === 1);
    expect(harness.slack.calls.filter((c) => c.method === 'chat.postMessage')).toHaveLength(1);
    expect(harness.logs()).toContain('channel_not_found');
    await v.close();
  });

  it('a Slack outage does not hold up staff replies reaching patients', async () => {
    h = await startHarness();
    const harness = h;
    const v = await visitorOf(harness);
    await v.say('Hello');
    const parent = await harness.slack.waitFor(() => harness.slack.posts(SLACK.channelId)[0]);
    harness.slack.setOutage(true);
    await v.say('Are you there?');
    // Slack is down for Bedside's calls; a reply already written there still arrives as an event.
    harness.slack.setOutage(false);
    harness.slack.failNext('chat.postMessage', { status: 503, times: 50 });
    const from = v.frames.length;
    await harness.slack.staffReply({ channel: SLACK.channelId, threadTs: parent.ts, user: 'U0NURSE001', text: 'Yes, here' });
    const m = await v.next('message', from, (f) => f.message.from === 'staff');
    expect(m.message.body).toBe('Yes, here');
    await v.close();
  });
});
