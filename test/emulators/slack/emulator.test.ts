import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode, LogLevel, WebClient } from '@slack/web-api';
import { type SlackEmulator, signSlackRequest, startSlackEmulator } from './index.ts';

const BOT_TOKEN = 'xoxb-test-token';
const SECRET = 'test-signing-secret';
const CHANNEL = 'C0INBOX001';

interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A stand-in for the app's request URL: records each request and answers via `respond`. */
async function startFakeApp(
  respond: (r: Received, res: http.ServerResponse) => void = (_r, res) => res.writeHead(200).end(),
): Promise<{ url: string; received: Received[]; close: () => Promise<void> }> {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      received.push(r);
      respond(r, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/slack/events`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function client(emu: SlackEmulator, extra: ConstructorParameters<typeof WebClient>[1] = {}): WebClient {
  return new WebClient(BOT_TOKEN, { slackApiUrl: emu.apiUrl, logLevel: LogLevel.ERROR, retryConfig: { retries: 0 }, ...extra });
}

describe('signSlackRequest', () => {
  it('reproduces the example published in "Verifying requests from Slack"', () => {
    const body =
      'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
    expect(signSlackRequest('8f742231b10e8888abcd99yyyzzz85a5', 1531420618, body)).toBe(
      'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
    );
  });
});

describe('Slack emulator: Web API', () => {
  let emu: SlackEmulator;
  beforeEach(async () => {
    emu = await startSlackEmulator({ botToken: BOT_TOKEN, signingSecret: SECRET });
    emu.addUser({ id: 'U0NURSE001', name: 'ana', realName: 'Ana Lima', displayName: 'Ana' });
  });
  afterEach(async () => {
    await emu.close();
  });

  it('exposes an apiUrl ending in /api/', () => {
    expect(emu.apiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/$/);
  });

  it('auth.test identifies the bot', async () => {
    const r = await client(emu).auth.test();
    expect(r).toMatchObject({
      ok: true,
      team_id: emu.teamId,
      user_id: emu.botUserId,
      bot_id: emu.botId,
      is_enterprise_install: false,
    });
    expect(r.url).toMatch(/^https:\/\/.+\.slack\.com\/$/);
  });

  it('chat.postMessage: top-level post, threaded reply with metadata, unique increasing ts', async () => {
    const web = client(emu);
    const root = await web.chat.postMessage({
      channel: CHANNEL,
      text: 'New web-chat message, conversation 7F3K',
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'New web-chat message' } }],
      unfurl_links: false,
      unfurl_media: false,
    });
    expect(root.ok).toBe(true);
    expect(root.channel).toBe(CHANNEL);
    expect(root.ts).toMatch(/^\d{10}\.\d{6}$/);
    expect(root.message).toMatchObject({ type: 'message', bot_id: emu.botId, app_id: emu.appId, user: emu.botUserId, ts: root.ts });
    expect(root.message?.bot_profile).toMatchObject({ id: emu.botId, app_id: emu.appId });
    const rootBlocks = root.message?.blocks as Array<{ block_id?: string }>;
    expect(rootBlocks[0]?.block_id).toEqual(expect.any(String));

    const reply = await web.chat.postMessage({
      channel: CHANNEL,
      thread_ts: root.ts!,
      text: 'Patient: where do I park?',
      metadata: { event_type: 'bedside_message', event_payload: { message_id: 42 } },
    });
    expect(reply.message).toMatchObject({ thread_ts: root.ts, parent_user_id: emu.botUserId });
    expect(reply.message?.metadata).toEqual({ event_type: 'bedside_message', event_payload: { message_id: 42 } });
    expect(Number(reply.ts)).toBeGreaterThan(Number(root.ts));

    const posts = emu.posts(CHANNEL);
    expect(posts).toHaveLength(2);
    expect(posts[1]).toMatchObject({ channel: CHANNEL, ts: reply.ts, thread_ts: root.ts, bot_id: emu.botId, user: emu.botUserId });
    expect(posts[1]).not.toHaveProperty('unfurl_links');
    expect(posts[0]).toMatchObject({ unfurl_links: false, unfurl_media: false });

    const args = emu.calls.find((c) => c.method === 'chat.postMessage' && c.args.thread_ts)?.args;
    expect(typeof args?.metadata).toBe('string'); // @slack/web-api JSON-encodes it into the form
  });

  it('chat.postMessage errors: channel_not_found, no_text, invalid_metadata_schema', async () => {
    const web = client(emu);
    await expect(web.chat.postMessage({ channel: 'X123', text: 'hi' })).rejects.toMatchObject({ data: { error: 'channel_not_found' } });
    await expect(web.chat.postMessage({ channel: CHANNEL, text: '' })).rejects.toMatchObject({ data: { error: 'no_text' } });
    await expect(
      web.apiCall('chat.postMessage', { channel: CHANNEL, text: 'x', metadata: { event_payload: {} } }),
    ).rejects.toMatchObject({ data: { error: 'invalid_metadata_schema' } });
    emu.addChannel('C0OTHER001', 'other');
    await expect(web.chat.postMessage({ channel: CHANNEL, text: 'hi' })).rejects.toMatchObject({ data: { error: 'channel_not_found' } });
    await expect(web.chat.postMessage({ channel: 'C0OTHER001', text: 'hi' })).resolves.toMatchObject({ ok: true });
  });

  it('chat.update edits a bot message and logs it; unknown ts is message_not_found', async () => {
    const web = client(emu);
    const root = await web.chat.postMessage({ channel: CHANNEL, text: 'waiting 2 min' });
    const r = await web.chat.update({ channel: CHANNEL, ts: root.ts!, text: 'claimed by Ana' });
    expect(r).toMatchObject({ ok: true, channel: CHANNEL, ts: root.ts, text: 'claimed by Ana' });
    expect(r.message).toMatchObject({ text: 'claimed by Ana', bot_id: emu.botId, edited: { user: emu.botUserId } });
    expect(emu.updates).toEqual([{ channel: CHANNEL, ts: root.ts, text: 'claimed by Ana' }]);
    expect(emu.message(CHANNEL, root.ts!)?.text).toBe('claimed by Ana');
    await expect(web.chat.update({ channel: CHANNEL, ts: '1.000001', text: 'x' })).rejects.toMatchObject({
      code: ErrorCode.PlatformError,
      data: { ok: false, error: 'message_not_found' },
    });
  });

  it('users.info returns the documented user shape; unknown user is user_not_found', async () => {
    const web = client(emu);
    const r = await web.users.info({ user: 'U0NURSE001' });
    expect(r.user).toMatchObject({
      id: 'U0NURSE001',
      team_id: emu.teamId,
      name: 'ana',
      real_name: 'Ana Lima',
      is_bot: false,
      deleted: false,
      profile: { display_name: 'Ana', real_name: 'Ana Lima', real_name_normalized: 'Ana Lima' },
    });
    const bot = await web.users.info({ user: emu.botUserId });
    expect(bot.user).toMatchObject({ is_bot: true, profile: { bot_id: emu.botId, api_app_id: emu.appId } });
    await expect(web.users.info({ user: 'U0NOBODY01' })).rejects.toMatchObject({ data: { error: 'user_not_found' } });
  });

  it('conversations.replies returns metadata only with include_all_metadata', async () => {
    const web = client(emu);
    const root = await web.chat.postMessage({
      channel: CHANNEL,
      text: 'root',
      metadata: { event_type: 'bedside_conversation', event_payload: { conversation: '7F3K' } },
    });
    await web.chat.postMessage({ channel: CHANNEL, thread_ts: root.ts!, text: 'one' });
    emu.humanMessage({ channel: CHANNEL, threadTs: root.ts!, user: 'U0NURSE001', text: 'two <b> & co' });

    const withMeta = await web.conversations.replies({ channel: CHANNEL, ts: root.ts!, include_all_metadata: true });
    expect(withMeta.messages).toHaveLength(3);
    expect(withMeta.messages?.[0]).toMatchObject({
      ts: root.ts,
      thread_ts: root.ts,
      reply_count: 2,
      reply_users_count: 2,
      metadata: { event_type: 'bedside_conversation', event_payload: { conversation: '7F3K' } },
    });
    expect(withMeta.messages?.[2]).toMatchObject({ user: 'U0NURSE001', text: 'two &lt;b&gt; &amp; co', parent_user_id: emu.botUserId });
    expect(withMeta).toMatchObject({ has_more: false, response_metadata: { next_cursor: '' } });

    const without = await web.conversations.replies({ channel: CHANNEL, ts: root.ts! });
    expect(without.messages?.[0]).not.toHaveProperty('metadata');

    const since = await web.conversations.replies({ channel: CHANNEL, ts: root.ts!, oldest: withMeta.messages?.[1]?.ts });
    expect(since.messages?.map((m) => m.text)).toEqual(['root', 'two &lt;b&gt; &amp; co']);

    await expect(web.conversations.replies({ channel: CHANNEL, ts: '1.000002' })).rejects.toMatchObject({ data: { error: 'thread_not_found' } });
  });

  it('conversations.history lists top-level messages newest first with cursor paging', async () => {
    const web = client(emu);
    const a = await web.chat.postMessage({ channel: CHANNEL, text: 'a' });
    await web.chat.postMessage({ channel: CHANNEL, thread_ts: a.ts!, text: 'reply' });
    await web.chat.postMessage({ channel: CHANNEL, text: 'b' });
    await web.chat.postMessage({ channel: CHANNEL, text: 'c' });
    const page1 = await web.conversations.history({ channel: CHANNEL, limit: 2 });
    expect(page1.messages?.map((m) => m.text)).toEqual(['c', 'b']);
    expect(page1.has_more).toBe(true);
    const page2 = await web.conversations.history({ channel: CHANNEL, limit: 2, cursor: page1.response_metadata!.next_cursor! });
    expect(page2.messages?.map((m) => m.text)).toEqual(['a']);
    expect(page2.messages?.[0]).toMatchObject({ reply_count: 1, latest_reply: expect.any(String) });
    expect(page2.has_more).toBe(false);
    const newer = await web.conversations.history({ channel: CHANNEL, oldest: a.ts! });
    expect(newer.messages?.map((m) => m.text)).toEqual(['c', 'b']);
  });

  it('rejects a wrong token (invalid_auth) and a missing one (not_authed)', async () => {
    await expect(new WebClient('xoxb-wrong', { slackApiUrl: emu.apiUrl, logLevel: LogLevel.ERROR }).auth.test()).rejects.toMatchObject({
      data: { ok: false, error: 'invalid_auth' },
    });
    const res = await fetch(`${emu.apiUrl}auth.test`, { method: 'POST' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: false, error: 'not_authed' });
  });

  it('accepts JSON bodies with a Bearer token; unknown methods are unknown_method', async () => {
    const res = await fetch(`${emu.apiUrl}chat.postMessage`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${BOT_TOKEN}`, 'Content-Type': 'application/json; charset=utf-8' },
      body: JSON.stringify({ channel: CHANNEL, text: 'json', blocks: [{ type: 'divider' }] }),
    });
    expect(await res.json()).toMatchObject({ ok: true, channel: CHANNEL, message: { text: 'json' } });
    const unknown = await fetch(`${emu.apiUrl}chat.postMessag`, { method: 'POST', headers: { Authorization: `Bearer ${BOT_TOKEN}` } });
    expect(await unknown.json()).toMatchObject({ ok: false, error: 'unknown_method' });
  });

  it('failNext 429 answers HTTP 429 with Retry-After, then recovers', async () => {
    emu.failNext('chat.postMessage', { status: 429, retryAfter: 1 });
    const web = client(emu, { rejectRateLimitedCalls: true });
    await expect(web.chat.postMessage({ channel: CHANNEL, text: 'x' })).rejects.toMatchObject({
      code: ErrorCode.RateLimitedError,
      retryAfter: 1,
    });
    expect(emu.posts()).toHaveLength(0);
    expect(emu.calls.at(-1)).toMatchObject({ method: 'chat.postMessage', status: 429, error: 'ratelimited' });
    await expect(web.chat.postMessage({ channel: CHANNEL, text: 'x' })).resolves.toMatchObject({ ok: true });

    emu.failNext('auth.test', { status: 429, retryAfter: 7 });
    const raw = await fetch(`${emu.apiUrl}auth.test`, { method: 'POST', headers: { Authorization: `Bearer ${BOT_TOKEN}` } });
    expect(raw.status).toBe(429);
    expect(raw.headers.get('retry-after')).toBe('7');
    expect(await raw.json()).toEqual({ ok: false, error: 'ratelimited' });
  });

  it('failNext can repeat (times), give 5xx, or an ok:false error', async () => {
    const web = client(emu);
    emu.failNext('chat.postMessage', { status: 500, times: 2 });
    await expect(web.chat.postMessage({ channel: CHANNEL, text: 'x' })).rejects.toMatchObject({ code: ErrorCode.HTTPError, statusCode: 500 });
    await expect(web.chat.postMessage({ channel: CHANNEL, text: 'x' })).rejects.toMatchObject({ code: ErrorCode.HTTPError });
    emu.failNext('chat.postMessage', { error: 'ratelimited' });
    await expect(web.chat.postMessage({ channel: CHANNEL, text: 'x' })).rejects.toMatchObject({ data: { ok: false, error: 'ratelimited' } });
    await expect(web.chat.postMessage({ channel: CHANNEL, text: 'x' })).resolves.toMatchObject({ ok: true });
  });

  it('setOutage answers every call with HTTP 503', async () => {
    emu.setOutage(true);
    const res = await fetch(`${emu.apiUrl}auth.test`, { method: 'POST', headers: { Authorization: `Bearer ${BOT_TOKEN}` } });
    expect(res.status).toBe(503);
    await expect(client(emu).chat.postMessage({ channel: CHANNEL, text: 'x' })).rejects.toMatchObject({ statusCode: 503 });
    expect(emu.posts()).toHaveLength(0);
    emu.setOutage(false);
    await expect(client(emu).auth.test()).resolves.toMatchObject({ ok: true });
  });

  it('hangNext stores the message but never answers', async () => {
    emu.hangNext('chat.postMessage');
    const web = client(emu, { timeout: 300 });
    await expect(web.chat.postMessage({ channel: CHANNEL, text: 'delivered, but the app never hears back' })).rejects.toMatchObject({
      code: ErrorCode.RequestError,
    });
    expect(emu.posts(CHANNEL).map((p) => p.text)).toEqual(['delivered, but the app never hears back']);
    expect(emu.calls.at(-1)).toMatchObject({ method: 'chat.postMessage', hung: true, status: 0 });
    await expect(web.chat.postMessage({ channel: CHANNEL, text: 'next one answers' })).resolves.toMatchObject({ ok: true });
  });
});

