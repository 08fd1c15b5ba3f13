/**
 * One open conversation: its summary, contact and history, the replies being sent, and the
 * timeline the screen draws (day separators, channel changes). Pure, for `useReducer` and tests.
 *
 * Messages are merged by id (each id once, ascending). A reply is shown at once as pending with its
 * `clientId`; the server's copy replaces it, whether it arrives first in the POST answer or over the
 * WebSocket (matched by author, kind and body while the POST is in flight).
 */
import type { Contact, ConversationDetail, ConversationSummary, Message } from '../api-types.ts';
import { channelLabel } from './format.ts';
import type { TimeOptions } from './time.ts';
import { dayLabel, dayNumber } from './time.ts';

/** Longest reply or note the server takes (the widget protocol's limit; a test keeps them equal). */
export const MAX_REPLY_CHARS = 4000;

export interface PendingReply {
  clientId: string;
  body: string;
  internal: boolean;
  /** The channel chosen for a reply, when the patient has several. */
  channel?: string;
  createdAt: string;
  /** Set when the server refused it; it then waits for Retry or Discard. */
  error: string | null;
}

export interface ConversationState {
  id: string;
  conversation: ConversationSummary | null;
  contact: Contact | null;
  messages: Message[];
  hasMore: boolean;
  pending: PendingReply[];
  loading: boolean;
  loadingOlder: boolean;
  error: string | null;
  /** Error code of the failed load (e.g. "not_found"), to tell a missing conversation apart. */
  errorStatus: number | null;
}

export function initialConversation(id: string): ConversationState {
  return {
    id,
    conversation: null,
    contact: null,
    messages: [],
    hasMore: false,
    pending: [],
    loading: true,
    loadingOlder: false,
    error: null,
    errorStatus: null,
  };
}

/** Union by id, ascending by id. */
export function mergeMessages(a: readonly Message[], b: readonly Message[]): Message[] {
  const byId = new Map<number, Message>();
  for (const m of a) byId.set(m.id, m);
  for (const m of b) byId.set(m.id, m);
  return [...byId.values()].sort((x, y) => x.id - y.id);
}

/** A pending reply that `m` (the server's copy, arrived over the socket) most likely is. */
function pendingMatch(pending: readonly PendingReply[], m: Message, myName: string | null): PendingReply | undefined {
  if (m.direction !== 'out') return undefined;
  if (myName != null && m.authorName != null && m.authorName !== myName) return undefined;
  return pending.find((p) => !p.error && p.internal === (m.kind === 'note') && p.body.trim() === m.body.trim());
}

export type ConversationAction =
  | { type: 'loaded'; detail: ConversationDetail }
  | { type: 'load-failed'; error: string; status: number }
  | { type: 'older-loading' }
  | { type: 'older-loaded'; messages: Message[]; hasMore: boolean }
  | { type: 'older-failed'; error: string }
  | { type: 'message'; message: Message; myName: string | null }
  | { type: 'summary'; conversation: ConversationSummary }
  | { type: 'send'; pending: PendingReply }
  | { type: 'sent'; clientId: string; message: Message }
  | { type: 'send-failed'; clientId: string; error: string }
  | { type: 'retry'; clientId: string }
  | { type: 'discard'; clientId: string };

export function conversationReducer(state: ConversationState, action: ConversationAction): ConversationState {
  switch (action.type) {
    case 'loaded': {
      const d = action.detail;
      // A reload (after a reconnect) keeps the older pages already fetched, and whether more remain.
      const firstNew = d.messages[0]?.id;
      const keptOlder = state.messages.length > 0 && firstNew !== undefined && state.messages[0]!.id < firstNew;
      return {
        ...state,
        conversation: d.conversation,
        contact: d.contact,
        messages: mergeMessages(state.messages, d.messages),
        hasMore: keptOlder ? state.hasMore : d.hasMore,
        loading: false,
        error: null,
        errorStatus: null,
      };
    }
    case 'load-failed':
      return { ...state, loading: false, error: action.error, errorStatus: action.status };
    case 'older-loading':
      return { ...state, loadingOlder: true };
    case 'older-loaded':
      return { ...state, loadingOlder: false, hasMore: action.hasMore, messages: mergeMessages(action.messages, state.messages) };
    case 'older-failed':
      return { ...state, loadingOlder: false, error: action.error };
    case 'message': {
      const m = action.message;
      if (!state.conversation) return state;
      // The history spans the contact's conversations, so a message may belong to another of them.
      if (m.conversationId !== state.id && (!state.contact || !belongsToContact(state, m))) return state;
      const match = pendingMatch(state.pending, m, action.myName);
      return {
        ...state,
        messages: mergeMessages(state.messages, [m]),
        pending: match ? state.pending.filter((p) => p !== match) : state.pending,
      };
    }
    case 'summary':
      if (action.conversation.id !== state.id) return state;
      return { ...state, conversation: action.conversation };
    case 'send':
      return { ...state, pending: [...state.pending, action.pending] };
    case 'sent':
      return {
        ...state,
        messages: mergeMessages(state.messages, [action.message]),
        pending: state.pending.filter((p) => p.clientId !== action.clientId),
      };
    case 'send-failed':
      return { ...state, pending: state.pending.map((p) => (p.clientId === action.clientId ? { ...p, error: action.error } : p)) };
    case 'retry':
      return { ...state, pending: state.pending.map((p) => (p.clientId === action.clientId ? { ...p, error: null } : p)) };
    case 'discard':
      return { ...state, pending: state.pending.filter((p) => p.clientId !== action.clientId) };
  }
}

/** Messages of the contact's other conversations already shown here belong too. */
function belongsToContact(state: ConversationState, m: Message): boolean {
  return state.messages.some((x) => x.conversationId === m.conversationId);
}

export function newestMessageId(messages: readonly Message[]): number | null {
  return messages.length ? messages[messages.length - 1]!.id : null;
}

export type TimelineItem =
  | { type: 'day'; key: string; label: string }
  | { type: 'channel'; key: string; label: string; channel: string }
  | { type: 'message'; key: string; message: Message }
  | { type: 'pending'; key: string; pending: PendingReply; channel: string };

/**
 * The history as drawn: a day separator whenever the calendar day changes, a channel label at the
 * start and whenever the channel changes, then the pending replies (on the conversation's channel).
 */
export function buildTimeline(
  messages: readonly Message[],
  pending: readonly PendingReply[],
  channel: string,
  now: number,
  o: TimeOptions = {},
): TimelineItem[] {
  const out: TimelineItem[] = [];
  let day: number | null = null;
  let ch: string | null = null;
  const step = (key: string, at: string, itemChannel: string) => {
    const d = dayNumber(Date.parse(at), o);
    if (d !== day) {
      day = d;
      out.push({ type: 'day', key: `d${key}`, label: dayLabel(at, now, o) });
    }
    if (itemChannel !== ch) {
      ch = itemChannel;
      out.push({ type: 'channel', key: `c${key}`, label: channelLabel(itemChannel), channel: itemChannel });
    }
  };
  for (const m of messages) {
    step(String(m.id), m.createdAt, m.channel);
    out.push({ type: 'message', key: `m${m.id}`, message: m });
  }
  for (const p of pending) {
    step(p.clientId, p.createdAt, channel);
    out.push({ type: 'pending', key: `p${p.clientId}`, pending: p, channel });
  }
  return out;
}
