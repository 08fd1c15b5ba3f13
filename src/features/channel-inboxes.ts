/** With a messaging channel configured, the (first) practice gets an inbox for it, once. */
import { newId, newPublicKey } from '../domain/ids.ts';
import type { ChannelKind, Inbox } from '../domain/types.ts';
import type { Store } from '../store/types.ts';
import { DEFAULT_INBOX_SETTINGS } from './demo.ts';

export async function ensureChannelInbox(store: Store, channel: ChannelKind, name: string): Promise<Inbox | undefined> {
  const org = (await store.listOrganizations())[0];
  if (!org) return undefined;
  const existing = (await store.listInboxes(org.id)).find((i) => i.channel === channel);
  if (existing) return existing;
  const inbox: Inbox = {
    id: newId('ibx'), orgId: org.id, name, channel, publicKey: newPublicKey(), settings: DEFAULT_INBOX_SETTINGS, createdAt: Date.now(),
  };
  await store.createInbox(inbox);
  return inbox;
}
