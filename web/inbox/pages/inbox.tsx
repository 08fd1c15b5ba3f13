/** The inbox: filters | conversation list | open conversation, with live updates and shortcuts. */
import { useCallback, useContext, useEffect, useReducer, useRef, useState } from 'preact/hooks';
import type { ConversationCounts, ConversationPage, ConversationSummary, Session } from '../api-types.ts';
import { errorMessage, isAbort } from '../lib/api.ts';
import { CHANNEL_LABELS, contactName, initials, oneLine, plural } from '../lib/format.ts';
import type { LiveContext as ListLiveContext } from '../lib/list.ts';
import { emptyList, fieldsMatchView, listReducer, neighbour, viewQuery } from '../lib/list.ts';
import type { MergeCandidate } from '../lib/records.ts';
import type { Filter, ListView } from '../lib/routes.ts';
import { CHANNEL_VALUES, conversationPath, FILTERS, inboxPath } from '../lib/routes.ts';
import { isTypingTarget, shortcutFor } from '../lib/shortcuts.ts';
import { fullDateTime, relativeTime, waitingLabel, waitingMinutes } from '../lib/time.ts';
import { announce, Announcer, ChannelTag, useNow } from '../ui/bits.tsx';
import { api } from '../ui/client.ts';
import { inboxList, useCached } from '../ui/directory.ts';
import { ShellContext, useFrames, useReconnect } from '../ui/live-context.ts';
import { Link, navigate } from '../ui/router.tsx';
import type { ConversationHandle } from './conversation.tsx';
import { ConversationView } from './conversation.tsx';

export const PAGE_SIZE = 50;

/** How long a message for a conversation missing from the list waits for its row before the first page is fetched again. */
const HEAD_REFRESH_MS = 500;

const FILTER_LABELS: Record<Filter, string> = { open: 'Open', mine: 'Mine', unassigned: 'Unassigned', resolved: 'Resolved' };
const FILTER_TITLES: Record<Filter, string> = {
  open: 'Open conversations',
  mine: 'My conversations',
  unassigned: 'Unassigned conversations',
  resolved: 'Resolved conversations',
};

