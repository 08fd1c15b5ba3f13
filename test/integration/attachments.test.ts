import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventually, startHarness, TWILIO, type Harness } from '../support/harness.ts';
import { enrolStaff } from '../support/staff.ts';
import type { TwilioEmulator } from '../emulators/twilio/index.ts';

const PATIENT = '+14155550177';
// A real (1x1) PNG, with a marker after the image data that must never be readable in the database file.
const MARKER = 'ATTACHMENT-MARKER-7f3e';
const PNG = Buffer.concat([
  Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000' + '1f15c4890000000d49444154789c6360000002000100' + 'e221bc330000000049454e44ae426082', 'hex'),
  Buffer.from(MARKER),
]);

interface Detail { messages: Array<{ id: number; body: string; attachments: Array<{ id: string; filename: string; contentType: string; size: number }> }> }

let h: Harness;
let twilio: TwilioEmulator;
let dataDir: string;

beforeEach(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'bedside-att-'));
  h = await startHarness({ twilio: true, dataDir, env: { ATTACHMENT_MAX_BYTES: '4096' } });
  twilio = h.twilio as TwilioEmulator;
});
afterEach(async () => {
  await h.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function onlyConversation(agent: Awaited<ReturnType<typeof enrolStaff>>): Promise<string> {
  return eventually(async () => {
    const r = await agent.client.get<{ items: Array<{ id: string }> }>('/api/conversations');
    return r.body.items[0]?.id;
  });
}

describe('MMS pictures and files become attachments', () => {
  it('fetches allowed media with the account credentials, stores it sealed, and serves it to staff as a download', async () => {
    await twilio.sendSms({
      from: PATIENT, to: TWILIO.from, body: 'Photo of my rash',
      media: [{ contentType: 'image/png', data: PNG }, { contentType: 'application/zip', data: Buffer.from('PK\u0003\u0004 not opened') }],
    });
    const agent = await enrolStaff(h, 'agent');
    const id = await onlyConversation(agent);
    const message = await eventually(async () => {
      const d = await agent.client.get<Detail>(`/api/conversations/${id}`);
      const m = d.body.messages[0];
      return m && m.attachments.length === 1 ? m : undefined;
    });
    // The zip was never fetched (refused by type), and staff see why it is missing.
    expect(twilio.mediaFetches).toHaveLength(1);
    expect(message.body).toBe('Photo of my rash\n[Attachment refused: file 2 (type not allowed)]');
    expect(message.attachments[0]).toMatchObject({ filename: 'mms-1.png', contentType: 'image/png', size: PNG.length });

    const file = await fetch(`${h.url}/api/attachments/${message.attachments[0]?.id}`, { headers: { cookie: agent.client.cookie ?? '' } });
    expect(file.status).toBe(200);
    expect(file.headers.get('content-disposition')).toMatch(/^attachment; filename="mms-1.png"/);
    expect(file.headers.get('x-content-type-options')).toBe('nosniff');
    expect(Buffer.from(await file.arrayBuffer()).equals(PNG)).toBe(true);

    const downloads = (await h.app.store.audit.list(h.inbox.orgId, 100)).filter((e) => e.action === 'attachment.download');
    expect(downloads).toHaveLength(1);
    expect(downloads[0]).toMatchObject({ targetType: 'attachment', targetId: message.attachments[0]?.id });

    const raw = ['bedside.sqlite', 'bedside.sqlite-wal'].map((f) => {
      try { return readFileSync(join(dataDir, f)); } catch { return Buffer.alloc(0); }
    });
    for (const b of raw) expect(b.includes(MARKER)).toBe(false);
  });

  it('keeps nothing over the size cap, and a retried MMS webhook fetches and stores nothing twice', async () => {
    const big = Buffer.alloc(5000, 1);
    const first = await twilio.sendSms({ from: PATIENT, to: TWILIO.from, body: '', media: [{ contentType: 'image/jpeg', data: big }, { contentType: 'image/png', data: PNG }] });
    await twilio.resend(first);
    const agent = await enrolStaff(h, 'agent');
    const id = await onlyConversation(agent);
    const message = await eventually(async () => {
      const d = await agent.client.get<Detail>(`/api/conversations/${id}`);
      return d.body.messages.length === 1 && d.body.messages[0]?.attachments.length === 1 ? d.body.messages[0] : undefined;
    });
    expect(message.body).toBe('[MMS: 2 files]');
    expect(message.attachments.map((a) => a.filename)).toEqual(['mms-2.png']);
    await new Promise((r) => setTimeout(r, 300));
    expect((await agent.client.get<Detail>(`/api/conversations/${id}`)).body.messages[0]?.attachments).toHaveLength(1);
  });

  it('refuses unknown ids and callers without a session (other practices: tenant-isolation suite)', async () => {
    await twilio.sendSms({ from: PATIENT, to: TWILIO.from, body: 'x', media: [{ contentType: 'image/png', data: PNG }] });
    const agent = await enrolStaff(h, 'agent');
    const id = await onlyConversation(agent);
    const attachmentId = await eventually(async () => (await agent.client.get<Detail>(`/api/conversations/${id}`)).body.messages[0]?.attachments[0]?.id);

    expect((await fetch(`${h.url}/api/attachments/${attachmentId}`)).status).toBe(401);
    const unknown = await fetch(`${h.url}/api/attachments/att_nope`, { headers: { cookie: agent.client.cookie ?? '' } });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ error: { code: 'not_found', message: 'Attachment not found' } });
  });
});
