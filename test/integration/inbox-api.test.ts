import { WebSocket } from 'ws';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newId, newPublicKey } from '../../src/domain/ids.ts';
import { eventually, firstThread, SLACK, STAFF, startHarness, type Harness } from '../support/harness.ts';
import { enrolStaff, staffSocket, type Enrolled } from '../support/staff.ts';
import { WidgetClient } from '../support/widget-client.ts';

let h: Harness;
let agent: Enrolled;
let visitor: WidgetClient;

beforeEach(async () => {
  h = await startHarness();
  agent = await enrolStaff(h, 'agent');
  visitor = await WidgetClient.connect(h.wsUrl, h.inbox.publicKey);
  await visitor.hello();
});
afterEach(async () => {
  await visitor.close();
  await h.close();
});

interface Summary { id: string; status: string; assignee: { id: string; displayName: string } | null; unreadCount: number; waitingSince: string | null; preview: string }
type ErrorBody = { error: { code: string; message: string } };

async function conversationOfVisitor(text = 'Hello, is the clinic open today?'): Promise<Summary> {
  await visitor.say(text);
  const list = await agent.client.get<{ items: Summary[] }>('/api/conversations');
  return list.body.items[0] as Summary;
}

describe('the inbox API', () => {
  it('lists a new conversation as open, unassigned, unread and waiting, with a preview', async () => {
    const c = await conversationOfVisitor('Can I get a flu shot?');
    expect(c).toMatchObject({ status: 'open', assignee: null, unreadCount: 1, preview: 'Can I get a flu shot?' });
    expect(c.waitingSince).not.toBeNull();
    const counts = await agent.client.get('/api/conversations/counts');
    expect(counts.body).toEqual({ open: 1, mine: 0, unassigned: 1, resolved: 0 });
  });

  it('replies from the inbox: the patient gets it live and Slack shows it in the thread', async () => {
    const c = await conversationOfVisitor();
    const threadTs = await firstThread(h);
    const from = visitor.frames.length;
    const sent = await agent.client.post<{ message: { id: number; body: string; authorName: string } }>(`/api/conversations/${c.id}/messages`, {
      body: 'Yes, until 6 pm.', internal: false, clientId: 'reply-00000001',
    });
    expect(sent.status).toBe(201);
    expect(sent.body.message).toMatchObject({ body: 'Yes, until 6 pm.', authorName: 'Test agent' });
    const got = await visitor.next('message', from, (f) => f.message.from === 'staff');
    expect(got.message).toMatchObject({ body: 'Yes, until 6 pm.', authorName: 'Test agent' });
    const mirror = await h.slack.waitFor(() => h.slack.posts(SLACK.channelId).find((p) => p.thread_ts === threadTs && p.text.includes('until 6 pm')));
    expect(mirror.text).toContain('Test agent');

    // The same clientId again (a retry after a lost answer) stores and sends nothing new.
    const retry = await agent.client.post<{ message: { id: number } }>(`/api/conversations/${c.id}/messages`, { body: 'Yes, until 6 pm.', internal: false, clientId: 'reply-00000001' });
    expect(retry.body.message.id).toBe(sent.body.message.id);
    const after = await agent.client.get<{ conversation: Summary; messages: Array<{ body: string; kind: string }> }>(`/api/conversations/${c.id}`);
    expect(after.body.messages.map((m) => m.body)).toEqual(['Hello, is the clinic open today?', 'Yes, until 6 pm.']);
    expect(after.body.conversation.waitingSince).toBeNull();
  });

  it('keeps internal notes from the patient', async () => {
    const c = await conversationOfVisitor();
    const from = visitor.frames.length;
    const note = await agent.client.post(`/api/conversations/${c.id}/messages`, { body: 'Called her back', internal: true, clientId: 'note-000000001' });
    expect(note.status).toBe(201);
    await agent.client.post(`/api/conversations/${c.id}/messages`, { body: 'Marker reply', internal: false, clientId: 'reply-0000000m' });
    await visitor.next('message', from, (f) => f.message.body === 'Marker reply');
    expect(visitor.frames.slice(from).some((f) => f.type === 'message' && f.message.body === 'Called her back')).toBe(false);
  });

  it('assigns, resolves and reopens, and Slack follows', async () => {
    const c = await conversationOfVisitor();
    const threadTs = await firstThread(h);
    const assigned = await agent.client.post<{ conversation: Summary }>(`/api/conversations/${c.id}/assign`, { staffId: agent.staffId });
    expect(assigned.body.conversation.assignee).toEqual({ id: agent.staffId, displayName: 'Test agent' });
    await h.slack.waitFor(() => h.slack.updates.find((u) => u.ts === threadTs && JSON.stringify(u.blocks).includes('Claimed by Test agent')));
    expect((await agent.client.post<{ conversation: Summary }>(`/api/conversations/${c.id}/resolve`)).body.conversation.status).toBe('resolved');
    expect((await agent.client.post<{ conversation: Summary }>(`/api/conversations/${c.id}/reopen`)).body.conversation.status).toBe('open');
    const unknownStaff = await agent.client.post(`/api/conversations/${c.id}/assign`, { staffId: 'stf_nobody' });
    expect(unknownStaff.status).toBe(404);
  });

  it('shows a Slack reply and a Slack claim live in the inbox within a second', async () => {
    const c = await conversationOfVisitor();
    const threadTs = await firstThread(h);
    const { ws, frames } = await staffSocket(h, agent.client.cookie);
    const t0 = Date.now();
    await h.slack.staffReply({ channel: SLACK.channelId, threadTs, user: STAFF.id, text: 'Answered from Slack' });
    await eventually(() => frames.find((f) => f.type === 'message.created' && (f.message as { body: string }).body === 'Answered from Slack'), 1000);
    await eventually(() => frames.find((f) => f.type === 'conversation.updated' && (f.conversation as Summary).assignee?.displayName === 'Nurse Ann'), 1000);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(frames.find((f) => f.type === 'message.created')?.conversationId).toBe(c.id);
    ws.close();
  });

  it('sends the list row with a message only when the message opens the conversation; the frame says where it belongs', async () => {
    const { ws, frames } = await staffSocket(h, agent.client.cookie);
    const rows = () => frames.filter((f) => f.type === 'conversation.updated').map((f) => f.conversation as Summary);
    await visitor.say('First message opens a conversation');
    const created = await eventually(() => frames.find((f) => f.type === 'message.created'));
    expect(created.conversation).toEqual({ inboxId: h.inbox.id, channel: 'web', status: 'open', assigneeId: null });
    await eventually(() => rows().length === 1);
    expect(rows()[0]).toMatchObject({ id: created.conversationId, status: 'open', unreadCount: 1, preview: 'First message opens a conversation' });

    await visitor.say('Second message, same conversation');
    await eventually(() => frames.filter((f) => f.type === 'message.created').length === 2);
    // A marker event after it: once that arrived, a row for the second message would have too.
    await agent.client.post(`/api/conversations/${created.conversationId}/assign`, { staffId: agent.staffId });
    await eventually(() => rows().length === 2);
    expect(rows()[1]?.assignee?.id).toBe(agent.staffId);

    await agent.client.post(`/api/conversations/${created.conversationId}/resolve`);
    await eventually(() => rows().at(-1)?.status === 'resolved');
    const before = rows().length;
    await visitor.say('Writing again after it was resolved');
    // Reopened: the row comes with the change of status.
    await eventually(() => rows().length === before + 1);
    expect(rows().at(-1)).toMatchObject({ status: 'open', preview: 'Writing again after it was resolved' });
    expect(frames.filter((f) => f.type === 'message.created').at(-1)?.conversation).toMatchObject({ status: 'open', assigneeId: agent.staffId });
    ws.close();
  });

  it('shows the patient typing to staff, and staff typing to the patient', async () => {
    const c = await conversationOfVisitor();
    const { ws, frames } = await staffSocket(h, agent.client.cookie);
    visitor.send({ type: 'typing', on: true });
    await eventually(() => frames.find((f) => f.type === 'typing' && f.who === 'contact' && f.on === true));
    const from = visitor.frames.length;
    ws.send(JSON.stringify({ type: 'typing', conversationId: c.id, on: true }));
    expect(await visitor.next('typing', from)).toMatchObject({ on: true, name: 'Test agent' });
    ws.close();
  });

  it('clears the unread count in the reader\'s other open inboxes, and only theirs', async () => {
    const c = await conversationOfVisitor();
    const colleague = await enrolStaff(h, 'agent');
    const mine = await staffSocket(h, agent.client.cookie);
    const theirs = await staffSocket(h, colleague.client.cookie);
    const detail = await agent.client.get<{ messages: Array<{ id: number }> }>(`/api/conversations/${c.id}`);
    expect((await agent.client.post(`/api/conversations/${c.id}/read`, { lastMessageId: detail.body.messages.at(-1)?.id as number })).status).toBe(204);
    const row = await eventually(() => mine.frames.find((f) => f.type === 'conversation.updated'));
    expect(row.conversation).toMatchObject({ id: c.id, unreadCount: 0 });
    // A marker after it: the colleague's socket gets the typing frame, and no row before it.
    visitor.send({ type: 'typing', on: true });
    await eventually(() => theirs.frames.find((f) => f.type === 'typing'));
    expect(theirs.frames.filter((f) => f.type === 'conversation.updated')).toEqual([]);
    mine.ws.close();
    theirs.ws.close();
  });

  it('counts unread per person and clears it when read', async () => {
    const c = await conversationOfVisitor();
    const detail = await agent.client.get<{ messages: Array<{ id: number }> }>(`/api/conversations/${c.id}`);
    const last = detail.body.messages.at(-1)?.id as number;
    expect((await agent.client.post(`/api/conversations/${c.id}/read`, { lastMessageId: last })).status).toBe(204);
    expect((await agent.client.get<{ items: Summary[] }>('/api/conversations')).body.items[0]?.unreadCount).toBe(0);
    const other = await enrolStaff(h, 'agent');
    expect((await other.client.get<{ items: Summary[] }>('/api/conversations')).body.items[0]?.unreadCount).toBe(1);
  });

  it('offers canned responses that admins manage', async () => {
    const admin = await enrolStaff(h, 'admin');
    const created = await admin.client.post('/api/canned-responses', { shortcut: 'parking', title: 'Parking', body: 'Free parking is behind the building.' });
    expect(created.status).toBe(201);
    const dup = await admin.client.post('/api/canned-responses', { shortcut: 'parking', title: 'Again', body: 'x' });
    expect(dup.status).toBe(409);
    expect((await agent.client.get<{ items: Array<{ shortcut: string }> }>('/api/canned-responses')).body.items.map((i) => i.shortcut)).toEqual(['parking']);
    const agentTry = await agent.client.post('/api/canned-responses', { shortcut: 'hours', title: 'Hours', body: '8 to 6' });
    expect(agentTry.status).toBe(403);
  });
});

