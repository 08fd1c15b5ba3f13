import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventually, META, SLACK, STAFF, startHarness, storedMessages, type Harness, slackThreadOf } from '../support/harness.ts';
import { enrolStaff } from '../support/staff.ts';
import type { MetaEmulator } from '../emulators/meta/index.ts';
import type { TwilioEmulator } from '../emulators/twilio/index.ts';

const PSID = '6543210987654321';
let h: Harness;
let meta: MetaEmulator;

beforeEach(async () => {
  h = await startHarness({ meta: true });
  meta = h.meta as MetaEmulator;
});
afterEach(async () => { await h.close(); });

const threadOf = (text: string) => slackThreadOf(h, text);

type Detail = { messages: Array<{ body: string; deliveryStatus: string | null; deliveryError: string | null; attachments?: Array<{ filename: string; contentType: string }> }> };

describe('Facebook Messenger', () => {
  it('turns a page message into a Slack thread; the reply goes out through the Send API, then delivered and read', async () => {
    const r = await meta.messengerMessage({ psid: PSID, text: 'Do you take new patients?' });
    expect(r).toMatchObject({ status: 200, body: 'EVENT_RECEIVED' });
    const threadTs = await threadOf('Do you take new patients?');
    await h.slack.staffReply({ channel: SLACK.channelId, threadTs, user: STAFF.id, text: 'We do, from next month.' });
    const out = await meta.waitFor(() => meta.sent.find((s) => s.product === 'messenger'));
    expect(out.body).toEqual({ recipient: { id: PSID }, messaging_type: 'RESPONSE', message: { text: 'We do, from next month.' } });
    expect(meta.calls.find((c) => c.path.endsWith('/me/messages'))?.authorization).toBe(`Bearer ${META.pageToken}`);
    const agent = await enrolStaff(h, 'agent');
    const id = (await agent.client.get<{ items: Array<{ id: string; channel: string }> }>('/api/conversations')).body.items[0]?.id;
    await eventually(async () => {
      const d = await agent.client.get<Detail>(`/api/conversations/${id}`);
      return d.body.messages.find((m) => m.body === 'We do, from next month.')?.deliveryStatus === 'read';
    });
    const logs = h.logs();
    for (const secret of ['Do you take new patients', 'We do, from next month', PSID, META.pageToken, META.appSecret]) expect(logs).not.toContain(secret);
  });

  it('stores a replayed mid once, ignores echoes, and refuses forged or malformed callbacks', async () => {
    const first = await meta.messengerMessage({ psid: PSID, text: 'Just once' });
    expect((await meta.post(first.payload)).status).toBe(200);
    await threadOf('Just once');
    const echo = { object: 'page', entry: [{ id: META.pageId, time: Date.now(), messaging: [{ sender: { id: META.pageId }, recipient: { id: PSID }, timestamp: Date.now(), message: { mid: 'm_echo_1', is_echo: true, text: 'Echoed reply' } }] }] };
    expect((await meta.post(echo)).status).toBe(200);
    expect((await meta.post(first.payload, { appSecret: 'another-app-secret-0000' })).status).toBe(401);
    expect((await meta.post(first.payload, { signature: 'sha256=' })).status).toBe(401);
    const malformed = await meta.post({ object: 'page', entry: [{ id: META.pageId, messaging: [{ sender: {}, message: { text: 'no mid' } }] }] });
    expect(malformed.status).toBe(400);
    await new Promise((r) => setTimeout(r, 200));
    expect((await storedMessages(h)).filter((m) => m.source === 'messenger').map((m) => m.body)).toEqual(['Just once']);
  });

  it('stores an image and a file sent as attachments', async () => {
    const jpeg = Buffer.from('ffd8ffe000104a46494600010100000100010000ffd9', 'hex');
    const pdf = Buffer.from('%PDF-1.7\n% insurance card\n');
    await meta.messengerMessage({ psid: PSID, attachments: [
      { type: 'image', data: jpeg, contentType: 'image/jpeg', filename: 'card-front.jpg' },
      { type: 'file', data: pdf, contentType: 'application/pdf', filename: 'insurance.pdf' },
    ] });
    const agent = await enrolStaff(h, 'agent');
    const items = await eventually(async () => (await agent.client.get<{ items: Array<{ id: string }> }>('/api/conversations')).body.items);
    const d = await agent.client.get<Detail>(`/api/conversations/${items[0]?.id}`);
    expect(d.body.messages[0]?.attachments?.map((a) => [a.filename, a.contentType])).toEqual([['card-front.jpg', 'image/jpeg'], ['insurance.pdf', 'application/pdf']]);
  });

  it('retries a reply through the outbox after 500 and 429, sends it once; outside the window it is refused with the reason', async () => {
    await meta.messengerMessage({ psid: PSID, text: 'Hello there' });
    const threadTs = await threadOf('Hello there');
    meta.failNext({ status: 500, path: 'messenger' });
    meta.failNext({ status: 429, retryAfter: 0, path: 'messenger' });
    await h.slack.staffReply({ channel: SLACK.channelId, threadTs, user: STAFF.id, text: 'Hi, how can we help?' });
    await meta.waitFor(() => meta.sent.find((s) => s.product === 'messenger'));
    await new Promise((r) => setTimeout(r, 400));
    expect(meta.sent).toHaveLength(1);

    meta.failNext({ status: 400, code: 10, subcode: 2018278, path: 'messenger' });
    await h.slack.staffReply({ channel: SLACK.channelId, threadTs, user: STAFF.id, text: 'A week later' });
    const flag = await h.slack.waitFor(() => h.slack.posts(SLACK.channelId).find((p) => p.thread_ts === threadTs && p.text.includes('not delivered')));
    expect(flag.text).toContain('24 hours');
    expect(meta.sent).toHaveLength(1);
  });

  it('in notice mode sends only a secure link, never the reply', async () => {
    const admin = await enrolStaff(h, 'admin');
    expect((await admin.client.call('PUT', '/api/admin/channel-content', { channel: 'messenger', mode: 'notice' })).status).toBe(200);
    await meta.messengerMessage({ psid: PSID, text: 'My test results?' });
    const threadTs = await threadOf('My test results?');
    await h.slack.staffReply({ channel: SLACK.channelId, threadTs, user: STAFF.id, text: 'Your glucose is 95.' });
    const out = await meta.waitFor(() => meta.sent[0]);
    const text = (out.body.message as { text: string }).text;
    expect(text).not.toContain('glucose');
    expect(text).toMatch(/\/m#[A-Za-z0-9_-]+$/);
  });

  it('files an answer given through the secure link under the same patient and conversation', async () => {
    await h.close();
    h = await startHarness({ meta: true, twilio: true });
    meta = h.meta as MetaEmulator;
    const twilio = h.twilio as TwilioEmulator;
    const admin = await enrolStaff(h, 'admin');
    expect((await admin.client.call('PUT', '/api/admin/channel-content', { channel: 'messenger', mode: 'notice' })).status).toBe(200);
    await meta.messengerMessage({ psid: PSID, text: 'Are my results in?' });
    const threadTs = await threadOf('Are my results in?');
    const conv = (await admin.client.get<{ items: Array<{ id: string; contact: { id: string } }> }>('/api/conversations')).body.items[0]!;
    // The code goes by text message, so the practice has the patient's mobile number on file.
    await h.app.store.updateContact(h.inbox.orgId, conv.contact.id, { phone: '+14155550188' });

    await h.slack.staffReply({ channel: SLACK.channelId, threadTs, user: STAFF.id, text: 'Yes, all normal.' });
    const out = await meta.waitFor(() => meta.sent[0]);
    const token = /\/m#([A-Za-z0-9_-]+)$/.exec((out.body.message as { text: string }).text)?.[1] as string;
    const post = (path: string, body: unknown) => fetch(`${h.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await post('/api/secure/code', { token })).status).toBe(200);
    const sms = await twilio.waitFor(() => twilio.sent('+14155550188')[0]);
    const code = /code is (\d{6})/.exec(String(sms.params.Body))?.[1] as string;
    const view = await (await post('/api/secure/open', { token, code })).json() as { readerToken: string };
    expect((await post('/api/secure/reply', { token, readerToken: view.readerToken, body: 'Thanks a lot', clientId: 'secure-msgr-01' })).status).toBe(201);

    await h.slack.waitFor(() => h.slack.posts(SLACK.channelId).find((p) => p.thread_ts === threadTs && p.text === 'Thanks a lot'));
    const list = (await admin.client.get<{ items: Array<{ id: string }> }>('/api/conversations')).body.items;
    expect(list.map((c) => c.id)).toEqual([conv.id]);
  });
});
