import { useEffect } from 'preact/hooks';
import { parseRoute } from './lib/routes.ts';
import { AdminPage } from './pages/admin.tsx';
import { EnrolPage } from './pages/enrol.tsx';
import { InboxPage } from './pages/inbox.tsx';
import { LoginPage } from './pages/login.tsx';
import { SignedIn } from './ui/shell.tsx';
import { Link, navigate, useLocation } from './ui/router.tsx';

export function App() {
  const loc = useLocation();
  const route = parseRoute(loc.pathname, loc.search);

  useEffect(() => {
    // The server serves the app at these paths only; "/" is not one of them.
    if (loc.pathname === '/') navigate('/inbox', { replace: true });
  }, [loc.pathname]);

  switch (route.name) {
    case 'login':
      return <LoginPage next={route.next} reason={route.reason} idleMinutes={route.idleMinutes} />;
    case 'enrol':
      return <EnrolPage />;
    case 'inbox':
      return (
        <SignedIn section="inbox">
          {(session) => <InboxPage session={session} view={route.view} conversationId={route.conversationId} />}
        </SignedIn>
      );
    case 'admin':
      return (
        <SignedIn section="admin">
          {(session) => <AdminPage session={session} page={route.page} inboxId={route.inboxId} />}
        </SignedIn>
      );
    default:
      return (
        <main id="main" class="auth">
          <div class="card">
            <h1>Page not found</h1>
            <p><Link href="/inbox">Go to the inbox</Link></p>
          </div>
        </main>
      );
  }
}
