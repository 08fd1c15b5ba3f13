/**
 * The conversation list: pages loaded by cursor, kept newest-first by `lastMessageAt`, with live
 * updates applied in place. Pure, for `useReducer` and for tests.
 */
import type { ConversationListFields, ConversationPage, ConversationSummary, Message } from '../api-types.ts';
import type { ListView } from './routes.ts';

export interface ListState {
  items: ConversationSummary[];
  nextCursor: string | null;
  /** 'loading' is the first page; 'more' a later one. */
  loading: 'none' | 'first' | 'more';
  error: string | null;
  /** True once the first page of the current view has arrived. */
  loaded: boolean;
}

export const emptyList: ListState = { items: [], nextCursor: null, loading: 'first', error: null, loaded: false };

/** Newest activity first; ties by id so the order is stable. */
export function compareConversations(a: ConversationSummary, b: ConversationSummary): number {
  const ta = Date.parse(a.lastMessageAt);
  const tb = Date.parse(b.lastMessageAt);
  if (ta !== tb) return tb - ta;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

export function matchesView(c: ConversationSummary, view: ListView, meId: string | null): boolean {
  return fieldsMatchView({ inboxId: c.inboxId, channel: c.channel, status: c.status, assigneeId: c.assignee?.id ?? null }, view, meId);
}

/** The same from what a `message.created` frame carries of its conversation. */
export function fieldsMatchView(c: ConversationListFields, view: ListView, meId: string | null): boolean {
  if (view.inboxId && c.inboxId !== view.inboxId) return false;
  if (view.channel && c.channel !== view.channel) return false;
  switch (view.filter) {
    case 'open':
      return c.status === 'open';
    case 'resolved':
      return c.status === 'resolved';
    case 'mine':
      return c.status === 'open' && !!meId && c.assigneeId === meId;
    case 'unassigned':
      return c.status === 'open' && !c.assigneeId;
  }
}

/** Query parameters of GET /api/conversations for a view. */
export function viewQuery(view: ListView): Record<string, string> {
  const q: Record<string, string> = {
    status: view.filter === 'resolved' ? 'resolved' : 'open',
    assignee: view.filter === 'mine' ? 'me' : view.filter === 'unassigned' ? 'unassigned' : 'any',
  };
  if (view.inboxId) q.inboxId = view.inboxId;
  if (view.channel) q.channel = view.channel;
  return q;
}

/** Puts `c` where the newest-first order wants it (removing any older copy of it first). */
export function placeSorted(items: ConversationSummary[], c: ConversationSummary): ConversationSummary[] {
  const rest = items.filter((x) => x.id !== c.id);
  let i = rest.findIndex((x) => compareConversations(c, x) <= 0);
  if (i < 0) i = rest.length;
  return [...rest.slice(0, i), c, ...rest.slice(i)];
}

function newer(a: ConversationSummary, b: ConversationSummary): ConversationSummary {
  return Date.parse(b.lastMessageAt) >= Date.parse(a.lastMessageAt) ? b : a;
}

/**
 * Appends a later page. A conversation already shown (it moved while paging) keeps its place and
 * the fresher of the two copies.
 */
export function appendPage(items: ConversationSummary[], page: ConversationSummary[]): ConversationSummary[] {
  const index = new Map(items.map((c, i) => [c.id, i]));
  const out = items.slice();
  for (const c of page) {
    const i = index.get(c.id);
    if (i === undefined) {
      index.set(c.id, out.length);
      out.push(c);
    } else {
      out[i] = newer(out[i]!, c);
    }
  }
  return out;
}

/**
 * Merges a fresh first page into a longer list: the page is the truth for the span it covers;
 * older rows already loaded stay after it.
 */
export function mergeHead(items: ConversationSummary[], page: ConversationPage): { items: ConversationSummary[]; complete: boolean } {
  if (!page.nextCursor || page.items.length === 0) return { items: page.items.slice(), complete: !page.nextCursor };
  const last = page.items[page.items.length - 1]!;
  const seen = new Set(page.items.map((c) => c.id));
  const tail = items.filter((c) => !seen.has(c.id) && compareConversations(last, c) < 0);
  return { items: [...page.items, ...tail], complete: false };
}

export interface LiveContext {
  view: ListView;
  meId: string | null;
  /** The conversation on screen: it stays in the list even when it stops matching the view. */
  openId: string | null;
  /** True when the open conversation is visible, so its new messages count as read. */
  openVisible: boolean;
}

/** A `conversation.updated` frame. */
export function applyConversation(state: ListState, c: ConversationSummary, ctx: LiveContext): ListState {
  const present = state.items.some((x) => x.id === c.id);
  const matches = matchesView(c, ctx.view, ctx.meId);
  if (present) {
    if (!matches && c.id !== ctx.openId) return { ...state, items: state.items.filter((x) => x.id !== c.id) };
    const fresh = ctx.openVisible && c.id === ctx.openId ? { ...c, unreadCount: 0 } : c;
    return { ...state, items: placeSorted(state.items, fresh) };
  }
  if (!matches || !state.loaded) return state;
  // Only insert it when it belongs within the span already loaded; later pages will bring it otherwise.
  const last = state.items[state.items.length - 1];
  if (state.nextCursor && last && compareConversations(c, last) > 0) return state;
  return { ...state, items: placeSorted(state.items, c) };
}

/**
 * A `message.created` frame: the row's time, preview, waiting time and unread count move with it.
 * `known` is false when the conversation is not in the list (the caller may refresh the first page).
 */
export function applyMessage(state: ListState, m: Message, ctx: LiveContext): { state: ListState; known: boolean } {
  const row = state.items.find((c) => c.id === m.conversationId);
  if (!row) return { state, known: false };
  const later = Date.parse(m.createdAt) >= Date.parse(row.lastMessageAt);
  const seen = ctx.openVisible && ctx.openId === row.id;
  const next: ConversationSummary = { ...row };
  if (m.kind === 'message') {
    if (later) {
      next.lastMessageAt = m.createdAt;
      next.preview = m.body;
    }
    if (m.direction === 'in') {
      if (!seen) next.unreadCount = row.unreadCount + 1;
      if (!row.waitingSince) next.waitingSince = m.createdAt;
    } else if (later) {
      next.waitingSince = null;
    }
  }
  return { state: { ...state, items: placeSorted(state.items, next) }, known: true };
}

export function markRowRead(state: ListState, id: string): ListState {
  const row = state.items.find((c) => c.id === id);
  if (!row || row.unreadCount === 0) return state;
  return { ...state, items: state.items.map((c) => (c.id === id ? { ...c, unreadCount: 0 } : c)) };
}

/** Drops every conversation of a contact (after the contact was erased). */
export function removeContact(state: ListState, contactId: string): ListState {
  const items = state.items.filter((c) => c.contact.id !== contactId);
  return items.length === state.items.length ? state : { ...state, items };
}

export type ListAction =
  | { type: 'reset' }
  | { type: 'loading-more' }
  | { type: 'first-page'; page: ConversationPage }
  | { type: 'next-page'; page: ConversationPage }
  | { type: 'head'; page: ConversationPage }
  | { type: 'failed'; error: string }
  | { type: 'conversation'; conversation: ConversationSummary; ctx: LiveContext }
  | { type: 'message'; message: Message; ctx: LiveContext }
  | { type: 'read'; id: string }
  /** The contact was erased: their conversations are gone. */
  | { type: 'contact-erased'; contactId: string };

export function listReducer(state: ListState, action: ListAction): ListState {
  switch (action.type) {
    case 'reset':
      return emptyList;
    case 'loading-more':
      return { ...state, loading: 'more', error: null };
    case 'first-page':
      return { items: action.page.items.slice(), nextCursor: action.page.nextCursor, loading: 'none', error: null, loaded: true };
    case 'next-page':
      return { ...state, items: appendPage(state.items, action.page.items), nextCursor: action.page.nextCursor, loading: 'none', error: null };
    case 'head': {
      if (!state.loaded) return listReducer(state, { type: 'first-page', page: action.page });
      const { items, complete } = mergeHead(state.items, action.page);
      return { ...state, items, nextCursor: complete ? null : state.nextCursor ?? action.page.nextCursor };
    }
    case 'failed':
      return { ...state, loading: 'none', error: action.error };
    case 'conversation':
      return applyConversation(state, action.conversation, action.ctx);
    case 'message':
      return applyMessage(state, action.message, action.ctx).state;
    case 'read':
      return markRowRead(state, action.id);
    case 'contact-erased':
      return removeContact(state, action.contactId);
  }
}

/** The id `step` rows away from `currentId` (the first or last row when none is selected). */
export function neighbour(items: readonly { id: string }[], currentId: string | null, step: 1 | -1): string | null {
  if (items.length === 0) return null;
  const i = currentId ? items.findIndex((c) => c.id === currentId) : -1;
  if (i < 0) return step === 1 ? items[0]!.id : items[items.length - 1]!.id;
  const j = Math.min(items.length - 1, Math.max(0, i + step));
  return items[j]!.id;
}
