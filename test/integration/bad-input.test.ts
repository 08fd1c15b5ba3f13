/**
 * Hostile and malformed input at every door: the widget WebSocket, POST /slack/events and the rest
 * of the HTTP surface. Each refusal must be a fixed, coded answer that echoes nothing, store
 * nothing, and leave the process serving the next patient normally.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import { newId, newPublicKey } from '../../src/domain/ids.ts';
import type { ChannelKind, Inbox } from '../../src/domain/types.ts';
import { issueVisitorToken } from '../../src/security/visitor-token.ts';
import { DEFAULT_INBOX_SETTINGS } from '../../src/features/demo.ts';
import { signSlackRequest } from '../emulators/slack/index.ts';
import { eventually, SLACK, STAFF, startHarness, type Harness, storedMessages } from '../support/harness.ts';
import { visitorIdOf, WidgetClient } from '../support/widget-client.ts';

/** Put into every bad input; must never come back in an answer. */
const CANARY = 'ECHO-CANARY-7731';
const VALID_ID = /^[A-Za-z0-9_-]{8,64}$/;

let h: Harness;
let clients: WidgetClient[];

beforeEach(async () => {
  h = await startHarness();
  clients = [];
});
afterEach(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await h.close();
});

// ---------------------------------------------------------------- helpers

async function connect(inbox: Inbox = h.inbox): Promise<WidgetClient> {
  const c = await WidgetClient.connect(h.wsUrl, inbox.publicKey);
  clients.push(c);
  return c;
}

async function totalJobs(): Promise<number> {
  const c = await h.app.store.jobCounts();
  return c.pending + c.running + c.dead + c.done;
}

const allMessages = () => storedMessages(h);

async function storedBodiesOf(token: string, inbox: Inbox = h.inbox): Promise<string[] | undefined> {
  const contact = await h.app.conversations.findContact(inbox, { channel: 'web', externalId: visitorIdOf(token) });
  if (!contact) return undefined;
  const rows = await h.app.store.listContactMessagesAfter(inbox.orgId, inbox.id, contact.id, 0, 200);
  return rows.map((m) => m.body);
}

/** /readyz answers 200 and a brand-new visitor can still write and be acknowledged. */
async function expectHealthy(): Promise<void> {
  const res = await fetch(`${h.url}/readyz`);
  expect(res.status).toBe(200);
  expect(await res.json()).toMatchObject({ status: 'ok', database: 'ok' });
  const probe = await connect();
  const welcome = await probe.hello();
  const ack = await probe.say('Is the clinic open on Saturday?');
  expect(ack.message).toMatchObject({ from: 'patient', body: 'Is the clinic open on Saturday?' });
  expect(await storedBodiesOf(welcome.token)).toEqual(['Is the clinic open on Saturday?']);
  await probe.close();
}

/** `{error:{code,message}}` and nothing else; the message is fixed text that echoes no input. */
function expectErrorBody(text: string, code: string | undefined, ...notEchoed: string[]): void {
  let parsed: unknown;
  expect(() => { parsed = JSON.parse(text); }, `not JSON: ${text.slice(0, 200)}`).not.toThrow();
  expect(parsed).toEqual({ error: { code: code ?? expect.any(String), message: expect.any(String) } });
  expect((parsed as { error: { message: string } }).error.message.length).toBeGreaterThan(0);
  for (const s of [CANARY, ...notEchoed]) expect(text).not.toContain(s);
  expect(text).not.toMatch(/\bat .+:\d+:\d+/); // no stack frame
}

async function createInbox(channel: ChannelKind = 'web'): Promise<Inbox> {
  const inbox: Inbox = {
    id: newId('ibx'), orgId: h.inbox.orgId, name: 'Second practice site', channel, publicKey: newPublicKey(),
    settings: DEFAULT_INBOX_SETTINGS, createdAt: Date.now(),
  };
  await h.app.store.createInbox(inbox);
  return inbox;
}

function serverSecret(): string {
  return readFileSync(join(h.app.config.dataDir, 'secret.key'), 'utf8').trim();
}

type ErrorFrame = { type: 'error'; code: string; message: string; clientId?: string };

