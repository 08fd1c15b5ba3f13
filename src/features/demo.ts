/** The demo practice created on first start, so a newcomer sees the product before configuring it. */
import { newId, newPublicKey } from '../domain/ids.ts';
import type { Inbox, Organization } from '../domain/types.ts';
import type { Store } from '../store/types.ts';
import type { Actor } from './audit.ts';
import { createPractice, DEFAULT_INBOX_SETTINGS } from './practices.ts';
import type { StaffAuth } from './staff-auth.ts';

export { DEFAULT_INBOX_SETTINGS } from './practices.ts';

export const DEMO_OWNER_EMAIL = 'owner@demo.bedside.test';
const SYSTEM: Actor = { type: 'system', id: null, orgId: null, ip: null };

export async function seedDemoPractice(store: Store, auth: StaffAuth): Promise<{ org: Organization; inbox: Inbox } | undefined> {
  if ((await store.countOrganizations()) > 0) return undefined;
  const { org, inbox } = await createPractice(store, auth, undefined, {
    name: 'Riverside Family Practice (demo)', slug: 'demo', inboxName: 'Riverside Family Practice',
    owner: { email: DEMO_OWNER_EMAIL, displayName: 'Demo Owner' },
  }, SYSTEM);
  return { org, inbox };
}

/** While the demo owner has not enrolled, every start prints a fresh enrolment link. */
export async function demoEnrolmentLink(store: Store, auth: StaffAuth): Promise<string | undefined> {
  const owner = await store.auth.findAccountByEmail(DEMO_OWNER_EMAIL);
  if (!owner || owner.status !== 'invited') return undefined;
  return (await auth.reissueEnrolment(owner.orgId, owner.id, SYSTEM)).enrolmentUrl;
}

/** With Twilio configured, the (first) practice gets an inbox for text messages. */
export async function ensureSmsInbox(store: Store): Promise<Inbox | undefined> {
  const org = (await store.listOrganizations())[0];
  if (!org) return undefined;
  const existing = (await store.listInboxes(org.id)).find((i) => i.channel === 'sms');
  if (existing) return existing;
  const inbox: Inbox = {
    id: newId('ibx'), orgId: org.id, name: 'Text messages', channel: 'sms', publicKey: newPublicKey(),
    settings: DEFAULT_INBOX_SETTINGS, createdAt: Date.now(),
  };
  await store.createInbox(inbox);
  return inbox;
}

/** With e-mail configured, the (first) practice gets an inbox for e-mail. */
export async function ensureEmailInbox(store: Store): Promise<Inbox | undefined> {
  const org = (await store.listOrganizations())[0];
  if (!org) return undefined;
  const existing = (await store.listInboxes(org.id)).find((i) => i.channel === 'email');
  if (existing) return existing;
  const inbox: Inbox = {
    id: newId('ibx'), orgId: org.id, name: 'E-mail', channel: 'email', publicKey: newPublicKey(),
    settings: DEFAULT_INBOX_SETTINGS, createdAt: Date.now(),
  };
  await store.createInbox(inbox);
  return inbox;
}
