/** With a messaging channel configured, the (first) practice gets an inbox for it, once. */
import { createHash } from 'node:crypto';
import type { ChannelKind, Inbox } from '../domain/types.ts';
import type { Store } from '../store/types.ts';
import { newPublicKey } from '../domain/ids.ts';
import { DEFAULT_INBOX_SETTINGS } from './practices.ts';

/**
 * The channel inbox's id follows from its practice and channel, so two nodes starting together
 * insert the same key: one insert wins, the other fails on the primary key and reads the winner's.
 */
export function channelInboxId(orgId: string, channel: ChannelKind): string {
  return `ibx_${createHash('sha256').update(`channel-inbox|${orgId}|${channel}`).digest('base64url').slice(0, 24)}`;
}

async function findChannelInbox(store: Store, orgId: string, channel: ChannelKind): Promise<Inbox | undefined> {
  return (await store.listInboxes(orgId)).find((i) => i.channel === channel);
}

export async function ensureChannelInbox(store: Store, channel: ChannelKind, name: string): Promise<Inbox | undefined> {
  const org = (await store.listOrganizations())[0];
  if (!org) return undefined;
  const existing = await findChannelInbox(store, org.id, channel);
  if (existing) return existing;
  const inbox: Inbox = {
    id: channelInboxId(org.id, channel), orgId: org.id, name, channel, publicKey: newPublicKey(), settings: DEFAULT_INBOX_SETTINGS, createdAt: Date.now(),
  };
  try {
    await store.createInbox(inbox);
  } catch (err) {
    // Another node created it between our look and our insert.
    const created = await findChannelInbox(store, org.id, channel);
    if (created) return created;
    throw err;
  }
  return inbox;
}