/**
 * A fresh visitor says hello, then `send` puts one bad frame on the wire. Expects exactly one error
 * frame (code, clientId echoed only when given), no echo of the input, nothing stored, the socket
 * still open and a valid message afterwards acknowledged and stored alone.
 */
async function expectFrameRejected(send: (c: WidgetClient) => void, expected: { code?: string; clientId?: string } = {}): Promise<ErrorFrame> {
  const c = await connect();
  const welcome = await c.hello();
  const jobsBefore = await totalJobs();
  const from = c.frames.length;
  send(c);
  const err = await c.next('error', from);
  expect(err.code).toBe(expected.code ?? 'invalid_frame');
  expect(err.message).toEqual(expect.any(String));
  if (expected.clientId !== undefined) {
    expect(err).toEqual({ type: 'error', code: err.code, message: err.message, clientId: expected.clientId });
  } else {
    expect(err).toEqual({ type: 'error', code: err.code, message: err.message });
  }
  expect(JSON.stringify(err)).not.toContain(CANARY);

  // Nothing stored: no contact, no message, no job.
  expect(await h.app.conversations.findContact(h.inbox, { channel: 'web', externalId: visitorIdOf(welcome.token) })).toBeUndefined();
  expect(await allMessages()).toEqual([]);
  expect(await totalJobs()).toBe(jobsBefore);

  // The same connection is still usable.
  const ack = await c.say('A valid question after a bad frame');
  expect(ack.message.body).toBe('A valid question after a bad frame');
  expect(c.closeCode).toBeUndefined();
  const after = c.frames.slice(from);
  expect(after.filter((f) => f.type === 'error')).toHaveLength(1);
  expect(after.filter((f) => f.type === 'ack')).toHaveLength(1);
  expect(await storedBodiesOf(welcome.token)).toEqual(['A valid question after a bad frame']);
  expect((await allMessages()).map((m) => m.body)).toEqual(['A valid question after a bad frame']);
  await expectHealthy();
  return err as ErrorFrame;
}

interface RawResponse { status: number; body: string; headers: Record<string, string | string[] | undefined> }

/** Opens the widget socket expecting the upgrade to be refused; resolves with the HTTP answer. */
function refusedUpgrade(url: string): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once('open', () => {
      ws.close();
      reject(new Error('upgrade unexpectedly accepted'));
    });
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => { body += chunk; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    ws.on('error', () => undefined);
  });
}

interface SlackPostOptions { sign?: boolean; timestamp?: number }

async function postSlack(body: string, contentType: string, opts: SlackPostOptions = {}): Promise<{ status: number; body: string }> {
  const headers: Record<string, string> = { 'content-type': contentType };
  if (opts.sign !== false) {
    const ts = opts.timestamp ?? Math.floor(Date.now() / 1000);
    headers['x-slack-request-timestamp'] = String(ts);
    headers['x-slack-signature'] = signSlackRequest(SLACK.signingSecret, ts, body);
  }
  const res = await fetch(`${h.url}/slack/events`, { method: 'POST', headers, body });
  return { status: res.status, body: await res.text() };
}

/** A refused Slack request gets the coded answer, stores nothing and leaves the server healthy. */
async function expectSlackRefused(send: () => Promise<{ status: number; body: string }>, status: number, code: string): Promise<void> {
  const jobsBefore = await totalJobs();
  const messagesBefore = await allMessages();
  const res = await send();
  expect(res.status).toBe(status);
  expectErrorBody(res.body, code);
  expect(await totalJobs()).toBe(jobsBefore);
  expect(await allMessages()).toEqual(messagesBefore);
  await expectHealthy();
}

// ---------------------------------------------------------------- widget WebSocket

