import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditTrail } from '../../src/features/audit.ts';
import { RecordsService } from '../../src/features/records.ts';
import { createLogger } from '../../src/log.ts';
import { startHarness, type Harness } from '../support/harness.ts';
import { enrolStaff, type Enrolled } from '../support/staff.ts';
import { WidgetClient } from '../support/widget-client.ts';

let h: Harness;
let admin: Enrolled;

beforeEach(async () => {
  h = await startHarness({ slack: false });
  admin = await enrolStaff(h, 'owner');
});
afterEach(async () => { await h.close(); });

async function patient(name: string, text: string): Promise<{ contactId: string; conversationId: string }> {
  const v = await WidgetClient.connect(h.wsUrl, h.inbox.publicKey);
  await v.hello();
  v.send({ type: 'profile', profile: { name, email: `${name.split(' ')[0]?.toLowerCase()}@example.test` } });
  await v.next('profile_saved');
  const ack = await v.say(text);
  await v.close();
  const m = await h.app.store.getMessage(h.inbox.orgId, ack.message.id);
  const c = await h.app.store.getConversation(h.inbox.orgId, m!.conversationId);
  return { contactId: c!.contactId, conversationId: c!.id };
}

const actions = async () => (await h.app.store.audit.list(h.inbox.orgId, 500)).map((e) => e.action);

