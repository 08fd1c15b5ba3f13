/**
 * Many practices, each with its own Slack workspace installed by "Add to Slack" (OAuth v2):
 * two organizations, two emulated workspaces behind one emulated Slack app.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId, newPublicKey } from '../../src/domain/ids.ts';
import type { Inbox } from '../../src/domain/types.ts';
import { createPractice } from '../../src/features/practices.ts';
import { startSlackEmulator, type SlackEmulator } from '../emulators/slack/index.ts';
import { startSlackAppEmulator, type SlackAppEmulator } from '../emulators/slack/oauth.ts';
import { eventually, startHarness, STAFF, type Harness } from '../support/harness.ts';
import { enrolStaff, type Enrolled, type StaffClient } from '../support/staff.ts';
import { WidgetClient } from '../support/widget-client.ts';

const APP = { clientId: '2141029472.691202649728', clientSecret: 'app-client-secret-0123456789abcdef', signingSecret: 'app-signing-secret-0123456789' };
const CHANNEL = 'C0FRONTDSK'; // practice A's front desk
const CHANNEL_B = 'C0LAKESIDE'; // practice B's
const SECOND_CHANNEL = 'C0PARKING1';

let h: Harness;
let slackApp: SlackAppEmulator;
let wsA: SlackEmulator;
let wsB: SlackEmulator;
let orgA: string;
let orgB: string;
let inboxB: Inbox;
let adminA: Enrolled;
let adminB: Enrolled;
const visitors: WidgetClient[] = [];

async function visitor(inbox: Inbox): Promise<WidgetClient> {
  const v = await WidgetClient.connect(h.wsUrl, inbox.publicKey);
  await v.hello();
  visitors.push(v);
  return v;
}

interface Started { authorize: URL; binding: string; callback: URL }

/** The admin presses "Add to Slack"; Slack's authorize page answers; returns where it sends the browser back. */
async function startInstall(client: StaffClient): Promise<Started> {
  const res = await fetch(`${h.url}/api/slack/install`, { headers: { cookie: client.cookie ?? '' }, redirect: 'manual' });
  expect(res.status).toBe(302);
  const authorize = new URL(res.headers.get('location') ?? '');
  const binding = /bedside_slack_install=([^;]+)/.exec(res.headers.get('set-cookie') ?? '')?.[1] ?? '';
  const approved = await fetch(authorize, { redirect: 'manual' });
  return { authorize, binding, callback: new URL(approved.headers.get('location') ?? '') };
}

async function callback(url: URL | string, binding: string | undefined): Promise<{ status: number; body: { error?: { code: string; message: string } }; location: string | null }> {
  const res = await fetch(url, { headers: { accept: 'application/json', ...(binding ? { cookie: `bedside_slack_install=${binding}` } : {}) }, redirect: 'manual' });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) as { error?: { code: string; message: string } } : {}, location: res.headers.get('location') };
}

async function install(client: StaffClient, teamId: string): Promise<void> {
  slackApp.decide = () => ({ teamId });
  const s = await startInstall(client);
  const r = await callback(s.callback, s.binding);
  expect(r.status).toBe(303);
  expect(r.location).toBe(`${h.url}/admin/slack?connected=1`);
}

function rawDatabaseBytes(): Buffer {
  const dir = h.app.config.dataDir;
  return Buffer.concat(readdirSync(dir).filter((f) => f.startsWith('bedside.sqlite')).map((f) => readFileSync(join(dir, f))));
}

function jobsOf(orgId: string): Array<{ kind: string; status: string; last_error: string | null }> {
  const db = new SqliteDatabase(join(h.app.config.dataDir, 'bedside.sqlite'), { readonly: true });
  try {
    return db.prepare('SELECT kind, status, last_error FROM jobs WHERE org_id = ? ORDER BY id').all(orgId) as Array<{ kind: string; status: string; last_error: string | null }>;
  } finally {
    db.close();
  }
}