describe('widget socket: opening', () => {
  it.each([
    ['an unknown inbox key', () => `inbox=${encodeURIComponent(`pk_${CANARY}`)}`],
    ['no inbox key', () => ''],
    ['an empty inbox key', () => 'inbox='],
    ['an over-long inbox key', () => `inbox=${'k'.repeat(65)}${CANARY}`],
    ['an inbox key given twice', () => `inbox=${h.inbox.publicKey}&inbox=${h.inbox.publicKey}`],
  ])('refuses the upgrade for %s with a 404 unknown_inbox', async (_label, query) => {
    const jobsBefore = await totalJobs();
    const res = await refusedUpgrade(`${h.wsUrl}/widget/ws?${query()}`);
    expect(res.status).toBe(404);
    expect(String(res.headers['content-type'])).toContain('application/json');
    expectErrorBody(res.body, 'unknown_inbox');
    expect(await totalJobs()).toBe(jobsBefore);
    await expectHealthy();
  });

  it('refuses the upgrade for an inbox that is not a website inbox', async () => {
    const sms = await createInbox('sms');
    const res = await refusedUpgrade(`${h.wsUrl}/widget/ws?inbox=${sms.publicKey}`);
    expect(res.status).toBe(404);
    expectErrorBody(res.body, 'unknown_inbox', sms.publicKey);
    await expectHealthy();
  });
});