describe('patient records', () => {
  it('exports the whole record as JSON and as a readable page, and audits the export', async () => {
    const p = await patient('Ottilie Testcase', 'My <b>allergy</b> list & question');
    await admin.client.post(`/api/conversations/${p.conversationId}/messages`, { body: 'Noted, thank you', internal: false, clientId: 'export-000001' });
    await admin.client.post(`/api/contacts/${p.contactId}/consents`, { channel: 'sms', granted: true, wording: 'Text messages are not encrypted. I agree to receive them.' });

    const json = await admin.client.get<{ contact: { displayName: string }; consents: unknown[]; conversations: Array<{ messages: Array<{ from: string; body: string }> }> }>(`/api/contacts/${p.contactId}/export?format=json`);
    expect(json.status).toBe(200);
    expect(json.body.contact.displayName).toBe('Ottilie Testcase');
    expect(json.body.consents).toHaveLength(1);
    expect(json.body.conversations[0]?.messages.map((m) => [m.from, m.body])).toEqual([['patient', 'My <b>allergy</b> list & question'], ['Test owner', 'Noted, thank you']]);

    const html = await fetch(`${h.url}/api/contacts/${p.contactId}/export?format=html`, { headers: { cookie: admin.client.cookie ?? '' } });
    const page = await html.text();
    expect(html.headers.get('content-type')).toMatch(/text\/html/);
    expect(page).toContain('Patient record: Ottilie Testcase');
    expect(page).toContain('My &#60;b&#62;allergy&#60;/b&#62; list &#38; question');
    expect(page).not.toContain('<b>allergy');
    expect((await actions()).filter((a) => a === 'contact.export')).toHaveLength(2);

    const agent = await enrolStaff(h, 'agent');
    expect((await agent.client.get(`/api/contacts/${p.contactId}/export`)).status).toBe(403);
  });

  it('erases a contact completely, leaving only the audit record; a legal hold blocks it', async () => {
    const p = await patient('Erasmus Removeme', 'Please delete my data');
    expect((await admin.client.call('PUT', `/api/contacts/${p.contactId}/legal-hold`, { hold: true, reason: 'Litigation hold 2026-17' })).status).toBe(204);
    const blocked = await admin.client.call('DELETE', `/api/contacts/${p.contactId}`);
    expect(blocked.status).toBe(409);
    expect((blocked.body as { error: { code: string } }).error.code).toBe('legal_hold');
    expect(await h.app.store.getContact(h.inbox.orgId, p.contactId)).toBeDefined();

    await admin.client.call('PUT', `/api/contacts/${p.contactId}/legal-hold`, { hold: false });
    const erased = await admin.client.call('DELETE', `/api/contacts/${p.contactId}`);
    expect(erased.body).toEqual({ erased: { conversations: 1, messages: 1 } });
    expect(await h.app.store.getContact(h.inbox.orgId, p.contactId)).toBeUndefined();
    expect(await h.app.store.getConversation(h.inbox.orgId, p.conversationId)).toBeUndefined();
    expect((await admin.client.get(`/api/conversations/${p.conversationId}`)).status).toBe(404);
    const audit = await h.app.store.audit.list(h.inbox.orgId, 100);
    const record = audit.find((e) => e.action === 'contact.erase' && e.outcome === 'success');
    expect(record).toMatchObject({ targetId: p.contactId, details: { conversations: 1, messages: 1 } });
    expect(JSON.stringify(audit)).not.toMatch(/Erasmus|delete my data/);
    expect((await h.app.store.audit.verify()).ok).toBe(true);
  });

  it('deletes message content past the retention period, except under legal hold', async () => {
    const kept = await patient('Helda Onhold', 'Held message');
    const gone = await patient('Olaf Expired', 'Old message');
    await h.app.store.records.setLegalHold(h.inbox.orgId, kept.contactId, { reason: 'court order', at: Date.now() });
    expect((await admin.client.call('PUT', '/api/admin/retention', { retentionDays: 30 })).status).toBe(200);
    const later = new RecordsService(h.app.store, new AuditTrail(createLogger('silent')), () => Date.now() + 31 * 86_400_000);
    expect(await later.sweep()).toBe(1);
    expect(await h.app.store.inbox.contactHistory(h.inbox.orgId, gone.contactId, 10)).toEqual([]);
    expect((await h.app.store.inbox.contactHistory(h.inbox.orgId, kept.contactId, 10)).map((m) => m.body)).toEqual(['Held message']);
    expect(await actions()).toContain('retention.sweep');
    expect((await admin.client.call('PUT', '/api/admin/retention', { retentionDays: 3 })).status).toBe(400);
  });

  it('keeps consent records with the wording shown, newest last', async () => {
    const p = await patient('Connie Sent', 'Can you text me?');
    const agent = await enrolStaff(h, 'agent');
    const wording = 'Text messages are not encrypted; others could read them. Reply STOP to stop.';
    expect((await agent.client.post(`/api/contacts/${p.contactId}/consents`, { channel: 'sms', granted: true, wording })).status).toBe(201);
    await agent.client.post(`/api/contacts/${p.contactId}/consents`, { channel: 'sms', granted: false, wording });
    const list = await agent.client.get<{ items: Array<{ granted: boolean; wording: string; recordedBy: string }> }>(`/api/contacts/${p.contactId}/consents`);
    expect(list.body.items.map((c) => c.granted)).toEqual([true, false]);
    expect(list.body.items[0]).toMatchObject({ wording, recordedBy: agent.staffId });
    expect((await agent.client.post(`/api/contacts/${p.contactId}/consents`, { channel: 'fax', granted: true, wording })).status).toBe(400);
  });

  it('destroys an organization\'s keys when it is deleted, so its ciphertext is gone for good', async () => {
    const p = await patient('Shreddie Keys', 'Crypto-shredded message');
    const file = join(h.app.config.dataDir, 'bedside.sqlite');
    const keysOf = () => {
      const raw = new SqliteDatabase(file, { readonly: true });
      const n = (raw.prepare('SELECT count(*) AS n FROM data_keys WHERE org_id = ?').get(h.inbox.orgId) as { n: number }).n;
      raw.close();
      return n;
    };
    expect(keysOf()).toBe(2); // the data key and the blind-index key
    await h.app.store.records.deleteOrganization(h.inbox.orgId);
    expect(keysOf()).toBe(0);
    expect(await h.app.store.getOrganization(h.inbox.orgId)).toBeUndefined();
    expect(await h.app.store.getContact(h.inbox.orgId, p.contactId)).toBeUndefined();
  });
});
