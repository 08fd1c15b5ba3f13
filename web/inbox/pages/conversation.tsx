/** One conversation: header with assignment and status, the cross-channel history, the composer. */
import { useCallback, useEffect, useLayoutEffect, useMemo, useReducer, useRef, useState } from 'preact/hooks';
import type { Contact, ConversationDetail, ConversationResponse, ConversationSummary, HistoryPage, Message, Session, SendMessageResponse } from '../api-types.ts';
import { ApiError, errorMessage } from '../lib/api.ts';
import type { PendingReply } from '../lib/conversation.ts';
import { buildTimeline, conversationReducer, initialConversation } from '../lib/conversation.ts';
import { contactName, deliveryText, fileSize, newClientId } from '../lib/format.ts';
import { TypingSender } from '../lib/live.ts';
import type { MergeCandidate } from '../lib/records.ts';
import type { ListView } from '../lib/routes.ts';
import { inboxPath } from '../lib/routes.ts';
import { clockTime, fullDateTime } from '../lib/time.ts';
import { announce, ChannelIcon, ChannelTag, useNow } from '../ui/bits.tsx';
import { api } from '../ui/client.ts';
import { staffList, useCached } from '../ui/directory.ts';
import { useFrames, useLive, useReconnect } from '../ui/live-context.ts';
import { Link } from '../ui/router.tsx';
import type { ComposerHandle, ComposerMode } from './composer.tsx';
import { Composer } from './composer.tsx';
import { ConsentSection, DateOfBirthSection, MergeSection, RecordTools } from './contact-records.tsx';

export interface ConversationHandle {
  focusComposer(mode: ComposerMode): void;
  resolve(): void;
  reopen(): void;
  assignToMe(): void;
}

export interface ConversationViewProps {
  id: string;
  session: Session;
  view: ListView;
  handle: { current: ConversationHandle | null };
  contactOpen: boolean;
  onToggleContact: () => void;
  onSummary: (c: ConversationSummary) => void;
  onRead: (id: string) => void;
  /** The contact was erased (with this conversation): leave for the list. */
  onErased: (contactId: string) => void;
  /** The loaded conversation list (the contacts this one can be merged into). */
  conversations: readonly ConversationSummary[];
  /** The contact was merged into another: go to that one's conversation. */
  onMerged: (into: MergeCandidate) => void;
  /** Take focus to the heading once loaded (after a merge brought us here). */
  focusHeading?: boolean;
}

const clock = {
  now: () => Date.now(),
  setTimeout: (fn: () => void, ms: number) => window.setTimeout(fn, ms),
  clearTimeout: (h: unknown) => window.clearTimeout(h as number),
};

/** A contact's typing shows this long without a new "on" (in case the "off" frame is lost). */
const TYPING_SHOWN_MS = 6_000;