describe('refusals', () => {
  it('refuses a state change without the CSRF token, and changes nothing', async () => {
    const c = await conversationOfVisitor();
    const res = await agent.client.call('POST', `/api/conversations/${c.id}/messages`, { body: 'No token', internal: false, clientId: 'nocsrf-000001' }, { csrf: false });
    expect(res.status).toBe(403);
    expect((res.body as ErrorBody).error.code).toBe('csrf_failed');
    const wrong = await agent.client.call('POST', `/api/conversations/${c.id}/resolve`, {}, { csrf: false, headers: { 'x-csrf-token': 'forged' } });
    expect(wrong.status).toBe(403);
    const detail = await agent.client.get<{ conversation: Summary; messages: Array<{ body: string }> }>(`/api/conversations/${c.id}`);
    expect(detail.body.messages.map((m) => m.body)).not.toContain('No token');
    expect(detail.body.conversation.status).toBe('open');
    const csrfAudit = (await h.app.store.audit.list(h.inbox.orgId, 100)).filter((e) => e.action === 'http.csrf');
    expect(csrfAudit).toHaveLength(2);
  });

  it("answers another practice's ids as not found, and changes nothing there", async () => {
    const now = Date.now();
    const orgId = newId('org');
    await h.app.store.createOrganization({ id: orgId, name: 'Other practice', slug: 'other', createdAt: now });
    const inboxId = newId('ibx');
    await h.app.store.createInbox({ id: inboxId, orgId, name: 'Other web', channel: 'web', publicKey: newPublicKey(), settings: h.inbox.settings, createdAt: now });
    const theirs = await h.app.conversations.receivePatientMessage({
      inbox: (await h.app.store.getInbox(orgId, inboxId))!, identity: { channel: 'web', externalId: 'v_other' }, body: 'Private to the other practice', clientId: 'other-000001',
    });
    const id = theirs.conversation.id;
    for (const [method, path, body] of [
      ['GET', `/api/conversations/${id}`, undefined], ['POST', `/api/conversations/${id}/messages`, { body: 'x', internal: false, clientId: 'cross-00001' }],
      ['POST', `/api/conversations/${id}/resolve`, {}], ['POST', `/api/conversations/${id}/assign`, { staffId: agent.staffId }],
    ] as const) {
      const res = await agent.client.call(method, path, body);
      expect(res.status).toBe(404);
      expect(JSON.stringify(res.body)).not.toContain('Private');
    }
    expect((await h.app.store.getConversation(orgId, id))?.status).toBe('open');
    expect((await agent.client.get<{ items: Summary[] }>('/api/conversations?status=all')).body.items.map((i) => i.id)).not.toContain(id);
    const theirAdmin = await enrolStaff(h, 'admin', 'admin@other.test', orgId);
    expect((await theirAdmin.client.get('/api/admin/users')).body).toEqual({ items: [expect.objectContaining({ email: 'admin@other.test' })] });
  });

  it('keeps each role within its rights, and records every refusal', async () => {
    expect((await agent.client.get('/api/admin/users')).status).toBe(403);
    const admin = await enrolStaff(h, 'admin');
    const makeOwner = await admin.client.post('/api/admin/users', { email: 'boss@clinic.test', role: 'owner' });
    expect(makeOwner.status).toBe(403);
    const owner = await h.app.store.auth.findAccountByEmail('owner@demo.bedside.test');
    const demote = await admin.client.call('PATCH', `/api/admin/users/${owner!.id}`, { disabled: true });
    expect(demote.status).toBe(403);
    const promote = await admin.client.call('PATCH', `/api/admin/users/${agent.staffId}`, { role: 'owner' });
    expect(promote.status).toBe(403);
    expect((await h.app.store.auth.getAccount(h.inbox.orgId, owner!.id))?.status).toBe('invited');
    expect((await h.app.store.auth.findAccountByEmail('boss@clinic.test'))).toBeUndefined();
    const denied = (await h.app.store.audit.list(h.inbox.orgId, 200)).filter((e) => e.outcome === 'denied').map((e) => e.action);
    expect(denied).toEqual(expect.arrayContaining(['http.authorize', 'staff.create', 'staff.update']));

    const invite = await admin.client.post<{ enrolmentUrl: string }>('/api/admin/users', { email: 'nurse2@clinic.test', role: 'agent' });
    expect(invite.status).toBe(201);
    expect(invite.body.enrolmentUrl).toContain('/enrol#token=');
  });

  it('validates bodies and queries with field names only', async () => {
    const c = await conversationOfVisitor();
    const res = await agent.client.post(`/api/conversations/${c.id}/messages`, { body: 'x'.repeat(4001), internal: false, clientId: 'long-0000001' });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: { code: 'invalid_request', message: 'Invalid request: body.body' } });
    const q = await agent.client.get('/api/conversations?status=everything');
    expect(q.status).toBe(400);
    const cursor = await agent.client.get('/api/conversations?cursor=bm9wZQ');
    expect(cursor.status).toBe(400);
  });

  it('refuses the live socket without a session or from another site', async () => {
    await expect(staffSocket(h, undefined)).rejects.toThrow(/401/);
    await expect(new Promise((resolve, reject) => {
      const ws = new WebSocket(`${h.wsUrl}/api/ws`, { headers: { cookie: agent.client.cookie ?? '', origin: 'https://evil.example' } });
      ws.once('open', resolve);
      ws.once('unexpected-response', (_q, r) => reject(new Error(`status ${r.statusCode}`)));
    })).rejects.toThrow(/403/);
  });
});

