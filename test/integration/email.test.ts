/**
 * E-mail end to end over real SMTP on loopback: patients write to Bedside's listener with
 * nodemailer; Bedside's replies go through an SMTP relay (smtp-sink) that keeps what it accepts.
 */
import { deflateRawSync } from 'node:zlib';
import nodemailer, { type SendMailOptions } from 'nodemailer';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Conversation, Inbox } from '../../src/domain/types.ts';
import { EMAIL, eventually, SLACK, STAFF, startHarness, storedMessages, type Harness, slackThreadOf } from '../support/harness.ts';
import { enrolStaff } from '../support/staff.ts';
import type { SmtpSink } from '../support/smtp-sink.ts';
import { WidgetClient } from '../support/widget-client.ts';

const PATIENT = 'pat.example@patients.test';
let h: Harness;
let sink: SmtpSink;

beforeEach(async () => {
  h = await startHarness({ email: true });
  sink = h.email!.sink;
});
afterEach(async () => { await h.close(); });

type Mail = SendMailOptions;

/** Sends to Bedside's listener like any mail server would; resolves with the SMTP answer code. */
async function send(mail: Mail): Promise<{ code: number; messageId?: string }> {
  const t = nodemailer.createTransport({ host: '127.0.0.1', port: h.email!.listenPort, secure: false, ignoreTLS: true });
  try {
    const info = await t.sendMail({ from: `Pat Example <${PATIENT}>`, to: EMAIL.address, ...mail }) as { messageId: string; response: string };
    return { code: Number(info.response.slice(0, 3)), messageId: info.messageId };
  } catch (err) {
    return { code: (err as { responseCode?: number }).responseCode ?? 0 };
  } finally {
    t.close();
  }
}

async function emailInbox(): Promise<Inbox> {
  return eventually(async () => (await h.app.store.listInboxes(h.inbox.orgId)).find((i) => i.channel === 'email'));
}

async function conversationOf(address: string): Promise<Conversation | undefined> {
  const contact = await h.app.store.findContactByIdentity(h.inbox.orgId, 'email', address);
  return contact && h.app.store.findLatestConversation(h.inbox.orgId, (await emailInbox()).id, contact.id);
}

const threadOf = (text: string) => slackThreadOf(h, text);

const header = (raw: string, name: string) => new RegExp(`^${name}: (.*(?:\\r\\n[ \\t].*)*)`, 'im').exec(raw)?.[1]?.replace(/\r\n[ \t]+/g, ' ');

