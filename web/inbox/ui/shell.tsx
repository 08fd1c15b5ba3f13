/**
 * Everything around the signed-in screens: the session check, the live connection, automatic
 * logoff with its warning, the header with the account menu, and the shortcuts help.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { ServerFrame, Session } from '../api-types.ts';
import { ApiError, errorMessage } from '../lib/api.ts';
import { ROLE_LABELS } from '../lib/format.ts';
import { IdleTimer } from '../lib/idle.ts';
import type { LiveStatus } from '../lib/live.ts';
import { applyPresence, LiveConnection } from '../lib/live.ts';
import { staffList, useCached } from './directory.ts';
import { SHORTCUT_HELP } from '../lib/shortcuts.ts';
import { Dialog } from './dialog.tsx';
import { api, endReason, getSession, leaveToLogin, onServerResponse, onSessionChange, setActivityProbe, setSession } from './client.ts';
import type { Live } from './live-context.ts';
import { LiveContext, ShellContext } from './live-context.ts';
import { Link } from './router.tsx';

const clock = {
  now: () => Date.now(),
  setTimeout: (fn: () => void, ms: number) => window.setTimeout(fn, ms),
  clearTimeout: (h: unknown) => window.clearTimeout(h as number),
};

const channel: BroadcastChannel | null = typeof BroadcastChannel === 'function' ? new BroadcastChannel('bedside-staff') : null;
type TabMessage = { type: 'activity'; at: number } | { type: 'signed-out' };

function refreshSession(): Promise<Session | null> {
  return api<Session>('GET', '/api/auth/session').then((s) => {
    setSession(s);
    return s;
  }, () => null);
}

async function signOut(everywhere: boolean, reason: 'idle' | null): Promise<void> {
  try {
    await Promise.race([
      api('POST', everywhere ? '/api/auth/logout-all' : '/api/auth/logout'),
      new Promise((r) => setTimeout(r, 3000)),
    ]);
  } catch {
    // Leaving anyway: the server ends an abandoned session by itself.
  }
  channel?.postMessage({ type: 'signed-out' } satisfies TabMessage);
  leaveToLogin(reason, reason === 'idle');
}

export function useSession(): Session | null {
  const [s, setS] = useState(getSession());
  useEffect(() => onSessionChange(setS), []);
  return s;
}

/** Renders `children` once the session is known (fetching it on a fresh page load). */
export function SignedIn({ section, children }: { section: 'inbox' | 'admin'; children: (s: Session) => ComponentChildren }) {
  const session = useSession();
  const [failed, setFailed] = useState<string | null>(null);
  const check = () => {
    setFailed(null);
    api<Session>('GET', '/api/auth/session').then(setSession, (err: unknown) => {
      // A 401 has already sent the page to sign-in; anything else is worth saying.
      if (!(err instanceof ApiError && err.status === 401)) setFailed(errorMessage(err));
    });
  };
  useEffect(() => {
    if (!getSession()) check();
  }, []);
  if (!session) {
    return (
      <main id="main" class="boot">
        <h1 class="sr">Bedside</h1>
        {failed ? (
          <div class="errbox" role="alert">
            <p>{failed}</p>
            <button type="button" class="btn" onClick={check}>Try again</button>
          </div>
        ) : (
          <p role="status">Loading…</p>
        )}
      </main>
    );
  }
  return <Shell session={session} section={section}>{children(session)}</Shell>;
}

