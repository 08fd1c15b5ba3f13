import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { firstThread, SLACK, STAFF, startHarness, type Harness } from '../support/harness.ts';
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
