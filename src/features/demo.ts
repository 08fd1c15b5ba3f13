/** The demo practice created on first start, so a newcomer sees the product before configuring it. */
import type { Inbox, Organization } from '../domain/types.ts';
import type { Store } from '../store/types.ts';
import type { Actor } from './audit.ts';
import { ensureChannelInbox } from './channel-inboxes.ts';
import { createPractice } from './practices.ts';
import type { StaffAuth } from './staff-auth.ts';

export { DEFAULT_INBOX_SETTINGS } from './practices.ts';

export const DEMO_OWNER_EMAIL = 'owner@demo.bedside.test';
const DEMO_SLUG = 'demo';
const SYSTEM: Actor = { type: 'system', id: null, orgId: null, ip: null };

export async function seedDemoPractice(store: Store, auth: StaffAuth): Promise<{ org: Organization; inbox: Inbox } | undefined> {
  if ((await store.countOrganizations()) > 0) return undefined;
  try {
    const { org, inbox } = await createPractice(store, auth, undefined, {
      name: 'Riverside Family Practice (demo)', slug: DEMO_SLUG, inboxName: 'Riverside Family Practice',
      owner: { email: DEMO_OWNER_EMAIL, displayName: 'Demo Owner' },
    }, SYSTEM);
    return { org, inbox };
  } catch (err) {
    // Nodes starting together on an empty database all see no practice; the unique slug lets one
    // create it, and the others start with the winner's (its owner link is printed by that node).
    if (await store.findOrganizationBySlug(DEMO_SLUG)) return undefined;
    throw err;
  }
}

/** While the demo owner has not enrolled, every start prints a fresh enrolment link. */
export async function demoEnrolmentLink(store: Store, auth: StaffAuth): Promise<string | undefined> {
  const owner = await store.auth.findAccountByEmail(DEMO_OWNER_EMAIL);
  if (!owner || owner.status !== 'invited') return undefined;
  return (await auth.reissueEnrolment(owner.orgId, owner.id, SYSTEM)).enrolmentUrl;
}

/** With Twilio configured, the (first) practice gets an inbox for text messages. */
export function ensureSmsInbox(store: Store): Promise<Inbox | undefined> {
  return ensureChannelInbox(store, 'sms', 'Text messages');
}

/** With e-mail configured, the (first) practice gets an inbox for e-mail. */
export function ensureEmailInbox(store: Store): Promise<Inbox | undefined> {
  return ensureChannelInbox(store, 'email', 'E-mail');
}