export function ConversationView({
  id, session, view, handle, contactOpen, onToggleContact, onSummary, onRead, onErased, conversations, onMerged, focusHeading,
}: ConversationViewProps) {
  const [state, dispatch] = useReducer(conversationReducer, id, initialConversation);
  const staff = useCached(staffList);
  const live = useLive();
  const now = useNow();
  const [typingText, setTypingText] = useState('');
  const typingTimer = useRef<number>();
  const [busy, setBusy] = useState<null | 'assign' | 'status'>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const composer = useRef<ComposerHandle | null>(null);
  const logRef = useRef<HTMLDivElement>(null);
  const stick = useRef(true);
  const anchor = useRef<number | null>(null);
  const path = `/api/conversations/${encodeURIComponent(id)}`;
  const myName = session.user.displayName;
  const conv = state.conversation;
  const statusRef = useRef(conv?.status);

  const load = useCallback((signal?: AbortSignal, background = false) => {
    api<ConversationDetail>('GET', path, { signal, background }).then(
      (d) => {
        statusRef.current = d.conversation.status;
        dispatch({ type: 'loaded', detail: d });
        onSummary(d.conversation);
      },
      (err) => {
        if ((err as { name?: string }).name === 'AbortError') return;
        dispatch({ type: 'load-failed', error: errorMessage(err), status: err instanceof ApiError ? err.status : 0 });
      },
    );
  }, [id]);

  useEffect(() => {
    const ac = new AbortController();
    stick.current = true;
    load(ac.signal);
    return () => ac.abort();
  }, [id]);

  // On a phone the list gives way to the conversation: take focus along, to its heading.
  const heading = useRef<HTMLHeadingElement>(null);
  const loaded = !!state.conversation;
  useEffect(() => {
    if (loaded && (focusHeading || window.matchMedia('(max-width: 719px)').matches) && !heading.current?.contains(document.activeElement)) {
      heading.current?.focus();
    }
  }, [loaded]);
  useReconnect(() => load(undefined, true));

  const typing = useMemo(() => new TypingSender(id, (f) => void live.send(f), clock), [id, live]);
  useEffect(() => () => typing.stop(), [typing]);

  const showTyping = (text: string) => {
    window.clearTimeout(typingTimer.current);
    setTypingText(text);
    if (text) typingTimer.current = window.setTimeout(() => setTypingText(''), TYPING_SHOWN_MS);
  };
  useEffect(() => () => window.clearTimeout(typingTimer.current), []);

  useFrames((f) => {
    if (f.type === 'message.created' || f.type === 'message.updated') {
      dispatch({ type: 'message', message: f.message, myName });
      if (f.type === 'message.created' && f.conversationId === id && f.message.direction === 'in') showTyping('');
    } else if (f.type === 'conversation.updated' && f.conversation.id === id) {
      if (statusRef.current && f.conversation.status !== statusRef.current) {
        announce(f.conversation.status === 'resolved' ? 'This conversation was resolved.' : 'This conversation was reopened.');
      }
      statusRef.current = f.conversation.status;
      dispatch({ type: 'summary', conversation: f.conversation });
    } else if (f.type === 'typing' && f.conversationId === id) {
      if (f.who === 'contact') showTyping(f.on ? 'Visitor is typing…' : '');
      else if (f.name && f.name !== myName) showTyping(f.on ? `${f.name} is typing…` : '');
    }
  });

  // Mark read while the conversation is on screen.
  const lastRead = useRef(0);
  useEffect(() => {
    if (!conv) return;
    const mark = () => {
      if (document.visibilityState !== 'visible') return;
      let newest = 0;
      for (const m of state.messages) if (m.conversationId === id && m.id > newest) newest = m.id;
      if (!newest || newest <= lastRead.current) return;
      lastRead.current = newest;
      onRead(id);
      api('POST', `${path}/read`, { body: { lastMessageId: newest }, background: true }).catch(() => {
        lastRead.current = 0;
      });
    };
    mark();
    document.addEventListener('visibilitychange', mark);
    return () => document.removeEventListener('visibilitychange', mark);
  }, [state.messages, !!conv]);

  // ---- Actions

  const act = async (kind: 'assign' | 'status', req: () => Promise<ConversationResponse>, said: (c: ConversationSummary) => string): Promise<boolean> => {
    if (busy) return false;
    setBusy(kind);
    setActionError(null);
    try {
      const r = await req();
      statusRef.current = r.conversation.status;
      dispatch({ type: 'summary', conversation: r.conversation });
      onSummary(r.conversation);
      announce(said(r.conversation));
      return true;
    } catch (err) {
      setActionError(errorMessage(err));
      return false;
    } finally {
      setBusy(null);
    }
  };
  // The new status is expected before the answer, so the live update it causes is not announced twice.
  const setStatus = async (to: 'open' | 'resolved') => {
    if (!conv || conv.status === to || busy) return;
    const was = statusRef.current;
    statusRef.current = to;
    const ok = await act('status', () => api('POST', `${path}/${to === 'resolved' ? 'resolve' : 'reopen'}`), () =>
      to === 'resolved' ? 'Conversation resolved.' : 'Conversation reopened.');
    if (!ok) statusRef.current = was;
  };
  const resolve = () => void setStatus('resolved');
  const reopen = () => void setStatus('open');
  const assign = (staffId: string | null) => {
    if (!conv || (conv.assignee?.id ?? null) === staffId) return;
    void act('assign', () => api('POST', `${path}/assign`, { body: { staffId } }), (c) =>
      c.assignee ? `Assigned to ${c.assignee.id === session.user.id ? 'you' : c.assignee.displayName}.` : 'Conversation unassigned.');
  };

  const post = (p: PendingReply) => {
    stick.current = true;
    const via = !p.internal && p.channel && p.channel !== conv?.channel ? { channel: p.channel } : {};
    api<SendMessageResponse>('POST', `${path}/messages`, { body: { body: p.body, internal: p.internal, clientId: p.clientId, ...via } }).then(
      (r) => dispatch({ type: 'sent', clientId: p.clientId, message: r.message }),
      (err) => dispatch({ type: 'send-failed', clientId: p.clientId, error: errorMessage(err) }),
    );
  };
  const send = (body: string, internal: boolean, channel: string) => {
    const p: PendingReply = { clientId: newClientId(), body, internal, channel, createdAt: new Date().toISOString(), error: null };
    dispatch({ type: 'send', pending: p });
    post(p);
  };

  handle.current = {
    focusComposer: (m) => composer.current?.focus(m),
    resolve,
    reopen,
    assignToMe: () => assign(session.user.id),
  };
  useEffect(() => () => {
    handle.current = null;
  }, []);

  // ---- History scrolling

  const loadOlder = () => {
    const first = state.messages[0];
    if (!first || state.loadingOlder || !state.hasMore) return;
    dispatch({ type: 'older-loading' });
    api<HistoryPage>('GET', `${path}/history`, { query: { before: first.id } }).then(
      (r) => {
        const el = logRef.current;
        if (el) anchor.current = el.scrollHeight - el.scrollTop;
        dispatch({ type: 'older-loaded', messages: r.messages, hasMore: r.hasMore });
      },
      (err) => dispatch({ type: 'older-failed', error: errorMessage(err) }),
    );
  };

  useLayoutEffect(() => {
    const el = logRef.current;
    if (!el) return;
    if (anchor.current !== null) {
      el.scrollTop = el.scrollHeight - anchor.current;
      anchor.current = null;
    } else if (stick.current) {
      el.scrollTop = el.scrollHeight;
    }
  }, [state.messages, state.pending, !!conv]);

  const onScroll = () => {
    const el = logRef.current;
    if (!el) return;
    stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 60;
    if (el.scrollTop < 120 && state.hasMore && !state.loadingOlder) loadOlder();
  };

  const timeline = useMemo(
    () => buildTimeline(state.messages, state.pending, conv?.channel ?? 'web', now),
    [state.messages, state.pending, conv?.channel, Math.floor(now / 3_600_000)],
  );

  // ---- Render

  if (!conv) {
    return (
      <section class="conv" aria-labelledby="conv-h">
        <div class="convhead">
          <Link class="back" href={inboxPath(view)}>Back to conversations</Link>
          <h2 id="conv-h">{state.error ? 'Conversation unavailable' : 'Loading conversation…'}</h2>
        </div>
        {state.error ? (
          <div class="state err" role="alert">
            <p>{state.errorStatus === 404 ? 'This conversation does not exist, or you cannot see it.' : state.error}</p>
            {state.errorStatus !== 404 && <button type="button" class="btn" onClick={() => load()}>Try again</button>}
          </div>
        ) : (
          <p class="state" role="status">Loading…</p>
        )}
      </section>
    );
  }

  const name = contactName(conv);
  const assigneeId = conv.assignee?.id ?? '';
  const staffOptions = staff ?? [];
  const open = conv.status === 'open';

  return (
    <section class="conv" aria-labelledby="conv-h">
      <div class="convhead">
        <Link class="back" href={inboxPath(view)}>Back to conversations</Link>
        <div class="title">
          <h2 id="conv-h" ref={heading} tabIndex={-1}>{name}</h2>
          <p class="meta">
            <span>Ref {conv.ref}</span>
            <ChannelTag channel={conv.channel} />
            <span>{conv.inboxName}</span>
            <span class={`status ${conv.status}`}>{open ? 'Open' : 'Resolved'}</span>
          </p>
        </div>
        <div class="actions">
          <div class="assign">
            <label for="assignee">Assignee</label>
            <select
              id="assignee"
              value={assigneeId}
              aria-busy={busy === 'assign' ? 'true' : undefined}
              onChange={(e) => assign(e.currentTarget.value || null)}
            >
              <option value="">Unassigned</option>
              {staffOptions.map((s) => (
                <option key={s.id} value={s.id}>{s.id === session.user.id ? `${s.displayName} (me)` : s.displayName}</option>
              ))}
              {conv.assignee && !staffOptions.some((s) => s.id === conv.assignee!.id) && (
                <option value={conv.assignee.id}>{conv.assignee.displayName}</option>
              )}
            </select>
          </div>
          <button type="button" class="btn" aria-keyshortcuts={open ? 'e' : 'Shift+E'} onClick={open ? resolve : reopen}>
            {busy === 'status' ? (open ? 'Resolving…' : 'Reopening…') : open ? 'Resolve' : 'Reopen'}
          </button>
          <button type="button" class="btn ctoggle" aria-expanded={contactOpen ? 'true' : 'false'} aria-controls="contact-panel" onClick={onToggleContact}>
            Contact details
          </button>
        </div>
      </div>
      {actionError && <div class="errbox" role="alert">{actionError}</div>}
      <div class={contactOpen ? 'convbody show-contact' : 'convbody'}>
        <div class="thread">
          <div class="log" role="log" aria-label="Messages" aria-live="polite" tabIndex={0} ref={logRef} onScroll={onScroll}>
            {state.hasMore && (
              <button type="button" class="btn older" onClick={loadOlder} aria-disabled={state.loadingOlder ? 'true' : undefined}>
                {state.loadingOlder ? 'Loading older messages…' : 'Load older messages'}
              </button>
            )}
            {timeline.map((t) => {
              if (t.type === 'day') return <p key={t.key} class="sep day"><span>{t.label}</span></p>;
              if (t.type === 'channel') {
                return (
                  <p key={t.key} class="sep chan">
                    <ChannelIcon channel={t.channel} />
                    <span class="sr">Channel: </span>
                    {t.label}
                  </p>
                );
              }
              if (t.type === 'message') return <MessageItem key={t.key} m={t.message} contactLabel={name} />;
              return (
                <PendingItem
                  key={t.key}
                  p={t.pending}
                  onRetry={() => {
                    dispatch({ type: 'retry', clientId: t.pending.clientId });
                    post(t.pending);
                  }}
                  onDiscard={() => dispatch({ type: 'discard', clientId: t.pending.clientId })}
                />
              );
            })}
          </div>
          <p class="typing" aria-live="polite">{typingText}</p>
          <Composer draftKey={id} channel={conv.channel} replyChannels={state.contact?.replyChannels ?? []} typing={typing} onSend={send} handle={composer} />
        </div>
        <ContactPanel contact={state.contact} conv={conv} session={session} conversations={conversations} onErased={onErased} onMerged={onMerged} />
      </div>
    </section>
  );
}

