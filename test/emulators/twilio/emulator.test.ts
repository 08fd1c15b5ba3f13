import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type MessageResource, type TwilioEmulator, startTwilioEmulator, twilioSignature } from './index.ts';

const ACCOUNT_SID = 'AC0123456789abcdef0123456789abcdef';
const AUTH_TOKEN = 'test-auth-token';
const CLINIC = '+15005550006';
const PATIENT = '+15558675310';
const RFC2822 = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} \+0000$/;

interface Received {
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  params: Record<string, string>;
}

/** A stand-in for the app: records each request and answers via `respond`. */
async function startFakeApp(
  respond: (r: Received, res: http.ServerResponse) => void = (_r, res) => res.writeHead(200, { 'Content-Type': 'text/xml' }).end('<Response/>'),
): Promise<{ base: string; received: Received[]; close: () => Promise<void> }> {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const r = { url: req.url ?? '/', headers: req.headers, body, params: Object.fromEntries(new URLSearchParams(body)) };
      received.push(r);
      respond(r, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function basic(user = ACCOUNT_SID, pass = AUTH_TOKEN): string {
  return `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
}

async function createMessage(
  emu: TwilioEmulator,
  fields: Array<[string, string]>,
  init: { auth?: string; signal?: AbortSignal } = {},
): Promise<{ status: number; headers: Headers; json: Record<string, unknown> }> {
  const res = await fetch(emu.messagesUrl, {
    method: 'POST',
    headers: { Authorization: init.auth ?? basic(), 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
    ...(init.signal ? { signal: init.signal } : {}),
  });
  return { status: res.status, headers: res.headers, json: (await res.json()) as Record<string, unknown> };
}

async function getJson(url: string): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(url, { headers: { Authorization: basic() } });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

/** What the app must do: recompute the signature over the exact URL it was called at and the POST params. */
function validSignature(r: Received, base: string, token = AUTH_TOKEN): boolean {
  return r.headers['x-twilio-signature'] === twilioSignature(token, base + r.url, r.params);
}

describe('twilioSignature', () => {
  it('reproduces the example published in "Webhooks security"', () => {
    const params = {
      CallSid: 'CA1234567890ABCDE',
      Caller: '+12349013030',
      Digits: '1234',
      From: '+12349013030',
      To: '+18005551212',
    };
    expect(twilioSignature('12345', 'https://mycompany.com/myapp.php?foo=1&bar=2', params)).toBe('0/KCTR6DLpKmkAf8muzZqo1nDgQ=');
  });

  it('sorts parameters by name regardless of insertion order', () => {
    const a = twilioSignature('t', 'https://x.test/h', { To: '1', Body: 'hi', From: '2' });
    const b = twilioSignature('t', 'https://x.test/h', { From: '2', Body: 'hi', To: '1' });
    expect(a).toBe(b);
    expect(twilioSignature('t', 'https://x.test/h?x=1', { To: '1', Body: 'hi', From: '2' })).not.toBe(a);
  });
});

describe('Twilio emulator: Messages REST API', () => {
  let emu: TwilioEmulator;
  beforeEach(async () => {
    emu = await startTwilioEmulator({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, statusDelayMs: 5 });
  });
  afterEach(async () => {
    await emu.close();
  });

  it('apiUrl is a bare origin under which the 2010-04-01 Messages endpoint lives', () => {
    expect(emu.apiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(emu.messagesUrl).toBe(`${emu.apiUrl}/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json`);
  });

  it('create answers 201 with the documented Message resource; fetch returns it', async () => {
    const r = await createMessage(emu, [
      ['To', PATIENT],
      ['From', CLINIC],
      ['Body', 'Your visit is confirmed for Tuesday 9:00. Reply C, R or X.'],
    ]);
    expect(r.status).toBe(201);
    expect(r.headers.get('content-type')).toMatch(/^application\/json/);
    const m = r.json;
    expect(Object.keys(m).sort()).toEqual(
      [
        'account_sid', 'api_version', 'body', 'date_created', 'date_sent', 'date_updated', 'direction', 'error_code',
        'error_message', 'from', 'messaging_service_sid', 'num_media', 'num_segments', 'price', 'price_unit', 'sid',
        'status', 'subresource_uris', 'to', 'uri',
      ].sort(),
    );
    expect(m.sid).toMatch(/^SM[0-9a-f]{32}$/);
    expect(m).toMatchObject({
      account_sid: ACCOUNT_SID,
      api_version: '2010-04-01',
      to: PATIENT,
      from: CLINIC,
      status: 'queued',
      direction: 'outbound-api',
      num_segments: '1',
      num_media: '0',
      date_sent: null,
      price: null,
      price_unit: 'USD',
      error_code: null,
      error_message: null,
      messaging_service_sid: null,
      uri: `/2010-04-01/Accounts/${ACCOUNT_SID}/Messages/${String(m.sid)}.json`,
      subresource_uris: { media: `/2010-04-01/Accounts/${ACCOUNT_SID}/Messages/${String(m.sid)}/Media.json` },
    });
    expect(m.date_created).toMatch(RFC2822);
    expect(m.date_updated).toMatch(RFC2822);

    const fetched = await getJson(`${emu.apiUrl}${String(m.uri)}`);
    expect(fetched.status).toBe(200);
    expect(fetched.json).toMatchObject({ sid: m.sid, body: m.body });

    const missing = await getJson(`${emu.apiUrl}/2010-04-01/Accounts/${ACCOUNT_SID}/Messages/SM00000000000000000000000000000000.json`);
    expect(missing.status).toBe(404);
    expect(missing.json).toMatchObject({ code: 20404, status: 404, more_info: 'https://www.twilio.com/docs/errors/20404' });

    expect(emu.sent(PATIENT)).toHaveLength(1);
    expect(emu.sent(PATIENT)[0]).toMatchObject({ sid: m.sid, params: { To: PATIENT, From: CLINIC } });
    expect(emu.calls.map((c) => [c.op, c.status])).toEqual([
      ['create', 201],
      ['fetch', 200],
      ['fetch', 404],
    ]);
  });

  it('status moves queued -> sent -> delivered in the stored resource', async () => {
    const { json } = await createMessage(emu, [['To', PATIENT], ['From', CLINIC], ['Body', 'hello']]);
    const done = await emu.waitFor(() => emu.message(String(json.sid))?.status === 'delivered' && emu.message(String(json.sid)));
    expect(done.date_sent).toMatch(RFC2822);
    expect(done.error_code).toBeNull();
  });

  it('MediaUrl is repeatable; a message with media gets an MM sid and num_media', async () => {
    const r = await createMessage(emu, [
      ['To', PATIENT],
      ['From', CLINIC],
      ['MediaUrl', 'https://clinic.test/map.png'],
      ['MediaUrl', 'https://clinic.test/parking.png'],
    ]);
    expect(r.status).toBe(201);
    expect(r.json).toMatchObject({ num_media: '2', body: '' });
    expect(r.json.sid).toMatch(/^MM[0-9a-f]{32}$/);
    expect(emu.sent()[0]?.mediaUrl).toEqual(['https://clinic.test/map.png', 'https://clinic.test/parking.png']);
  });

  it('counts segments as GSM-7 (160/153) or UCS-2 (70/67)', async () => {
    const long = await createMessage(emu, [['To', PATIENT], ['From', CLINIC], ['Body', 'a'.repeat(161)]]);
    expect(long.json.num_segments).toBe('2');
    const unicode = await createMessage(emu, [['To', PATIENT], ['From', CLINIC], ['Body', 'ü✓'.repeat(36)]]);
    expect(unicode.json.num_segments).toBe('2');
  });

  it('a Messaging Service create starts as accepted with num_segments 0 and from null', async () => {
    const r = await createMessage(emu, [
      ['To', PATIENT],
      ['MessagingServiceSid', 'MG0123456789abcdef0123456789abcdef'],
      ['Body', 'hello'],
    ]);
    expect(r.status).toBe(201);
    expect(r.json).toMatchObject({ status: 'accepted', num_segments: '0', from: null, messaging_service_sid: 'MG0123456789abcdef0123456789abcdef' });
    const done = await emu.waitFor(() => emu.message(String(r.json.sid))?.status === 'delivered' && emu.message(String(r.json.sid)));
    expect(done).toMatchObject({ from: CLINIC, num_segments: '1' });
  });

  it('rejects bad credentials with 401 and code 20003', async () => {
    const wrong = await createMessage(emu, [['To', PATIENT], ['From', CLINIC], ['Body', 'x']], { auth: basic(ACCOUNT_SID, 'nope') });
    expect(wrong.status).toBe(401);
    expect(wrong.json).toEqual({ code: 20003, message: 'Authenticate', more_info: 'https://www.twilio.com/docs/errors/20003', status: 401 });
    const none = await fetch(emu.messagesUrl, { method: 'POST', body: 'To=%2B15558675310' });
    expect(none.status).toBe(401);
    const otherAccount = await fetch(`${emu.apiUrl}/2010-04-01/Accounts/ACffffffffffffffffffffffffffffffff/Messages.json`, {
      headers: { Authorization: basic() },
    });
    expect(otherAccount.status).toBe(401);
    expect(emu.sent()).toHaveLength(0);
  });

  it('validation errors: 21604, 21603, 21211, 21602, 21619, 21617', async () => {
    const cases: Array<[Array<[string, string]>, number]> = [
      [[['From', CLINIC], ['Body', 'x']], 21604],
      [[['To', PATIENT], ['Body', 'x']], 21603],
      [[['To', '5551234'], ['From', CLINIC], ['Body', 'x']], 21211],
      [[['To', PATIENT], ['From', CLINIC]], 21602],
      [[['To', PATIENT], ['MessagingServiceSid', 'MG0123456789abcdef0123456789abcdef']], 21619],
      [[['To', PATIENT], ['From', CLINIC], ['Body', 'x'.repeat(1601)]], 21617],
    ];
    for (const [fields, code] of cases) {
      const r = await createMessage(emu, fields);
      expect(r.status, `code ${code}`).toBe(400);
      expect(r.json).toMatchObject({ code, status: 400, more_info: `https://www.twilio.com/docs/errors/${code}` });
      expect(typeof r.json.message).toBe('string');
    }
    const invalidTo = await createMessage(emu, [['To', '5551234'], ['From', CLINIC], ['Body', 'x']]);
    expect(invalidTo.json.message).toBe("The 'To' number 5551234 is not a valid phone number.");
    expect(emu.sent()).toHaveLength(0);
    const ok = await createMessage(emu, [['To', PATIENT], ['From', CLINIC], ['Body', 'x'.repeat(1600)]]);
    expect(ok.status).toBe(201);
  });

  it('an opted-out recipient gets 21610 and nothing is stored; optIn restores sending', async () => {
    emu.optOut(PATIENT);
    const r = await createMessage(emu, [['To', PATIENT], ['From', CLINIC], ['Body', 'reminder']]);
    expect(r.status).toBe(400);
    expect(r.json).toEqual({
      code: 21610,
      message: 'Attempt to send to unsubscribed recipient',
      more_info: 'https://www.twilio.com/docs/errors/21610',
      status: 400,
    });
    expect(emu.sent(PATIENT)).toHaveLength(0);
    emu.optIn(PATIENT);
    expect((await createMessage(emu, [['To', PATIENT], ['From', CLINIC], ['Body', 'reminder']])).status).toBe(201);
  });

  it('failNext: 429 with Retry-After, then 500, then a normal answer', async () => {
    emu.failNext({ status: 429, retryAfter: 2 });
    emu.failNext({ status: 500 });
    const limited = await createMessage(emu, [['To', PATIENT], ['From', CLINIC], ['Body', 'x']]);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('2');
    expect(limited.json).toMatchObject({ code: 20429, status: 429 });
    const broken = await createMessage(emu, [['To', PATIENT], ['From', CLINIC], ['Body', 'x']]);
    expect(broken.status).toBe(500);
    expect(broken.json).toMatchObject({ code: 20500, status: 500 });
    expect(emu.sent()).toHaveLength(0);
    expect((await createMessage(emu, [['To', PATIENT], ['From', CLINIC], ['Body', 'x']])).status).toBe(201);
  });

  it('failNext with a Twilio code, limited to one operation and repeated', async () => {
    emu.failNext({ code: 21614, status: 400, message: "'To' number is not a valid mobile number", op: 'create' }, 2);
    const list = await getJson(emu.messagesUrl);
    expect(list.status).toBe(200);
    for (let i = 0; i < 2; i++) {
      const r = await createMessage(emu, [['To', PATIENT], ['From', CLINIC], ['Body', 'x']]);
      expect(r.json).toMatchObject({ code: 21614, status: 400, message: "'To' number is not a valid mobile number" });
    }
    expect((await createMessage(emu, [['To', PATIENT], ['From', CLINIC], ['Body', 'x']])).status).toBe(201);
  });

  it('setOutage answers 503 to every call until switched off', async () => {
    emu.setOutage(true);
    const r = await createMessage(emu, [['To', PATIENT], ['From', CLINIC], ['Body', 'x']]);
    expect(r.status).toBe(503);
    expect(r.json).toMatchObject({ code: 20503, status: 503 });
    expect((await getJson(emu.messagesUrl)).status).toBe(503);
    emu.setOutage(false);
    expect((await createMessage(emu, [['To', PATIENT], ['From', CLINIC], ['Body', 'x']])).status).toBe(201);
  });

  it('hangNext stores the message but never answers', async () => {
    emu.hangNext();
    await expect(
      createMessage(emu, [['To', PATIENT], ['From', CLINIC], ['Body', 'delivered, but the app never hears back']], {
        signal: AbortSignal.timeout(300),
      }),
    ).rejects.toThrow();
    expect(emu.sent(PATIENT).map((s) => s.resource.body)).toEqual(['delivered, but the app never hears back']);
    expect(emu.calls.at(-1)).toMatchObject({ op: 'create', hung: true, status: 0 });
    await emu.waitFor(() => emu.sent(PATIENT)[0]?.resource.status === 'delivered');
    expect((await createMessage(emu, [['To', PATIENT], ['From', CLINIC], ['Body', 'next one answers']])).status).toBe(201);
  });

  it('list: newest first, filters To / From / DateSent, pages with PageSize and next_page_uri', async () => {
    const other = '+15558675311';
    const sids: string[] = [];
    for (const [to, body] of [[PATIENT, 'one'], [other, 'two'], [PATIENT, 'three'], [PATIENT, 'four']] as const) {
      sids.push(String((await createMessage(emu, [['To', to], ['From', CLINIC], ['Body', body]])).json.sid));
    }
    await emu.waitFor(() => emu.sent().every((s) => s.resource.date_sent !== null));

    const all = await getJson(emu.messagesUrl);
    expect((all.json.messages as MessageResource[]).map((m) => m.body)).toEqual(['four', 'three', 'two', 'one']);
    expect(all.json).toMatchObject({ page: 0, page_size: 50, start: 0, end: 3, next_page_uri: null, previous_page_uri: null });
    expect(all.json.uri).toBe(`/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json?PageSize=50&Page=0`);

    const page1 = await getJson(`${emu.messagesUrl}?To=${encodeURIComponent(PATIENT)}&PageSize=2`);
    expect((page1.json.messages as MessageResource[]).map((m) => m.body)).toEqual(['four', 'three']);
    expect(page1.json).toMatchObject({ page: 0, page_size: 2, start: 0, end: 1 });
    expect(page1.json.next_page_uri).toMatch(/^\/2010-04-01\/Accounts\/.+\/Messages\.json\?To=%2B15558675310&PageSize=2&Page=1&PageToken=PA/);
    const page2 = await getJson(`${emu.apiUrl}${String(page1.json.next_page_uri)}`);
    expect((page2.json.messages as MessageResource[]).map((m) => m.body)).toEqual(['one']);
    expect(page2.json).toMatchObject({ page: 1, start: 2, end: 2, next_page_uri: null });
    expect(page2.json.previous_page_uri).toEqual(expect.stringContaining('PageToken=PB'));

    const fromClinic = await getJson(`${emu.messagesUrl}?From=${encodeURIComponent(CLINIC)}`);
    expect(fromClinic.json.messages).toHaveLength(4);

    const today = new Date().toISOString().slice(0, 10);
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const onOrAfterToday = await getJson(`${emu.messagesUrl}?${new URLSearchParams({ 'DateSent>': today })}`);
    expect(onOrAfterToday.json.messages).toHaveLength(4);
    const onOrBeforeToday = await getJson(`${emu.messagesUrl}?DateSent<=${today}`);
    expect(onOrBeforeToday.json.messages).toHaveLength(4);
    const fromTomorrow = await getJson(`${emu.messagesUrl}?DateSent>=${tomorrow}`);
    expect(fromTomorrow.json.messages).toHaveLength(0);
    const exactDay = await getJson(`${emu.messagesUrl}?DateSent=${today}&To=${encodeURIComponent(other)}`);
    expect((exactDay.json.messages as MessageResource[]).map((m) => m.sid)).toEqual([sids[1]]);
  });

  it('delete answers 204 and removes the message', async () => {
    const { json } = await createMessage(emu, [['To', PATIENT], ['From', CLINIC], ['Body', 'x']]);
    const res = await fetch(`${emu.apiUrl}${String(json.uri)}`, { method: 'DELETE', headers: { Authorization: basic() } });
    expect(res.status).toBe(204);
    expect(emu.message(String(json.sid))).toBeUndefined();
  });
});

