import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventually, firstThread, SLACK, STAFF, startHarness, type Harness } from '../support/harness.ts';
import { WidgetClient } from '../support/widget-client.ts';

let h: Harness;
let visitor: WidgetClient;

beforeEach(async () => {
  h = await startHarness();
  visitor = await WidgetClient.connect(h.wsUrl, h.inbox.publicKey);
  await visitor.hello();
});
afterEach(async () => {
  await visitor.close();
  await h.close();
});

/** The visitor writes; resolves with the thread ts once the parent is in Slack. */
async function openThread(text = 'Do you have parking?'): Promise<string> {
  await visitor.say(text);
  return firstThread(h);
}

describe('website chat to Slack and back', () => {
  it('opens a thread with the first message and Claim/Resolve, then threads later messages', async () => {
    const threadTs = await openThread('Do you have parking?');
    const parent = h.slack.message(SLACK.channelId, threadTs);
    expect(parent?.text).toContain('web chat');
    expect(JSON.stringify(parent?.blocks)).toContain('Do you have parking?');
    const actions = (parent?.blocks as Array<{ type: string; elements?: Array<{ action_id?: string }> }>)
      .find((b) => b.type === 'actions')?.elements?.map((e) => e.action_id);
    expect(actions).toEqual(['bedside_claim', 'bedside_resolve']);
    const unfurls = h.slack.calls.filter((c) => c.method === 'chat.postMessage').map((c) => c.args.unfurl_links);
    expect(unfurls.every((u) => u === false || u === 'false')).toBe(true);

    await visitor.say('And is it free?');
    const reply = await h.slack.waitFor(() => h.slack.posts(SLACK.channelId).find((p) => p.thread_ts === threadTs));
    expect(reply.text).toBe('And is it free?');
    expect(h.slack.posts(SLACK.channelId).filter((p) => !p.thread_ts)).toHaveLength(1);
  });

  it("delivers a staff thread reply to the patient with the staff member's display name", async () => {
    const threadTs = await openThread();
    const from = visitor.frames.length;
    const res = await h.slack.staffReply({ channel: SLACK.channelId, threadTs, user: STAFF.id, text: 'Yes, behind the building & free' });
    expect(res.status).toBe(200);
    const got = await visitor.next('message', from, (f) => f.message.from === 'staff');
    expect(got.message).toMatchObject({ body: 'Yes, behind the building & free', authorName: 'Nurse Ann', from: 'staff' });
    // The first reply claims an unclaimed conversation; Slack's parent shows the owner.
    const update = await h.slack.waitFor(() => h.slack.updates.find((u) => JSON.stringify(u.blocks).includes('Claimed by Nurse Ann')));
    expect(update.ts).toBe(threadTs);
  });

  it('holds a reply that arrives before Bedside has recorded its thread, instead of dropping it', async () => {
    h.slack.hangNext('chat.postMessage');
    await visitor.say('Slow Slack today');
    const parent = await h.slack.waitFor(() => h.slack.posts(SLACK.channelId).find((p) => !p.thread_ts));
    expect(await h.app.store.findConversationBySlackThread(SLACK.channelId, parent.ts)).toBeUndefined();
    const from = visitor.frames.length;
    await h.slack.staffReply({ channel: SLACK.channelId, threadTs: parent.ts, user: STAFF.id, text: 'Early answer' });
    const got = await visitor.next('message', from, (f) => f.message.from === 'staff', 10_000);
    expect(got.message.body).toBe('Early answer');
    expect(h.slack.posts(SLACK.channelId).filter((p) => !p.thread_ts)).toHaveLength(1);
  });

  it('still delivers a reply when the staff name cannot be looked up', async () => {
    const threadTs = await openThread();
    h.slack.failNext('users.info', { error: 'user_not_found' });
    const from = visitor.frames.length;
    await h.slack.staffReply({ channel: SLACK.channelId, threadTs, user: 'U0GONE0001', text: 'Answer anyway' });
    const got = await visitor.next('message', from, (f) => f.message.from === 'staff');
    expect(got.message).toMatchObject({ body: 'Answer anyway', authorName: 'Practice staff' });
  });

  it('keeps note: replies internal, and never relays bots, edits or deletions', async () => {
    const threadTs = await openThread();
    const from = visitor.frames.length;
    await h.slack.staffReply({ channel: SLACK.channelId, threadTs, user: STAFF.id, text: 'note: she called yesterday too' });
    await h.slack.sendEvent(h.slack.botMessageEvent({ channel: SLACK.channelId, threadTs, text: 'I am a bot' }));
    const human = h.slack.humanMessage({ channel: SLACK.channelId, threadTs, user: STAFF.id, text: 'Original' });
    const humanTs = (human as { ts: string }).ts;
    await h.slack.sendEvent(h.slack.editEvent({ channel: SLACK.channelId, ts: humanTs, text: 'Edited text' }));
    await h.slack.sendEvent(h.slack.deleteEvent({ channel: SLACK.channelId, ts: humanTs }));
    await h.slack.staffReply({ channel: SLACK.channelId, threadTs, user: STAFF.id, text: 'Marker' });
    await visitor.next('message', from, (f) => f.message.body === 'Marker');
    const staffBodies = visitor.frames.slice(from)
      .flatMap((f) => (f.type === 'message' && f.message.from === 'staff' ? [f.message.body] : []));
    expect(staffBodies).toEqual(['Marker']);

    const conversation = await h.app.store.findConversationBySlackThread(SLACK.channelId, threadTs);
    const rows = await h.app.store.listContactMessagesAfter(h.inbox.orgId, h.inbox.id, conversation!.contactId, 0, 50);
    expect(rows.map((m) => m.body)).not.toContain('she called yesterday too');
    const note = await h.app.store.getMessage(h.inbox.orgId, rows.at(-1)!.id - 1);
    expect(note).toMatchObject({ kind: 'note', body: 'she called yesterday too', authorName: 'Nurse Ann' });
  });

  it('relays a reply once however often Slack retries it or repeats its event id', async () => {
    const threadTs = await openThread();
    const from = visitor.frames.length;
    const first = await h.slack.staffReply({ channel: SLACK.channelId, threadTs, user: STAFF.id, text: 'Only once please' });
    for (const retryNum of [1, 2, 3]) {
      const again = await h.slack.sendEvent(first.event, { eventId: first.eventId, retryNum, retryReason: 'http_timeout' });
      expect(again.status).toBe(200);
    }
    // Same message under a new event id (Slack can deliver a message twice): the ts de-duplicates.
    await h.slack.sendEvent(first.event);
    await h.slack.staffReply({ channel: SLACK.channelId, threadTs, user: STAFF.id, text: 'Marker' });
    await visitor.next('message', from, (f) => f.message.body === 'Marker');
    await new Promise((r) => setTimeout(r, 200));
    const bodies = visitor.frames.slice(from).flatMap((f) => (f.type === 'message' ? [f.message.body] : []));
    expect(bodies.filter((b) => b === 'Only once please')).toHaveLength(1);
  });

  it('acknowledges events before processing them', async () => {
    const threadTs = await openThread();
    h.slack.failNext('users.info', { status: 500, times: 2 });
    const started = Date.now();
    const res = await h.slack.staffReply({ channel: SLACK.channelId, threadTs, user: STAFF.id, text: 'Slow lookup' });
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(1000);
    const from = 0;
    await visitor.next('message', from, (f) => f.message.body === 'Slow lookup');
  });

  it('answers url_verification and refuses forged or stale signatures with a bare 401', async () => {
    const ok = await h.slack.sendUrlVerification('3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P');
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toEqual({ challenge: '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P' });

    const threadTs = await openThread();
    const event = h.slack.humanMessage({ channel: SLACK.channelId, threadTs, user: STAFF.id, text: 'Forged' });
    const forged = await h.slack.sendEvent(event, { signingSecret: 'not-the-secret' });
    const stale = await h.slack.sendEvent(event, { timestamp: Math.floor(Date.now() / 1000) - 301 });
    const badHeader = await h.slack.sendEvent(event, { signature: 'v0=deadbeef' });
    for (const r of [forged, stale, badHeader]) {
      expect(r.status).toBe(401);
      expect(JSON.parse(r.body)).toEqual({ error: { code: 'unauthorized', message: 'Unauthorized' } });
    }
    expect((await h.app.store.jobCounts()).pending + (await h.app.store.jobCounts()).running).toBe(0);
    await new Promise((r) => setTimeout(r, 200));
    expect(visitor.frames.some((f) => f.type === 'message' && f.message.body === 'Forged')).toBe(false);
  });

  it('Claim, Resolve and Reopen change the conversation and update the parent message', async () => {
    const threadTs = await openThread();
    const conversation = await h.app.store.findConversationBySlackThread(SLACK.channelId, threadTs);
    const press = (actionId: string) => h.slack.sendBlockAction({
      user: STAFF.id, actionId, value: conversation!.id, channel: SLACK.channelId, messageTs: threadTs,
    });

    expect((await press('bedside_claim')).status).toBe(200);
    await eventually(async () => (await h.app.store.getConversation(h.inbox.orgId, conversation!.id))?.assigneeId);
    await h.slack.waitFor(() => h.slack.updates.find((u) => JSON.stringify(u.blocks).includes('Claimed by Nurse Ann')));

    await press('bedside_resolve');
    await eventually(async () => (await h.app.store.getConversation(h.inbox.orgId, conversation!.id))?.status === 'resolved');
    const resolved = await h.slack.waitFor(() => h.slack.updates.find((u) => JSON.stringify(u.blocks).includes('Resolved')));
    expect(JSON.stringify(resolved.blocks)).toContain('bedside_reopen');

    await press('bedside_reopen');
    await eventually(async () => (await h.app.store.getConversation(h.inbox.orgId, conversation!.id))?.status === 'open');

    // A button value that does not belong to the message it was pressed on changes nothing.
    await h.slack.sendBlockAction({ user: STAFF.id, actionId: 'bedside_resolve', value: 'cv_someone_else', channel: SLACK.channelId, messageTs: threadTs });
    await new Promise((r) => setTimeout(r, 300));
    expect((await h.app.store.getConversation(h.inbox.orgId, conversation!.id))?.status).toBe('open');
  });

  it('reopens a resolved conversation when the patient writes again, in the same thread', async () => {
    const threadTs = await openThread();
    const conversation = await h.app.store.findConversationBySlackThread(SLACK.channelId, threadTs);
    await h.slack.sendBlockAction({ user: STAFF.id, actionId: 'bedside_resolve', value: conversation!.id, channel: SLACK.channelId, messageTs: threadTs });
    await eventually(async () => (await h.app.store.getConversation(h.inbox.orgId, conversation!.id))?.status === 'resolved');
    await visitor.say('One more question');
    await h.slack.waitFor(() => h.slack.posts(SLACK.channelId).find((p) => p.thread_ts === threadTs && p.text === 'One more question'));
    expect((await h.app.store.getConversation(h.inbox.orgId, conversation!.id))?.status).toBe('open');
  });

  it('answers the slash command with help and no patient data', async () => {
    const res = await h.slack.sendSlashCommand({ command: '/bedside', text: 'help', userId: STAFF.id, channelId: SLACK.channelId });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ response_type: 'ephemeral', text: expect.stringContaining('note:') });
  });
});

