/**
 * No patient data from e-mail in the logs: synthetic PHI goes through every e-mail path (SMTP
 * listener, refusals, duplicates, automatic mail, Mailgun good and bad, replies that fail and
 * retry), then every captured log line, at debug level, is searched for it.
 */
import nodemailer, { type SendMailOptions } from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postParsed } from '../emulators/mailgun/index.ts';
import { EMAIL, eventually, SLACK, STAFF, startHarness, type Harness } from '../support/harness.ts';

const PATIENT = { name: 'Quentin Zyxwarbler', email: 'quentin.zyx@example.test' };
const SUBJECT = 'MRN-77123-SECRET biopsy';
const BODY = 'rash on left arm since Tuesday';
const REPLY = 'Take 20mg ZYXAMINE daily';
const MARKERS = ['Zyxwarbler', 'Quentin', 'quentin.zyx', 'quentin.zyx%40example.test', 'MRN-77123', 'biopsy', 'rash on left arm', 'rash+on+left', 'ZYXAMINE', 'lesion-photo'];

let h: Harness;
beforeAll(async () => { h = await startHarness({ email: true }); });
afterAll(async () => { await h.close(); });

async function send(mail: SendMailOptions): Promise<number> {
  const t = nodemailer.createTransport({ host: '127.0.0.1', port: h.email!.listenPort, secure: false, ignoreTLS: true });
  try {
    const info = await t.sendMail({ from: `${PATIENT.name} <${PATIENT.email}>`, to: EMAIL.address, ...mail }) as { response: string };
    return Number(info.response.slice(0, 3));
  } catch (err) {
    return (err as { responseCode?: number }).responseCode ?? 0;
  } finally {
    t.close();
  }
}

describe('PHI in logs (e-mail)', () => {
  it('never logs addresses, names, subjects, bodies or file names', async () => {
    const sink = h.email!.sink;
    expect(await send({ subject: SUBJECT, text: BODY, messageId: '<phi.1@example.test>', attachments: [{ filename: 'lesion-photo.zip', content: Buffer.from('PK\u0003\u0004') }] })).toBe(250);
    expect(await send({ subject: SUBJECT, text: BODY, messageId: '<phi.1@example.test>' })).toBe(250);
    expect(await send({ subject: SUBJECT, text: `${BODY} ${'y'.repeat(60)}`.repeat(1), headers: { 'Auto-Submitted': 'auto-replied' } })).toBe(250);
    expect(await send({ to: `${PATIENT.name.split(' ')[1]}@elsewhere.test`, subject: SUBJECT, text: BODY })).toBe(550);
    expect(await send({ subject: SUBJECT, text: BODY, attachments: [{ filename: 'lesion-photo.pdf', content: Buffer.alloc(26 * 1024 * 1024, 66) }] })).toBe(552);
    const parent = await h.slack.waitFor(() => h.slack.posts(SLACK.channelId).find((p) => !p.thread_ts));
    await eventually(() => h.app.store.findConversationBySlackThread(SLACK.channelId, parent.ts));
    sink.failNext(451);
    await h.slack.staffReply({ channel: SLACK.channelId, threadTs: parent.ts, user: STAFF.id, text: `${PATIENT.name}, ${REPLY}` });
    await sink.waitFor(() => sink.mails()[0]);
    sink.failNext(550);
    await h.slack.staffReply({ channel: SLACK.channelId, threadTs: parent.ts, user: STAFF.id, text: REPLY });
    await h.slack.waitFor(() => h.slack.posts(SLACK.channelId).find((p) => p.thread_ts === parent.ts && p.text.includes('not delivered')));

    const mg = { from: `${PATIENT.name} <${PATIENT.email}>`, recipient: EMAIL.address, subject: SUBJECT, text: BODY, messageId: '<phi.mg@example.test>' };
    const answers = [
      await postParsed(`${h.url}/webhooks/mailgun/inbound`, mg, { signingKey: EMAIL.mailgunSigningKey }),
      await postParsed(`${h.url}/webhooks/mailgun/inbound`, mg, { signingKey: 'forged-signing-key-0123456789' }),
      await postParsed(`${h.url}/webhooks/mailgun/inbound`, { ...mg, from: `${PATIENT.name} no address` }, { signingKey: EMAIL.mailgunSigningKey }),
    ];
    expect(answers.map((a) => a.status)).toEqual([200, 401, 400]);
    await eventually(async () => {
      const c = await h.app.store.jobCounts();
      return c.pending + c.running === 0;
    }, 10_000);

    const lines = h.logs().split('\n').filter((l) => l.trim() !== '');
    for (const msg of ['e-mail received', 'automatic e-mail ignored', 'smtp message over the size limit refused', 'mailgun inbound accepted', 'job failed, will retry']) {
      expect(h.logs(), `expected a "${msg}" line`).toContain(`"msg":"${msg}"`);
    }
    for (const marker of [...MARKERS, EMAIL.mailgunSigningKey]) {
      expect(lines.filter((l) => l.toLowerCase().includes(marker.toLowerCase())), `log lines containing ${marker}`).toEqual([]);
      for (const a of answers) expect(a.body.toLowerCase()).not.toContain(marker.toLowerCase());
    }
  });
});
