import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/harness.ts';
import { enrolStaff, StaffClient } from '../support/staff.ts';
import { WidgetClient } from '../support/widget-client.ts';

let h: Harness | undefined;
afterEach(async () => { await h?.close(); h = undefined; });

describe('no PHI in logs from the staff inbox', () => {
  it('keeps e-mails, replies, notes, searches, exports and refused input out of the log', async () => {
    h = await startHarness();
    const harness = h;
    const markers = ['Pemberton Quasimodo', 'pemberton.q@example.test', 'Vortexamine 40mg', 'NOTEMARK-77', 'searchword-zyx', 'wrongpass-marker'];
    const v = await WidgetClient.connect(harness.wsUrl, harness.inbox.publicKey);
    await v.hello();
    v.send({ type: 'profile', profile: { name: markers[0], email: markers[1] } });
    await v.next('profile_saved');
    await v.say(`Question about ${markers[4]}`);
    const admin = await enrolStaff(harness, 'owner', 'phi-owner@clinic.test');
    const list = await admin.client.get<{ items: Array<{ id: string; contact: { id: string } }> }>('/api/conversations');
    const c = list.body.items[0]!;
    await admin.client.post(`/api/conversations/${c.id}/messages`, { body: `Take ${markers[2]}`, internal: false, clientId: 'phi-reply-0001' });
    await admin.client.post(`/api/conversations/${c.id}/messages`, { body: markers[3], internal: true, clientId: 'phi-note-00001' });
    await admin.client.get(`/api/search?q=${markers[4]}`);
    await admin.client.get(`/api/contacts/${c.contact.id}/export?format=json`);
    const bad = await admin.client.post(`/api/conversations/${c.id}/messages`, { body: markers[2], internal: 'yes', clientId: 'x' });
    expect(bad.status).toBe(400);
    await new StaffClient(harness.url).post('/api/auth/login', { email: markers[1], password: markers[5] });
    await admin.client.post('/api/admin/users', { email: markers[1], role: 'agent', displayName: markers[0] });
    await v.close();

    const logs = harness.logs();
    expect(logs).toContain('incoming request');
    for (const m of markers) expect(logs.toLowerCase(), m).not.toContain(m.toLowerCase());
    expect(JSON.stringify(bad.body)).not.toContain('Vortexamine');
  });
});
