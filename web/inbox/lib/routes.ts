/** Client-side routes of the staff app, parsed from a path and query string. */
import type { Channel, Role } from '../api-types.ts';

export type Filter = 'open' | 'mine' | 'unassigned' | 'resolved';
export const FILTERS: readonly Filter[] = ['open', 'mine', 'unassigned', 'resolved'];

export type AdminPage = 'staff' | 'inboxes' | 'slack' | 'canned-responses' | 'audit' | 'retention';
export const ADMIN_PAGES: readonly AdminPage[] = ['staff', 'inboxes', 'slack', 'canned-responses', 'audit', 'retention'];
/** Administration pages for owners only (the server answers 403 to admins there). */
export const OWNER_PAGES: readonly AdminPage[] = ['audit', 'retention'];

/** Whether `role` may open an administration page. */
export function mayOpenAdminPage(role: Role, page: AdminPage): boolean {
  if (role === 'agent') return false;
  return role === 'owner' || !OWNER_PAGES.includes(page);
}

/** The administration pages to list in the navigation for `role`. */
export function adminPagesFor(role: Role): AdminPage[] {
  return ADMIN_PAGES.filter((p) => mayOpenAdminPage(role, p));
}

export const CHANNEL_VALUES: readonly Channel[] = ['web', 'sms', 'email', 'messenger', 'whatsapp', 'viber'];

export interface ListView {
  filter: Filter;
  inboxId: string | null;
  channel: Channel | null;
}

export type Route =
  | { name: 'login'; next: string | null; reason: 'idle' | 'expired' | null; idleMinutes: number | null }
  | { name: 'enrol' }
  | { name: 'inbox'; view: ListView; conversationId: string | null }
  | { name: 'admin'; page: AdminPage | null; inboxId: string | null }
  | { name: 'not-found' };

function listView(q: URLSearchParams): ListView {
  const f = q.get('filter');
  const ch = q.get('channel');
  return {
    filter: FILTERS.includes(f as Filter) ? (f as Filter) : 'open',
    inboxId: q.get('inbox') || null,
    channel: CHANNEL_VALUES.includes(ch as Channel) ? (ch as Channel) : null,
  };
}

export function parseRoute(pathname: string, search: string): Route {
  const q = new URLSearchParams(search);
  const path = pathname.length > 1 ? pathname.replace(/\/+$/, '') : pathname;
  if (path === '/login') {
    const reason = q.get('reason');
    const minutes = Number(q.get('minutes'));
    return {
      name: 'login',
      next: q.get('next'),
      reason: reason === 'idle' || reason === 'expired' ? reason : null,
      idleMinutes: Number.isInteger(minutes) && minutes > 0 ? minutes : null,
    };
  }
  if (path === '/enrol') return { name: 'enrol' };
  if (path === '/inbox' || path === '/') return { name: 'inbox', view: listView(q), conversationId: null };
  const conv = /^\/inbox\/conversations\/([^/]+)$/.exec(path);
  if (conv?.[1]) {
    let id: string;
    try {
      id = decodeURIComponent(conv[1]);
    } catch {
      return { name: 'not-found' };
    }
    return { name: 'inbox', view: listView(q), conversationId: id };
  }
  if (path === '/admin') return { name: 'admin', page: 'staff', inboxId: null };
  const admin = /^\/admin\/([^/]+)$/.exec(path);
  if (admin?.[1]) {
    const page = ADMIN_PAGES.includes(admin[1] as AdminPage) ? (admin[1] as AdminPage) : null;
    return { name: 'admin', page, inboxId: q.get('inbox') || null };
  }
  return { name: 'not-found' };
}

/** The query string that keeps a list view across navigation ("" for the default view). */
export function listQuery(view: ListView): string {
  const q = new URLSearchParams();
  if (view.filter !== 'open') q.set('filter', view.filter);
  if (view.inboxId) q.set('inbox', view.inboxId);
  if (view.channel) q.set('channel', view.channel);
  const s = q.toString();
  return s ? `?${s}` : '';
}

export function conversationPath(id: string, view: ListView): string {
  return `/inbox/conversations/${encodeURIComponent(id)}${listQuery(view)}`;
}

export function inboxPath(view: ListView): string {
  return `/inbox${listQuery(view)}`;
}

/**
 * `next` when it is a path on this site (not the sign-in or enrolment pages), else null: a
 * `?next=` parameter must never send someone to another origin after they sign in.
 */
export function safeNext(next: string | null | undefined, origin: string): string | null {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.includes('\\')) return null;
  // Control characters and whitespace are stripped by URL parsers and could hide a "//".
  for (let i = 0; i < next.length; i++) {
    const c = next.charCodeAt(i);
    if (c <= 0x20 || c === 0x7f) return null;
  }
  let url: URL;
  try {
    url = new URL(next, origin);
  } catch {
    return null;
  }
  if (url.origin !== new URL(origin).origin) return null;
  if (url.pathname === '/login' || url.pathname === '/enrol') return null;
  return url.pathname + url.search + url.hash;
}

/** The sign-in page to send someone to, remembering where they were. */
export function loginPath(opts: { next?: string | null; reason?: 'idle' | 'expired' | null; idleMinutes?: number | null }): string {
  const q = new URLSearchParams();
  if (opts.reason) q.set('reason', opts.reason);
  if (opts.reason === 'idle' && opts.idleMinutes) q.set('minutes', String(opts.idleMinutes));
  if (opts.next && opts.next !== '/inbox') q.set('next', opts.next);
  const s = q.toString();
  return s ? `/login?${s}` : '/login';
}

/** The token from an enrolment URL's fragment (`#token=...`), or null. */
export function enrolToken(hash: string): string | null {
  const h = hash.startsWith('#') ? hash.slice(1) : hash;
  const token = new URLSearchParams(h).get('token');
  return token && token.trim() ? token.trim() : null;
}