describe('Twilio emulator: status callbacks', () => {
  let emu: TwilioEmulator;
  let app: Awaited<ReturnType<typeof startFakeApp>>;
  beforeEach(async () => {
    app = await startFakeApp((_r, res) => res.writeHead(204).end());
    emu = await startTwilioEmulator({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, statusDelayMs: 5 });
  });
  afterEach(async () => {
    await emu.close();
    await app.close();
  });

  it('posts signed sent and delivered callbacks to the exact StatusCallback URL (none for the initial queued)', async () => {
    const callbackUrl = `${app.base}/twilio/status?tenant=clinic-1&n=2`;
    const { json } = await createMessage(emu, [['To', PATIENT], ['From', CLINIC], ['Body', 'hello'], ['StatusCallback', callbackUrl]]);
    await emu.waitFor(() => app.received.length >= 2);
    await new Promise((r) => setTimeout(r, 30));
    expect(app.received).toHaveLength(2);
    for (const r of app.received) {
      expect(r.url).toBe('/twilio/status?tenant=clinic-1&n=2');
      expect(r.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
      expect(validSignature(r, app.base)).toBe(true);
      expect(validSignature(r, app.base, 'some-other-token')).toBe(false);
    }
    expect(app.received.map((r) => r.params.MessageStatus)).toEqual(['sent', 'delivered']);
    expect(app.received[0]!.params).toEqual({
      AccountSid: ACCOUNT_SID,
      ApiVersion: '2010-04-01',
      From: CLINIC,
      MessageSid: json.sid,
      MessageStatus: 'sent',
      SmsSid: json.sid,
      SmsStatus: 'sent',
      To: PATIENT,
    });
    expect(app.received[1]!.params.RawDlrDoneDate).toMatch(/^\d{10}$/);
    expect(app.received[1]!.params).not.toHaveProperty('ErrorCode');
    expect(emu.callbacks.map((c) => [c.messageStatus, c.status])).toEqual([
      ['sent', 204],
      ['delivered', 204],
    ]);
  });

  it('undelivered and failed outcomes carry ErrorCode and set error_code on the resource', async () => {
    emu.setDeliveryOutcome(PATIENT, 'undelivered');
    emu.setDeliveryOutcome('+15558675399', 'failed', 30006);
    const a = await createMessage(emu, [['To', PATIENT], ['From', CLINIC], ['Body', 'x'], ['StatusCallback', `${app.base}/s`]]);
    const b = await createMessage(emu, [['To', '+15558675399'], ['From', CLINIC], ['Body', 'x'], ['StatusCallback', `${app.base}/s`]]);
    await emu.waitFor(() => app.received.length >= 3);
    const forA = app.received.filter((r) => r.params.MessageSid === a.json.sid).map((r) => r.params);
    expect(forA.map((p) => p.MessageStatus)).toEqual(['sent', 'undelivered']);
    expect(forA[1]).toMatchObject({ ErrorCode: '30003', RawDlrDoneDate: expect.stringMatching(/^\d{10}$/) });
    const forB = app.received.filter((r) => r.params.MessageSid === b.json.sid).map((r) => r.params);
    expect(forB).toEqual([expect.objectContaining({ MessageStatus: 'failed', ErrorCode: '30006' })]);
    expect(forB[0]).not.toHaveProperty('RawDlrDoneDate');
    expect(emu.message(String(b.json.sid))).toMatchObject({ status: 'failed', error_code: 30006, date_sent: null });
  });

  it('a Messaging Service message reports queued first, with MessagingServiceSid', async () => {
    const service = 'MG0123456789abcdef0123456789abcdef';
    await createMessage(emu, [['To', PATIENT], ['MessagingServiceSid', service], ['Body', 'x'], ['StatusCallback', `${app.base}/s`]]);
    await emu.waitFor(() => app.received.length >= 3);
    expect(app.received.map((r) => r.params.MessageStatus)).toEqual(['queued', 'sent', 'delivered']);
    expect(app.received[0]!.params).toMatchObject({ MessagingServiceSid: service, From: CLINIC });
    expect(app.received.every((r) => validSignature(r, app.base))).toBe(true);
  });

  it('records a callback the app fails to answer', async () => {
    await createMessage(emu, [['To', PATIENT], ['From', CLINIC], ['Body', 'x'], ['StatusCallback', 'http://127.0.0.1:9/unreachable']]);
    const rec = await emu.waitFor(() => emu.callbacks.find((c) => c.messageStatus === 'delivered' && c.error !== undefined));
    expect(rec.status).toBe(0);
  });
});

describe('Twilio emulator: incoming messages', () => {
  let emu: TwilioEmulator;
  let app: Awaited<ReturnType<typeof startFakeApp>>;
  let answer = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>';
  beforeEach(async () => {
    answer = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>';
    app = await startFakeApp((_r, res) => res.writeHead(200, { 'Content-Type': 'text/xml' }).end(answer));
    emu = await startTwilioEmulator({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, smsUrl: `${app.base}/twilio/sms?inbox=front-desk`, statusDelayMs: 5 });
  });
  afterEach(async () => {
    await emu.close();
    await app.close();
  });

  it('posts the documented incoming-message form, signed over the exact URL with its query string', async () => {
    const r = await emu.sendSms({ from: PATIENT, to: CLINIC, body: 'Where do I park?' });
    expect(r.status).toBe(200);
    expect(r.messageSid).toMatch(/^SM[0-9a-f]{32}$/);
    expect(app.received).toHaveLength(1);
    const got = app.received[0]!;
    expect(got.url).toBe('/twilio/sms?inbox=front-desk');
    expect(validSignature(got, app.base)).toBe(true);
    expect(got.params).toEqual({
      ToCountry: '',
      ToState: '',
      SmsMessageSid: r.messageSid,
      NumMedia: '0',
      ToCity: '',
      FromZip: '',
      SmsSid: r.messageSid,
      FromState: '',
      SmsStatus: 'received',
      FromCity: '',
      Body: 'Where do I park?',
      FromCountry: '',
      To: CLINIC,
      ToZip: '',
      NumSegments: '1',
      MessageSid: r.messageSid,
      AccountSid: ACCOUNT_SID,
      From: PATIENT,
      ApiVersion: '2010-04-01',
    });
    expect(emu.message(r.messageSid)).toMatchObject({ direction: 'inbound', status: 'received', from: PATIENT, to: CLINIC, body: 'Where do I park?' });
    expect(emu.inbound[0]).toMatchObject({ messageSid: r.messageSid, status: 200 });
  });

  it('sends media as MediaUrl{N} / MediaContentType{N} with an MM sid', async () => {
    const r = await emu.sendSms({
      from: PATIENT,
      to: CLINIC,
      body: 'my insurance card',
      media: [
        { url: 'https://media.test/front.jpg', contentType: 'image/jpeg' },
        { url: 'https://media.test/back.png', contentType: 'image/png' },
      ],
      messagingServiceSid: 'MG0123456789abcdef0123456789abcdef',
      geo: { fromCountry: 'US', fromState: 'NH', fromCity: 'NASHUA', fromZip: '03049' },
    });
    expect(r.messageSid).toMatch(/^MM[0-9a-f]{32}$/);
    const p = app.received[0]!.params;
    expect(p).toMatchObject({
      NumMedia: '2',
      MediaUrl0: 'https://media.test/front.jpg',
      MediaContentType0: 'image/jpeg',
      MediaUrl1: 'https://media.test/back.png',
      MediaContentType1: 'image/png',
      MessagingServiceSid: 'MG0123456789abcdef0123456789abcdef',
      FromCountry: 'US',
      FromCity: 'NASHUA',
    });
    expect(validSignature(app.received[0]!, app.base)).toBe(true);
  });

  it('can forge the signature or sign with a wrong token for negative tests', async () => {
    await emu.sendSms({ from: PATIENT, to: CLINIC, body: 'forged', signature: 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=' });
    await emu.sendSms({ from: PATIENT, to: CLINIC, body: 'wrong token', authToken: 'not-the-token' });
    expect(app.received.map((r) => r.headers['x-twilio-signature'])).toEqual(['AAAAAAAAAAAAAAAAAAAAAAAAAAA=', expect.any(String)]);
    expect(app.received.map((r) => validSignature(r, app.base))).toEqual([false, false]);
    expect(validSignature(app.received[1]!, app.base, 'not-the-token')).toBe(true);
  });

  it('resend replays the same MessageSid and signature, as a Twilio retry', async () => {
    const first = await emu.sendSms({ from: PATIENT, to: CLINIC, body: 'C' });
    const again = await emu.resend(first);
    expect(again.messageSid).toBe(first.messageSid);
    expect(app.received).toHaveLength(2);
    expect(app.received[1]!.body).toBe(app.received[0]!.body);
    expect(app.received[1]!.headers['x-twilio-signature']).toBe(app.received[0]!.headers['x-twilio-signature']);
    expect(emu.messages().filter((m) => m.sid === first.messageSid)).toHaveLength(1);
  });

  it('sends the <Message> verbs of the TwiML answer as outbound-reply messages', async () => {
    answer = '<?xml version="1.0" encoding="UTF-8"?><Response><Message>Parking is free in lot B &amp; C.</Message></Response>';
    const r = await emu.sendSms({ from: PATIENT, to: CLINIC, body: 'Where do I park?' });
    expect(r.replies).toHaveLength(1);
    expect(r.replies[0]).toMatchObject({ direction: 'outbound-reply', from: CLINIC, to: PATIENT, body: 'Parking is free in lot B & C.', status: 'queued' });
    expect(emu.sent(PATIENT).map((s) => s.resource.body)).toEqual(['Parking is free in lot B & C.']);
  });

  it('handleOptOutKeywords: STOP opts the sender out (creates then get 21610), START opts back in', async () => {
    await emu.close();
    emu = await startTwilioEmulator({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, smsUrl: `${app.base}/twilio/sms`, handleOptOutKeywords: true });
    await emu.sendSms({ from: PATIENT, to: CLINIC, body: ' stop ' });
    expect(emu.isOptedOut(PATIENT)).toBe(true);
    expect(app.received.at(-1)!.params.Body).toBe(' stop ');
    expect((await createMessage(emu, [['To', PATIENT], ['From', CLINIC], ['Body', 'x']])).json.code).toBe(21610);
    await emu.sendSms({ from: PATIENT, to: CLINIC, body: 'START' });
    expect(emu.isOptedOut(PATIENT)).toBe(false);
  });

  it('reports a webhook that cannot be reached', async () => {
    const r = await emu.sendSms({ from: PATIENT, to: CLINIC, body: 'hello', url: 'http://127.0.0.1:9/sms' });
    expect(r.status).toBe(0);
    expect(r.error).toEqual(expect.any(String));
  });
});

describe('Twilio emulator: control API', () => {
  it('sends an SMS, sets an opt-out and reads messages over HTTP', async () => {
    const app = await startFakeApp();
    const emu = await startTwilioEmulator({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, smsUrl: `${app.base}/sms`, controlApi: true });
    const post = (path: string, body: unknown) =>
      fetch(`${emu.url}/_emulator/${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    try {
      const sms = (await (await post('sms', { from: PATIENT, to: CLINIC, body: 'hi' })).json()) as { ok: boolean; status: number; messageSid: string };
      expect(sms).toMatchObject({ ok: true, status: 200 });
      expect(validSignature(app.received[0]!, app.base)).toBe(true);
      await post('opt-out', { number: PATIENT });
      expect((await createMessage(emu, [['To', PATIENT], ['From', CLINIC], ['Body', 'x']])).json.code).toBe(21610);
      const messages = (await (await fetch(`${emu.url}/_emulator/messages`)).json()) as { messages: MessageResource[] };
      expect(messages.messages.map((m) => m.sid)).toEqual([sms.messageSid]);
      await post('outage', { on: true });
      expect((await getJson(emu.messagesUrl)).status).toBe(503);
    } finally {
      await emu.close();
      await app.close();
    }
  });
});