export function InboxPage({ session, view, conversationId }: { session: Session; view: ListView; conversationId: string | null }) {
  const [list, dispatch] = useReducer(listReducer, emptyList);
  const [counts, setCounts] = useState<ConversationCounts | null>(null);
  const inboxes = useCached(inboxList);
  const shell = useContext(ShellContext);
  const now = useNow();
  const viewKey = `${view.filter}|${view.inboxId ?? ''}|${view.channel ?? ''}`;
  const conv = useRef<ConversationHandle | null>(null);
  const listRef = useRef<HTMLUListElement>(null);
  const filtersRef = useRef<HTMLElement>(null);
  const [contactOpen, setContactOpen] = useState(false);

  // Values the live handlers read without re-subscribing.
  const live = useRef<ListLiveContext>({ view, meId: session.user.id, openId: conversationId, openVisible: true });
  live.current = { view, meId: session.user.id, openId: conversationId, openVisible: document.visibilityState === 'visible' };
  const items = useRef(list.items);
  items.current = list.items;

  // ---- Loading

  const loadToken = useRef(0);
  const loadFirst = useCallback((signal?: AbortSignal, background = false) => {
    const token = ++loadToken.current;
    return api<ConversationPage>('GET', '/api/conversations', { query: { ...viewQuery(view), limit: PAGE_SIZE }, signal, background })
      .then((page) => {
        if (token === loadToken.current) dispatch({ type: 'first-page', page });
      })
      .catch((err) => {
        if (!isAbort(err) && token === loadToken.current) dispatch({ type: 'failed', error: errorMessage(err) });
      });
  }, [viewKey]);

  useEffect(() => {
    dispatch({ type: 'reset' });
    const ac = new AbortController();
    void loadFirst(ac.signal);
    return () => ac.abort();
  }, [viewKey]);

  const loadMore = useCallback(() => {
    if (list.loading !== 'none' || !list.nextCursor || list.error) return;
    const token = loadToken.current;
    dispatch({ type: 'loading-more' });
    api<ConversationPage>('GET', '/api/conversations', { query: { ...viewQuery(view), limit: PAGE_SIZE, cursor: list.nextCursor } })
      .then((page) => {
        if (token === loadToken.current) dispatch({ type: 'next-page', page });
      })
      .catch((err) => {
        if (token === loadToken.current) dispatch({ type: 'failed', error: errorMessage(err) });
      });
  }, [list.loading, list.nextCursor, list.error, viewKey]);

  const countsTimer = useRef<number>();
  const loadCounts = useCallback((background = false) => {
    api<ConversationCounts>('GET', '/api/conversations/counts', { background }).then(setCounts, () => {});
  }, []);
  const refreshCountsSoon = useCallback(() => {
    window.clearTimeout(countsTimer.current);
    countsTimer.current = window.setTimeout(() => loadCounts(true), 1000);
  }, []);
  useEffect(() => {
    loadCounts();
    return () => window.clearTimeout(countsTimer.current);
  }, []);

  // A message for a conversation the list does not hold but that belongs in this view: a new or
  // reopened one has its `conversation.updated` right behind it; for any other (one further down
  // than the pages loaded) the first page is fetched again after a moment and merged.
  const unknown = useRef(new Set<string>());
  const headTimer = useRef<number>();
  const refreshHeadSoon = useCallback(() => {
    // At most one fetch per moment, however steadily such messages arrive: a timer already set
    // will bring this one too.
    if (headTimer.current !== undefined) return;
    headTimer.current = window.setTimeout(() => {
      headTimer.current = undefined;
      if (unknown.current.size === 0) return;
      unknown.current.clear();
      const token = loadToken.current;
      api<ConversationPage>('GET', '/api/conversations', { query: { ...viewQuery(live.current.view), limit: PAGE_SIZE }, background: true })
        .then((page) => {
          if (token === loadToken.current) dispatch({ type: 'head', page });
        }, () => {});
    }, HEAD_REFRESH_MS);
  }, []);
  useEffect(() => () => window.clearTimeout(headTimer.current), []);

  // ---- Live updates

  useFrames((f) => {
    if (f.type === 'message.created') {
      const inView = !f.conversation || fieldsMatchView(f.conversation, live.current.view, live.current.meId);
      if (inView && !items.current.some((c) => c.id === f.message.conversationId)) {
        unknown.current.add(f.message.conversationId);
        refreshHeadSoon();
      }
      dispatch({ type: 'message', message: f.message, ctx: live.current });
      refreshCountsSoon();
    } else if (f.type === 'conversation.updated') {
      unknown.current.delete(f.conversation.id);
      dispatch({ type: 'conversation', conversation: f.conversation, ctx: live.current });
      refreshCountsSoon();
    }
  });
  useReconnect(() => {
    void loadFirst(undefined, true);
    loadCounts(true);
  });

  const onSummary = useCallback((c: ConversationSummary) => {
    dispatch({ type: 'conversation', conversation: c, ctx: live.current });
    refreshCountsSoon();
  }, []);
  const onRead = useCallback((id: string) => dispatch({ type: 'read', id }), []);
  const onErased = useCallback((contactId: string) => {
    dispatch({ type: 'contact-erased', contactId });
    navigate(inboxPath(live.current.view));
    loadCounts();
    announce('Contact erased.');
    // The conversation and its controls are gone: continue from the list's heading.
    requestAnimationFrame(() => document.getElementById('list-h')?.focus());
  }, []);
  /** Where a merge brought us: that conversation takes focus to its heading once loaded. */
  const [mergedTo, setMergedTo] = useState<string | null>(null);
  const onMerged = useCallback((into: MergeCandidate) => {
    setMergedTo(into.conversationId);
    navigate(conversationPath(into.conversationId, live.current.view));
    void loadFirst(undefined, true);
    loadCounts();
    announce('Contacts merged.');
  }, [loadFirst]);

  // ---- Selection and keyboard

  const rowOf = (id: string) => listRef.current?.querySelector<HTMLElement>(`a[data-id="${CSS.escape(id)}"]`);
  /** Focuses a row now, or after the next render when it is not drawn yet. */
  const focusRow = (id: string) => {
    const row = rowOf(id);
    if (row) row.focus();
    else requestAnimationFrame(() => rowOf(id)?.focus());
  };

  const step = (dir: 1 | -1) => {
    const id = neighbour(items.current, live.current.openId, dir);
    if (!id) return;
    const inList = !!listRef.current?.contains(document.activeElement);
    if (id !== live.current.openId) navigate(conversationPath(id, live.current.view));
    if (inList) focusRow(id);
  };

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || document.querySelector('dialog[open]')) return;
      const target = e.target as HTMLElement | null;
      const inField = isTypingTarget(target);
      const action = shortcutFor(e, inField);
      if (!action) return;
      switch (action) {
        case 'escape':
          if (inField && target) {
            target.blur();
            const open = live.current.openId;
            if (open) focusRow(open);
          }
          return;
        case 'next':
          step(1);
          break;
        case 'previous':
          step(-1);
          break;
        case 'focus-reply':
          if (!conv.current) return;
          conv.current.focusComposer('reply');
          break;
        case 'focus-note':
          if (!conv.current) return;
          conv.current.focusComposer('note');
          break;
        case 'resolve':
          if (!conv.current) return;
          conv.current.resolve();
          break;
        case 'reopen':
          if (!conv.current) return;
          conv.current.reopen();
          break;
        case 'assign-me':
          if (!conv.current) return;
          conv.current.assignToMe();
          break;
        case 'focus-filters':
          filtersRef.current?.querySelector<HTMLElement>('[aria-current="true"]')?.focus();
          break;
        case 'help':
          shell.openHelp();
          break;
      }
      e.preventDefault();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);

  useEffect(() => {
    const open = conversationId ? list.items.find((c) => c.id === conversationId) : null;
    const title = open ? contactName(open) : FILTER_LABELS[view.filter];
    document.title = `${title} · Bedside`;
  }, [conversationId, view.filter, list.items]);

  const setView = (patch: Partial<ListView>) => {
    const next = { ...view, ...patch };
    navigate(conversationId ? conversationPath(conversationId, next) : inboxPath(next));
  };

  return (
    <div class={conversationId ? 'inbox has-conv' : 'inbox'}>
      <nav class="filters" aria-label="Filters" ref={filtersRef}>
        <ul class="filterlist">
          {FILTERS.map((f) => {
            const count = counts ? counts[f] : null;
            return (
              <li key={f}>
                <Link
                  href={conversationId ? conversationPath(conversationId, { ...view, filter: f }) : inboxPath({ ...view, filter: f })}
                  aria-current={view.filter === f ? 'true' : undefined}
                >
                  <span class="fl">{FILTER_LABELS[f]}</span>
                  {count !== null && <span class="count">{count}</span>}
                </Link>
              </li>
            );
          })}
        </ul>
        <div class="fld">
          <label for="filter-inbox">Inbox</label>
          <select id="filter-inbox" value={view.inboxId ?? ''} onChange={(e) => setView({ inboxId: e.currentTarget.value || null })}>
            <option value="">All inboxes</option>
            {(inboxes ?? []).map((i) => <option key={i.id} value={i.id}>{i.name}</option>)}
            {view.inboxId && inboxes && !inboxes.some((i) => i.id === view.inboxId) && <option value={view.inboxId}>Unknown inbox</option>}
          </select>
        </div>
        <div class="fld">
          <label for="filter-channel">Channel</label>
          <select
            id="filter-channel"
            value={view.channel ?? ''}
            onChange={(e) => setView({ channel: (e.currentTarget.value || null) as ListView['channel'] })}
          >
            <option value="">All channels</option>
            {CHANNEL_VALUES.map((c) => <option key={c} value={c}>{CHANNEL_LABELS[c]}</option>)}
          </select>
        </div>
      </nav>
      <main id="main" tabIndex={-1} class="panes">
        <section class="list" aria-labelledby="list-h">
          <div class="listhead">
            <h1 id="list-h" tabIndex={-1}>{FILTER_TITLES[view.filter]}</h1>
          </div>
          <ConversationList
            list={list}
            view={view}
            now={now}
            openId={conversationId}
            listRef={listRef}
            onMore={loadMore}
            onRetry={() => (list.loaded ? loadMore() : void loadFirst())}
          />
        </section>
        {conversationId ? (
          <ConversationView
            key={conversationId}
            id={conversationId}
            session={session}
            view={view}
            handle={conv}
            contactOpen={contactOpen}
            onToggleContact={() => setContactOpen(!contactOpen)}
            onSummary={onSummary}
            onRead={onRead}
            onErased={onErased}
            conversations={list.items}
            onMerged={onMerged}
            focusHeading={mergedTo === conversationId}
          />
        ) : (
          <section class="conv empty" aria-label="Conversation">
            <p>Select a conversation to read and reply.</p>
            <p class="hint">
              Press <kbd>?</kbd> for keyboard shortcuts.
            </p>
          </section>
        )}
        <Announcer />
      </main>
    </div>
  );
}

