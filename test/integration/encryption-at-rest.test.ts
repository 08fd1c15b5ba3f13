import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, firstThread, SLACK, STAFF, startHarness, type Harness } from '../support/harness.ts';
import { startDataKeyRotation } from '../../src/features/key-rotation.ts';
import SqliteDatabase from 'better-sqlite3';
import { enrolStaff } from '../support/staff.ts';
import { WidgetClient } from '../support/widget-client.ts';

const PATIENT = { name: 'Quilla Vantrexa', email: 'quilla.vantrexa@example.test', phone: '+1 555 0100 4242' };
const MARKER = 'Zebrafinch marker sentence about my medication';
const REPLY = 'Quokkaberry reply from the nurse';

let h: Harness | undefined;
afterEach(async () => { await h?.close(); h = undefined; });

/** Every byte Bedside keeps under DATA_DIR: the database, its WAL and shared memory, keys. */
function rawData(dir: string): string {
  return readdirSync(dir).map((f) => readFileSync(join(dir, f)).toString('latin1')).join('\n');
}

describe('encryption at rest', () => {
  it('keeps names, numbers, e-mails and message text out of the database files, yet the inbox reads them', async () => {
    h = await startHarness({ env: { SLACK_CONTENT: 'full' } });
    const harness = h;
    const visitor = await WidgetClient.connect(harness.wsUrl, harness.inbox.publicKey);
    await visitor.hello();
    visitor.send({ type: 'profile', profile: PATIENT });
    await visitor.next('profile_saved');
    await visitor.say(MARKER);
    const threadTs = await firstThread(harness);
    await harness.slack.staffReply({ channel: SLACK.channelId, threadTs, user: STAFF.id, text: REPLY });
    await visitor.next('message', 0, (f) => f.message.body === REPLY);

    const dir = harness.app.config.dataDir;
    const bytes = rawData(dir);
    expect(bytes.length).toBeGreaterThan(10_000);
    for (const secret of [PATIENT.name, PATIENT.email, '5550100', '555 0100 4242', 'Zebrafinch', 'Quokkaberry', 'Vantrexa']) {
      expect(bytes.includes(secret), `${secret} found in the data files`).toBe(false);
    }

    // Staff still see everything, decrypted, and can find the patient by a word of a message.
    const agent = await enrolStaff(harness, 'agent');
    const list = await agent.client.get<{ items: Array<{ id: string; contact: { displayName: string }; preview: string }> }>('/api/conversations');
    expect(list.body.items[0]).toMatchObject({ contact: { displayName: PATIENT.name }, preview: REPLY });
    const detail = await agent.client.get<{ contact: { email: string; phone: string }; messages: Array<{ body: string }> }>(`/api/conversations/${list.body.items[0]?.id}`);
    expect(detail.body.contact).toMatchObject({ email: PATIENT.email, phone: PATIENT.phone });
    expect(detail.body.messages.map((m) => m.body)).toEqual([MARKER, REPLY]);
    const found = await agent.client.get<{ items: Array<{ message: { body: string } }> }>('/api/search?q=zebrafinch%20MEDICATION');
    expect(found.body.items.map((i) => i.message.body)).toEqual([MARKER]);
    expect((await agent.client.get<{ items: unknown[] }>('/api/search?q=zebrafinch%20nothing')).body.items).toEqual([]);

    // Contact look-up by phone or e-mail goes through blind indexes.
    const byPhone = await harness.app.store.findContactsByEmailOrPhone(harness.inbox.orgId, { phone: '+15550100 4242' });
    expect(byPhone.map((c) => c.displayName)).toEqual([PATIENT.name]);
    await visitor.close();
  });
});