function MessageItem({ m, contactLabel }: { m: Message; contactLabel: string }) {
  const note = m.kind === 'note';
  const who = note ? m.authorName ?? 'Staff' : m.direction === 'in' ? m.authorName ?? contactLabel : m.authorName ?? 'Automatic message';
  return (
    <div class={`msg ${note ? 'note' : m.direction}`}>
      <p class="who">
        {note && <span class="notelabel">Internal note</span>}
        <span>{who}</span>
      </p>
      <p class="body">{m.body}</p>
      {m.attachments && m.attachments.length > 0 && (
        <ul class="files" aria-label="Attachments">
          {m.attachments.map((a) => (
            <li key={a.id}>
              <a href={`/api/attachments/${encodeURIComponent(a.id)}`} download={a.filename}>{a.filename}</a>{' '}
              <span class="size">({fileSize(a.size)})</span>
            </li>
          ))}
        </ul>
      )}
      <p class="mt">
        <time dateTime={m.createdAt} title={fullDateTime(m.createdAt)}>{clockTime(m.createdAt)}</time>
        {m.direction === 'out' && m.deliveryStatus && <DeliveryBadge status={m.deliveryStatus} error={m.deliveryError ?? null} />}
      </p>
    </div>
  );
}

function DeliveryBadge({ status, error }: { status: string; error: string | null }) {
  const problem = ['undelivered', 'failed', 'refused'].includes(status);
  return (
    <span class={`delivery${problem ? ' problem' : ''}`} role={problem ? 'status' : undefined}>
      {' · '}{deliveryText(status, error)}
    </span>
  );
}