function Shell({ session, section, children }: { session: Session; section: 'inbox' | 'admin'; children: ComponentChildren }) {
  const [status, setStatus] = useState<LiveStatus>('connecting');
  const [online, setOnline] = useState<ReadonlySet<string>>(new Set());
  const [help, setHelp] = useState(false);
  const [warnUntil, setWarnUntil] = useState<number | null>(null);
  const idle = useRef<IdleTimer | null>(null);

  // The live connection, shared through context.
  const hub = useMemo(() => {
    const frames = new Set<(f: ServerFrame) => void>();
    const reconnects = new Set<() => void>();
    let lastCheck = 0;
    const url = `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/api/ws`;
    const conn = new LiveConnection({
      url,
      clock,
      socket: (u, h) => {
        const ws = new WebSocket(u);
        ws.onopen = h.open;
        ws.onmessage = (e) => h.message(typeof e.data === 'string' ? e.data : '');
        ws.onclose = (e) => h.close(e.code);
        return ws;
      },
      onFrame: (f) => {
        if (f.type === 'session.ended') {
          leaveToLogin(endReason(null));
          return;
        }
        setOnline((o) => applyPresence(o, f));
        for (const fn of frames) fn(f);
      },
      onStatus: setStatus,
      onReconnected: () => {
        for (const fn of reconnects) fn();
      },
      onDrop: (failures) => {
        // A socket refused over and over may mean the session is gone: ask once in a while.
        if (failures >= 2 && Date.now() - lastCheck > 10_000) {
          lastCheck = Date.now();
          void api('GET', '/api/auth/session', { background: true }).catch(() => {});
        }
      },
    });
    const live: Live = {
      send: (f) => conn.send(f),
      subscribe: (fn) => {
        frames.add(fn);
        return () => frames.delete(fn);
      },
      onReconnect: (fn) => {
        reconnects.add(fn);
        return () => reconnects.delete(fn);
      },
    };
    return { conn, live };
  }, []);

  useEffect(() => {
    hub.conn.start();
    const wake = () => hub.conn.wake();
    addEventListener('online', wake);
    return () => {
      removeEventListener('online', wake);
      hub.conn.stop();
    };
  }, [hub]);

  // Automatic logoff.
  useEffect(() => {
    const timer = new IdleTimer({
      timeoutSeconds: session.idleTimeoutSeconds,
      clock,
      onWarn: (left) => setWarnUntil(Date.now() + left * 1000),
      onExpire: () => {
        setWarnUntil(null);
        void signOut(false, 'idle');
      },
      onKeepAlive: () => void refreshSession(),
    });
    idle.current = timer;
    setActivityProbe(() => timer.lastActivityAt);
    let lastShared = 0;
    const onActivity = () => {
      const now = Date.now();
      timer.activity(now);
      if (channel && now - lastShared > 5000) {
        lastShared = now;
        channel.postMessage({ type: 'activity', at: now } satisfies TabMessage);
      }
    };
    const onTab = (e: MessageEvent<TabMessage>) => {
      if (e.data?.type === 'activity') timer.activity(e.data.at);
      else if (e.data?.type === 'signed-out') leaveToLogin(null);
    };
    // Not 'scroll': new messages scroll the log by themselves, and an unattended screen must still log off.
    const events = ['pointerdown', 'pointermove', 'keydown', 'wheel', 'touchstart'];
    for (const ev of events) document.addEventListener(ev, onActivity, { capture: true, passive: true });
    channel?.addEventListener('message', onTab);
    const offResponse = onServerResponse(() => timer.serverContact());
    // The session's hard end (SESSION_MAX_HOURS).
    const left = Date.parse(session.expiresAt) - Date.now();
    const hardEnd = left > 0 && left < 2 ** 31 - 1 ? window.setTimeout(() => leaveToLogin('expired'), left + 1000) : undefined;
    return () => {
      timer.stop();
      setActivityProbe(null);
      for (const ev of events) document.removeEventListener(ev, onActivity, { capture: true });
      channel?.removeEventListener('message', onTab);
      offResponse();
      window.clearTimeout(hardEnd);
    };
  }, [session.user.id, session.idleTimeoutSeconds, session.expiresAt]);

  const actions = useMemo(() => ({ openHelp: () => setHelp(true) }), []);

  return (
    <LiveContext.Provider value={hub.live}>
      <ShellContext.Provider value={actions}>
        <div class={`app sec-${section}`}>
          <Header session={session} section={section} status={status} online={online} onHelp={() => setHelp(true)} />
          {children}
        </div>
        {help && <HelpDialog onClose={() => setHelp(false)} />}
        {warnUntil !== null && (
          <IdleWarning
            until={warnUntil}
            onStay={async () => {
              const s = await refreshSession();
              setWarnUntil(null);
              if (s) idle.current?.reset();
            }}
            onSignOut={() => void signOut(false, null)}
          />
        )}
      </ShellContext.Provider>
    </LiveContext.Provider>
  );
}

/** Colleagues signed in now, on any node: so two people do not pick up the same patient. */
function OnlineColleagues({ online, me }: { online: ReadonlySet<string>; me: string }) {
  const staff = useCached(staffList);
  const names = (staff ?? []).filter((s) => s.id !== me && online.has(s.id)).map((s) => s.displayName);
  if (!names.length) return null;
  return <span class="online" title={names.join(', ')}>Online: {names.length > 3 ? `${names.slice(0, 3).join(', ')} +${names.length - 3}` : names.join(', ')}</span>;
}

