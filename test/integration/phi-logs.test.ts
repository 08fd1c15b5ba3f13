/**
 * PHI and secrets stay out of the logs. Synthetic patient data goes through every path that
 * exists (pre-chat profile, widget messages, rejected frames, Slack replies and notes, forged and
 * failing Slack callbacks); then every captured log line, at debug level, is searched for it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { signSlackRequest } from '../emulators/slack/index.ts';
import { eventually, SLACK, STAFF, startHarness, type Harness, storedMessages } from '../support/harness.ts';
import { visitorIdOf, WidgetClient } from '../support/widget-client.ts';

const PATIENT = { name: 'Quentin Zyxwarbler', email: 'quentin.zyx@example.test', phone: '+1 555 0100 777' };
const PATIENT_MESSAGE = 'MRN-77123-SECRET rash on left arm';
const STAFF_REPLY = 'Take 20mg ZYXAMINE daily';
const STAFF_NOTE = 'note: PHIMARKER-NOTE history of';
/** Low, so a callback that keeps failing is dead-lettered within the test. */
const MAX_ATTEMPTS = 3;
const NURSE_TWO = { id: 'U0NURSE002', name: 'nurse.bo', realName: 'Bo Example', displayName: 'Nurse Bo' };

/** Every spelling of the synthetic PHI that could end up in a log line. */
const PHI_MARKERS = [
  PATIENT.name, 'Zyxwarbler', 'Quentin%20Zyxwarbler', 'Quentin+Zyxwarbler',
  PATIENT.email, 'quentin.zyx', 'quentin.zyx%40example.test',
  PATIENT.phone, '+15550100777', '15550100777', '5550100777', '555 0100', '0100 777', '0100777', '%2B1%20555',
  'MRN-77123', 'rash on left arm', 'rash%20on%20left', 'rash+on+left',
  'ZYXAMINE', '20mg',
  'PHIMARKER-NOTE',
];

let h: Harness;
const clients: WidgetClient[] = [];
/** Every answer Bedside gave to a refused or unusual input: HTTP bodies and widget error frames. */
const answers: string[] = [];
const visitorTokens: string[] = [];

async function connect(): Promise<WidgetClient> {
  const c = await WidgetClient.connect(h.wsUrl, h.inbox.publicKey);
  clients.push(c);
  return c;
}

async function hello(c: WidgetClient, token?: string) {
  const welcome = await c.hello(token);
  visitorTokens.push(welcome.token);
  return welcome;
}

async function postSlack(body: string, contentType: string, secret = SLACK.signingSecret): Promise<{ status: number; body: string }> {
  const ts = Math.floor(Date.now() / 1000);
  const res = await fetch(`${h.url}/slack/events`, {
    method: 'POST',
    headers: { 'content-type': contentType, 'x-slack-request-timestamp': String(ts), 'x-slack-signature': signSlackRequest(secret, ts, body) },
    body,
  });
  const text = await res.text();
  answers.push(text);
  return { status: res.status, body: text };
}

const allMessages = () => storedMessages(h);

async function settled(): Promise<void> {
  await eventually(async () => {
    const c = await h.app.store.jobCounts();
    return c.pending + c.running === 0;
  }, 10_000);
}

beforeAll(async () => {
  h = await startHarness({ env: { SLACK_CONTENT: 'full', JOB_MAX_ATTEMPTS: String(MAX_ATTEMPTS) } });
  h.slack.addUser(NURSE_TWO);
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await h?.close();
});