describe('widget socket: frames', () => {
  it('answers a message sent before hello with hello_required and stores nothing', async () => {
    const c = await connect();
    const jobsBefore = await totalJobs();
    c.send({ type: 'message', clientId: 'early-msg-01', body: `Before hello ${CANARY}` });
    const err = await c.next('error');
    expect(err.code).toBe('hello_required');
    expect(JSON.stringify(err)).not.toContain(CANARY);
    expect(c.frames.filter((f) => f.type === 'ack')).toHaveLength(0);
    expect(await allMessages()).toEqual([]);
    expect(await totalJobs()).toBe(jobsBefore);

    for (const frame of [{ type: 'profile', profile: { name: 'Early Bird' } }, { type: 'typing', on: true }]) {
      const from = c.frames.length;
      c.send(frame);
      expect((await c.next('error', from)).code).toBe('hello_required');
    }
    const welcome = await c.hello();
    expect(welcome.messages).toEqual([]);
    await c.say('Now properly introduced');
    expect(await storedBodiesOf(welcome.token)).toEqual(['Now properly introduced']);
    expect(c.closeCode).toBeUndefined();
    await expectHealthy();
  });

  it('refuses a text frame that is not JSON', async () => {
    await expectFrameRejected((c) => c.sendRaw(`{"type":"message","clientId":"abcdefgh01","body":"${CANARY}"`));
  });

  it.each([
    ['a JSON array', JSON.stringify([{ type: 'message', clientId: 'abcdefgh01', body: CANARY }])],
    ['JSON null', 'null'],
    ['a JSON number', '12345678'],
    ['a JSON string', JSON.stringify(CANARY)],
    ['an empty frame', ''],
  ])('refuses %s', async (_label, raw) => {
    await expectFrameRejected((c) => c.sendRaw(raw));
  });

  it('refuses an unknown frame type, echoing its valid clientId', async () => {
    await expectFrameRejected(
      (c) => c.send({ type: 'delete_conversation', clientId: 'abcdefgh02', body: CANARY }),
      { clientId: 'abcdefgh02' },
    );
  });

  it('refuses a frame without a type', async () => {
    await expectFrameRejected((c) => c.send({ clientId: 'abcdefgh03', body: CANARY }), { clientId: 'abcdefgh03' });
  });

  it('refuses a message without a clientId', async () => {
    await expectFrameRejected((c) => c.send({ type: 'message', body: `No id ${CANARY}` }));
  });

  it.each([
    ['too short', 'abc'],
    ['with spaces and markup', `<img src=x onerror=alert(1)> ${CANARY}`],
    ['with a dot', 'abcdefgh.ijk'],
    ['too long', 'a'.repeat(65)],
    ['empty', ''],
  ])('refuses a message whose clientId is %s, without echoing the clientId', async (_label, clientId) => {
    expect(VALID_ID.test(clientId)).toBe(false);
    await expectFrameRejected((c) => c.send({ type: 'message', clientId, body: `Hello ${CANARY}` }));
  });

  it.each([
    ['a number', 12345678],
    ['an object', { id: 'abcdefgh04' }],
    ['null', null],
  ])('refuses a message whose clientId is %s', async (_label, clientId) => {
    await expectFrameRejected((c) => c.send({ type: 'message', clientId, body: `Hello ${CANARY}` }));
  });

  it.each([
    ['empty', ''],
    ['whitespace only', ' \n\t  \u00a0 '],
    ['not a string', 42],
    ['missing', undefined],
  ])('refuses a message whose body is %s, echoing its clientId', async (_label, body) => {
    await expectFrameRejected((c) => c.send({ type: 'message', clientId: 'abcdefgh05', body }), { clientId: 'abcdefgh05' });
  });

  it('refuses a body of 4001 characters and accepts one of exactly 4000', async () => {
    const long = `${CANARY} ${'x'.repeat(4001 - CANARY.length - 1)}`;
    expect(long).toHaveLength(4001);
    await expectFrameRejected((c) => c.send({ type: 'message', clientId: 'abcdefgh06', body: long }), { clientId: 'abcdefgh06' });

    const c = await connect();
    await c.hello();
    const exact = 'y'.repeat(4000);
    const ack = await c.say(exact, 'abcdefgh07');
    expect(ack.message.body).toBe(exact);
  });

  it.each([
    ['a message', { type: 'message', clientId: 'abcdefgh08', body: 'Hello', admin: true, note: CANARY }, 'abcdefgh08'],
    ['a message with a forged author', { type: 'message', clientId: 'abcdefgh09', body: 'Hello', from: 'staff', authorName: CANARY }, 'abcdefgh09'],
    ['a profile', { type: 'profile', profile: { name: 'Ann' }, role: CANARY }, undefined],
    ['a ping', { type: 'ping', extra: CANARY }, undefined],
    ['a typing frame', { type: 'typing', on: true, who: CANARY }, undefined],
    ['a hello', { type: 'hello', visitorId: `v_${CANARY}` }, undefined],
  ])('refuses %s with extra unknown fields', async (_label, frame, clientId) => {
    await expectFrameRejected((c) => c.send(frame), clientId === undefined ? {} : { clientId });
  });

  it('refuses a binary frame even when it holds a valid message', async () => {
    await expectFrameRejected((c) => c.sendRaw(Buffer.from(JSON.stringify({ type: 'message', clientId: 'abcdefgh10', body: `Binary ${CANARY}` }))));
  });

  it.each([
    ['an invalid email', { name: 'Pat Example', email: `not-an-email-${CANARY}` }],
    ['an invalid phone', { name: 'Pat Example', phone: `call me ${CANARY}` }],
    ['a name of 121 characters', { name: `${CANARY}${'n'.repeat(121 - CANARY.length)}` }],
    ['an unknown field', { name: 'Pat Example', ssn: CANARY }],
    ['a non-string name', { name: 42 }],
  ])('refuses a profile with %s', async (_label, profile) => {
    await expectFrameRejected((c) => c.send({ type: 'profile', profile }));
  });

  it('closes the socket with 1009 on a frame over 32 KB, and keeps serving others', async () => {
    const c = await connect();
    const welcome = await c.hello();
    const jobsBefore = await totalJobs();
    const body = `${CANARY} ${'z'.repeat(33 * 1024)}`;
    c.send({ type: 'message', clientId: 'abcdefgh11', body });
    await eventually(() => c.closeCode !== undefined);
    expect(c.closeCode).toBe(1009);
    expect(c.frames.filter((f) => f.type === 'ack' || f.type === 'error')).toEqual([]);
    expect(await storedBodiesOf(welcome.token)).toBeUndefined();
    expect(await allMessages()).toEqual([]);
    expect(await totalJobs()).toBe(jobsBefore);
    await expectHealthy();

    // The same visitor reconnects with its token and carries on.
    const again = await connect();
    const back = await again.hello(welcome.token);
    expect(visitorIdOf(back.token)).toBe(visitorIdOf(welcome.token));
    await again.say('Sorry, shorter now');
    expect(await storedBodiesOf(welcome.token)).toEqual(['Sorry, shorter now']);
  });

  it('rate-limits a burst: refused messages get rate_limited with their clientId and are not stored', async () => {
    const c = await connect();
    const welcome = await c.hello();
    const ids = Array.from({ length: 12 }, (_, i) => `burst-${String(i).padStart(4, '0')}`);
    for (const [i, clientId] of ids.entries()) c.send({ type: 'message', clientId, body: `Burst message ${i}` });
    const answered = () => c.frames.filter((f) => (f.type === 'ack' || f.type === 'error') && 'clientId' in f && ids.includes(f.clientId ?? ''));
    await eventually(() => answered().length === ids.length);

    const acked = c.frames.flatMap((f) => (f.type === 'ack' ? [f.clientId] : []));
    const limited = c.frames.flatMap((f) => (f.type === 'error' ? [f] : []));
    expect(limited.length).toBeGreaterThanOrEqual(1);
    for (const e of limited) {
      expect(e).toEqual({ type: 'error', code: 'rate_limited', message: expect.any(String), clientId: expect.any(String) });
      expect(ids).toContain(e.clientId);
      expect(acked).not.toContain(e.clientId);
    }
    expect(acked.length + limited.length).toBe(ids.length);
    // The first ten (the burst) always pass.
    expect(acked.slice(0, 10)).toEqual(ids.slice(0, 10));

    const stored = await allMessages();
    expect(stored.map((m) => m.clientId)).toEqual(acked);
    for (const e of limited) expect(stored.some((m) => m.clientId === e.clientId)).toBe(false);

    // After a pause the same connection may write again; a refused message can be resent.
    await new Promise((r) => setTimeout(r, 1200));
    const resend = limited[0]!.clientId!;
    const ack = await c.say(`Burst message ${ids.indexOf(resend)}`, resend);
    expect(ack.clientId).toBe(resend);
    expect(await storedBodiesOf(welcome.token)).toHaveLength(acked.length + 1);
    expect(c.closeCode).toBeUndefined();
    await expectHealthy();
  });
});