function Header({ session, section, status, online, onHelp }: { session: Session; section: 'inbox' | 'admin'; status: LiveStatus; online: ReadonlySet<string>; onHelp: () => void }) {
  const admin = session.user.role !== 'agent';
  return (
    <header class="top">
      <a
        class="skip"
        href="#main"
        onClick={(e) => {
          e.preventDefault();
          document.getElementById('main')?.focus();
        }}
      >
        Skip to main content
      </a>
      <span class="logo">Bedside</span>
      <span class="org">{session.user.orgName}</span>
      <nav class="mainnav" aria-label="Main">
        <Link href="/inbox" aria-current={section === 'inbox' ? 'page' : undefined}>Inbox</Link>
        {admin && <Link href="/admin/staff" aria-current={section === 'admin' ? 'page' : undefined}>Administration</Link>}
      </nav>
      <span class="spacer" />
      <OnlineColleagues online={online} me={session.user.id} />
      <span class={status === 'offline' ? 'conn off' : 'conn'} role="status">
        {status === 'offline' ? 'Offline: reconnecting…' : ''}
      </span>
      <button type="button" class="btn icon" aria-keyshortcuts="Shift+?" onClick={onHelp}>
        <span aria-hidden="true">?</span>
        <span class="sr">Keyboard shortcuts</span>
      </button>
      <UserMenu session={session} />
    </header>
  );
}

function UserMenu({ session }: { session: Session }) {
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const box = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (!open) return;
    const onDown = (e: Event) => {
      if (box.current && !box.current.contains(e.target as Node)) setOpen(false);
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') {
        setOpen(false);
        button.current?.focus();
      }
    };
    document.addEventListener('pointerdown', onDown);
    box.current?.addEventListener('keydown', onKey);
    const el = box.current;
    return () => {
      document.removeEventListener('pointerdown', onDown);
      el?.removeEventListener('keydown', onKey);
    };
  }, [open]);

  const out = async (everywhere: boolean) => {
    setBusy(true);
    setError(null);
    try {
      await signOut(everywhere, null);
    } catch (err) {
      setError(errorMessage(err));
      setBusy(false);
    }
  };

  return (
    <div class="usermenu" ref={box}>
      <button
        ref={button}
        type="button"
        class="btn user"
        aria-expanded={open ? 'true' : 'false'}
        aria-controls="user-menu"
        onClick={() => setOpen(!open)}
      >
        <span class="sr">Account: </span>
        {session.user.displayName}
      </button>
      <div id="user-menu" class="menu" hidden={!open}>
        <p class="who">
          <strong>{session.user.displayName}</strong>
          <br />
          {session.user.email && <>{session.user.email}<br /></>}
          {ROLE_LABELS[session.user.role]} · {session.user.orgName}
        </p>
        <button type="button" class="btn wide" disabled={busy} onClick={() => void out(false)}>Sign out</button>
        <button type="button" class="btn wide" disabled={busy} onClick={() => void out(true)}>Sign out everywhere</button>
        {error && <p role="alert" class="ferr">{error}</p>}
      </div>
    </div>
  );
}

function HelpDialog({ onClose }: { onClose: () => void }) {
  return (
    <Dialog labelledBy="help-h" onClose={onClose}>
      <h2 id="help-h">Keyboard shortcuts</h2>
      <p class="hint">Single keys work when you are not typing in a field.</p>
      <table class="keys">
        <thead>
          <tr>
            <th scope="col">Keys</th>
            <th scope="col">Action</th>
          </tr>
        </thead>
        <tbody>
          {SHORTCUT_HELP.map((s) => (
            <tr key={s.description}>
              <td>{s.keys.map((k, i) => <>{i > 0 && ' '}<kbd>{k}</kbd></>)}</td>
              <td>{s.description}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <div class="row-btns end">
        <button type="button" class="btn primary" onClick={onClose}>Close</button>
      </div>
    </Dialog>
  );
}

function IdleWarning({ until, onStay, onSignOut }: { until: number; onStay: () => void; onSignOut: () => void }) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = window.setInterval(() => setNow(Date.now()), 1000);
    return () => window.clearInterval(t);
  }, []);
  const left = Math.max(0, Math.ceil((until - now) / 1000));
  return (
    <Dialog labelledBy="idle-h" describedBy="idle-d" role="alertdialog" onClose={onStay} initialFocus=".primary" class="idle">
      <h2 id="idle-h">Are you still there?</h2>
      <p id="idle-d">
        You will be signed out in <span class="countdown">{left}</span> s to protect patient information.
      </p>
      <div class="row-btns end">
        <button type="button" class="btn" onClick={onSignOut}>Sign out</button>
        <button type="button" class="btn primary" onClick={onStay}>Stay signed in</button>
      </div>
    </Dialog>
  );
}