describe('scale and documentation', () => {
  it('pages through 10,000 conversations one page at a time, newest first, without overlap', async () => {
    const inbox = h.inbox;
    const base = Date.now() - 10_000_000;
    await h.app.store.transaction(async (tx) => {
      for (let i = 0; i < 10_000; i++) {
        const contactId = `ct_bulk_${i}`;
        await tx.createContact({ id: contactId, orgId: inbox.orgId, displayName: `Patient ${i}`, email: null, phone: null, createdAt: base }, { channel: 'web', externalId: `bulk-${i}` });
        await tx.createConversation({
          id: `cv_bulk_${String(i).padStart(5, '0')}`, orgId: inbox.orgId, inboxId: inbox.id, contactId, channel: 'web', ref: `B${i}`,
          status: 'open', assigneeId: null, slackChannelId: null, slackThreadTs: null, createdAt: base + i, updatedAt: base + i,
          lastMessageAt: base + i, resolvedAt: null, waitingSince: base + i,
        });
      }
    });
    const first = await agent.client.get<{ items: Summary[]; nextCursor: string }>('/api/conversations?limit=50');
    expect(first.body.items).toHaveLength(50);
    expect(first.body.items[0]?.id).toBe('cv_bulk_09999');
    const second = await agent.client.get<{ items: Summary[]; nextCursor: string }>(`/api/conversations?limit=50&cursor=${first.body.nextCursor}`);
    expect(second.body.items[0]?.id).toBe('cv_bulk_09949');
    expect(new Set([...first.body.items, ...second.body.items].map((i) => i.id)).size).toBe(100);
    expect((await agent.client.get('/api/conversations/counts')).body).toMatchObject({ open: 10_000, unassigned: 10_000 });
  });

  it('serves an OpenAPI document of every route with its access rule', async () => {
    const res = await fetch(`${h.url}/api/openapi.json`);
    const doc = await res.json() as { openapi: string; paths: Record<string, Record<string, { 'x-access': string }>> };
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.paths['/api/conversations/{id}/messages']?.post?.['x-access']).toBe('agent');
    expect(doc.paths['/api/admin/users']?.post?.['x-access']).toBe('admin');
    expect(doc.paths['/api/auth/login']?.post?.['x-access']).toBe('public');
    expect(Object.keys(doc.paths).length).toBeGreaterThanOrEqual(20);
  });
});
