/**
 * Every API route that takes an id, tried by the owner of one practice with the ids of another.
 * The routes come from the OpenAPI document, so a new route is covered the day it is added.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId, newPublicKey } from '../../src/domain/ids.ts';
import { startHarness, type Harness } from '../support/harness.ts';
import { enrolStaff, type Enrolled } from '../support/staff.ts';

let h: Harness;
let owner: Enrolled;
const theirs: Record<string, string> = {};
const THEIR_SECRET = 'Confidential note of the other practice';

/** A body that passes validation for each route, so only the ownership check can refuse it. */
const BODIES: Record<string, unknown> = {
  'POST /api/conversations/{id}/messages': { body: 'cross-tenant attempt', internal: false, clientId: 'tenant-000001' },
  'POST /api/conversations/{id}/assign': { staffId: null },
  'POST /api/conversations/{id}/read': { lastMessageId: 1 },
  'POST /api/conversations/{id}/typing': { on: true },
  'PATCH /api/admin/users/{id}': { role: 'agent' },
  'PATCH /api/admin/inboxes/{id}': { name: 'Hijacked' },
  'PATCH /api/canned-responses/{id}': { title: 'Hijacked' },
  'PUT /api/contacts/{id}/legal-hold': { hold: true, reason: 'cross-tenant attempt' },
  'POST /api/contacts/{id}/consents': { channel: 'sms', granted: true, wording: 'cross-tenant consent attempt' },
  'POST /api/contacts/{id}/merge': { intoContactId: 'ct_of_the_caller' },
  'PUT /api/contacts/{id}/date-of-birth': { dateOfBirth: '1990-01-01' },
};
const QUERIES: Record<string, string> = { 'GET /api/conversations/{id}/history': '?before=999999' };

function idFor(path: string): string {
  if (path.startsWith('/api/conversations/')) return theirs.conversation as string;
  if (path.startsWith('/api/admin/users/')) return theirs.staff as string;
  if (path.startsWith('/api/admin/inboxes/')) return theirs.inbox as string;
  if (path.startsWith('/api/canned-responses/')) return theirs.canned as string;
  if (path.startsWith('/api/contacts/')) return theirs.contact as string;
  if (path.startsWith('/api/attachments/')) return theirs.attachment as string;
  throw new Error(`no foreign id known for ${path}: add one to this suite`);
}

beforeAll(async () => {
  h = await startHarness({ slack: false });
  owner = await enrolStaff(h, 'owner');
  const now = Date.now();
  const orgId = newId('org');
  await h.app.store.createOrganization({ id: orgId, name: 'Other practice', slug: 'other-practice', createdAt: now });
  theirs.inbox = newId('ibx');
  await h.app.store.createInbox({ id: theirs.inbox, orgId, name: 'Their web', channel: 'web', publicKey: newPublicKey(), settings: h.inbox.settings, createdAt: now });
  const inbox = (await h.app.store.getInbox(orgId, theirs.inbox))!;
  const r = await h.app.conversations.receivePatientMessage({
    inbox, identity: { channel: 'web', externalId: 'v_theirs' }, body: THEIR_SECRET, clientId: 'theirs-00001',
    attachments: [{ filename: 'their-scan.pdf', contentType: 'application/pdf', data: Buffer.from('%PDF-1.4 theirs') }],
  });
  theirs.attachment = (await h.app.store.attachments.listForMessages(orgId, [r.message.id]))[0]?.id as string;
  theirs.conversation = r.conversation.id;
  theirs.contact = r.conversation.contactId;
  const theirAdmin = await enrolStaff(h, 'admin', 'admin@other-practice.test', orgId);
  theirs.staff = theirAdmin.staffId;
  const canned = await theirAdmin.client.post<{ id: string }>('/api/canned-responses', { shortcut: 'secret', title: 'Theirs', body: 'Their canned text' });
  theirs.canned = canned.body.id;
  theirs.org = orgId;
}, 60_000);
afterAll(async () => { await h.close(); });