function PendingItem({ p, onRetry, onDiscard }: { p: PendingReply; onRetry: () => void; onDiscard: () => void }) {
  return (
    <div class={`msg ${p.internal ? 'note' : 'out'} pending${p.error ? ' failed' : ''}`}>
      <p class="who">{p.internal && <span class="notelabel">Internal note</span>}<span>You</span></p>
      <p class="body">{p.body}</p>
      {p.error ? (
        <div class="mt">
          <span class="ferr" role="alert">Not sent: {p.error}</span>{' '}
          <button type="button" class="linkish" onClick={onRetry}>Retry</button>{' '}
          <button type="button" class="linkish" onClick={onDiscard}>Discard</button>
        </div>
      ) : (
        <p class="mt">Sending…</p>
      )}
    </div>
  );
}

function ContactPanel({ contact, conv, session, conversations, onErased, onMerged }: {
  contact: Contact | null;
  conv: ConversationSummary;
  session: Session;
  conversations: readonly ConversationSummary[];
  onErased: (contactId: string) => void;
  onMerged: (into: MergeCandidate) => void;
}) {
  const none = <span class="muted">Not given</span>;
  const contactId = contact?.id ?? conv.contact.id;
  const name = contact?.displayName?.trim() || contactName(conv);
  const [dateOfBirth, setDateOfBirth] = useState(contact?.dateOfBirth ?? null);
  useEffect(() => setDateOfBirth(contact?.dateOfBirth ?? null), [contact?.id, contact?.dateOfBirth]);
  return (
    <section id="contact-panel" class="contact" aria-labelledby="contact-h">
      <h3 id="contact-h">Contact</h3>
      <dl>
        <dt>Name</dt>
        <dd>{contact?.displayName || none}</dd>
        <dt>Email</dt>
        <dd>{contact?.email || none}</dd>
        <dt>Phone</dt>
        <dd>{contact?.phone || none}</dd>
        <dt>Channels</dt>
        <dd>
          {contact && contact.channels.length > 0 ? (
            <ul class="chans">
              {contact.channels.map((ch) => <li key={ch}><ChannelTag channel={ch} /></li>)}
            </ul>
          ) : none}
        </dd>
        <dt>Conversation started</dt>
        <dd>{fullDateTime(conv.createdAt)}</dd>
      </dl>
      {contact && <DateOfBirthSection key={`dob-${contactId}`} contactId={contactId} value={dateOfBirth} onSaved={setDateOfBirth} />}
      <MergeSection key={`merge-${contactId}`} contactId={contactId} name={name} conversations={conversations} onMerged={onMerged} />
      <ConsentSection key={`consent-${contactId}`} contactId={contactId} channel={conv.channel} />
      {session.user.role !== 'agent' && (
        <RecordTools key={`records-${contactId}`} contactId={contactId} name={name} onErased={() => onErased(contactId)} />
      )}
    </section>
  );
}
