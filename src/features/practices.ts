/**
 * Creating a practice (organization): its own data key, a website inbox, and an owner account
 * with a one-time enrolment link. Used by the demo seed and by `npx bedside orgs add`.
 */
import { newId, newPublicKey } from '../domain/ids.ts';
import type { Inbox, InboxSettings, Organization } from '../domain/types.ts';
import { AppError } from '../errors.ts';
import type { Store } from '../store/types.ts';
import type { Actor, AuditTrail } from './audit.ts';
import type { StaffAuth } from './staff-auth.ts';
import { withFields } from '../domain/with-fields.ts';

export const DEFAULT_INBOX_SETTINGS: InboxSettings = {
  greeting: 'Hi! Ask us anything about appointments, directions or billing. We usually reply within a few minutes.',
  color: '#0f766e',
  preChat: { enabled: false, fields: ['name', 'email', 'phone'] },
};

export const SLUG_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/;

/** "St. Mary's Clinic" -> "st-marys-clinic". */
export function slugFor(name: string): string {
  return name.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/['’]/g, '')
    .replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40).replace(/-+$/, '');
}

export interface NewPractice {
  name: string;
  slug?: string;
  inboxName?: string;
  owner?: { email: string; displayName?: string };
}

export interface CreatedPractice {
  org: Organization;
  inbox: Inbox;
  owner: { email: string; enrolmentUrl: string; expiresAt: number } | undefined;
}

export async function createPractice(
  store: Store, auth: StaffAuth, audit: AuditTrail | undefined, input: NewPractice, actor: Actor,
): Promise<CreatedPractice> {
  const name = input.name.trim();
  if (!name || name.length > 120) throw new AppError('invalid_name', 400, 'The practice name must be 1 to 120 characters');
  const slug = input.slug ?? slugFor(name);
  if (!SLUG_PATTERN.test(slug)) throw new AppError('invalid_slug', 400, 'The slug must be 1 to 40 lowercase letters, digits and inner hyphens');
  if (await store.findOrganizationBySlug(slug)) throw new AppError('slug_taken', 409, `An organization with slug "${slug}" already exists`);
  if (input.owner && await store.auth.findAccountByEmail(input.owner.email.trim().toLowerCase())) {
    throw new AppError('email_taken', 409, 'An account with this e-mail address already exists');
  }
  const now = Date.now();
  const org: Organization = { id: newId('org'), name, slug, createdAt: now };
  const inbox: Inbox = {
    id: newId('ibx'), orgId: org.id, name: input.inboxName ?? name, channel: 'web', publicKey: newPublicKey(),
    settings: DEFAULT_INBOX_SETTINGS, createdAt: now,
  };
  await store.transaction(async (tx) => {
    await tx.createOrganization(org);
    await tx.createInbox(inbox);
    if (audit) {
      await audit.record(tx, withFields(actor, { orgId: org.id }), 'organization.create', 'success', { type: 'organization', id: org.id, orgId: org.id }, { slug });
    }
  });
  // The practice's own data key (version 1), made now rather than on its first record.
  await store.rotateDataKey(org.id);
  const owner = input.owner
    ? await auth.createAccount({ orgId: org.id, email: input.owner.email, role: 'owner', ...(input.owner.displayName ? { displayName: input.owner.displayName } : {}) }, withFields(actor, { orgId: org.id }))
    : undefined;
  return { org, inbox, owner: owner && { email: owner.account.email ?? input.owner?.email ?? '', enrolmentUrl: owner.enrolmentUrl, expiresAt: owner.expiresAt } };
}