describe('PHI and secrets in logs', () => {
  it('never logs patient data, staff replies, notes, tokens or secrets, on any path', async () => {
    // 1. The patient fills in the pre-chat form and writes.
    const patient = await connect();
    const welcome = await hello(patient);
    patient.send({ type: 'profile', profile: PATIENT });
    await patient.next('profile_saved');
    patient.send({ type: 'typing', on: true });
    await patient.say(PATIENT_MESSAGE);
    const parent = await h.slack.waitFor(() => h.slack.posts(SLACK.channelId).find((p) => !p.thread_ts));
    const threadTs = parent.ts;
    // Full mode: the content really went to Slack, so it really went through the code that logs.
    expect(JSON.stringify(parent.blocks)).toContain('MRN-77123-SECRET');
    const contact = await h.app.conversations.findContact(h.inbox, { channel: 'web', externalId: visitorIdOf(welcome.token) });
    expect(contact).toMatchObject({ displayName: PATIENT.name, email: PATIENT.email, phone: PATIENT.phone });

    // 2. A patient message whose mirroring to Slack fails once, then succeeds.
    h.slack.failNext('chat.postMessage', { status: 500 });
    await patient.say(`${PATIENT_MESSAGE}, now itching, call ${PATIENT.phone}`);
    await h.slack.waitFor(() => h.slack.posts(SLACK.channelId).find((p) => p.thread_ts === threadTs && p.text.includes('now itching')));

    // 3. Rejected widget frames carrying PHI.
    let from = patient.frames.length;
    patient.send({ type: 'message', clientId: 'phi-too-long-01', body: `${PATIENT_MESSAGE} ${'x'.repeat(4000)}` });
    patient.send({ type: 'message', clientId: 'phi-extra-field-01', body: PATIENT_MESSAGE, patientName: PATIENT.name });
    patient.send({ type: 'profile', profile: { name: PATIENT.name, email: `${PATIENT.email} (home)` } });
    patient.send({ type: 'profile', profile: { name: PATIENT.name, phone: `${PATIENT.phone} ext. ${PATIENT_MESSAGE}` } });
    patient.sendRaw(`{"type":"message","body":"${PATIENT_MESSAGE}" ${PATIENT.email}`);
    patient.sendRaw(Buffer.from(JSON.stringify({ type: 'message', clientId: 'phi-binary-01', body: PATIENT_MESSAGE })));
    await eventually(() => patient.frames.slice(from).filter((f) => f.type === 'error').length === 6);
    expect(patient.frames.slice(from).filter((f) => f.type === 'error').map((f) => (f as { code: string }).code))
      .toEqual(Array(6).fill('invalid_frame'));

    // 4. A staff reply whose author lookup fails twice before it is relayed.
    h.slack.failNext('users.info', { status: 500, times: 2 });
    from = patient.frames.length;
    await h.slack.staffReply({ channel: SLACK.channelId, threadTs, user: NURSE_TWO.id, text: `${PATIENT.name}, ${STAFF_REPLY}` });
    await patient.next('message', from, (f) => f.message.from === 'staff' && f.message.body.includes('ZYXAMINE'), 10_000);

    // 5. A relayed staff reply and an internal note.
    from = patient.frames.length;
    await h.slack.staffReply({ channel: SLACK.channelId, threadTs, user: STAFF.id, text: STAFF_REPLY });
    await h.slack.staffReply({ channel: SLACK.channelId, threadTs, user: STAFF.id, text: STAFF_NOTE });
    await h.slack.staffReply({ channel: SLACK.channelId, threadTs, user: STAFF.id, text: `Email ${PATIENT.email} for results` });
    await patient.next('message', from, (f) => f.message.body.includes('for results'));
    expect(patient.frames.slice(from).some((f) => f.type === 'message' && f.message.body === STAFF_REPLY)).toBe(true);
    const note = (await allMessages()).find((m) => m.kind === 'note');
    expect(note?.body).toBe('PHIMARKER-NOTE history of');

    // 6. A Slack event that fails processing for good (its author lookup keeps failing until the
    //    attempts run out), and a patient message Slack refuses for good.
    const deadBefore = (await h.app.store.jobCounts()).dead;
    h.slack.failNext('users.info', { status: 500, times: MAX_ATTEMPTS });
    const failing = await h.slack.staffReply({ channel: SLACK.channelId, threadTs, user: 'U0NURSE404', text: `${PATIENT.name} ${STAFF_REPLY}` });
    expect(failing.status).toBe(200);
    await eventually(async () => (await h.app.store.jobCounts()).dead === deadBefore + 1, 10_000);
    h.slack.failNext('chat.postMessage', { error: 'channel_not_found' });
    await patient.say(`${PATIENT_MESSAGE}, spreading to ${PATIENT.email}`);
    await eventually(async () => (await h.app.store.jobCounts()).dead === deadBefore + 2, 10_000);

    // 7. Forged, stale and malformed Slack callbacks carrying PHI.
    const forgedEvent = h.slack.humanMessage({ channel: SLACK.channelId, threadTs, user: STAFF.id, text: `${PATIENT.name} ${STAFF_REPLY}` });
    const forged = await h.slack.sendEvent(forgedEvent, { signingSecret: 'not-the-secret' });
    const stale = await h.slack.sendEvent(forgedEvent, { timestamp: Math.floor(Date.now() / 1000) - 3600 });
    const badHeader = await h.slack.sendEvent(forgedEvent, { signature: `v0=${PATIENT.phone}` });
    for (const r of [forged, stale, badHeader]) {
      expect(r.status).toBe(401);
      answers.push(r.body);
    }
    const envelope = JSON.stringify({ type: 'event_callback', event_id: 'EvPHI0001', event: { type: 'message', text: `${PATIENT.name} ${PATIENT_MESSAGE}` } });
    expect((await postSlack(envelope, 'application/json', 'not-the-secret')).status).toBe(401);
    expect((await postSlack(`{"text":"${PATIENT_MESSAGE}", "email":"${PATIENT.email}"`, 'application/json')).status).toBe(400);
    expect((await postSlack(JSON.stringify({ patient: PATIENT, note: PATIENT_MESSAGE }), 'application/json')).status).toBe(400);
    expect((await postSlack(`text=${encodeURIComponent(PATIENT_MESSAGE)}&email=${encodeURIComponent(PATIENT.email)}`, 'application/x-www-form-urlencoded')).status).toBe(400);
    expect((await postSlack(`payload=${encodeURIComponent(`{"type":"block_actions","name":"${PATIENT.name}"`)}`, 'application/x-www-form-urlencoded')).status).toBe(400);
    expect((await postSlack(`hello ${PATIENT.name}`, 'text/plain')).status).toBe(415);
    const big = JSON.stringify({ type: 'event_callback', event_id: 'EvPHIBIG', event: { type: 'message', text: `${PATIENT_MESSAGE} ${'b'.repeat(260 * 1024)}` } });
    expect((await postSlack(big, 'application/json')).status).toBe(413);

    // 8. Slash command and a button press carrying PHI.
    const slash = await h.slack.sendSlashCommand({ command: '/bedside', text: `find ${PATIENT.name} ${PATIENT.phone}`, userId: STAFF.id, channelId: SLACK.channelId });
    expect(slash.status).toBe(200);
    answers.push(slash.body);
    const press = await h.slack.sendBlockAction({
      user: STAFF.id, actionId: 'bedside_claim', value: `${PATIENT.name} ${PATIENT.email}`, channel: SLACK.channelId, messageTs: threadTs,
    });
    expect(press.status).toBe(200);

    // 9. The patient comes back: history with PHI is replayed over the socket.
    const back = await connect();
    const again = await hello(back, welcome.token);
    expect(again.messages.map((m) => m.body)).toEqual(expect.arrayContaining([PATIENT_MESSAGE, STAFF_REPLY]));

    // 10. A frame over the size limit, carrying PHI, on its own connection.
    const big2 = await connect();
    await hello(big2, welcome.token);
    big2.send({ type: 'message', clientId: 'phi-oversize-01', body: `${PATIENT_MESSAGE} ${PATIENT.email} ${'z'.repeat(33 * 1024)}` });
    await eventually(() => big2.closeCode !== undefined);
    expect(big2.closeCode).toBe(1009);

    // 11. A burst from another patient: the messages over the rate limit carry PHI too.
    const burst = await connect();
    await hello(burst);
    for (let i = 0; i < 12; i++) burst.send({ type: 'message', clientId: `phi-burst-${String(i).padStart(3, '0')}`, body: `${PATIENT_MESSAGE} #${i}` });
    await eventually(() => burst.frames.filter((f) => f.type === 'ack' || f.type === 'error').length === 12);
    expect(burst.frames.some((f) => f.type === 'error' && f.code === 'rate_limited')).toBe(true);

    // 12. PHI in a query string of a real page, and in the widget socket URL.
    const page = await fetch(`${h.url}/widget/frame?name=${encodeURIComponent(PATIENT.name)}&email=${encodeURIComponent(PATIENT.email)}`);
    expect(page.status).toBe(200);
    const ws = new WebSocket(`${h.wsUrl}/widget/ws?inbox=${h.inbox.publicKey}&patient=${encodeURIComponent(PATIENT.name)}`);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    ws.close();

    await settled();
    for (const c of [patient, back, burst]) {
      for (const f of c.frames) if (f.type === 'error') answers.push(JSON.stringify(f));
    }

    // ---------------------------------------------------------------- the logs
    const logs = h.logs();
    const lines = logs.split('\n').filter((l) => l.trim() !== '');
    expect(lines.length).toBeGreaterThan(20);
    for (const l of lines) expect(() => JSON.parse(l), l.slice(0, 200)).not.toThrow();
    // The paths above really logged, including the failure paths.
    for (const msg of ['slack event accepted', 'job done', 'job failed, will retry', 'job dead-lettered', 'incoming request']) {
      expect(logs, `expected a "${msg}" line`).toContain(`"msg":"${msg}"`);
    }
    expect(lines.some((l) => (JSON.parse(l) as { level: number }).level === 20), 'debug lines captured').toBe(true);

    const secretKey = readFileSync(join(h.app.config.dataDir, 'secret.key'), 'utf8').trim();
    const secrets = [
      SLACK.botToken, SLACK.botToken.slice('xoxb-'.length), SLACK.signingSecret, secretKey,
      ...visitorTokens, ...visitorTokens.map((t) => t.split('.')[4]!),
    ];
    expect(visitorTokens.length).toBeGreaterThanOrEqual(4);

    const hits = (needle: string) => lines.filter((l) => l.toLowerCase().includes(needle.toLowerCase()));
    for (const marker of [...PHI_MARKERS, ...secrets]) {
      expect(hits(marker), `log lines containing ${JSON.stringify(marker)}`).toEqual([]);
    }

    // ---------------------------------------------------------------- the answers
    expect(answers.length).toBeGreaterThan(10);
    for (const answer of answers) {
      for (const marker of [...PHI_MARKERS, ...secrets]) {
        expect(answer.toLowerCase(), `answer containing ${JSON.stringify(marker)}`).not.toContain(marker.toLowerCase());
      }
    }
  });
});