interface ListProps {
  list: ReturnType<typeof listReducer>;
  view: ListView;
  now: number;
  openId: string | null;
  listRef: { current: HTMLUListElement | null };
  onMore: () => void;
  onRetry: () => void;
}

function ConversationList({ list, view, now, openId, listRef, onMore, onRetry }: ListProps) {
  const scroller = useRef<HTMLDivElement>(null);
  const sentinel = useRef<HTMLButtonElement>(null);
  const more = useRef(onMore);
  more.current = onMore;
  const [roving, setRoving] = useState<string | null>(null);

  useEffect(() => {
    const el = sentinel.current;
    if (!el || typeof IntersectionObserver !== 'function') return;
    const io = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) more.current();
    }, { root: scroller.current, rootMargin: '0px 0px 400px 0px' });
    io.observe(el);
    return () => io.disconnect();
  }, [!!list.nextCursor, list.loading === 'none']);

  const focusable = list.items.some((c) => c.id === roving) ? roving
    : list.items.some((c) => c.id === openId) ? openId
      : list.items[0]?.id ?? null;

  const onKeyDown = (e: KeyboardEvent) => {
    if (!['ArrowDown', 'ArrowUp', 'Home', 'End'].includes(e.key) || e.altKey || e.ctrlKey || e.metaKey) return;
    const links = [...(listRef.current?.querySelectorAll<HTMLAnchorElement>('a.row') ?? [])];
    if (links.length === 0) return;
    const i = links.indexOf(document.activeElement as HTMLAnchorElement);
    let j = i;
    if (e.key === 'ArrowDown') j = Math.min(links.length - 1, i + 1);
    else if (e.key === 'ArrowUp') j = Math.max(0, i - 1);
    else if (e.key === 'Home') j = 0;
    else j = links.length - 1;
    e.preventDefault();
    links[j]?.focus();
  };

  return (
    <div class="scroll" ref={scroller}>
      {list.loading === 'first' && <p class="state" role="status">Loading conversations…</p>}
      {list.loaded && list.items.length === 0 && !list.error && (
        <p class="state" role="status">{view.filter === 'resolved' ? 'No resolved conversations.' : 'No conversations here. All caught up.'}</p>
      )}
      {list.items.length > 0 && (
        <ul class="rows" ref={listRef} aria-labelledby="list-h" onKeyDown={onKeyDown}>
          {list.items.map((c) => (
            <Row
              key={c.id}
              c={c}
              view={view}
              now={now}
              selected={c.id === openId}
              focusable={c.id === focusable}
              onFocus={() => setRoving(c.id)}
            />
          ))}
        </ul>
      )}
      {list.error && (
        <div class="state err" role="alert">
          <p>{list.error}</p>
          <button type="button" class="btn" onClick={onRetry}>Try again</button>
        </div>
      )}
      {list.nextCursor && !list.error && (
        <button type="button" ref={sentinel} class="btn more" onClick={onMore} aria-disabled={list.loading !== 'none' ? 'true' : undefined}>
          {list.loading === 'more' ? 'Loading more…' : 'Load more conversations'}
        </button>
      )}
    </div>
  );
}