describe('notice mode', () => {
  it('puts no name or message text in Slack and does not relay thread replies', async () => {
    await visitor.close();
    await h.close();
    h = await startHarness({ env: { SLACK_CONTENT: 'notice' } });
    visitor = await WidgetClient.connect(h.wsUrl, h.inbox.publicKey);
    await visitor.hello();
    visitor.send({ type: 'profile', profile: { name: 'Zelda Testpatient' } });
    await visitor.next('profile_saved');
    await visitor.say('My rash is spreading');
    await visitor.say('Second private detail');
    await h.slack.waitFor(() => h.slack.posts(SLACK.channelId).length === 2 && h.slack.posts(SLACK.channelId));
    const everything = JSON.stringify(h.slack.calls);
    expect(everything).not.toContain('rash');
    expect(everything).not.toContain('private detail');
    expect(everything).not.toContain('Zelda');
    const parent = h.slack.posts(SLACK.channelId).find((p) => !p.thread_ts)!;
    expect(JSON.stringify(parent.blocks)).toContain('/inbox/conversations/');

    const from = visitor.frames.length;
    await h.slack.staffReply({ channel: SLACK.channelId, threadTs: parent.ts, user: STAFF.id, text: 'From Slack' });
    await new Promise((r) => setTimeout(r, 400));
    expect(visitor.frames.slice(from).some((f) => f.type === 'message')).toBe(false);
  });
});
