import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventually, META, SLACK, STAFF, startHarness, storedMessages, type Harness, slackThreadOf } from '../support/harness.ts';
import { enrolStaff } from '../support/staff.ts';
import { WidgetClient } from '../support/widget-client.ts';
import { hubSignature, type MetaEmulator } from '../emulators/meta/index.ts';

const WA_ID = '14155550199';
const PHONE = '+14155550199';
let h: Harness;
let meta: MetaEmulator;

beforeEach(async () => {
  h = await startHarness({ meta: true, twilio: true });
  meta = h.meta as MetaEmulator;
});
afterEach(async () => { await h.close(); });

const threadOf = (text: string) => slackThreadOf(h, text);

type Detail = { messages: Array<{ id: number; body: string; deliveryStatus: string | null; deliveryError: string | null; attachments?: Array<{ id: string; filename: string; contentType: string }> }>; contact: { id: string; phone: string | null; channels: string[] } };

describe('WhatsApp (Cloud API)', () => {
  it('answers the verification handshake only for the right token', async () => {
    const good = await meta.verify();
    expect(good).toMatchObject({ status: 200, body: good.challenge });
    const bad = await meta.verify('not-the-verify-token');
    expect(bad.status).toBe(403);
    expect(bad.body).not.toContain(bad.challenge);
  });

  it('turns a signed message into a conversation and Slack thread; the reply goes out and its statuses come back', async () => {
    const r = await meta.whatsappText({ from: WA_ID, name: 'Paula Patient', text: 'Can I move my appointment?' });
    expect(r.status).toBe(200);
    const threadTs = await threadOf('Can I move my appointment?');
    await h.slack.staffReply({ channel: SLACK.channelId, threadTs, user: STAFF.id, text: 'Of course, which day suits you?' });
    const out = await meta.waitFor(() => meta.sent.find((s) => s.product === 'whatsapp'));
    expect(out.body).toMatchObject({ messaging_product: 'whatsapp', to: WA_ID, type: 'text', text: { body: 'Of course, which day suits you?' } });
    expect(meta.calls.find((c) => c.path.endsWith('/messages'))?.authorization).toBe(`Bearer ${META.whatsappToken}`);
    const agent = await enrolStaff(h, 'agent');
    const list = await agent.client.get<{ items: Array<{ id: string; channel: string }> }>('/api/conversations');
    expect(list.body.items[0]?.channel).toBe('whatsapp');
    await eventually(async () => {
      const d = await agent.client.get<Detail>(`/api/conversations/${list.body.items[0]?.id}`);
      return d.body.messages.find((m) => m.body === 'Of course, which day suits you?')?.deliveryStatus === 'read';
    });
    const d = await agent.client.get<Detail>(`/api/conversations/${list.body.items[0]?.id}`);
    expect(d.body.contact.phone).toBe(PHONE);
  });

  it('refuses forged and malformed callbacks; a replayed message id is stored once', async () => {
    const first = await meta.whatsappText({ from: WA_ID, text: 'Only once please' });
    expect((await meta.post(first.payload)).status).toBe(200);
    expect((await meta.post(first.payload)).status).toBe(200);
    await threadOf('Only once please');

    const forged = await meta.post({ ...(first.payload as object) }, { appSecret: 'some-other-app-secret-000' });
    expect(forged.status).toBe(401);
    expect(JSON.parse(forged.body)).toEqual({ error: { code: 'unauthorized', message: 'Unauthorized' } });
    const unsigned = await fetch(`${h.url}/webhooks/meta`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(unsigned.status).toBe(401);

    const badShape = { object: 'whatsapp_business_account', entry: [{ id: '1', changes: [{ field: 'messages', value: { messaging_product: 'whatsapp', metadata: { display_phone_number: '1', phone_number_id: META.phoneNumberId }, messages: [{ from: 'not-a-number', id: 'x', timestamp: 'now', type: 'text' }] } }] }] };
    const malformed = await meta.post(badShape);
    expect(malformed.status).toBe(400);
    expect(JSON.parse(malformed.body).error.code).toBe('invalid_payload');
    const notJson = await meta.post(undefined, { raw: '{"object":' });
    expect(notJson.status).toBe(400);

    await new Promise((r) => setTimeout(r, 200));
    const stored = (await storedMessages(h)).filter((m) => m.source === 'whatsapp');
    expect(stored.map((m) => m.body)).toEqual(['Only once please']);
    expect(h.slack.posts(SLACK.channelId).filter((p) => !p.thread_ts)).toHaveLength(1);
  });

  it('stores an image and a document, and refuses a type the practice does not accept without fetching it', async () => {
    const png = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');
    expect((await meta.whatsappMedia({ from: WA_ID, kind: 'image', data: png, mimeType: 'image/png', caption: 'My rash' })).status).toBe(200);
    const pdf = Buffer.from('%PDF-1.4\n% referral letter\n');
    expect((await meta.whatsappMedia({ from: WA_ID, kind: 'document', data: pdf, mimeType: 'application/pdf', filename: 'referral.pdf' })).status).toBe(200);
    const mediaCallsBefore = meta.calls.filter((c) => c.path.startsWith('/_media/')).length;
    expect((await meta.whatsappMedia({ from: WA_ID, kind: 'document', data: Buffer.from('PK\u0003\u0004'), mimeType: 'application/zip', filename: 'records.zip' })).status).toBe(200);
    expect(meta.calls.filter((c) => c.path.startsWith('/_media/')).length).toBe(mediaCallsBefore);

    const agent = await enrolStaff(h, 'agent');
    const id = (await agent.client.get<{ items: Array<{ id: string }> }>('/api/conversations')).body.items[0]?.id;
    const d = await agent.client.get<Detail>(`/api/conversations/${id}`);
    const image = d.body.messages.find((m) => m.body.includes('My rash'));
    expect(image?.attachments?.[0]).toMatchObject({ contentType: 'image/png' });
    const doc = d.body.messages.find((m) => m.attachments?.some((a) => a.filename === 'referral.pdf'));
    expect(doc).toBeDefined();
    const file = await fetch(`${h.url}/api/attachments/${doc?.attachments?.[0]?.id}`, { headers: { cookie: agent.client.cookie ?? '' } });
    expect(file.status).toBe(200);
    expect(Buffer.from(await file.arrayBuffer()).equals(pdf)).toBe(true);
    expect(d.body.messages.find((m) => m.body.includes('records.zip'))?.body).toContain('type not allowed');
  });

  it('refuses free text outside the 24-hour window without calling WhatsApp; a template goes out instead', async () => {
    const dayAndMore = Math.floor((Date.now() - 25 * 3600_000) / 1000);
    await meta.whatsappText({ from: WA_ID, text: 'Old question', timestamp: dayAndMore });
    const threadTs = await threadOf('Old question');
    await h.slack.staffReply({ channel: SLACK.channelId, threadTs, user: STAFF.id, text: 'Sorry for the late answer' });
    const agent = await enrolStaff(h, 'agent');
    const id = (await agent.client.get<{ items: Array<{ id: string }> }>('/api/conversations')).body.items[0]?.id as string;
    await eventually(async () => {
      const d = await agent.client.get<Detail>(`/api/conversations/${id}`);
      const m = d.body.messages.find((x) => x.body === 'Sorry for the late answer');
      return m?.deliveryStatus === 'refused' && m.deliveryError === 'outside_24h_window';
    });
    const flag = await h.slack.waitFor(() => h.slack.posts(SLACK.channelId).find((p) => p.thread_ts === threadTs && p.text.includes('not delivered')));
    expect(flag.text).toContain('24 hours');
    expect(flag.text).not.toContain('Sorry for the late answer');
    // Refused here, not by WhatsApp: no send was attempted.
    expect(meta.calls.filter((c) => c.path.endsWith('/messages'))).toHaveLength(0);

    const bad = await agent.client.post(`/api/conversations/${id}/whatsapp-template`, { name: 'Bad Name', language: 'en_US', clientId: 'tpl-000000000001' });
    expect(bad.status).toBe(400);
    const sent = await agent.client.post<{ message: { body: string } }>(`/api/conversations/${id}/whatsapp-template`, {
      name: 'appointment_followup', language: 'en_US', parameters: ['Riverside Family Practice'], clientId: 'tpl-000000000002',
    });
    expect(sent.status).toBe(201);
    expect(sent.body.message.body).toContain('appointment_followup');
    const out = await meta.waitFor(() => meta.sent[0]);
    expect(out.body).toMatchObject({
      to: WA_ID, type: 'template',
      template: { name: 'appointment_followup', language: { code: 'en_US' }, components: [{ type: 'body', parameters: [{ type: 'text', text: 'Riverside Family Practice' }] }] },
    });
    // The same clientId again changes nothing.
    await agent.client.post(`/api/conversations/${id}/whatsapp-template`, { name: 'appointment_followup', language: 'en_US', parameters: ['Riverside Family Practice'], clientId: 'tpl-000000000002' });
    await new Promise((r) => setTimeout(r, 300));
    expect(meta.sent).toHaveLength(1);
    const audit = await h.app.store.audit.list(h.inbox.orgId, 50);
    expect(audit.some((e) => e.action === 'message.template')).toBe(true);
  });

  it('retries a reply through the outbox when WhatsApp answers 500 then 429, and sends it once', async () => {
    await meta.whatsappText({ from: WA_ID, text: 'Are you open today?' });
    const threadTs = await threadOf('Are you open today?');
    meta.failNext({ status: 500, path: 'whatsapp' });
    meta.failNext({ status: 429, retryAfter: 0, path: 'whatsapp' });
    await h.slack.staffReply({ channel: SLACK.channelId, threadTs, user: STAFF.id, text: 'Yes until 6pm' });
    await meta.waitFor(() => meta.sent.find((s) => s.product === 'whatsapp'));
    await new Promise((r) => setTimeout(r, 400));
    expect(meta.sent.filter((s) => s.product === 'whatsapp')).toHaveLength(1);
    expect(meta.calls.filter((c) => c.path.endsWith(`/${META.phoneNumberId}/messages`)).map((c) => c.status)).toEqual([500, 429, 200]);
  });

  it('is the same contact as the SMS sender and the widget visitor with that number', async () => {
    const v = await WidgetClient.withProfile(h.wsUrl, h.inbox.publicKey, { name: 'Wanda Threechannels', phone: '(415) 555-0199' }, 'Hi from the website');
    await v.close();
    await h.twilio?.sendSms({ from: PHONE, to: '+15005550006', body: 'Hi by text' });
    await meta.whatsappText({ from: WA_ID, text: 'Hi on WhatsApp' });
    const agent = await enrolStaff(h, 'agent');
    const items = await eventually(async () => {
      const r = await agent.client.get<{ items: Array<{ id: string; channel: string; contact: { id: string } }> }>('/api/conversations');
      return r.body.items.length === 3 && r.body.items;
    });
    expect(new Set(items.map((c) => c.contact.id)).size).toBe(1);
    const d = await agent.client.get<Detail>(`/api/conversations/${items[0]?.id}`);
    expect(d.body.contact.channels.sort()).toEqual(['sms', 'web', 'whatsapp']);
  });

  it('keeps the text and the sender out of the logs', async () => {
    await meta.whatsappText({ from: WA_ID, name: 'Zebulon Secretname', text: 'My secret symptom is zorbitis' });
    await threadOf('zorbitis');
    const logs = h.logs();
    for (const phi of ['zorbitis', 'Zebulon', WA_ID, META.appSecret, META.whatsappToken]) expect(logs).not.toContain(phi);
    // Nor in the database files: the number, the name and the reply address are sealed.
    const dir = h.app.config.dataDir;
    const files = readdirSync(dir).map((f) => readFileSync(join(dir, f)).toString('latin1')).join('\n');
    for (const phi of ['zorbitis', 'Zebulon', WA_ID]) expect(files).not.toContain(phi);
    // The signature check covers the exact bytes: a re-serialised body with other spacing fails.
    const payload = { object: 'whatsapp_business_account', entry: [] };
    const raw = JSON.stringify(payload, null, 2);
    expect((await meta.post(payload, { raw, signature: hubSignature(META.appSecret, JSON.stringify(payload)) })).status).toBe(401);
  });
});
