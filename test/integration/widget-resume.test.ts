import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventually, firstThread, SLACK, STAFF, startHarness, type Harness } from '../support/harness.ts';
import { visitorIdOf, WidgetClient } from '../support/widget-client.ts';

let h: Harness;
beforeEach(async () => { h = await startHarness(); });
afterEach(async () => { await h.close(); });

/** One visitor with the chat open in two tabs: the first opened the conversation with `first`. */
async function twoTabs(first: string): Promise<[WidgetClient, WidgetClient]> {
  const tab1 = await WidgetClient.connect(h.wsUrl, h.inbox.publicKey);
  const { token } = await tab1.hello();
  await tab1.say(first);
  const tab2 = await WidgetClient.connect(h.wsUrl, h.inbox.publicKey);
  await tab2.hello(token);
  return [tab1, tab2];
}

describe('widget reconnect and resume', () => {
  it('keeps the conversation across page loads with the signed visitor token', async () => {
    const first = await WidgetClient.connect(h.wsUrl, h.inbox.publicKey);
    const welcome = await first.hello();
    expect(welcome.messages).toEqual([]);
    expect(welcome.inbox).toMatchObject({ name: h.inbox.name, preChat: { enabled: false } });
    await first.say('Hello from page one');
    await first.close();

    const second = await WidgetClient.connect(h.wsUrl, h.inbox.publicKey);
    const back = await second.hello(welcome.token);
    expect(back.messages.map((m) => [m.from, m.body])).toEqual([['patient', 'Hello from page one']]);
    await second.close();

    const stranger = await WidgetClient.connect(h.wsUrl, h.inbox.publicKey);
    expect((await stranger.hello()).messages).toEqual([]);
    await stranger.close();
  });

  it('delivers a reply sent while the visitor was offline exactly once, after the last seen id', async () => {
    const v = await WidgetClient.connect(h.wsUrl, h.inbox.publicKey);
    const { token } = await v.hello();
    const ack = await v.say('Can I move my appointment?');
    const parent = { ts: await firstThread(h) };
    await v.close();

    await h.slack.staffReply({ channel: SLACK.channelId, threadTs: parent.ts, user: STAFF.id, text: 'Yes, to Tuesday 10:00?' });
    // The reply is stored (and its delivery done) once three jobs are: Slack post, Slack event, delivery.
    await eventually(async () => (await h.app.store.jobCounts()).done >= 3);

    const again = await WidgetClient.connect(h.wsUrl, h.inbox.publicKey);
    const welcome = await again.hello(token, ack.message.id);
    expect(welcome.messages.map((m) => [m.from, m.body, m.authorName])).toEqual([['staff', 'Yes, to Tuesday 10:00?', 'Nurse Ann']]);
    // Nothing arrives twice after the replay.
    await new Promise((r) => setTimeout(r, 300));
    expect(again.frames.filter((f) => f.type === 'message')).toEqual([]);
    await again.close();
  });

  it('stores a message resent after a lost ack once, and acks it with the original', async () => {
    const v = await WidgetClient.connect(h.wsUrl, h.inbox.publicKey);
    const { token } = await v.hello();
    const first = await v.say('Is the clinic open on Saturday?', 'client-msg-000001');
    await v.close();

    const again = await WidgetClient.connect(h.wsUrl, h.inbox.publicKey);
    await again.hello(token, 0);
    const resent = await again.say('Is the clinic open on Saturday?', 'client-msg-000001');
    expect(resent.message).toEqual(first.message);
    await h.slack.waitFor(() => h.slack.posts(SLACK.channelId).length === 1);
    await new Promise((r) => setTimeout(r, 300));
    expect(h.slack.posts(SLACK.channelId)).toHaveLength(1);
    const contact = await h.app.conversations.findContact(h.inbox, { channel: 'web', externalId: visitorIdOf((await again.hello(token)).token) });
    const all = await h.app.store.listContactMessagesAfter(h.inbox.orgId, h.inbox.id, contact!.id, 0, 10);
    expect(all).toHaveLength(1);
    await again.close();
  });

  it('pushes a staff reply live to every open tab of the visitor, and shows staff typing', async () => {
    const [tab1, tab2] = await twoTabs('Hi there');
    const parent = { ts: await firstThread(h) };
    await h.slack.staffReply({ channel: SLACK.channelId, threadTs: parent.ts, user: STAFF.id, text: 'Hello!' });
    for (const tab of [tab1, tab2]) {
      const m = await tab.next('message', 0, (f) => f.message.from === 'staff');
      expect(m.message.body).toBe('Hello!');
    }
    const conversation = await h.app.store.findConversationBySlackThread(SLACK.channelId, parent.ts);
    const staff = await h.app.store.upsertSlackStaff(h.inbox.orgId, STAFF.id, 'Nurse Ann');
    await h.app.conversations.staffTyping(conversation!, staff, true);
    expect(await tab1.next('typing')).toEqual({ type: 'typing', on: true, name: 'Nurse Ann' });
    await tab1.close();
    await tab2.close();
  });

  it('handles a burst of frames on one socket strictly in the order sent, a bad frame answered in its place', async () => {
    const v = await WidgetClient.connect(h.wsUrl, h.inbox.publicKey);
    await v.hello();
    const before = v.frames.length;
    // Sent without waiting: the first message creates the contact and conversation, so it takes
    // longest, and everything after it must still be answered after it.
    v.send({ type: 'message', clientId: 'burst-one', body: 'First of three' });
    v.sendRaw('{not json');
    v.send({ type: 'message', clientId: 'burst-two', body: 'Second of three' });
    v.send({ type: 'ping' });
    v.send({ type: 'message', clientId: 'burst-three', body: 'Third of three' });
    await v.next('ack', before, (f) => f.clientId === 'burst-three');
    const answers = v.frames.slice(before).filter((f) => f.type !== 'message' && f.type !== 'typing');
    expect(answers.map((f) => (f.type === 'ack' ? f.clientId : f.type))).toEqual(['burst-one', 'error', 'burst-two', 'pong', 'burst-three']);
    const acks = answers.flatMap((f) => (f.type === 'ack' ? [f.message.id] : []));
    expect(acks).toEqual([...acks].sort((a, b) => a - b));
    await v.close();
  });

  it("shows a patient's message live in their other tabs, but not again in the tab that sent it", async () => {
    const [tab1, tab2] = await twoTabs('First, to open the conversation');
    const ack = await tab1.say('Sent from tab one');
    const echoed = await tab2.next('message', 0, (f) => f.message.id === ack.message.id);
    expect(echoed.message.body).toBe('Sent from tab one');
    await new Promise((r) => setTimeout(r, 300));
    expect(tab1.frames.filter((f) => f.type === 'message' && f.message.id === ack.message.id)).toEqual([]);
    await tab1.close();
    await tab2.close();
  });

  it('keeps writing into the right conversation after staff merged the visitor into another contact', async () => {
    const v = await WidgetClient.connect(h.wsUrl, h.inbox.publicKey);
    const { token } = await v.hello();
    const first = await v.say('Before the merge');
    const visitorId = visitorIdOf(token);
    const contact = await h.app.conversations.findContact(h.inbox, { channel: 'web', externalId: visitorId });
    // The same patient, known from another visit: staff merge the visitor into that contact.
    const other = await h.app.conversations.receivePatientMessage({ inbox: h.inbox, identity: { channel: 'web', externalId: 'v_other_visit_000000000000' }, body: 'Earlier visit' });
    await h.app.store.transaction((tx) => tx.records.mergeContacts(h.inbox.orgId, contact!.id, other.conversation.contactId));
    // The socket still remembers the merged-away contact: the identity decides instead, and the
    // socket follows the contact the message went to.
    const after = await v.say('After the merge');
    const survivor = await h.app.store.findLatestConversation(h.inbox.orgId, h.inbox.id, other.conversation.contactId);
    const stored = await h.app.store.getMessage(h.inbox.orgId, after.message.id);
    expect(stored?.conversationId).toBe(survivor?.id);
    // The earlier conversation moved with the merge; the merged-away contact is gone.
    const earlier = await h.app.store.getMessage(h.inbox.orgId, first.message.id);
    expect((await h.app.store.getConversation(h.inbox.orgId, earlier!.conversationId))?.contactId).toBe(other.conversation.contactId);
    expect(await h.app.store.getContact(h.inbox.orgId, contact!.id)).toBeUndefined();
    // Staff answer in the surviving conversation: the open chat gets it live.
    const staff = await h.app.store.upsertSlackStaff(h.inbox.orgId, STAFF.id, 'Nurse Ann');
    await h.app.conversations.recordStaffReply({ conversation: survivor!, staff, body: 'Seen both visits', internal: false, source: 'inbox', sourceId: 'merge-reply' });
    expect((await v.next('message', 0, (f) => f.message.from === 'staff')).message.body).toBe('Seen both visits');
    await v.close();
  });

  it('shows settings changed while visitors are connected to the next visitor at once', async () => {
    await h.close();
    h = await startHarness();
    const before = await WidgetClient.connect(h.wsUrl, h.inbox.publicKey);
    expect((await before.hello()).inbox.preChat.enabled).toBe(false);
    const settings = { ...h.inbox.settings, greeting: 'Welcome back', preChat: { enabled: true, fields: ['name'] as Array<'name' | 'email' | 'phone'> } };
    await h.app.store.updateInboxSettings(h.inbox.orgId, h.inbox.id, settings);
    const after = await WidgetClient.connect(h.wsUrl, h.inbox.publicKey);
    const welcome = await after.hello();
    expect(welcome.inbox).toMatchObject({ greeting: 'Welcome back', preChat: { enabled: true, fields: ['name'] } });
    expect(welcome.profileComplete).toBe(false);
    await before.close();
    await after.close();
  });

  it('asks for the pre-chat form when the practice switches it on, and remembers it', async () => {
    await h.close();
    h = await startHarness();
    // Switch the demo inbox's pre-chat form on, as the admin page will.
    const settings = { ...h.inbox.settings, preChat: { enabled: true, fields: ['name', 'email', 'phone'] as Array<'name' | 'email' | 'phone'> } };
    await h.app.store.updateInboxSettings(h.inbox.orgId, h.inbox.id, settings);
    const v = await WidgetClient.connect(h.wsUrl, h.inbox.publicKey);
    const welcome = await v.hello();
    expect(welcome.profileComplete).toBe(false);
    expect(welcome.inbox.preChat.enabled).toBe(true);
    v.send({ type: 'profile', profile: { name: 'Test Patient' } });
    expect((await v.next('error')).code).toBe('invalid_profile');
    v.send({ type: 'profile', profile: { name: 'Test Patient', phone: '+1 555 0100' } });
    await v.next('profile_saved');
    await v.close();
    const again = await WidgetClient.connect(h.wsUrl, h.inbox.publicKey);
    expect((await again.hello(welcome.token)).profileComplete).toBe(true);
    await again.close();
  });
});
