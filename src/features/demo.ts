/** The demo practice created on first start, so a newcomer sees the product before configuring it. */
import { newId, newPublicKey } from '../domain/ids.ts';
import type { Inbox, InboxSettings, Organization } from '../domain/types.ts';
import type { Store } from '../store/types.ts';
import type { Actor } from './audit.ts';
import type { StaffAuth } from './staff-auth.ts';

export const DEFAULT_INBOX_SETTINGS: InboxSettings = {
  greeting: 'Hi! Ask us anything about appointments, directions or billing. We usually reply within a few minutes.',
  color: '#0f766e',
  preChat: { enabled: false, fields: ['name', 'email', 'phone'] },
};

export const DEMO_OWNER_EMAIL = 'owner@demo.bedside.test';
const SYSTEM: Actor = { type: 'system', id: null, orgId: null, ip: null };

export async function seedDemoPractice(store: Store, auth: StaffAuth): Promise<{ org: Organization; inbox: Inbox } | undefined> {
  if ((await store.countOrganizations()) > 0) return undefined;
  const now = Date.now();
  const org: Organization = { id: newId('org'), name: 'Riverside Family Practice (demo)', slug: 'demo', createdAt: now };
  const inbox: Inbox = {
    id: newId('ibx'), orgId: org.id, name: 'Riverside Family Practice', channel: 'web', publicKey: newPublicKey(),
    settings: DEFAULT_INBOX_SETTINGS, createdAt: now,
  };
  await store.transaction(async (tx) => {
    await tx.createOrganization(org);
    await tx.createInbox(inbox);
  });
  await auth.createAccount({ orgId: org.id, email: DEMO_OWNER_EMAIL, role: 'owner', displayName: 'Demo Owner' }, SYSTEM);
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