beforeAll(async () => {
  wsA = await startSlackEmulator({ botToken: 'xoxb-workspace-a-internal', signingSecret: APP.signingSecret, teamId: 'T0PRACTICEA', teamName: 'Riverside', botUserId: 'U0BOTAAAAA' });
  wsB = await startSlackEmulator({ botToken: 'xoxb-workspace-b-internal', signingSecret: APP.signingSecret, teamId: 'T0PRACTICEB', teamName: 'Lakeside', botUserId: 'U0BOTBBBBB' });
  wsA.addChannel(CHANNEL, 'front-desk');
  wsA.addChannel(SECOND_CHANNEL, 'parking');
  wsB.addChannel(CHANNEL_B, 'front-desk');
  for (const w of [wsA, wsB]) {
    w.addUser({ id: STAFF.id, name: STAFF.name, realName: STAFF.realName, displayName: STAFF.displayName });
  }
  slackApp = await startSlackAppEmulator({ clientId: APP.clientId, clientSecret: APP.clientSecret, workspaces: [wsA, wsB] });
  h = await startHarness({
    slack: false,
    env: {
      SLACK_CLIENT_ID: APP.clientId, SLACK_CLIENT_SECRET: APP.clientSecret, SLACK_SIGNING_SECRET: APP.signingSecret,
      SLACK_API_URL: slackApp.apiUrl, SLACK_OAUTH_URL: slackApp.authorizeUrl, SLACK_CONTENT: 'full',
    },
  });
  for (const w of [wsA, wsB]) w.setEventsUrl(`${h.url}/slack/events`);
  orgA = h.inbox.orgId;
  const b = await createPractice(h.app.store, h.app.auth, undefined, { name: 'Lakeside Physio', slug: 'lakeside' }, { type: 'system', id: null, orgId: null, ip: null });
  orgB = b.org.id;
  inboxB = b.inbox;
  adminA = await enrolStaff(h, 'admin', 'admin@riverside.test', orgA);
  adminB = await enrolStaff(h, 'owner', 'owner@lakeside.test', orgB);
}, 60_000);

afterAll(async () => {
  await Promise.all(visitors.map((v) => v.close()));
  await h?.close();
  await slackApp?.close();
  await wsA?.close();
  await wsB?.close();
});

