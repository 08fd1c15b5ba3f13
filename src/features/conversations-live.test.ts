import { describe, expect, it } from 'vitest';
import { testMasterKey } from '../../test/support/keys.ts';
import { MemoryBus } from '../bus/memory-bus.ts';
import { topics } from '../bus/types.ts';
import type { Inbox } from '../domain/types.ts';
import { openSqliteStore } from '../store/sqlite/open.ts';
import { ConversationService } from './conversations.ts';
import { recordOf } from './recent-messages.ts';

const inbox: Inbox = {
  id: 'ibx_live', orgId: 'org_live', name: 'Web', channel: 'web', publicKey: 'pk_live',
  settings: { greeting: 'Hi', color: '#000000', preChat: { enabled: false, fields: [] } }, createdAt: 1,
};

/** The in-process bus, or one that (like Redis) hands subscribers a copy of each event. */
class CopyingBus extends MemoryBus {
  override readonly deliversPublishedObject: boolean = false;
  override publish(topic: string, event: unknown): Promise<void> {
    return super.publish(topic, JSON.parse(JSON.stringify(event)));
  }
}

async function setUp(copying: boolean) {
  const store = await openSqliteStore(':memory:', testMasterKey());
  await store.createOrganization({ id: inbox.orgId, name: 'Live', slug: 'live', createdAt: 1 });
  await store.createInbox(inbox);
  const bus = copying ? new CopyingBus() : new MemoryBus();
  const service = new ConversationService(store, bus, { slackEnabledFor: () => false, onJobsQueued: () => undefined });
  const seen: unknown[] = [];
  await bus.subscribe(topics.org(inbox.orgId), (e) => seen.push(e));
  const message = (body: string, clientId: string) => service.receivePatientMessage({ inbox, identity: { channel: 'web', externalId: 'visitor-1' }, body, clientId });
  return { store, service, seen, message };
}

describe('a new message reaching the live fan-out of its own process', () => {
  it('travels on its event with the in-process bus, and is not kept in memory after', async () => {
    const { store, service, seen, message } = await setUp(false);
    const { message: m } = await message('Synthetic patient asks about Tuesday', 'c1');
    const created = seen.find((e) => (e as { type: string }).type === 'message.created');
    expect(recordOf(created)?.message).toMatchObject({ id: m.id, body: 'Synthetic patient asks about Tuesday' });
    expect(recordOf(created)?.opensConversation).toBe(true);
    expect(service.recent.get(inbox.orgId, m.id)).toBeUndefined();
    // What a bus between nodes would carry: ids only, never the text.
    expect(JSON.stringify(created)).not.toContain('Tuesday');
    await store.close();
  });

  it('is kept in the recent cache for a bus whose events leave the process', async () => {
    const { store, service, seen, message } = await setUp(true);
    const { message: m } = await message('Synthetic patient asks about Friday', 'c2');
    expect(recordOf(seen.find((e) => (e as { type: string }).type === 'message.created'))).toBeUndefined();
    expect(service.recent.get(inbox.orgId, m.id)?.message.body).toBe('Synthetic patient asks about Friday');
    await store.close();
  });
});