describe('widget socket: visitor tokens', () => {
  /** A visitor with one stored message; returns its token. */
  async function visitorWithHistory(text: string, inbox: Inbox = h.inbox): Promise<string> {
    const c = await connect(inbox);
    const welcome = await c.hello();
    await c.say(text);
    await c.close();
    return welcome.token;
  }

  it('treats a tampered or forged token as a brand-new visitor', async () => {
    const victim = await visitorWithHistory('My private history');
    const attacker = (await (await connect()).hello()).token;
    const [v, inboxId, victimId, issued, mac] = victim.split('.') as [string, string, string, string, string];
    const attackerParts = attacker.split('.');
    const flipped = (mac.startsWith('A') ? 'B' : 'A') + mac.slice(1);

    const forgeries = [
      `${v}.${inboxId}.${victimId}.${issued}.${flipped}`, // MAC changed
      `${v}.${inboxId}.${victimId}.${attackerParts[3]}.${attackerParts[4]}`, // victim id under another MAC
      `${v}.${inboxId}.${victimId}.${issued}`, // MAC dropped
      `v2.${inboxId}.${victimId}.${issued}.${mac}`, // unknown version
      `${victim}.extra`,
      `${v}.${inboxId}.${victimId}.${(Number.parseInt(issued, 36) + 1).toString(36)}.${mac}`, // issue time changed
      'v1....',
      'not-a-token',
    ];
    for (const forged of forgeries) {
      const c = await connect();
      const welcome = await c.hello(forged);
      expect(welcome.token).not.toBe(forged);
      expect(visitorIdOf(welcome.token)).not.toBe(victimId);
      expect(welcome.messages).toEqual([]);
      await c.close();
    }
    // The genuine token still opens the victim's history, untouched.
    const genuine = await connect();
    const back = await genuine.hello(victim);
    expect(visitorIdOf(back.token)).toBe(victimId);
    expect(back.messages.map((m) => m.body)).toEqual(['My private history']);
    expect(await storedBodiesOf(victim)).toEqual(['My private history']);
  });

  it('refuses a hello whose token is over 512 characters, then accepts a plain hello', async () => {
    const c = await connect();
    const from = c.frames.length;
    c.send({ type: 'hello', token: `${CANARY}${'t'.repeat(600)}` });
    const err = await c.next('error', from);
    expect(err).toEqual({ type: 'error', code: 'invalid_frame', message: expect.any(String) });
    expect(c.frames.some((f) => f.type === 'welcome')).toBe(false);
    const welcome = await c.hello();
    expect(welcome.messages).toEqual([]);
    await c.say('Hello after all');
    expect(await storedBodiesOf(welcome.token)).toEqual(['Hello after all']);
  });

  it('does not accept a token issued for another inbox', async () => {
    const other = await createInbox('web');
    const foreign = await visitorWithHistory('Written on the other site', other);
    const c = await connect();
    const welcome = await c.hello(foreign);
    expect(visitorIdOf(welcome.token)).not.toBe(visitorIdOf(foreign));
    expect(welcome.messages).toEqual([]);
    expect(welcome.token.split('.')[1]).toBe(h.inbox.id);

    // A correctly signed token naming a visitor of this inbox, but bound to the other inbox.
    const local = await visitorWithHistory('Written here');
    const secret = serverSecret();
    const crossBound = issueVisitorToken(secret, { visitorId: visitorIdOf(local), inboxId: other.id, issuedAt: Date.now() });
    const d = await connect();
    const w2 = await d.hello(crossBound);
    expect(visitorIdOf(w2.token)).not.toBe(visitorIdOf(local));
    expect(w2.messages).toEqual([]);

    // Control: the same visitor with a token bound to this inbox is recognised.
    const rightlyBound = issueVisitorToken(secret, { visitorId: visitorIdOf(local), inboxId: h.inbox.id, issuedAt: Date.now() });
    const e = await connect();
    const w3 = await e.hello(rightlyBound);
    expect(visitorIdOf(w3.token)).toBe(visitorIdOf(local));
    expect(w3.messages.map((m) => m.body)).toEqual(['Written here']);
  });

  it('does not accept an expired token', async () => {
    const local = await visitorWithHistory('Old conversation');
    const stale = issueVisitorToken(serverSecret(), {
      visitorId: visitorIdOf(local), inboxId: h.inbox.id, issuedAt: Date.now() - 181 * 24 * 3600 * 1000,
    });
    const c = await connect();
    const welcome = await c.hello(stale);
    expect(visitorIdOf(welcome.token)).not.toBe(visitorIdOf(local));
    expect(welcome.messages).toEqual([]);
  });

  it('does not switch visitors on a second hello with another token', async () => {
    const victim = await visitorWithHistory('Victim history');
    const c = await connect();
    const first = await c.hello();
    const second = await c.hello(victim);
    expect(visitorIdOf(second.token)).toBe(visitorIdOf(first.token));
    expect(second.messages).toEqual([]);
    await c.say('Attacker text');
    expect(await storedBodiesOf(victim)).toEqual(['Victim history']);
  });
});

