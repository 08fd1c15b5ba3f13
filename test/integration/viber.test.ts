import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventually, SLACK, STAFF, startHarness, storedMessages, VIBER, type Harness, slackThreadOf } from '../support/harness.ts';
import { enrolStaff } from '../support/staff.ts';
import type { ViberEmulator } from '../emulators/viber/index.ts';
import { ViberApi } from '../../src/channels/viber/api.ts';

const USER = { id: '01234567890A=', name: 'Vera Viberuser' };
let h: Harness;
let viber: ViberEmulator;

beforeEach(async () => {
  h = await startHarness({ viber: true, env: { VIBER_WELCOME_TEXT: 'Welcome to Riverside. Write to us any time.' } });
  viber = h.viber as ViberEmulator;
});
afterEach(async () => { await h.close(); });

const threadOf = (text: string) => slackThreadOf(h, text);

type Detail = { messages: Array<{ body: string; deliveryStatus: string | null; deliveryError: string | null }> };

describe('Viber', () => {
  it('turns a signed message into a Slack thread; the reply goes out and is marked delivered, then read', async () => {
    const r = await viber.text(USER, 'Is parking free?');
    expect(r.status).toBe(200);
    const threadTs = await threadOf('Is parking free?');
    await h.slack.staffReply({ channel: SLACK.channelId, threadTs, user: STAFF.id, text: 'Yes, behind the building.' });
    const out = await viber.waitFor(() => viber.sent[0]);
    expect(out.body).toMatchObject({ receiver: USER.id, type: 'text', text: 'Yes, behind the building.', sender: { name: VIBER.senderName } });
    const agent = await enrolStaff(h, 'agent');
    const id = (await agent.client.get<{ items: Array<{ id: string; channel: string }> }>('/api/conversations')).body.items[0]?.id;
    await eventually(async () => {
      const d = await agent.client.get<Detail>(`/api/conversations/${id}`);
      return d.body.messages.find((m) => m.body === 'Yes, behind the building.')?.deliveryStatus === 'read';
    });
  });

  it('keeps 64-bit message tokens exact: a replay is stored once, the next token is a new message', async () => {
    // Tokens one apart, equal once rounded to a JavaScript number.
    expect(Number('4912661846655238145')).toBe(Number('4912661846655238146'));
    await viber.text(USER, 'First', '4912661846655238145');
    await viber.text(USER, 'First', '4912661846655238145');
    await viber.text(USER, 'Second', '4912661846655238146');
    await threadOf('First');
    await eventually(async () => (await storedMessages(h)).filter((m) => m.source === 'viber').length === 2);
    await new Promise((r) => setTimeout(r, 200));
    expect((await storedMessages(h)).filter((m) => m.source === 'viber').map((m) => m.body)).toEqual(['First', 'Second']);
  });

  it('refuses forged and malformed callbacks, storing nothing', async () => {
    const forged = await viber.post({ event: 'message', timestamp: Date.now(), message_token: '4912661846655238145', sender: USER, message: { type: 'text', text: 'forged' } }, { authToken: 'not-the-auth-token-at-all' });
    expect(forged.status).toBe(401);
    const malformed = await viber.post({ event: 'message', timestamp: Date.now(), message_token: '4912661846655238146', sender: {}, message: { type: 'text' } });
    expect(malformed.status).toBe(400);
    expect(JSON.parse(malformed.body).error.code).toBe('invalid_payload');
    const other = await viber.post({ event: 'client_status', timestamp: Date.now() });
    expect(other.status).toBe(200);
    expect(await storedMessages(h)).toHaveLength(0);
  });

  it('registers its webhook: Viber checks it with a signed "webhook" event first', async () => {
    viber.setWebhookUrl('http://127.0.0.1:9/nowhere');
    await new ViberApi({ authToken: VIBER.authToken, apiUrl: viber.apiUrl, senderName: VIBER.senderName }).setWebhook(`${h.url}/webhooks/viber`);
    expect(viber.calls.find((c) => c.path === '/pa/set_webhook')?.viberStatus).toBe(0);
    await expect(new ViberApi({ authToken: 'wrong-token-000000000', apiUrl: viber.apiUrl, senderName: 'x' }).setWebhook(`${h.url}/webhooks/viber`)).rejects.toThrow('viber status 2');
  });

  it('answers conversation_started with the welcome message', async () => {
    const r = await viber.conversationStarted(USER);
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toEqual({ sender: { name: VIBER.senderName }, type: 'text', text: 'Welcome to Riverside. Write to us any time.' });
  });

  it('after unsubscribed, replies are refused with the reason staff see; subscribed lets them through again', async () => {
    await viber.text(USER, 'Hello from Viber');
    const threadTs = await threadOf('Hello from Viber');
    expect((await viber.unsubscribe(USER.id)).status).toBe(200);
    await h.slack.staffReply({ channel: SLACK.channelId, threadTs, user: STAFF.id, text: 'Still there?' });
    const flag = await h.slack.waitFor(() => h.slack.posts(SLACK.channelId).find((p) => p.thread_ts === threadTs && p.text.includes('not delivered')));
    expect(flag.text).toContain('unsubscribed');
    expect(viber.calls.filter((c) => c.path === '/pa/send_message')).toHaveLength(0);
    const agent = await enrolStaff(h, 'agent');
    const id = (await agent.client.get<{ items: Array<{ id: string }> }>('/api/conversations')).body.items[0]?.id;
    const d = await agent.client.get<Detail>(`/api/conversations/${id}`);
    expect(d.body.messages.find((m) => m.body === 'Still there?')).toMatchObject({ deliveryStatus: 'refused', deliveryError: 'unsubscribed' });

    await viber.subscribe(USER);
    await h.slack.staffReply({ channel: SLACK.channelId, threadTs, user: STAFF.id, text: 'Welcome back' });
    await viber.waitFor(() => viber.sent.find((s) => s.body.text === 'Welcome back'));
  });

  it('retries through the outbox when Viber answers 500, 429 or "too many requests", and sends once', async () => {
    await viber.text(USER, 'Opening hours?');
    const threadTs = await threadOf('Opening hours?');
    viber.failNext({ httpStatus: 500 });
    viber.failNext({ httpStatus: 429, retryAfter: 0 });
    viber.failNext({ viberStatus: 12 });
    await h.slack.staffReply({ channel: SLACK.channelId, threadTs, user: STAFF.id, text: '8 to 6' });
    await viber.waitFor(() => viber.sent[0]);
    await new Promise((r) => setTimeout(r, 400));
    expect(viber.sent).toHaveLength(1);
    expect(viber.calls.filter((c) => c.path === '/pa/send_message').map((c) => c.status)).toEqual([500, 429, 200, 200]);
    expect(viber.calls.filter((c) => c.path === '/pa/send_message').map((c) => c.viberStatus)).toEqual([undefined, undefined, 12, 0]);
    const logs = h.logs();
    for (const phi of ['Opening hours', 'Vera', USER.id, VIBER.authToken]) expect(logs).not.toContain(phi);
  });
});