describe('e-mail over SMTP', () => {
  it('opens a conversation and a Slack thread; replies thread in Gmail, Apple Mail and Outlook; a changed subject continues it', async () => {
    const first = await send({ subject: 'Question about my appointment', text: 'Can I move my visit to Thursday?\n\n-- \nPat Example\nSent from my phone', messageId: '<first.1@patients.test>' });
    expect(first.code).toBe(250);
    const threadTs = await threadOf('Can I move my visit to Thursday?');
    const conversation = await conversationOf(PATIENT);
    expect(conversation?.channel).toBe('email');
    // Staff see the subject and the new words; the signature is trimmed, the original kept.
    const [msg] = await storedMessages(h);
    expect(msg?.body).toBe('Subject: Question about my appointment\n\nCan I move my visit to Thursday?');
    const files = await h.app.store.attachments.listForMessages(h.inbox.orgId, [msg!.id]);
    expect(files.map((f) => [f.filename, f.contentType])).toEqual([['original.eml', 'message/rfc822']]);

    await h.slack.staffReply({ channel: SLACK.channelId, threadTs, user: STAFF.id, text: 'Yes, Thursday at 10 is free.' });
    const reply = await sink.waitFor(() => sink.mails()[0]);
    expect(reply.envelopeTo).toEqual([PATIENT]);
    expect(reply.parsed.text?.trim()).toBe('Yes, Thursday at 10 is free.');
    expect(reply.parsed.from?.value[0]?.address).toBe(EMAIL.address);
    expect(reply.parsed.subject).toBe('Re: Question about my appointment');
    expect(reply.parsed.inReplyTo).toBe('<first.1@patients.test>');
    expect(header(reply.raw, 'References')).toBe('<first.1@patients.test>');
    const ourId = reply.parsed.messageId as string;
    expect(ourId).toMatch(/^<bedside\.\d+\.[\w-]+@riverside-clinic\.test>$/);
    expect(header(reply.raw, 'Auto-Submitted')).toBeUndefined();

    // The patient answers with another subject: the same conversation, the same Slack thread.
    const second = await send({ subject: 'Parking?', text: 'Great. Where do I park?\n\nOn Thu, 27 Nov 2026 at 10:00, Riverside <frontdesk@riverside-clinic.test> wrote:\n> Yes, Thursday at 10 is free.',
      messageId: '<second.2@patients.test>', inReplyTo: ourId, references: ['<first.1@patients.test>', ourId] });
    expect(second.code).toBe(250);
    await h.slack.waitFor(() => h.slack.posts(SLACK.channelId).find((p) => p.thread_ts === threadTs && p.text.includes('Where do I park?')));
    expect((await conversationOf(PATIENT))?.id).toBe(conversation?.id);
    expect((await storedMessages(h)).at(-1)?.body).toBe('Subject: Parking?\n\nGreat. Where do I park?');

    await h.slack.staffReply({ channel: SLACK.channelId, threadTs, user: STAFF.id, text: 'Behind the building.' });
    const again = await sink.waitFor(() => sink.mails()[1]);
    expect(again.parsed.inReplyTo).toBe('<second.2@patients.test>');
    expect(header(again.raw, 'References')?.split(/\s+/)).toEqual(['<first.1@patients.test>', ourId, '<second.2@patients.test>']);
    expect(again.parsed.subject).toBe('Re: Parking?');
    const agent = await enrolStaff(h, 'agent');
    await eventually(async () => {
      const d = await agent.client.get<{ messages: Array<{ body: string; deliveryStatus: string | null }> }>(`/api/conversations/${conversation?.id}`);
      return d.body.messages.find((m) => m.body === 'Behind the building.')?.deliveryStatus === 'sent';
    });
  });

  it('stores a re-sent Message-ID once, and a reply from the web inbox goes out by e-mail', async () => {
    for (let i = 0; i < 3; i++) expect((await send({ subject: 'Refill', text: 'Please refill my prescription.', messageId: '<dup.1@patients.test>' })).code).toBe(250);
    await threadOf('Please refill my prescription.');
    await new Promise((r) => setTimeout(r, 200));
    expect((await storedMessages(h)).filter((m) => m.direction === 'in')).toHaveLength(1);
    expect(h.slack.posts(SLACK.channelId)).toHaveLength(1);

    const agent = await enrolStaff(h, 'agent');
    const id = (await conversationOf(PATIENT))!.id;
    expect((await agent.client.post(`/api/conversations/${id}/messages`, { body: 'Sent to your pharmacy.', clientId: 'inbox-reply-0001' })).status).toBeLessThan(300);
    const out = await sink.waitFor(() => sink.mails()[0]);
    expect(out.parsed.text?.trim()).toBe('Sent to your pharmacy.');
    expect(out.parsed.inReplyTo).toBe('<dup.1@patients.test>');
  });

  it('is the same contact as the widget visitor who gave that address', async () => {
    const v = await WidgetClient.withProfile(h.wsUrl, h.inbox.publicKey, { name: 'Wanda Twochannels', email: 'Wanda.T@Patients.test' }, 'Hi from the website');
    await v.close();
    expect((await send({ from: 'Wanda <wanda.t@patients.test>', subject: 'Hello', text: 'Hi by e-mail' })).code).toBe(250);
    const agent = await enrolStaff(h, 'agent');
    const list = await eventually(async () => {
      const r = await agent.client.get<{ items: Array<{ id: string; channel: string; contact: { id: string } }> }>('/api/conversations');
      return r.body.items.length === 2 && r.body.items;
    });
    expect(new Set(list.map((c) => c.contact.id)).size).toBe(1);
    expect(list.map((c) => c.channel).sort()).toEqual(['email', 'web']);
  });

  it('lets staff write first by e-mail to the address from the pre-chat form; the answer lands in that conversation', async () => {
    const v = await WidgetClient.withProfile(h.wsUrl, h.inbox.publicKey, { name: 'Fiona First', email: 'fiona.first@patients.test' }, 'Please e-mail me the forms');
    await v.close();
    const agent = await enrolStaff(h, 'agent');
    const web = await eventually(async () => (await agent.client.get<{ items: Array<{ id: string }> }>('/api/conversations')).body.items[0]);
    const sent = await agent.client.post(`/api/conversations/${web.id}/messages`, { body: 'Here are the forms.', clientId: 'inbox-first-0001', channel: 'email' });
    expect(sent.status).toBe(201);
    const out = await sink.waitFor(() => sink.mails()[0]);
    expect(out.envelopeTo).toEqual(['fiona.first@patients.test']);
    expect(out.parsed.subject).toBe('Message from Riverside Family Practice (demo)');
    expect(out.parsed.inReplyTo).toBeUndefined();
    expect((await send({ from: 'fiona.first@patients.test', subject: 'Re: Message from Riverside Family Practice (demo)', text: 'Thanks, filled in.',
      inReplyTo: out.parsed.messageId, references: [out.parsed.messageId as string] })).code).toBe(250);
    const emailConv = await eventually(() => conversationOf('fiona.first@patients.test'));
    const detail = await agent.client.get<{ messages: Array<{ body: string }> }>(`/api/conversations/${emailConv.id}`);
    expect(detail.body.messages.map((m) => m.body)).toEqual(expect.arrayContaining(['Here are the forms.', 'Thanks, filled in.']));
  });

  it('refuses 30 MB with 552 and keeps running; refuses other recipients (no relay) and mail without a sender', async () => {
    const big = await send({ subject: 'Scan', text: 'x', attachments: [{ filename: 'scan.pdf', content: Buffer.alloc(30 * 1024 * 1024, 65) }] });
    expect(big.code).toBe(552);
    expect(await storedMessages(h)).toHaveLength(0);
    expect((await send({ to: 'someone@elsewhere.test', subject: 'Relay', text: 'relay me' })).code).toBe(550);
    expect((await send({ to: 'billing@riverside-clinic.test', subject: 'Other box', text: 'x' })).code).toBe(550);
    expect((await send({ from: 'not an address', subject: 'x', text: 'no sender', envelope: { from: 'x@patients.test', to: EMAIL.address } })).code).toBe(550);
    expect((await send({ to: 'frontdesk+billing@riverside-clinic.test', subject: 'Tagged', text: 'Plus address works' })).code).toBe(250);
    await threadOf('Plus address works');
    expect(await storedMessages(h)).toHaveLength(1);
  });

  it('keeps allowed attachments, refuses a zip (a zip bomb) unopened', async () => {
    // 64 MB of zeros compress to a few dozen kilobytes: expanded, it would be a zip bomb.
    const bomb = Buffer.concat([Buffer.from('PK\u0003\u0004'), deflateRawSync(Buffer.alloc(64 * 1024 * 1024))]);
    expect(bomb.length).toBeLessThan(200 * 1024);
    const r = await send({ subject: 'Files', text: 'My referral and some photos', attachments: [
      { filename: 'referral.pdf', content: Buffer.from('%PDF-1.4 referral'), contentType: 'application/pdf' },
      { filename: 'photos.zip', content: bomb, contentType: 'application/zip' },
    ] });
    expect(r.code).toBe(250);
    await threadOf('My referral and some photos');
    const [m] = await storedMessages(h);
    expect(m?.body).toContain('[Attachment refused: photos.zip (type not allowed)]');
    const files = await h.app.store.attachments.listForMessages(h.inbox.orgId, [m!.id]);
    expect(files.map((f) => f.filename).sort()).toEqual(['original.eml', 'referral.pdf']);
  });

  it('opens nothing for auto-replies; a bounce marks the reply failed; nothing answers either', async () => {
    await send({ subject: 'Hello', text: 'Real question', messageId: '<real.1@patients.test>' });
    const threadTs = await threadOf('Real question');
    await h.slack.staffReply({ channel: SLACK.channelId, threadTs, user: STAFF.id, text: 'Real answer' });
    const out = await sink.waitFor(() => sink.mails()[0]);
    const before = (await storedMessages(h)).length;

    expect((await send({ subject: 'Out of office', text: 'I am away', headers: { 'Auto-Submitted': 'auto-replied' }, inReplyTo: out.parsed.messageId })).code).toBe(250);
    expect((await send({ from: 'robot@patients.test', subject: 'Away', text: 'Vacation', headers: { 'X-Autoreply': 'yes' } })).code).toBe(250);
    expect((await send({ from: 'robot@patients.test', subject: 'Newsletter', text: 'News', headers: { Precedence: 'bulk' } })).code).toBe(250);
    // A delivery status notification (RFC 3464) for Bedside's reply, from the null return path.
    const dsn = [
      'From: Mail Delivery System <MAILER-DAEMON@mx.patients.test>', `To: ${EMAIL.address}`, 'Subject: Undelivered Mail Returned to Sender',
      'Message-ID: <dsn.1@mx.patients.test>', 'MIME-Version: 1.0', 'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"', '',
      '--b1', 'Content-Type: text/plain', '', 'Your message could not be delivered.', '',
      '--b1', 'Content-Type: message/delivery-status', '', 'Reporting-MTA: dns; mx.patients.test', '', `Final-Recipient: rfc822; ${PATIENT}`, 'Action: failed', 'Status: 5.1.1', '',
      '--b1', 'Content-Type: text/rfc822-headers', '', `From: ${EMAIL.address}`, `To: ${PATIENT}`, `Message-ID: ${out.parsed.messageId}`, 'Subject: Re: Hello', '',
      '--b1--', '',
    ].join('\r\n');
    expect((await send({ envelope: { from: '', to: EMAIL.address }, raw: dsn })).code).toBe(250);

    const agent = await enrolStaff(h, 'agent');
    const id = (await conversationOf(PATIENT))!.id;
    await eventually(async () => {
      const d = await agent.client.get<{ messages: Array<{ body: string; deliveryStatus: string | null; deliveryError: string | null }> }>(`/api/conversations/${id}`);
      const m = d.body.messages.find((x) => x.body === 'Real answer');
      return m?.deliveryStatus === 'failed' && m.deliveryError === 'bounced';
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(await storedMessages(h)).toHaveLength(before);
    expect(await h.app.store.findContactByIdentity(h.inbox.orgId, 'email', 'robot@patients.test')).toBeUndefined();
    expect(sink.mails()).toHaveLength(1);
    expect(h.slack.posts(SLACK.channelId).filter((p) => !p.thread_ts)).toHaveLength(1);
  });

  it('strips line breaks from a subject before it goes into a reply header (no Bcc injection)', async () => {
    const evil = 'Hello\r\nBcc: victim@elsewhere.test';
    const raw = [
      `From: ${PATIENT}`, `To: ${EMAIL.address}`, `Subject: =?UTF-8?B?${Buffer.from(evil).toString('base64')}?=`, 'Message-ID: <inject.1@patients.test>',
      'Content-Type: text/plain', '', 'Please answer', '',
    ].join('\r\n');
    expect((await send({ envelope: { from: PATIENT, to: EMAIL.address }, raw })).code).toBe(250);
    const threadTs = await threadOf('Please answer');
    await h.slack.staffReply({ channel: SLACK.channelId, threadTs, user: STAFF.id, text: 'Answered' });
    const out = await sink.waitFor(() => sink.mails()[0]);
    expect(out.envelopeTo).toEqual([PATIENT]);
    expect(out.raw).not.toMatch(/^bcc:/im);
    expect(out.parsed.subject).toBe('Re: Hello Bcc: victim@elsewhere.test');
    expect(out.parsed.bcc).toBeUndefined();
  });

  it('retries through the outbox when the relay answers 451, and delivers once; a 550 marks the reply failed', async () => {
    await send({ subject: 'Retry', text: 'Will this arrive?' });
    const threadTs = await threadOf('Will this arrive?');
    sink.failNext(451, 2);
    await h.slack.staffReply({ channel: SLACK.channelId, threadTs, user: STAFF.id, text: 'It will, eventually.' });
    await sink.waitFor(() => sink.mails()[0]);
    await new Promise((r) => setTimeout(r, 400));
    expect(sink.refused()).toBe(2);
    expect(sink.mails()).toHaveLength(1);

    sink.failNext(550);
    await h.slack.staffReply({ channel: SLACK.channelId, threadTs, user: STAFF.id, text: 'This one is refused.' });
    const agent = await enrolStaff(h, 'agent');
    const id = (await conversationOf(PATIENT))!.id;
    await eventually(async () => {
      const d = await agent.client.get<{ messages: Array<{ body: string; deliveryStatus: string | null; deliveryError: string | null }> }>(`/api/conversations/${id}`);
      const m = d.body.messages.find((x) => x.body === 'This one is refused.');
      return m?.deliveryStatus === 'failed' && m.deliveryError === 'smtp_550';
    });
    expect(sink.mails()).toHaveLength(1);
    await h.slack.waitFor(() => h.slack.posts(SLACK.channelId).find((p) => p.thread_ts === threadTs && p.text.includes('not delivered')));
  });

  it('in notice mode sends only a secure link; the code comes by e-mail as automatic mail', async () => {
    const admin = await enrolStaff(h, 'admin');
    expect((await admin.client.call('PUT', '/api/admin/channel-content', { channel: 'email', mode: 'notice' })).status).toBe(200);
    expect((await admin.client.get<{ email: string }>('/api/admin/channel-content')).body.email).toBe('notice');
    await send({ subject: 'Results', text: 'What were my lab results?' });
    const threadTs = await threadOf('What were my lab results?');
    await h.slack.staffReply({ channel: SLACK.channelId, threadTs, user: STAFF.id, text: 'Your cholesterol is 190.' });
    const notice = await sink.waitFor(() => sink.mails()[0]);
    expect(notice.raw).not.toContain('cholesterol');
    const token = /\/m#([A-Za-z0-9_-]+)/.exec(notice.parsed.text ?? '')?.[1] as string;
    expect(token).toBeTruthy();
    const code = await fetch(`${h.url}/api/secure/code`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) });
    expect(code.status).toBe(200);
    const codeMail = await sink.waitFor(() => sink.mails().find((m) => /code is \d{6}/.test(m.parsed.text ?? '')));
    expect(codeMail.envelopeTo).toEqual([PATIENT]);
    expect(header(codeMail.raw, 'Auto-Submitted')).toBe('auto-generated');
    const digits = /code is (\d{6})/.exec(codeMail.parsed.text ?? '')?.[1];
    const opened = await fetch(`${h.url}/api/secure/open`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token, code: digits }) });
    expect(opened.status).toBe(200);
    expect(JSON.stringify(await opened.json())).toContain('Your cholesterol is 190.');
  });
});