// ---------------------------------------------------------------- POST /slack/events

describe('POST /slack/events: refused requests', () => {
  it('answers correctly signed malformed JSON with 400 invalid_json', async () => {
    await expectSlackRefused(() => postSlack(`{"type":"event_callback","event":{"text":"${CANARY}"`, 'application/json'), 400, 'invalid_json');
  });

  it.each([
    ['an unknown object', { hello: CANARY }],
    ['an array', [{ type: 'event_callback' }]],
    ['a string', CANARY],
    ['null', null],
    ['an event_callback without event_id', { type: 'event_callback', event: { type: 'message', text: CANARY } }],
    ['an event_callback without event', { type: 'event_callback', event_id: 'Ev0001' }],
    ['an event_callback with an over-long event_id', { type: 'event_callback', event_id: 'E'.repeat(65), event: { type: 'message' } }],
    ['an event whose type is not a string', { type: 'event_callback', event_id: 'Ev0002', event: { type: 7 } }],
    ['a url_verification without challenge', { type: 'url_verification', token: CANARY }],
    ['a url_verification with an over-long challenge', { type: 'url_verification', challenge: `${CANARY}${'c'.repeat(300)}` }],
  ])('answers signed JSON of %s with 400 invalid_payload', async (_label, value) => {
    await expectSlackRefused(() => postSlack(JSON.stringify(value), 'application/json'), 400, 'invalid_payload');
  });

  it('answers a signed body over 256 KB with 413 payload_too_large', async () => {
    const big = JSON.stringify({
      type: 'event_callback', event_id: 'EvBIG', event: { type: 'message', text: `${CANARY}${'b'.repeat(257 * 1024)}` },
    });
    await expectSlackRefused(() => postSlack(big, 'application/json'), 413, 'payload_too_large');
    const bigForm = `payload=${encodeURIComponent(JSON.stringify({ type: 'block_actions', pad: `${CANARY}${'p'.repeat(257 * 1024)}` }))}`;
    await expectSlackRefused(() => postSlack(bigForm, 'application/x-www-form-urlencoded'), 413, 'payload_too_large');
  });

  it('answers an unsigned, wrongly signed or stale request with a bare 401', async () => {
    const event = JSON.stringify({ type: 'event_callback', event_id: 'EvUNSIGNED', event: { type: 'message', text: CANARY } });
    await expectSlackRefused(() => postSlack(`text ${CANARY}`, 'text/plain', { sign: false }), 401, 'unauthorized');
    await expectSlackRefused(() => postSlack(event, 'application/json', { sign: false }), 401, 'unauthorized');
    await expectSlackRefused(() => postSlack(`command=%2Fbedside&text=${CANARY}`, 'application/x-www-form-urlencoded', { sign: false }), 401, 'unauthorized');
    const future = Math.floor(Date.now() / 1000) + 301;
    await expectSlackRefused(() => postSlack(event, 'application/json', { timestamp: future }), 401, 'unauthorized');
    await expectSlackRefused(async () => {
      const res = await fetch(`${h.url}/slack/events`, { method: 'POST' });
      return { status: res.status, body: await res.text() };
    }, 401, 'unauthorized');
  });

  it('answers a signed body of an unsupported type with 415', async () => {
    await expectSlackRefused(() => postSlack(`hello ${CANARY}`, 'text/plain'), 415, 'unsupported_media_type');
  });

  it.each([
    ['neither payload nor command', `foo=bar&text=${CANARY}`, 'invalid_payload'],
    ['a payload that is not JSON', `payload=${encodeURIComponent(`{"type":"block_actions",${CANARY}`)}`, 'invalid_json'],
    ['a payload without a type', `payload=${encodeURIComponent(JSON.stringify({ actions: [], note: CANARY }))}`, 'invalid_payload'],
    ['a payload that is an array', `payload=${encodeURIComponent(JSON.stringify([CANARY]))}`, 'invalid_payload'],
    ['a command without user_id', `command=%2Fbedside&text=${CANARY}`, 'invalid_payload'],
  ])('answers a signed form with %s with 400', async (_label, body, code) => {
    await expectSlackRefused(() => postSlack(body, 'application/x-www-form-urlencoded'), 400, code);
  });
});

describe('POST /slack/events: events that must deliver nothing', () => {
  let visitor: WidgetClient;
  let threadTs: string;

  beforeEach(async () => {
    visitor = await connect();
    await visitor.hello();
    await visitor.say('Do you take walk-ins?');
    threadTs = (await h.slack.waitFor(() => h.slack.posts(SLACK.channelId).find((p) => !p.thread_ts))).ts;
    await eventually(async () => {
      const c = await h.app.store.jobCounts();
      return c.pending + c.running === 0;
    });
  });

  /** Sends `event`, waits until its job has run, and checks nothing reached patient, store or Slack. */
  async function expectNothingDelivered(event: Record<string, unknown>): Promise<void> {
    const before = await h.app.store.jobCounts();
    const messagesBefore = await allMessages();
    const postsBefore = h.slack.posts().filter((p) => p.bot_id !== undefined).length;
    const from = visitor.frames.length;
    const res = await h.slack.sendEvent(event);
    expect(res.status).toBe(200);
    expect(res.body).not.toContain(CANARY);
    await eventually(async () => {
      const c = await h.app.store.jobCounts();
      return c.pending + c.running === 0 && c.done > before.done;
    });
    const after = await h.app.store.jobCounts();
    expect(after.done).toBe(before.done + 1);
    expect(after.dead).toBe(before.dead);
    expect(await allMessages()).toEqual(messagesBefore);
    expect(h.slack.posts().filter((p) => p.bot_id !== undefined)).toHaveLength(postsBefore);
    expect(visitor.frames.slice(from).filter((f) => f.type === 'message')).toEqual([]);
  }

  it('acknowledges a reply in a thread Bedside does not know and delivers nothing', async () => {
    await expectNothingDelivered(h.slack.humanMessage({
      channel: SLACK.channelId, threadTs: '1000000000.000100', user: STAFF.id, text: `Stray reply ${CANARY}`,
    }));
  });

  it('acknowledges a message in the channel root and delivers nothing', async () => {
    await expectNothingDelivered(h.slack.humanMessage({ channel: SLACK.channelId, user: STAFF.id, text: `Root message ${CANARY}` }));
  });

  it('acknowledges a reply with the right thread ts in another channel and delivers nothing', async () => {
    await expectNothingDelivered(h.slack.humanMessage({
      channel: 'C0OTHERCHAN', threadTs, user: STAFF.id, text: `Other channel ${CANARY}`,
    }));
  });

  it('acknowledges an event that is not a message and delivers nothing', async () => {
    await expectNothingDelivered({ type: 'reaction_added', user: STAFF.id, reaction: 'thumbsup', item: { type: 'message', channel: SLACK.channelId, ts: threadTs } });
  });

  it('acknowledges a thread message without a user or text and delivers nothing', async () => {
    await expectNothingDelivered({ type: 'message', channel: SLACK.channelId, thread_ts: threadTs, ts: '1999999999.000001', text: `No user ${CANARY}` });
    await expectNothingDelivered({ type: 'message', channel: SLACK.channelId, thread_ts: threadTs, ts: '1999999999.000002', user: STAFF.id });
  });

  afterEach(async () => {
    // Control: a genuine reply in the thread still reaches the patient, and only it.
    const from = visitor.frames.length;
    await h.slack.staffReply({ channel: SLACK.channelId, threadTs, user: STAFF.id, text: 'Yes, walk-ins until 4pm' });
    const got = await visitor.next('message', from, (f) => f.message.from === 'staff');
    expect(got.message.body).toBe('Yes, walk-ins until 4pm');
    const staffBodies = visitor.frames.flatMap((f) => (f.type === 'message' && f.message.from === 'staff' ? [f.message.body] : []));
    expect(staffBodies).toEqual(['Yes, walk-ins until 4pm']);
  });
});

// ---------------------------------------------------------------- other HTTP

describe('other HTTP', () => {
  it('answers an unknown route with 404 not_found without echoing the path', async () => {
    for (const [method, path] of [['GET', `/no-such-page/${CANARY}`], ['POST', `/api/${CANARY}`], ['DELETE', '/healthz'], ['GET', `/widget/${CANARY}.js`]] as const) {
      const res = await fetch(`${h.url}${path}`, {
        method, ...(method === 'POST' ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ x: CANARY }) } : {}),
      });
      expect(res.status, `${method} ${path}`).toBe(404);
      expectErrorBody(await res.text(), 'not_found');
    }
    await expectHealthy();
  });

  it('answers GET /healthz and GET /readyz with 200', async () => {
    const res = await fetch(`${h.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${h.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ok', database: 'ok', redis: 'not_configured', outbox: { pending: 0, running: 0, deadLetters: 0 } });
  });

  it('answers a malformed URL with a 400 in the standard error shape, echoing nothing', async () => {
    const res = await fetch(`${h.url}/widget/%E0%A4%A-${CANARY}`);
    expect(res.status).toBe(400);
    expectErrorBody(await res.text(), undefined);
    await expectHealthy();
  });

  it('answers an internal failure with a bare 500 that leaks no message or stack trace', async () => {
    const boom = new Error(`database exploded near ${CANARY}`);
    const spy = vi.spyOn(h.app.store, 'enqueueJob').mockRejectedValueOnce(boom);
    const event = h.slack.humanMessage({ channel: SLACK.channelId, threadTs: '1000000000.000200', user: STAFF.id, text: 'Hi' });
    const res = await h.slack.sendEvent(event);
    spy.mockRestore();
    expect(res.status).toBe(500);
    expect(JSON.parse(res.body)).toEqual({ error: { code: 'internal', message: 'Internal error' } });
    expect(res.body).not.toContain(CANARY);
    expect(res.body).not.toContain('exploded');
    expect(res.body).not.toMatch(/stack|\.ts\b|node_modules|at [\w.<>]+ \(/);

    // Slack retries the event; now it is accepted.
    const retry = await h.slack.sendEvent(event, { eventId: res.eventId, retryNum: 1 });
    expect(retry.status).toBe(200);
    await expectHealthy();
  });
});