describe('tenant isolation', () => {
  it("answers every id-taking route with 404 for another practice's ids, and changes nothing there", async () => {
    const doc = await (await fetch(`${h.url}/api/openapi.json`)).json() as { paths: Record<string, Record<string, unknown>> };
    const tried: string[] = [];
    for (const [path, methods] of Object.entries(doc.paths)) {
      if (!path.includes('{id}')) continue;
      for (const method of Object.keys(methods).map((m) => m.toUpperCase())) {
        const key = `${method} ${path}`;
        const url = path.replace('{id}', idFor(path)) + (QUERIES[key] ?? '');
        const body = method === 'GET' || method === 'DELETE' ? undefined : (BODIES[key] ?? {});
        const res = await owner.client.call(method, url, body);
        expect(res.status, key).toBe(404);
        expect(JSON.stringify(res.body), key).not.toContain(THEIR_SECRET);
        tried.push(key);
      }
    }
    expect(tried.length).toBeGreaterThanOrEqual(21);

    const orgId = theirs.org as string;
    const c = await h.app.store.getConversation(orgId, theirs.conversation as string);
    expect(c).toMatchObject({ status: 'open', assigneeId: null });
    expect((await h.app.store.getInbox(orgId, theirs.inbox as string))?.name).toBe('Their web');
    expect((await h.app.store.auth.getAccount(orgId, theirs.staff as string))?.role).toBe('admin');
    expect((await h.app.store.inbox.listCanned(orgId)).map((x) => x.title)).toEqual(['Theirs']);
    expect(await h.app.store.records.legalHold(orgId, theirs.contact as string)).toBeNull();
    expect(await h.app.store.records.listConsents(orgId, theirs.contact as string)).toEqual([]);
    const history = await h.app.store.inbox.contactHistory(orgId, c!.contactId, 10);
    expect(history.map((m) => m.body)).toEqual([THEIR_SECRET]);
  });

  it("never lists or finds another practice's records", async () => {
    const lists = await Promise.all([
      '/api/conversations?status=all', '/api/staff', '/api/inboxes', '/api/canned-responses', '/api/admin/users',
      '/api/search?q=confidential%20practice', '/api/conversations/counts', '/api/audit',
    ].map((p) => owner.client.get(p)));
    for (const res of lists) {
      expect(res.status).toBe(200);
      const text = JSON.stringify(res.body);
      for (const id of Object.values(theirs)) expect(text).not.toContain(id);
      expect(text).not.toContain(THEIR_SECRET);
      expect(text).not.toContain('other-practice');
    }
  });
});

describe('the audit trail for owners', () => {
  it('lists, exports and verifies only this practice, and records the export', async () => {
    const list = await owner.client.get<{ items: Array<{ action: string }> }>('/api/audit');
    expect(list.body.items.map((e) => e.action)).toContain('staff.enrol');
    const csv = await fetch(`${h.url}/api/audit/export?format=csv`, { headers: { cookie: owner.client.cookie ?? '' } });
    expect(csv.headers.get('content-type')).toMatch(/text\/csv/);
    expect(csv.headers.get('content-disposition')).toMatch(/attachment; filename="bedside-audit-/);
    const text = await csv.text();
    expect(text.split('\r\n')[0]).toBe('id,at,actorType,actorId,ip,action,targetType,targetId,outcome,details');
    expect(text).not.toContain(theirs.org as string);
    const verify = await owner.client.get('/api/audit/verify');
    expect(verify.body).toMatchObject({ ok: true, chains: 1 });
    expect((await owner.client.get<{ items: Array<{ action: string }> }>('/api/audit')).body.items[0]?.action).toBe('audit.export');
    const agent = await enrolStaff(h, 'admin');
    expect((await agent.client.get('/api/audit')).status).toBe(403);
  });
});