describe('Add to Slack: the state parameter', () => {
  it('sends the admin to Slack with the client id, the manifest\'s bot scopes, the callback and a state', async () => {
    slackApp.decide = () => 'deny';
    const s = await startInstall(adminA.client);
    expect(`${s.authorize.origin}${s.authorize.pathname}`).toBe(slackApp.authorizeUrl);
    expect(s.authorize.searchParams.get('client_id')).toBe(APP.clientId);
    expect(s.authorize.searchParams.get('redirect_uri')).toBe(`${h.url}/slack/oauth/callback`);
    expect(s.authorize.searchParams.get('scope')?.split(',').sort()).toEqual(
      ['channels:history', 'channels:read', 'chat:write', 'commands', 'groups:history', 'groups:read', 'users:read']);
    expect(s.authorize.searchParams.get('state')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(s.binding).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('is refused to agents and to visitors without a session', async () => {
    const agent = await enrolStaff(h, 'agent', 'agent@riverside.test', orgA);
    expect((await fetch(`${h.url}/api/slack/install`, { headers: { cookie: agent.client.cookie ?? '' }, redirect: 'manual' })).status).toBe(403);
    expect((await fetch(`${h.url}/api/slack/install`, { redirect: 'manual' })).status).toBe(401);
  });

  it('refuses a missing, forged, reused, expired or other practice\'s state, and a cancelled install; stores nothing', async () => {
    slackApp.decide = () => ({ teamId: wsA.teamId });
    const s = await startInstall(adminA.client);
    const code = s.callback.searchParams.get('code') ?? '';
    const exchangesBefore = slackApp.exchanges.length;

    const missing = await callback(`${h.url}/slack/oauth/callback?code=${code}`, s.binding);
    expect(missing.status).toBe(400);
    expect(missing.body.error?.code).toBe('slack_state_invalid');
    const forged = await callback(`${h.url}/slack/oauth/callback?code=${code}&state=${'x'.repeat(43)}`, s.binding);
    expect(forged).toMatchObject({ status: 400, body: { error: { code: 'slack_state_invalid' } } });

    // Org B's state, brought back in admin A's browser: bound to another browser and practice.
    slackApp.decide = () => ({ teamId: wsB.teamId });
    const theirs = await startInstall(adminB.client);
    const crossed = await callback(theirs.callback, s.binding);
    expect(crossed).toMatchObject({ status: 400, body: { error: { code: 'slack_state_invalid' } } });
    // ...and it is spent: B's own browser cannot use it afterwards either.
    expect(await callback(theirs.callback, theirs.binding)).toMatchObject({ status: 400, body: { error: { code: 'slack_state_used' } } });

    // No cookie at all (another browser).
    const noCookie = await callback(s.callback, undefined);
    expect(noCookie).toMatchObject({ status: 400, body: { error: { code: 'slack_state_invalid' } } });
    expect(await callback(s.callback, s.binding)).toMatchObject({ status: 400, body: { error: { code: 'slack_state_used' } } });

    // Expired: ten minutes.
    slackApp.decide = () => ({ teamId: wsA.teamId });
    const late = await startInstall(adminA.client);
    const db = new SqliteDatabase(join(h.app.config.dataDir, 'bedside.sqlite'));
    db.prepare('UPDATE slack_oauth_states SET expires_at = ? WHERE used_at IS NULL').run(Date.now() - 1);
    db.close();
    expect(await callback(late.callback, late.binding)).toMatchObject({ status: 400, body: { error: { code: 'slack_state_expired' } } });

    // Cancel on Slack's page: error=access_denied.
    slackApp.decide = () => 'deny';
    const cancelled = await startInstall(adminA.client);
    expect(cancelled.callback.searchParams.get('error')).toBe('access_denied');
    const page = await fetch(cancelled.callback, { headers: { cookie: `bedside_slack_install=${cancelled.binding}` }, redirect: 'manual' });
    expect(page.status).toBe(400);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toContain('the installation was cancelled in Slack');

    // A code Slack refuses (tampered, or already used).
    slackApp.decide = () => ({ teamId: wsA.teamId });
    const bad = await startInstall(adminA.client);
    bad.callback.searchParams.set('code', `${bad.callback.searchParams.get('code') ?? ''}x`);
    expect(await callback(bad.callback, bad.binding)).toMatchObject({ status: 502, body: { error: { code: 'slack_exchange_failed' } } });
    expect(slackApp.exchanges.slice(exchangesBefore)).toEqual([{ ok: false, error: 'invalid_code' }]);

    // Signed out between "Add to Slack" and Slack's answer.
    const other = await enrolStaff(h, 'admin', 'second.admin@riverside.test', orgA);
    const s2 = await startInstall(other.client);
    await other.client.post('/api/auth/logout');
    expect(await callback(s2.callback, s2.binding)).toMatchObject({ status: 401, body: { error: { code: 'slack_session_ended' } } });

    expect(await h.app.store.slack.getInstallation(orgA)).toBeUndefined();
    expect(await h.app.store.slack.getInstallation(orgB)).toBeUndefined();
    const audit = new SqliteDatabase(join(h.app.config.dataDir, 'bedside.sqlite'), { readonly: true });
    const reasons = (audit.prepare("SELECT outcome, details FROM audit_log WHERE action = 'slack.install'").all() as Array<{ outcome: string; details: string }>)
      .map((r) => `${r.outcome}:${(JSON.parse(r.details) as { reason: string }).reason}`);
    audit.close();
    expect(new Set(reasons)).toEqual(new Set(['denied:state_missing', 'denied:state_unknown', 'denied:browser_mismatch', 'denied:state_reused',
      'denied:state_expired', 'denied:access_denied', 'denied:slack_exchange_failed', 'denied:session_ended']));
  });
});

describe('two practices, two workspaces', () => {
  it('installs each practice into its own workspace, with the token encrypted at rest', async () => {
    await install(adminA.client, wsA.teamId);
    await install(adminB.client, wsB.teamId);
    const a = await h.app.store.slack.getInstallation(orgA);
    const b = await h.app.store.slack.getInstallation(orgB);
    expect(a).toMatchObject({ teamId: 'T0PRACTICEA', teamName: 'Riverside', botUserId: 'U0BOTAAAAA', status: 'active' });
    expect(b).toMatchObject({ teamId: 'T0PRACTICEB', status: 'active' });
    expect(a?.botToken).toBe(slackApp.tokensOf(wsA.teamId)[0]);
    const raw = rawDatabaseBytes();
    for (const token of [...slackApp.tokensOf(wsA.teamId), ...slackApp.tokensOf(wsB.teamId)]) {
      expect(raw.includes(Buffer.from(token))).toBe(false);
      expect(raw.includes(Buffer.from(token.slice(5, 30)))).toBe(false);
    }
    // One organization per workspace: B cannot take A's workspace.
    slackApp.decide = () => ({ teamId: wsA.teamId });
    const s = await startInstall(adminB.client);
    expect(await callback(s.callback, s.binding)).toMatchObject({ status: 409, body: { error: { code: 'slack_workspace_taken' } } });
    expect((await h.app.store.slack.getInstallation(orgB))?.teamId).toBe('T0PRACTICEB');

    const view = await adminA.client.get<Record<string, unknown>>('/api/admin/slack');
    expect(view.body).toMatchObject({ mode: 'oauth', connected: true, channelId: null, workspace: { teamId: 'T0PRACTICEA', status: 'connected' } });
    expect(JSON.stringify(view.body)).not.toContain('xoxb-');
    const viewB = await adminB.client.get<Record<string, unknown>>('/api/admin/slack');
    expect(viewB.body).toMatchObject({ workspace: { teamId: 'T0PRACTICEB' } });
    expect(JSON.stringify(viewB.body)).not.toContain('T0PRACTICEA');
    // Tokens and codes stay out of the logs.
    for (const token of slackApp.tokensOf(wsA.teamId)) expect(h.logs()).not.toContain(token);
    const channels = await adminA.client.get<{ items: Array<{ id: string }> }>('/api/admin/slack/channels');
    expect(channels.body.items.map((c) => c.id).sort()).toEqual([SECOND_CHANNEL, CHANNEL].sort());
    for (const [c, channelId] of [[adminA.client, CHANNEL], [adminB.client, CHANNEL_B]] as const) {
      const r = await c.call('PUT', '/api/admin/slack/default-channel', { channelId });
      expect(r.status).toBe(200);
    }
    expect((await h.app.store.slack.getInstallation(orgA))?.defaultChannelId).toBe(CHANNEL);
  });

  it("re-seals the token under the practice's new data key when the key is rotated", async () => {
    const version = await h.app.store.rotateDataKey(orgA);
    while (await h.app.store.reencryptBatch(orgA, 50) > 0) { /* until done */ }
    const db = new SqliteDatabase(join(h.app.config.dataDir, 'bedside.sqlite'), { readonly: true });
    const sealed = (db.prepare('SELECT bot_token FROM slack_installations WHERE org_id = ?').get(orgA) as { bot_token: string }).bot_token;
    db.close();
    expect(sealed.startsWith(`e1.${version}.`)).toBe(true);
    expect((await h.app.store.slack.getInstallation(orgA))?.botToken).toBe(slackApp.tokensOf(wsA.teamId)[0]);
  });

  it("posts a patient of A to A's workspace and a patient of B to B's, never across", async () => {
    const va = await visitor(h.inbox);
    await va.say('Riverside patient question');
    const vb = await visitor(inboxB);
    await vb.say('Lakeside patient question');
    const postA = await wsA.waitFor(() => wsA.posts(CHANNEL).find((p) => !p.thread_ts));
    const postB = await wsB.waitFor(() => wsB.posts(CHANNEL_B).find((p) => !p.thread_ts));
    expect(JSON.stringify(postA.blocks)).toContain('Riverside patient question');
    expect(JSON.stringify(postB.blocks)).toContain('Lakeside patient question');
    expect(JSON.stringify(wsA.posts())).not.toContain('Lakeside');
    expect(JSON.stringify(wsB.posts())).not.toContain('Riverside');
  });

  it("acts on a workspace's events only within its own practice", async () => {
    const va = await visitor(h.inbox);
    await va.say('Where do I park at Riverside?');
    const parentA = await wsA.waitFor(() => wsA.posts(CHANNEL).find((p) => !p.thread_ts && JSON.stringify(p.blocks).includes('park at Riverside')));
    await eventually(() => h.app.store.slack.findConversationByThread(orgA, CHANNEL, parentA.ts));
    const from = va.frames.length;
    // A callback from workspace B naming A's channel and thread: nothing reaches A's patient.
    const forged = await wsB.staffReply({ channel: CHANNEL, threadTs: parentA.ts, user: STAFF.id, text: 'Reply from the wrong practice' });
    expect(forged.status).toBe(200);
    await wsB.sendBlockAction({ user: STAFF.id, actionId: 'bedside_resolve', value: (await h.app.store.slack.findConversationByThread(orgA, CHANNEL, parentA.ts))?.id, channel: CHANNEL, messageTs: parentA.ts });
    // Workspace A's own reply does.
    await wsA.staffReply({ channel: CHANNEL, threadTs: parentA.ts, user: STAFF.id, text: 'Behind the building' });
    const got = await va.next('message', from, (f) => f.message.from === 'staff');
    expect(got.message.body).toBe('Behind the building');
    await new Promise((r) => setTimeout(r, 300));
    expect(va.frames.slice(from).some((f) => JSON.stringify(f).includes('wrong practice'))).toBe(false);
    const conv = await h.app.store.slack.findConversationByThread(orgA, CHANNEL, parentA.ts);
    expect(conv?.status).toBe('open');
  });

  it('opens threads in the inbox\'s own channel when it has one', async () => {
    const now = Date.now();
    const parking: Inbox = { id: newId('ibx'), orgId: orgA, name: 'Parking', channel: 'web', publicKey: newPublicKey(), settings: h.inbox.settings, createdAt: now };
    await h.app.store.createInbox(parking);
    const res = await adminA.client.call('PATCH', `/api/admin/inboxes/${parking.id}`, { settings: { ...h.inbox.settings, slackChannelId: SECOND_CHANNEL } });
    expect(res.status).toBe(200);
    // A form that does not send the channel keeps it.
    expect((await adminA.client.call('PATCH', `/api/admin/inboxes/${parking.id}`, { settings: h.inbox.settings })).status).toBe(200);
    const v = await visitor(parking);
    await v.say('Is the parking lot open on Sunday?');
    const post = await wsA.waitFor(() => wsA.posts(SECOND_CHANNEL).find((p) => !p.thread_ts));
    expect(JSON.stringify(post.blocks)).toContain('parking lot open on Sunday');
    expect(JSON.stringify(wsA.posts(CHANNEL))).not.toContain('parking lot open on Sunday');
  });

  it('stops posting for a practice whose workspace uninstalls the app, and starts again on reinstall', async () => {
    await slackApp.uninstall(wsA.teamId);
    await eventually(async () => (await h.app.store.slack.getInstallation(orgA))?.status === 'revoked');
    const revoked = await h.app.store.slack.getInstallation(orgA);
    expect(revoked).toMatchObject({ botToken: null, revokedReason: 'app_uninstalled' });
    const view = await adminA.client.get<Record<string, unknown>>('/api/admin/slack');
    expect(view.body).toMatchObject({ connected: false, workspace: { status: 'disconnected', revokedReason: 'app_uninstalled' } });
    const health = await (await fetch(`${h.url}/readyz`)).json() as { slack?: { connected: number; disconnected: number } };
    expect(health.slack).toEqual({ connected: 1, disconnected: 1 });

    const postsBefore = wsA.posts().length;
    const tokensBefore = slackApp.tokensOf(wsA.teamId).length;
    const va = await visitor(h.inbox);
    await va.say('Anyone there after the uninstall?');
    // B is untouched.
    const vb = await visitor(inboxB);
    await vb.say('Lakeside still works');
    await wsB.waitFor(() => wsB.posts().find((p) => JSON.stringify(p.blocks ?? p.text).includes('Lakeside still works')));
    await new Promise((r) => setTimeout(r, 300));
    expect(wsA.posts().length).toBe(postsBefore);
    expect(slackApp.tokensOf(wsA.teamId).length).toBe(tokensBefore);

    await install(adminA.client, wsA.teamId);
    expect((await h.app.store.slack.getInstallation(orgA))).toMatchObject({ status: 'active', defaultChannelId: CHANNEL });
    await va.say('And now?');
    await wsA.waitFor(() => wsA.posts().find((p) => JSON.stringify(p.blocks ?? p.text).includes('And now?')));
    const audit = new SqliteDatabase(join(h.app.config.dataDir, 'bedside.sqlite'), { readonly: true });
    const actions = audit.prepare("SELECT action, outcome FROM audit_log WHERE org_id = ? AND action LIKE 'slack.%' ORDER BY id").all(orgA) as Array<{ action: string; outcome: string }>;
    audit.close();
    expect(actions).toContainEqual({ action: 'slack.revoked', outcome: 'success' });
    expect(actions.filter((x) => x.action === 'slack.install' && x.outcome === 'success')).toHaveLength(2);
  });

  it('treats tokens_revoked the same, and reinstalling restores it', async () => {
    await slackApp.revokeTokens(wsB.teamId);
    await eventually(async () => (await h.app.store.slack.getInstallation(orgB))?.status === 'revoked');
    expect(await h.app.store.slack.getInstallation(orgB)).toMatchObject({ botToken: null, revokedReason: 'tokens_revoked' });
    const vb = await visitor(inboxB);
    const before = wsB.posts().length;
    await vb.say('Posted while disconnected');
    await new Promise((r) => setTimeout(r, 300));
    expect(wsB.posts().length).toBe(before);
    await install(adminB.client, wsB.teamId);
    await vb.say('Lakeside reconnected');
    await wsB.waitFor(() => wsB.posts().find((p) => JSON.stringify(p.blocks ?? p.text).includes('Lakeside reconnected')));
  });

  it('skips, and does not retry, a post whose token Slack refuses; the practice shows as disconnected', async () => {
    await slackApp.revokeTokens(wsB.teamId, { notify: false });
    const vb = await visitor(inboxB);
    await vb.say('Posted with a dead token');
    await eventually(() => jobsOf(orgB).some((j) => j.status === 'skipped'));
    const skipped = jobsOf(orgB).filter((j) => j.status === 'skipped');
    expect(skipped.every((j) => j.kind.startsWith('slack.'))).toBe(true);
    expect(skipped.at(-1)?.last_error).toBe('slack token rejected (token_revoked)');
    expect(jobsOf(orgB).some((j) => j.status === 'dead')).toBe(false);
    expect(await h.app.store.slack.getInstallation(orgB)).toMatchObject({ status: 'revoked', botToken: null, revokedReason: 'token_revoked' });
    const view = await adminB.client.get<Record<string, unknown>>('/api/admin/slack');
    expect(view.body).toMatchObject({ connected: false, workspace: { status: 'disconnected' } });
    // A still posts.
    const va = await visitor(h.inbox);
    await va.say('Riverside after B was revoked');
    await wsA.waitFor(() => wsA.posts().find((p) => JSON.stringify(p.blocks ?? p.text).includes('Riverside after B was revoked')));
  });

  it('lets an admin disconnect Slack: the app is removed from the workspace and the token deleted', async () => {
    const token = (await h.app.store.slack.getInstallation(orgA))?.botToken;
    const r = await adminA.client.call<Record<string, unknown>>('DELETE', '/api/admin/slack/installation');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ connected: false, workspace: { status: 'disconnected', revokedReason: 'removed_by_admin' } });
    expect(await h.app.store.slack.getInstallation(orgA)).toMatchObject({ botToken: null, status: 'revoked' });
    // Slack no longer accepts the token, and its app_uninstalled event changes nothing more.
    const check = await fetch(`${slackApp.apiUrl}auth.test`, { method: 'POST', headers: { authorization: `Bearer ${token ?? ''}` } });
    expect(await check.json()).toEqual({ ok: false, error: 'token_revoked' });
    expect((await adminA.client.call('DELETE', '/api/admin/slack/installation')).status).toBe(409);
    const agent = await enrolStaff(h, 'agent', 'agent2@riverside.test', orgA);
    expect((await agent.client.call('DELETE', '/api/admin/slack/installation')).status).toBe(403);
  });
});
