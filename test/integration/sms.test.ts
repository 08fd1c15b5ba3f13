import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventually, SLACK, STAFF, startHarness, TWILIO, type Harness, slackThreadOf } from '../support/harness.ts';
import { enrolStaff, staffSocket } from '../support/staff.ts';
import { WidgetClient } from '../support/widget-client.ts';
import { twilioSignature, type TwilioEmulator } from '../emulators/twilio/index.ts';

const PATIENT = '+14155550123';
let h: Harness;
let twilio: TwilioEmulator;

beforeEach(async () => {
  h = await startHarness({ twilio: true });
  twilio = h.twilio as TwilioEmulator;
});
afterEach(async () => { await h.close(); });

const threadOf = (text: string) => slackThreadOf(h, text);

describe('SMS through Twilio', () => {
  it('turns a signed text from a new number into a Slack thread, and the thread reply into a text to that number', async () => {
    const sent = await twilio.sendSms({ from: PATIENT, to: TWILIO.from, body: 'Is the clinic open on Saturday?' });
    expect(sent.status).toBe(200);
    expect(sent.body).toContain('<Response>');
    const threadTs = await threadOf('Is the clinic open on Saturday?');
    expect(JSON.stringify(h.slack.posts(SLACK.channelId)[0]?.blocks)).toContain('SMS');

    await h.slack.staffReply({ channel: SLACK.channelId, threadTs, user: STAFF.id, text: 'Yes, 9 to 12.' });
    const out = await twilio.waitFor(() => twilio.sent(PATIENT)[0]);
    expect(out.params).toMatchObject({ To: PATIENT, From: TWILIO.from, Body: 'Yes, 9 to 12.' });
    expect(out.statusCallback).toBe(`${h.url}/webhooks/twilio/status`);
    // The status callbacks mark the message delivered.
    const agent = await enrolStaff(h, 'agent');
    const list = await agent.client.get<{ items: Array<{ id: string; channel: string }> }>('/api/conversations');
    expect(list.body.items[0]?.channel).toBe('sms');
    await eventually(async () => {
      const d = await agent.client.get<{ messages: Array<{ body: string; deliveryStatus: string | null }> }>(`/api/conversations/${list.body.items[0]?.id}`);
      return d.body.messages.find((m) => m.body === 'Yes, 9 to 12.')?.deliveryStatus === 'delivered';
    });
  });

  it('stores a retried MessageSid once, and refuses a forged signature with a bare 401', async () => {
    const first = await twilio.sendSms({ from: PATIENT, to: TWILIO.from, body: 'Only once' });
    await twilio.resend(first);
    await twilio.resend(first);
    await threadOf('Only once');
    await new Promise((r) => setTimeout(r, 200));
    expect(h.slack.posts(SLACK.channelId)).toHaveLength(1);

    const forged = await twilio.sendSms({ from: PATIENT, to: TWILIO.from, body: 'Forged text', authToken: 'not-the-token-at-all' });
    expect(forged.status).toBe(401);
    expect(JSON.parse(forged.body)).toEqual({ error: { code: 'unauthorized', message: 'Unauthorized' } });
    const bad = await fetch(`${h.url}/webhooks/twilio/sms`, { method: 'POST', body: 'MessageSid=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(bad.status).toBe(401);

    // Correctly signed but not a Twilio message, or not from a phone number: 400, nothing stored.
    const signedPost = (params: Record<string, string>) => fetch(`${h.url}/webhooks/twilio/sms`, {
      method: 'POST', body: new URLSearchParams(params).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilioSignature(TWILIO.authToken, `${h.url}/webhooks/twilio/sms`, params) },
    });
    const malformed = await signedPost({ MessageSid: 'not-a-sid', AccountSid: TWILIO.accountSid, From: PATIENT, To: TWILIO.from, Body: 'x' });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toEqual({ error: { code: 'invalid_payload', message: 'Unsupported Twilio payload' } });
    const shortCode = await signedPost({ MessageSid: `SM${'0'.repeat(32)}`, AccountSid: TWILIO.accountSid, From: '12345', To: TWILIO.from, Body: 'x' });
    expect(shortCode.status).toBe(400);
    const statusBad = await fetch(`${h.url}/webhooks/twilio/status`, { method: 'POST', body: 'MessageSid=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(statusBad.status).toBe(401);
    expect(h.slack.posts(SLACK.channelId)).toHaveLength(1);
  });

  it('honours STOP: one confirmation, then no reply reaches the number and staff see why; START lifts it', async () => {
    await twilio.sendSms({ from: PATIENT, to: TWILIO.from, body: 'Hello' });
    const threadTs = await threadOf('Hello');
    await twilio.sendSms({ from: PATIENT, to: TWILIO.from, body: 'STOP' });
    const confirmation = await twilio.waitFor(() => twilio.sent(PATIENT).find((m) => String(m.params.Body).includes('unsubscribed')));
    expect(confirmation).toBeDefined();

    await h.slack.staffReply({ channel: SLACK.channelId, threadTs, user: STAFF.id, text: 'Are you still there?' });
    const agent = await enrolStaff(h, 'agent');
    const id = (await agent.client.get<{ items: Array<{ id: string }> }>('/api/conversations')).body.items[0]?.id;
    await eventually(async () => {
      const d = await agent.client.get<{ messages: Array<{ body: string; deliveryStatus: string | null; deliveryError: string | null }> }>(`/api/conversations/${id}`);
      const m = d.body.messages.find((x) => x.body === 'Are you still there?');
      return m?.deliveryStatus === 'refused' && m.deliveryError === 'opted_out';
    });
    expect(twilio.sent(PATIENT).filter((m) => m.params.Body === 'Are you still there?')).toHaveLength(0);
    // The thread says the reply did not arrive, and why, without repeating it.
    const flag = await h.slack.waitFor(() => h.slack.posts(SLACK.channelId).find((p) => p.thread_ts === threadTs && p.text.includes('not delivered')));
    expect(flag.text).toContain('opted out');
    expect(flag.text).not.toContain('Are you still there');
    expect(twilio.sent(PATIENT)).toHaveLength(1);

    await twilio.sendSms({ from: PATIENT, to: TWILIO.from, body: 'START' });
    await twilio.waitFor(() => twilio.sent(PATIENT).find((m) => String(m.params.Body).includes('resubscribed')));
    await h.slack.staffReply({ channel: SLACK.channelId, threadTs, user: STAFF.id, text: 'Welcome back' });
    await twilio.waitFor(() => twilio.sent(PATIENT).find((m) => m.params.Body === 'Welcome back'));
  });

  it('answers HELP with the help text, and splits a long reply', async () => {
    await twilio.sendSms({ from: PATIENT, to: TWILIO.from, body: 'help' });
    const help = await twilio.waitFor(() => twilio.sent(PATIENT)[0]);
    expect(String(help.params.Body)).toMatch(/Reply STOP to opt out/);
    const threadTs = await threadOf('help');
    const long = `${'Please bring your insurance card and a photo ID. '.repeat(40)}Thanks.`;
    await h.slack.staffReply({ channel: SLACK.channelId, threadTs, user: STAFF.id, text: long });
    await twilio.waitFor(() => twilio.sent(PATIENT).length >= 3);
    const parts = twilio.sent(PATIENT).slice(1).map((m) => String(m.params.Body));
    expect(parts.every((p) => p.length <= 1600)).toBe(true);
    expect(parts.join(' ').replace(/\s+/g, ' ')).toBe(long.replace(/\s+/g, ' ').trim());
  });

  it('is the same contact as the widget visitor who gave that number', async () => {
    const v = await WidgetClient.withProfile(h.wsUrl, h.inbox.publicKey, { name: 'Wanda Twochannels', phone: '(415) 555-0123' }, 'Hi from the website');
    await v.close();
    await twilio.sendSms({ from: PATIENT, to: TWILIO.from, body: 'Hi by text' });
    const agent = await enrolStaff(h, 'agent');
    const list = await eventually(async () => {
      const r = await agent.client.get<{ items: Array<{ id: string; channel: string; contact: { id: string; displayName: string } }> }>('/api/conversations');
      return r.body.items.length === 2 && r.body.items;
    });
    expect(new Set(list.map((c) => c.contact.id)).size).toBe(1);
    const detail = await agent.client.get<{ contact: { channels: string[] }; messages: Array<{ body: string; channel: string }> }>(`/api/conversations/${list[0]?.id}`);
    expect(detail.body.contact.channels.sort()).toEqual(['sms', 'web']);
    expect(detail.body.messages.map((m) => [m.channel, m.body])).toEqual([['web', 'Hi from the website'], ['sms', 'Hi by text']]);
    // The SMS thread in Slack says the patient also uses web chat and shows what they wrote there.
    const smsParent = await h.slack.waitFor(() => h.slack.posts(SLACK.channelId).find((p) => !p.thread_ts && JSON.stringify(p.blocks).includes('Hi by text')));
    expect(JSON.stringify(smsParent.blocks)).toContain('Also reachable by web chat');
    expect(JSON.stringify(smsParent.blocks)).toContain('web chat patient: Hi from the website');
  });
});

describe('replying on another of the contact\'s channels', () => {
  it('texts a website visitor who gave their number, in an SMS conversation of the same contact', async () => {
    const v = await WidgetClient.withProfile(h.wsUrl, h.inbox.publicKey, { name: 'Rhea Crosschannel', phone: '(415) 555-0123' }, 'Please text me the address');
    const agent = await enrolStaff(h, 'agent');
    const webId = await eventually(async () => (await agent.client.get<{ items: Array<{ id: string }> }>('/api/conversations')).body.items[0]?.id);
    const detail = await agent.client.get<{ contact: { replyChannels: string[] } }>(`/api/conversations/${webId}`);
    expect(detail.body.contact.replyChannels).toEqual(['web', 'sms']);
    // A colleague's open inbox gets the new SMS conversation's row with the reply that opened it.
    const colleague = await enrolStaff(h, 'agent');
    const live = await staffSocket(h, colleague.client.cookie);

    const sent = await agent.client.post<{ message: { channel: string; conversationId: string } }>(`/api/conversations/${webId}/messages`, {
      body: '12 Harbour Street, second floor.', internal: false, clientId: 'xchan-000001', channel: 'sms',
    });
    expect(sent.status).toBe(201);
    expect(sent.body.message.channel).toBe('sms');
    expect(sent.body.message.conversationId).not.toBe(webId);
    const row = await eventually(() => live.frames.find((f) => f.type === 'conversation.updated'));
    expect(row.conversation).toMatchObject({ id: sent.body.message.conversationId, channel: 'sms', preview: '12 Harbour Street, second floor.' });
    live.ws.close();
    const out = await twilio.waitFor(() => twilio.sent(PATIENT)[0]);
    expect(out.params).toMatchObject({ To: PATIENT, Body: '12 Harbour Street, second floor.' });
    // Nothing went to the website chat, and the patient's answer by text joins that SMS conversation.
    await v.close();
    await twilio.sendSms({ from: PATIENT, to: TWILIO.from, body: 'Thanks!' });
    const list = await eventually(async () => {
      const r = await agent.client.get<{ items: Array<{ id: string; channel: string; contact: { id: string } }> }>('/api/conversations');
      return r.body.items.length === 2 && r.body.items;
    });
    expect(list.find((c) => c.channel === 'sms')?.id).toBe(sent.body.message.conversationId);
    expect(new Set(list.map((c) => c.contact.id)).size).toBe(1);
  });

  it('refuses a channel the patient cannot be reached on, and an unknown channel, storing nothing', async () => {
    const v = await WidgetClient.connect(h.wsUrl, h.inbox.publicKey);
    await v.hello();
    await v.say('No number given');
    await v.close();
    const agent = await enrolStaff(h, 'agent');
    const webId = await eventually(async () => (await agent.client.get<{ items: Array<{ id: string }> }>('/api/conversations')).body.items[0]?.id);
    const noPhone = await agent.client.post(`/api/conversations/${webId}/messages`, { body: 'Hi', internal: false, clientId: 'xchan-000002', channel: 'sms' });
    expect(noPhone.status).toBe(409);
    expect((noPhone.body as { error: { code: string } }).error.code).toBe('channel_unavailable');
    const unknown = await agent.client.post(`/api/conversations/${webId}/messages`, { body: 'Hi', internal: false, clientId: 'xchan-000003', channel: 'pager' });
    expect(unknown.status).toBe(400);
    const detail = await agent.client.get<{ messages: unknown[] }>(`/api/conversations/${webId}`);
    expect(detail.body.messages).toHaveLength(1);
    expect(twilio.sent()).toHaveLength(0);
  });
});

describe('merging contacts by hand', () => {
  it('joins two records of one person: both histories, both addresses, and the merge is audited', async () => {
    const v = await WidgetClient.withProfile(h.wsUrl, h.inbox.publicKey, { name: 'Mergeable Person' }, 'From the website, no number given');
    await v.close();
    await twilio.sendSms({ from: PATIENT, to: TWILIO.from, body: 'From my phone' });
    const agent = await enrolStaff(h, 'agent');
    const items = await eventually(async () => {
      const r = await agent.client.get<{ items: Array<{ id: string; channel: string; contact: { id: string } }> }>('/api/conversations');
      return r.body.items.length === 2 && r.body.items;
    });
    const web = items.find((c) => c.channel === 'web')!;
    const sms = items.find((c) => c.channel === 'sms')!;
    expect(web.contact.id).not.toBe(sms.contact.id);

    expect((await agent.client.post(`/api/contacts/${sms.contact.id}/merge`, { intoContactId: sms.contact.id })).status).toBe(400);
    await agent.client.call('PUT', `/api/contacts/${sms.contact.id}/date-of-birth`, { dateOfBirth: '1975-06-15' });
    const merged = await agent.client.post(`/api/contacts/${sms.contact.id}/merge`, { intoContactId: web.contact.id });
    expect(merged.body).toEqual({ contactId: web.contact.id, movedConversations: 1 });
    const detail = await agent.client.get<{ contact: { displayName: string; phone: string; dateOfBirth: string; channels: string[] }; messages: Array<{ body: string }> }>(`/api/conversations/${web.id}`);
    expect(detail.body.contact).toMatchObject({ displayName: 'Mergeable Person', phone: PATIENT, dateOfBirth: '1975-06-15' });
    expect(detail.body.contact.channels.sort()).toEqual(['sms', 'web']);
    expect(detail.body.messages.map((m) => m.body)).toEqual(['From the website, no number given', 'From my phone']);
    // The next text from that number lands with the merged contact.
    await twilio.sendSms({ from: PATIENT, to: TWILIO.from, body: 'Again by text' });
    await eventually(async () => (await h.app.store.inbox.contactHistory(h.inbox.orgId, web.contact.id, 10)).some((m) => m.body === 'Again by text'));
    const audit = await h.app.store.audit.list(h.inbox.orgId, 50);
    expect(audit.find((e) => e.action === 'contact.merge')).toMatchObject({ targetId: web.contact.id, details: { mergedContactId: sms.contact.id } });
  });
});

describe('SMS notice mode with a secure link', () => {
  it('texts a link instead of the reply; the patient reads and answers after the code and date of birth', async () => {
    const admin = await enrolStaff(h, 'admin');
    expect((await admin.client.call('PUT', '/api/admin/channel-content', { channel: 'sms', mode: 'notice' })).status).toBe(200);
    await twilio.sendSms({ from: PATIENT, to: TWILIO.from, body: 'What were my lab results?' });
    const threadTs = await threadOf('What were my lab results?');
    const conv = (await admin.client.get<{ items: Array<{ id: string; contact: { id: string } }> }>('/api/conversations')).body.items[0]!;
    expect((await admin.client.call('PUT', `/api/contacts/${conv.contact.id}/date-of-birth`, { dateOfBirth: '1980-02-29' })).status).toBe(204);

    await h.slack.staffReply({ channel: SLACK.channelId, threadTs, user: STAFF.id, text: 'Your cholesterol is 190, all fine.' });
    const notice = await twilio.waitFor(() => twilio.sent(PATIENT)[0]);
    const text = String(notice.params.Body);
    expect(text).not.toContain('cholesterol');
    const token = /\/m#([A-Za-z0-9_-]+)$/.exec(text)?.[1] as string;
    expect(token).toBeTruthy();

    const post = (path: string, body: unknown) => fetch(`${h.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const code = await post('/api/secure/code', { token });
    expect(await code.json()).toEqual({ needsDateOfBirth: true });
    const codeSms = await twilio.waitFor(() => twilio.sent(PATIENT).find((m) => /code is \d{6}/.test(String(m.params.Body))));
    const digits = /code is (\d{6})/.exec(String(codeSms.params.Body))?.[1] as string;

    expect((await post('/api/secure/open', { token, code: digits, dateOfBirth: '1980-03-01' })).status).toBe(401);
    expect((await post('/api/secure/open', { token, code: digits })).status).toBe(401);
    const opened = await post('/api/secure/open', { token, code: digits, dateOfBirth: '1980-02-29' });
    expect(opened.status).toBe(200);
    const view = await opened.json() as { readerToken: string; messages: Array<{ from: string; body: string }> };
    expect(view.messages.map((m) => m.body)).toEqual(['What were my lab results?', 'Your cholesterol is 190, all fine.']);
    // A code works once.
    expect((await post('/api/secure/open', { token, code: digits, dateOfBirth: '1980-02-29' })).status).toBe(401);

    const answered = await post('/api/secure/reply', { token, readerToken: view.readerToken, body: 'Thank you!', clientId: 'secure-reply-01' });
    expect(answered.status).toBe(201);
    await h.slack.waitFor(() => h.slack.posts(SLACK.channelId).find((p) => p.thread_ts === threadTs && p.text === 'Thank you!'));
    expect((await post('/api/secure/reply', { token, readerToken: 'x'.repeat(32), body: 'forged', clientId: 'secure-reply-02' })).status).toBe(401);
    expect((await post('/api/secure/code', { token: 'y'.repeat(32) })).status).toBe(404);
    const page = await fetch(`${h.url}/m`);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const actions = (await h.app.store.audit.list(h.inbox.orgId, 100)).filter((e) => e.action === 'secure_link.open').map((e) => e.outcome);
    expect(actions.sort()).toEqual(['denied', 'denied', 'denied', 'success']);
  });
});
