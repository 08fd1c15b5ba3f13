/** Mailgun inbound routes: verified, fresh, single-use; malformed payloads refused; nothing stored twice. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMAIL, eventually, SLACK, startHarness, storedMessages, type Harness } from '../support/harness.ts';
import { postMime, postParsed, type MailgunMessage } from '../emulators/mailgun/index.ts';

let h: Harness;
let parsedUrl: string;
let mimeUrl: string;
const key = { signingKey: EMAIL.mailgunSigningKey };

beforeAll(async () => {
  h = await startHarness({ email: true });
  parsedUrl = `${h.url}/webhooks/mailgun/inbound`;
  mimeUrl = `${h.url}/webhooks/mailgun/inbound/mime`;
});
afterAll(async () => { await h.close(); });

const message = (n: number, more: Partial<MailgunMessage> = {}): MailgunMessage => ({
  from: 'Mia Example <mia.example@patients.test>', recipient: EMAIL.address, subject: `Question ${n}`,
  text: `Mailgun question number ${n}`, messageId: `<mg.${n}@patients.test>`, ...more,
});
const incoming = async () => (await storedMessages(h)).filter((m) => m.direction === 'in');

describe('Mailgun inbound', () => {
  it('stores a signed parsed POST once, with its attachments screened; a re-delivery with a new token stores nothing', async () => {
    const r = await postParsed(parsedUrl, message(1, { attachments: [
      { filename: 'card.png', contentType: 'image/png', data: Buffer.from('89504e470d0a1a0a', 'hex') },
      { filename: 'bomb.zip', contentType: 'application/zip', data: Buffer.from('PK\u0003\u0004zzzz') },
    ] }), key);
    expect(r.status).toBe(200);
    await h.slack.waitFor(() => h.slack.posts(SLACK.channelId).find((p) => JSON.stringify(p.blocks).includes('Mailgun question number 1')));
    const [m] = await incoming();
    expect(m?.body).toContain('[Attachment refused: bomb.zip (type not allowed)]');
    expect((await h.app.store.attachments.listForMessages(h.inbox.orgId, [m!.id])).map((a) => a.filename)).toEqual(['card.png']);
    expect((await postParsed(parsedUrl, message(1), key)).status).toBe(200);
    expect(await incoming()).toHaveLength(1);
  });

  it('stores a signed raw-MIME POST', async () => {
    const mime = ['From: Mia Example <mia.example@patients.test>', `To: ${EMAIL.address}`, 'Subject: Raw', 'Message-ID: <mg.raw@patients.test>', 'Content-Type: text/html; charset=utf-8', '',
      '<p>Raw <b>mime</b> question</p><script>alert(1)</script>', ''].join('\r\n');
    const r = await postMime(mimeUrl, { recipient: EMAIL.address, sender: 'mia.example@patients.test', from: 'mia.example@patients.test', subject: 'Raw', mime }, key);
    expect(r.status).toBe(200);
    const m = await eventually(async () => (await incoming()).find((x) => x.body.includes('Raw mime question')));
    expect(m.body).not.toMatch(/<|alert/);
  });

  it('refuses forged signatures, stale timestamps and replayed tokens with a bare 401, storing nothing', async () => {
    const before = (await incoming()).length;
    const forged = await postParsed(parsedUrl, message(2), { signingKey: 'not-the-signing-key-at-all' });
    expect(forged.status).toBe(401);
    expect(JSON.parse(forged.body)).toEqual({ error: { code: 'unauthorized', message: 'Unauthorized' } });
    expect((await postParsed(parsedUrl, message(3), { ...key, timestamp: Math.floor(Date.now() / 1000) - 3600 })).status).toBe(401);
    expect((await postParsed(parsedUrl, message(4), { ...key, signature: 'f'.repeat(64) })).status).toBe(401);
    const first = await postParsed(parsedUrl, message(5), key);
    expect(first.status).toBe(200);
    const replay = await postParsed(parsedUrl, message(6), { ...key, token: first.token });
    expect(replay.status).toBe(401);
    await new Promise((r) => setTimeout(r, 200));
    expect((await incoming()).map((m) => m.body).filter((b) => /number [2346]\b/.test(b))).toEqual([]);
    expect((await incoming()).length).toBe(before + 1);
  });

  it('answers malformed payloads with 400, other recipients with 406, and stores nothing', async () => {
    const before = (await incoming()).length;
    const broken = await fetch(parsedUrl, { method: 'POST', headers: { 'content-type': 'multipart/form-data; boundary=zzz' }, body: '--zzz\r\nContent-Disposition: form-data; name="timestamp"\r\n\r\n12' });
    expect(broken.status).toBe(400);
    expect(await broken.json()).toEqual({ error: { code: 'invalid_payload', message: 'Unsupported Mailgun payload' } });
    const noBody = await postMime(mimeUrl, { recipient: EMAIL.address, sender: 'a@b.test', from: 'a@b.test', subject: 'x', mime: '' }, key);
    expect(noBody.status).toBe(400);
    expect((await postParsed(parsedUrl, message(7, { recipient: 'someone@elsewhere.test' }), key)).status).toBe(406);
    expect((await postParsed(parsedUrl, message(8, { from: 'nobody' }), key)).status).toBe(400);
    expect((await fetch(parsedUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status).toBe(400);
    expect((await incoming()).length).toBe(before);
  });
});