describe('Slack emulator: callbacks to the app', () => {
  let emu: SlackEmulator;
  let app: Awaited<ReturnType<typeof startFakeApp>>;
  beforeEach(async () => {
    app = await startFakeApp();
    emu = await startSlackEmulator({ botToken: BOT_TOKEN, signingSecret: SECRET, eventsUrl: app.url });
    emu.addUser({ id: 'U0NURSE001', name: 'ana', realName: 'Ana Lima' });
  });
  afterEach(async () => {
    await emu.close();
    await app.close();
  });

  function verify(r: Received): void {
    const ts = r.headers['x-slack-request-timestamp'] as string;
    expect(Math.abs(Number(ts) - Date.now() / 1000)).toBeLessThan(60);
    expect(r.headers['x-slack-signature']).toBe(signSlackRequest(SECRET, ts, r.body));
  }

  it('sendEvent wraps the event in a signed event_callback envelope', async () => {
    const r = await emu.sendEvent({ type: 'app_mention', user: 'U0NURSE001', text: 'hi', ts: '1700000000.000100', channel: CHANNEL, event_ts: '1700000000.000100' }, { eventId: 'Ev0TEST0001' });
    expect(r.status).toBe(200);
    const got = app.received[0]!;
    verify(got);
    expect(got.headers['content-type']).toBe('application/json');
    expect(got.headers['x-slack-retry-num']).toBeUndefined();
    const envelope = JSON.parse(got.body) as Record<string, unknown>;
    expect(Object.keys(envelope)).toEqual(
      expect.arrayContaining(['token', 'team_id', 'api_app_id', 'event', 'type', 'event_id', 'event_time', 'authorizations', 'is_ext_shared_channel', 'event_context']),
    );
    expect(envelope).toMatchObject({
      token: emu.verificationToken,
      team_id: emu.teamId,
      api_app_id: emu.appId,
      type: 'event_callback',
      event_id: 'Ev0TEST0001',
      event_time: expect.any(Number),
      is_ext_shared_channel: false,
      authorizations: [{ enterprise_id: null, team_id: emu.teamId, user_id: emu.botUserId, is_bot: true, is_enterprise_install: false }],
      event: { type: 'app_mention' },
    });
  });

  it('sendEvent: retry headers, forged signature and stale timestamp options', async () => {
    await emu.sendEvent({ type: 'message' }, { eventId: 'Ev0RETRY001', retryNum: 2 });
    expect(app.received[0]!.headers).toMatchObject({ 'x-slack-retry-num': '2', 'x-slack-retry-reason': 'http_timeout' });
    await emu.sendEvent({ type: 'message' }, { signature: 'v0=deadbeef' });
    expect(app.received[1]!.headers['x-slack-signature']).toBe('v0=deadbeef');
    await emu.sendEvent({ type: 'message' }, { timestamp: 1531420618 });
    const stale = app.received[2]!;
    expect(stale.headers['x-slack-request-timestamp']).toBe('1531420618');
    expect(stale.headers['x-slack-signature']).toBe(signSlackRequest(SECRET, 1531420618, stale.body));
  });

  it('sendUrlVerification sends the url_verification payload', async () => {
    await emu.sendUrlVerification('3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P');
    verify(app.received[0]!);
    expect(JSON.parse(app.received[0]!.body)).toEqual({
      token: emu.verificationToken,
      challenge: '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P',
      type: 'url_verification',
    });
  });

  it('staffReply sends a thread reply message event as Slack does and stores it', async () => {
    const web = client(emu);
    const root = await web.chat.postMessage({ channel: CHANNEL, text: 'conversation 7F3K' });
    const r = await emu.staffReply({ threadTs: root.ts!, user: 'U0NURSE001', text: 'Parking is behind the clinic & free' });
    expect(r.status).toBe(200);
    const { event } = JSON.parse(app.received[0]!.body) as { event: Record<string, unknown> };
    expect(event).toEqual(r.event);
    expect(event).toMatchObject({
      type: 'message',
      channel: CHANNEL,
      user: 'U0NURSE001',
      text: 'Parking is behind the clinic &amp; free',
      thread_ts: root.ts,
      parent_user_id: emu.botUserId,
      channel_type: 'channel',
      team: emu.teamId,
      client_msg_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      blocks: [{ type: 'rich_text', elements: [{ type: 'rich_text_section', elements: [{ type: 'text', text: 'Parking is behind the clinic & free' }] }] }],
    });
    expect(event.event_ts).toBe(event.ts);
    expect(event).not.toHaveProperty('bot_id');
    expect(emu.posts(CHANNEL).at(-1)).toMatchObject({ ts: event.ts, thread_ts: root.ts, user: 'U0NURSE001' });
    const replies = await web.conversations.replies({ channel: CHANNEL, ts: root.ts! });
    expect(replies.messages?.at(-1)).toMatchObject({ ts: event.ts, user: 'U0NURSE001' });
  });

  it('builds bot, edit and delete events', async () => {
    const bot = emu.botMessageEvent({ channel: CHANNEL, text: 'from the bot' });
    expect(bot).toMatchObject({ type: 'message', bot_id: emu.botId, app_id: emu.appId, user: emu.botUserId, bot_profile: { id: emu.botId } });
    expect(bot).not.toHaveProperty('subtype');
    const human = emu.humanMessage({ channel: CHANNEL, user: 'U0NURSE001', text: 'typo' });
    const edit = emu.editEvent({ channel: CHANNEL, ts: human.ts as string, text: 'fixed' });
    expect(edit).toMatchObject({
      type: 'message',
      subtype: 'message_changed',
      hidden: true,
      channel: CHANNEL,
      message: { ts: human.ts, text: 'fixed', edited: { user: 'U0NURSE001' } },
      previous_message: { ts: human.ts, text: 'typo' },
    });
    const del = emu.deleteEvent({ channel: CHANNEL, ts: human.ts as string });
    expect(del).toMatchObject({ type: 'message', subtype: 'message_deleted', hidden: true, deleted_ts: human.ts, previous_message: { text: 'fixed' } });
    expect(emu.message(CHANNEL, human.ts as string)).toBeUndefined();
    const sent = await emu.sendEvent(del);
    expect(sent.status).toBe(200);
  });

  it('sendBlockAction posts a signed, form-encoded block_actions payload', async () => {
    const web = client(emu);
    const root = await web.chat.postMessage({
      channel: CHANNEL,
      text: 'conversation 7F3K',
      blocks: [
        { type: 'section', text: { type: 'mrkdwn', text: 'conversation 7F3K' } },
        { type: 'actions', block_id: 'conv_actions', elements: [{ type: 'button', action_id: 'claim', value: '7F3K', text: { type: 'plain_text', text: 'Claim' } }] },
      ],
    });
    const r = await emu.sendBlockAction({ user: 'U0NURSE001', actionId: 'claim', value: '7F3K', channel: CHANNEL, messageTs: root.ts! });
    expect(r.status).toBe(200);
    const got = app.received[0]!;
    verify(got);
    expect(got.headers['content-type']).toBe('application/x-www-form-urlencoded');
    const form = new URLSearchParams(got.body);
    expect([...form.keys()]).toEqual(['payload']);
    const payload = JSON.parse(form.get('payload')!) as Record<string, unknown>;
    expect(payload).toMatchObject({
      type: 'block_actions',
      user: { id: 'U0NURSE001', username: 'ana', name: 'ana', team_id: emu.teamId },
      api_app_id: emu.appId,
      token: emu.verificationToken,
      container: { type: 'message', message_ts: root.ts, channel_id: CHANNEL, is_ephemeral: false },
      trigger_id: expect.any(String),
      team: { id: emu.teamId, domain: expect.any(String) },
      channel: { id: CHANNEL },
      message: { ts: root.ts, bot_id: emu.botId },
      response_url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/_response\/actions\//),
      actions: [{ action_id: 'claim', block_id: 'conv_actions', value: '7F3K', type: 'button', text: { type: 'plain_text', text: 'Claim' }, action_ts: expect.any(String) }],
    });
    const post = await fetch(payload.response_url as string, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ text: 'claimed' }) });
    expect(post.status).toBe(200);
    expect(emu.responseUrlPosts).toHaveLength(1);
    expect(emu.responseUrlPosts[0]!.body).toEqual({ text: 'claimed' });
  });

  it('sendSlashCommand posts the form fields Slack sends, signed', async () => {
    const r = await emu.sendSlashCommand({ command: '/bedside', text: 'status 7F3K', userId: 'U0NURSE001', channelId: CHANNEL });
    expect(r.status).toBe(200);
    const got = app.received[0]!;
    verify(got);
    const form = Object.fromEntries(new URLSearchParams(got.body));
    expect(form).toMatchObject({
      token: emu.verificationToken,
      team_id: emu.teamId,
      channel_id: CHANNEL,
      user_id: 'U0NURSE001',
      user_name: 'ana',
      command: '/bedside',
      text: 'status 7F3K',
      api_app_id: emu.appId,
    });
    expect(Object.keys(form)).toEqual(expect.arrayContaining(['team_domain', 'channel_name', 'response_url', 'trigger_id']));
    expect(got.body).toContain('command=%2Fbedside');
  });

  it('sendEventWithRetries retries an unacknowledged event with the same event_id', async () => {
    await app.close();
    let n = 0;
    app = await startFakeApp((_r, res) => {
      n += 1;
      if (n === 1) return; // never answers: Slack times out
      if (n === 2) return void res.writeHead(500).end();
      res.writeHead(200).end();
    });
    const results = await emu.sendEventWithRetries({ type: 'message', text: 'x' }, { url: app.url, ackTimeoutMs: 200, retryDelaysMs: [0, 10, 10] });
    expect(results.map((r) => r.status)).toEqual([0, 500, 200]);
    const ids = app.received.map((r) => (JSON.parse(r.body) as { event_id: string }).event_id);
    expect(new Set(ids).size).toBe(1);
    expect(app.received.map((r) => [r.headers['x-slack-retry-num'], r.headers['x-slack-retry-reason']])).toEqual([
      [undefined, undefined],
      ['1', 'http_timeout'],
      ['2', 'http_error'],
    ]);
  });

  it('echoBotMessages sends the app a message event for its own post', async () => {
    await emu.close();
    emu = await startSlackEmulator({ botToken: BOT_TOKEN, signingSecret: SECRET, eventsUrl: app.url, echoBotMessages: true });
    const root = await client(emu).chat.postMessage({ channel: CHANNEL, text: 'bot post' });
    const got = await emu.waitFor(() => app.received[0]);
    verify(got);
    const { event } = JSON.parse(got.body) as { event: Record<string, unknown> };
    expect(event).toMatchObject({ type: 'message', ts: root.ts, text: 'bot post', bot_id: emu.botId, app_id: emu.appId, user: emu.botUserId, channel: CHANNEL, event_ts: root.ts });
    expect(event.bot_profile).toMatchObject({ id: emu.botId });
  });
});

describe('Slack emulator: control API', () => {
  it('drives a staff reply and reads posts over HTTP', async () => {
    const app = await startFakeApp();
    const emu = await startSlackEmulator({ botToken: BOT_TOKEN, signingSecret: SECRET, eventsUrl: app.url, controlApi: true });
    try {
      const root = await client(emu).chat.postMessage({ channel: CHANNEL, text: 'conversation 7F3K' });
      const res = await fetch(`${emu.url}/_emulator/reply`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ threadTs: root.ts, user: 'U0NURSE001', text: 'On my way' }),
      });
      expect(await res.json()).toMatchObject({ ok: true, status: 200, event: { thread_ts: root.ts, text: 'On my way' } });
      const posts = (await (await fetch(`${emu.url}/_emulator/posts?channel=${CHANNEL}`)).json()) as { posts: unknown[] };
      expect(posts.posts).toHaveLength(2);
      await fetch(`${emu.url}/_emulator/outage`, { method: 'POST', body: JSON.stringify({ on: true }) });
      expect((await fetch(`${emu.apiUrl}auth.test`, { method: 'POST' })).status).toBe(503);
    } finally {
      await emu.close();
      await app.close();
    }
  });
});