function Row({ c, view, now, selected, focusable, onFocus }: {
  c: ConversationSummary;
  view: ListView;
  now: number;
  selected: boolean;
  focusable: boolean;
  onFocus: () => void;
}) {
  const name = contactName(c);
  // The conversation on screen is being read, whatever the list last heard.
  const unread = selected ? 0 : c.unreadCount;
  const waiting = c.status === 'open' ? waitingLabel(c.waitingSince, now) : '';
  const late = waitingMinutes(c.waitingSince, now) >= 10;
  return (
    <li>
      <Link
        href={conversationPath(c.id, view)}
        class={`row${selected ? ' sel' : ''}${unread > 0 ? ' unread' : ''}`}
        data-id={c.id}
        aria-current={selected ? 'true' : undefined}
        tabIndex={focusable ? 0 : -1}
        onFocus={onFocus}
      >
        <span class="r1">
          <span class="name">{name}</span>
          <time class="when" dateTime={c.lastMessageAt} title={fullDateTime(c.lastMessageAt)}>{relativeTime(c.lastMessageAt, now)}</time>
        </span>
        <span class="r2">
          <ChannelTag channel={c.channel} />
          {c.status === 'resolved' && <span class="tag">Resolved</span>}
          {waiting && <span class={late ? 'wait late' : 'wait'}>{waiting}</span>}
        </span>
        <span class="r3">
          <span class="pv">{oneLine(c.preview)}</span>
          {unread > 0 && (
            <span class="badge">
              <span aria-hidden="true">{unread > 99 ? '99+' : unread}</span>
              <span class="sr">, {plural(unread, 'unread message')}</span>
            </span>
          )}
          {c.assignee ? (
            <span class="av" title={`Assigned to ${c.assignee.displayName}`}>
              <span aria-hidden="true">{initials(c.assignee.displayName)}</span>
              <span class="sr">, assigned to {c.assignee.displayName}</span>
            </span>
          ) : (
            <span class="sr">, unassigned</span>
          )}
        </span>
      </Link>
    </li>
  );
}
