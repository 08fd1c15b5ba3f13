import type { Inbox } from '../../src/domain/types.ts';
import type { Store } from '../../src/store/types.ts';

/** The website inbox of the practice `seedPractice` creates. */
export const WEB_INBOX: Inbox = {
  id: 'in_web', orgId: 'org_1', name: 'Website', channel: 'web', publicKey: 'pk_test',
  settings: { greeting: 'Hi', color: '#123456', preChat: { enabled: false, fields: [] } }, createdAt: 1,
};

/** One practice (`org_1`) with its website inbox, for tests that write patients' messages into a bare store. */
export async function seedPractice(store: Store): Promise<Inbox> {
  await store.createOrganization({ id: WEB_INBOX.orgId, name: 'Practice', slug: 'practice', createdAt: 1 });
  await store.createInbox(WEB_INBOX);
  return WEB_INBOX;
}
