/**
 * Administration: staff, inboxes, Slack and canned responses (admins and owners), the audit trail
 * and data retention (owners only).
 */
import { useEffect, useState } from 'preact/hooks';
import type { Session, SlackSettings } from '../api-types.ts';
import type { AdminPage as AdminPageName } from '../lib/routes.ts';
import { adminPagesFor, mayOpenAdminPage } from '../lib/routes.ts';
import { attestationKind } from '../lib/format.ts';
import { Announcer, useFocusHeading } from '../ui/bits.tsx';
import { api } from '../ui/client.ts';
import { Link } from '../ui/router.tsx';
import { AuditAdmin } from './admin-audit.tsx';
import { CannedAdmin } from './admin-canned.tsx';
import { InboxesAdmin } from './admin-inboxes.tsx';
import { RetentionAdmin } from './admin-retention.tsx';
import { SlackAdmin } from './admin-slack.tsx';
import { StaffAdmin } from './admin-staff.tsx';

export const ADMIN_TITLES: Record<AdminPageName, string> = {
  staff: 'Staff',
  inboxes: 'Inboxes',
  slack: 'Slack',
  'canned-responses': 'Canned responses',
  audit: 'Audit trail',
  retention: 'Data retention',
};

export interface AdminProps {
  session: Session;
  page: AdminPageName | null;
  inboxId: string | null;
}

export function AdminPage({ session, page, inboxId }: AdminProps) {
  const [slack, setSlack] = useState<SlackSettings | null>(null);
  const allowed = session.user.role === 'admin' || session.user.role === 'owner';
  const heading = useFocusHeading(page ?? 'none');
  // Owner-only pages: admins get the same answer as agents get for the whole section.
  const pageAllowed = page === null || mayOpenAdminPage(session.user.role, page);

  useEffect(() => {
    document.title = `${!allowed || !pageAllowed ? 'No access' : page ? ADMIN_TITLES[page] : 'Not found'} · Administration · Bedside`;
  }, [page]);
  useEffect(() => {
    if (allowed) api<SlackSettings>('GET', '/api/admin/slack').then(setSlack, () => {});
  }, []);

  if (!allowed) {
    return (
      <main id="main" tabIndex={-1} class="admin-main solo">
        <h1 ref={heading} tabIndex={-1}>You don’t have access</h1>
        <p>Administration is for your practice’s admins and owners. Ask one of them if something needs changing.</p>
        <p><Link href="/inbox">Back to the inbox</Link></p>
      </main>
    );
  }

  return (
    <div class="admin">
      <nav class="adminnav" aria-label="Administration">
        <ul>
          {adminPagesFor(session.user.role).map((p) => (
            <li key={p}>
              <Link href={`/admin/${p}`} aria-current={p === page ? 'page' : undefined}>{ADMIN_TITLES[p]}</Link>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" tabIndex={-1} class="admin-main">
        {slack?.workspace?.status === 'disconnected' && page !== 'slack' && (
          <div class="banner warn" role="alert">
            <p><strong>Slack disconnected.</strong> Nothing is posted to Slack until it is added again. <Link href="/admin/slack">Open the Slack settings</Link></p>
          </div>
        )}
        {slack?.contentMode === 'full' && (
          <div class="banner warn">
            <strong>Slack full content mode is on.</strong> Patient messages, names and numbers are copied to Slack
            {attestationKind(slack.attestation) === 'baa'
              ? ' (attested: the workspace is covered by a signed BAA).'
              : attestationKind(slack.attestation) === 'no_phi'
                ? ' (attested: the inbox carries no PHI).'
                : '.'}{' '}
            {page !== 'slack' && <Link href="/admin/slack">Review Slack settings</Link>}
          </div>
        )}
        {!pageAllowed && (
          <>
            <h1 ref={heading} tabIndex={-1}>You don’t have access</h1>
            <p>The audit trail and data retention are for your practice’s owners. Ask one of them if something there needs checking or changing.</p>
            <p><Link href="/admin/staff">Back to staff administration</Link></p>
          </>
        )}
        {page === 'staff' && <StaffAdmin session={session} heading={heading} />}
        {page === 'inboxes' && <InboxesAdmin inboxId={inboxId} heading={heading} />}
        {page === 'slack' && <SlackAdmin heading={heading} slack={slack} onChange={setSlack} />}
        {page === 'canned-responses' && <CannedAdmin heading={heading} />}
        {pageAllowed && page === 'audit' && <AuditAdmin heading={heading} />}
        {pageAllowed && page === 'retention' && <RetentionAdmin heading={heading} />}
        {page === null && (
          <>
            <h1 ref={heading} tabIndex={-1}>Page not found</h1>
            <p><Link href="/admin/staff">Go to staff administration</Link></p>
          </>
        )}
        <Announcer />
      </main>
    </div>
  );
}

export type HeadingRef = { current: HTMLHeadingElement | null };
