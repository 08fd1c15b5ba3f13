import { useEffect, useRef, useState } from 'preact/hooks';
import type { AdminUser, CreateUserResponse, EnrolmentLink, ItemList, Role, Session, UpdateUserResponse } from '../api-types.ts';
import { errorMessage } from '../lib/api.ts';
import { ROLE_LABELS } from '../lib/format.ts';
import { fullDateTime, hoursUntil, relativeTime } from '../lib/time.ts';
import { announce, CopyButton, ErrorBox, FieldError } from '../ui/bits.tsx';
import { api } from '../ui/client.ts';
import { ConfirmDialog } from '../ui/dialog.tsx';
import { staffList } from '../ui/directory.ts';
import type { HeadingRef } from './admin.tsx';

const STATUS_LABELS: Record<string, string> = { invited: 'Invited', active: 'Active', disabled: 'Disabled' };

interface IssuedLink extends EnrolmentLink {
  email: string;
  kind: 'invite' | 'reset';
}

type Pending = { kind: 'disable' | 'enable' | 'reset'; user: AdminUser } | null;

export function StaffAdmin({ session, heading }: { session: Session; heading: HeadingRef }) {
  const [users, setUsers] = useState<AdminUser[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [issued, setIssued] = useState<IssuedLink | null>(null);
  const [confirm, setConfirm] = useState<Pending>(null);
  const [busy, setBusy] = useState(false);
  const owner = session.user.role === 'owner';

  const load = () =>
    api<ItemList<AdminUser>>('GET', '/api/admin/users').then(
      (r) => setUsers(r.items),
      (err) => setError(errorMessage(err)),
    );
  useEffect(() => {
    void load();
  }, []);

  const replace = (u: AdminUser) => {
    setUsers((list) => (list ? list.map((x) => (x.id === u.id ? u : x)) : list));
    void staffList.load(true).catch(() => {});
  };

  const changeRole = async (u: AdminUser, role: Role) => {
    setError(null);
    try {
      const r = await api<UpdateUserResponse>('PATCH', `/api/admin/users/${encodeURIComponent(u.id)}`, { body: { role } });
      replace(r.user);
      announce(`${label(r.user)} is now ${ROLE_LABELS[r.user.role].toLowerCase()}.`);
    } catch (err) {
      setError(errorMessage(err));
      void load();
    }
  };

  const runConfirmed = async () => {
    if (!confirm) return;
    const { kind, user } = confirm;
    setBusy(true);
    setError(null);
    try {
      const path = `/api/admin/users/${encodeURIComponent(user.id)}`;
      if (kind === 'reset') {
        const r = await api<EnrolmentLink>('POST', `${path}/enrolment`);
        setIssued({ ...r, email: user.email ?? label(user), kind: 'reset' });
        void load();
      } else {
        const r = await api<UpdateUserResponse>('PATCH', path, { body: { disabled: kind === 'disable' } });
        replace(r.user);
        announce(kind === 'disable' ? `${label(user)} is disabled.` : `${label(user)} is enabled again.`);
      }
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
      setConfirm(null);
    }
  };

  return (
    <>
      <h1 ref={heading} tabIndex={-1}>Staff</h1>
      {error && <ErrorBox>{error}</ErrorBox>}
      {issued && <LinkPanel link={issued} onDone={() => setIssued(null)} />}
      <InviteForm
        owner={owner}
        onIssued={(r, email) => {
          setIssued({ enrolmentUrl: r.enrolmentUrl, expiresAt: r.expiresAt, email, kind: 'invite' });
          setUsers((list) => (list ? [...list.filter((x) => x.id !== r.user.id), r.user] : list));
        }}
      />
      <h2>Accounts</h2>
      {!users && !error && <p role="status">Loading staff…</p>}
      {users && (
        <div class="tablewrap">
          <table class="grid">
            <caption class="sr">Staff accounts</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Role</th>
                <th scope="col">Status</th>
                <th scope="col">Two-step</th>
                <th scope="col">Last sign-in</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {users.map((u) => {
                const me = u.id === session.user.id;
                // Admins cannot manage owners; nobody changes their own role or disables themselves.
                const locked = me || (u.role === 'owner' && !owner);
                const disabled = u.status === 'disabled';
                return (
                  <tr key={u.id}>
                    <th scope="row">
                      {u.displayName || <span class="muted">No name yet</span>}
                      {me && ' (you)'}
                      <br />
                      <span class="muted">{u.email ?? 'No email'}</span>
                    </th>
                    <td>
                      {locked ? (
                        ROLE_LABELS[u.role]
                      ) : (
                        <select aria-label={`Role for ${label(u)}`} value={u.role} onChange={(e) => void changeRole(u, e.currentTarget.value as Role)}>
                          <option value="agent">Agent</option>
                          <option value="admin">Admin</option>
                          {(owner || u.role === 'owner') && <option value="owner">Owner</option>}
                        </select>
                      )}
                    </td>
                    <td>{STATUS_LABELS[u.status] ?? u.status}</td>
                    <td>{u.mfaEnrolled ? 'Set up' : 'Not set up'}</td>
                    <td>
                      {u.lastLoginAt ? <time dateTime={u.lastLoginAt} title={fullDateTime(u.lastLoginAt)}>{relativeTime(u.lastLoginAt, Date.now())}</time> : <span class="muted">Never</span>}
                    </td>
                    <td class="acts">
                      {!locked && (
                        <>
                          <button type="button" class="btn small" onClick={() => setConfirm({ kind: disabled ? 'enable' : 'disable', user: u })}>
                            {disabled ? 'Enable' : 'Disable'}
                            <span class="sr"> {label(u)}</span>
                          </button>
                          <button type="button" class="btn small" onClick={() => setConfirm({ kind: 'reset', user: u })}>
                            New enrolment link<span class="sr"> for {label(u)}</span>
                          </button>
                        </>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {confirm && (
        <ConfirmDialog
          title={confirm.kind === 'disable' ? `Disable ${label(confirm.user)}?` : confirm.kind === 'enable' ? `Enable ${label(confirm.user)}?` : `New enrolment link for ${label(confirm.user)}?`}
          confirmLabel={confirm.kind === 'disable' ? 'Disable account' : confirm.kind === 'enable' ? 'Enable account' : 'Reset and create link'}
          danger={confirm.kind !== 'enable'}
          busy={busy}
          onConfirm={() => void runConfirmed()}
          onCancel={() => setConfirm(null)}
        >
          <p>
            {confirm.kind === 'disable'
              ? 'They are signed out everywhere at once and cannot sign in until the account is enabled again. Their conversations stay as they are.'
              : confirm.kind === 'enable'
                ? 'They will be able to sign in again with their password and authenticator app.'
                : 'Their password and two-step verification are reset now: they cannot sign in until they complete the new link.'}
          </p>
        </ConfirmDialog>
      )}
    </>
  );
}

function label(u: AdminUser): string {
  return u.displayName || u.email || u.id;
}

function InviteForm({ owner, onIssued }: { owner: boolean; onIssued: (r: CreateUserResponse, email: string) => void }) {
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('agent');
  const [name, setName] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    if (busy) return;
    const addr = email.trim();
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(addr)) {
      setError('Enter an email address like name@example.com.');
      document.getElementById('invite-email')?.focus();
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const r = await api<CreateUserResponse>('POST', '/api/admin/users', { body: { email: addr, role, displayName: name.trim() || undefined } });
      onIssued(r, addr);
      setEmail('');
      setName('');
      setRole('agent');
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="panel" onSubmit={submit} noValidate aria-labelledby="invite-h">
      <h2 id="invite-h">Invite a colleague</h2>
      <div class="fields">
        <div class="fld">
          <label for="invite-email">Email</label>
          <input
            id="invite-email"
            type="email"
            autoComplete="off"
            required
            value={email}
            aria-invalid={error ? 'true' : undefined}
            aria-describedby={error ? 'invite-err' : undefined}
            onInput={(e) => setEmail(e.currentTarget.value)}
          />
        </div>
        <div class="fld">
          <label for="invite-name">Display name (optional)</label>
          <input id="invite-name" type="text" autoComplete="off" value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </div>
        <div class="fld">
          <label for="invite-role">Role</label>
          <select id="invite-role" value={role} onChange={(e) => setRole(e.currentTarget.value as Role)}>
            <option value="agent">Agent: conversations</option>
            <option value="admin">Admin: also staff, inboxes and Slack</option>
            {owner && <option value="owner">Owner: also owners and the audit trail</option>}
          </select>
        </div>
      </div>
      {error && <FieldError id="invite-err">{error}</FieldError>}
      <button type="submit" class="btn primary" aria-disabled={busy ? 'true' : undefined}>{busy ? 'Creating…' : 'Create enrolment link'}</button>
    </form>
  );
}

function LinkPanel({ link, onDone }: { link: IssuedLink; onDone: () => void }) {
  const hours = hoursUntil(link.expiresAt, Date.now());
  const h = useRef<HTMLHeadingElement>(null);
  useEffect(() => h.current?.focus(), [link]);
  return (
    <section class="panel issued" aria-labelledby="issued-h">
      <h2 id="issued-h" tabIndex={-1} ref={h}>
        {link.kind === 'invite' ? 'Invitation created' : 'New enrolment link created'}
      </h2>
      <p class="warn" id="issued-warn">
        Send this link to {link.email} only, through a channel you trust. It is valid for {hours} {hours === 1 ? 'hour' : 'hours'}
        {' '}(until {fullDateTime(link.expiresAt)}) and works once. It is not shown again.
      </p>
      <div class="fld">
        <label for="issued-url">Enrolment link</label>
        <div class="inline">
          <input id="issued-url" type="text" readOnly value={link.enrolmentUrl} aria-describedby="issued-warn" onFocus={(e) => e.currentTarget.select()} />
          <CopyButton text={link.enrolmentUrl} label="Copy link" />
        </div>
      </div>
      <button type="button" class="btn" onClick={onDone}>Done</button>
    </section>
  );
}