describe('data-key rotation', () => {
  it('re-encrypts every record under the new key in the background, and the history stays readable', async () => {
    h = await startHarness({ slack: false });
    const harness = h;
    const visitor = await WidgetClient.connect(harness.wsUrl, harness.inbox.publicKey);
    await visitor.hello();
    visitor.send({ type: 'profile', profile: { name: 'Rotating Patient', phone: '+1 555 0100 1234' } });
    await visitor.next('profile_saved');
    for (const text of ['first before rotation', 'second before rotation']) await visitor.say(text);
    const orgId = harness.inbox.orgId;
    const contactId = (await harness.app.store.inbox.listConversations({ orgId, staffId: 'none', status: 'all', assignee: 'any', limit: 1 }))[0]!.contactId;
    await harness.app.store.records.setDateOfBirth(orgId, contactId, '1970-01-31');
    await harness.app.store.records.setLegalHold(orgId, contactId, { reason: 'Litigation hold 2026-17', at: Date.now() });
    const message = (await harness.app.store.listContactMessagesAfter(orgId, harness.inbox.id, contactId, 0, 1))[0]!;
    await harness.app.store.attachments.insert({ id: 'att_rotating', orgId, messageId: message.id, filename: 'scan.pdf', contentType: 'application/pdf', data: Buffer.from('%PDF-1.4 rotating'), createdAt: Date.now() });

    const { version } = await startDataKeyRotation(harness.app.store, harness.inbox.orgId);
    expect(version).toBe(2);
    harness.app.worker.wake();
    await eventually(async () => (await harness.app.store.audit.list(harness.inbox.orgId, 50)).some((e) => e.action === 'keys.rotate_data'), 10_000);
    await visitor.say('after rotation');

    const raw = new SqliteDatabase(join(harness.app.config.dataDir, 'bedside.sqlite'), { readonly: true });
    const bodies = raw.prepare('SELECT body FROM messages').all() as Array<{ body: string }>;
    const names = raw.prepare('SELECT display_name, phone FROM contacts WHERE display_name IS NOT NULL').all() as Array<{ display_name: string; phone: string }>;
    const keys = raw.prepare("SELECT version, retired_at FROM data_keys WHERE purpose = 'data' ORDER BY version").all() as Array<{ version: number; retired_at: number | null }>;
    const sealedElsewhere = raw.prepare("SELECT date_of_birth AS v FROM contacts WHERE date_of_birth IS NOT NULL UNION ALL SELECT legal_hold_reason FROM contacts WHERE legal_hold_reason IS NOT NULL UNION ALL SELECT data FROM attachments UNION ALL SELECT filename FROM attachments").all() as Array<{ v: string }>;
    raw.close();
    expect(sealedElsewhere.map((r) => r.v.slice(0, 5))).toEqual(['e1.2.', 'e1.2.', 'e1.2.', 'e1.2.']);
    expect(await harness.app.store.records.dateOfBirth(orgId, contactId)).toBe('1970-01-31');
    expect((await harness.app.store.records.legalHold(orgId, contactId))?.reason).toBe('Litigation hold 2026-17');
    expect((await harness.app.store.attachments.get(orgId, 'att_rotating'))?.data.toString()).toBe('%PDF-1.4 rotating');
    expect(bodies.map((b) => b.body.slice(0, 5))).toEqual(['e1.2.', 'e1.2.', 'e1.2.']);
    expect(names.every((n) => n.display_name.startsWith('e1.2.') && n.phone.startsWith('e1.2.'))).toBe(true);
    expect(keys.map((k) => [k.version, k.retired_at !== null])).toEqual([[1, true], [2, false]]);

    const agent = await enrolStaff(harness, 'agent');
    const list = await agent.client.get<{ items: Array<{ id: string; contact: { displayName: string } }> }>('/api/conversations');
    const detail = await agent.client.get<{ messages: Array<{ body: string }> }>(`/api/conversations/${list.body.items[0]?.id}`);
    expect(list.body.items[0]?.contact.displayName).toBe('Rotating Patient');
    expect(detail.body.messages.map((m) => m.body)).toEqual(['first before rotation', 'second before rotation', 'after rotation']);
    await visitor.close();
  });
});
