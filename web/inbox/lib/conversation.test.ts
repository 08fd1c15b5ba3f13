import { describe, expect, it } from 'vitest';
import { MAX_MESSAGE_CHARS } from '../../../src/channels/widget/protocol.ts';
import type { ConversationDetail } from '../api-types.ts';
import { at, conv, msg } from './fixtures.ts';
import type { ConversationState, PendingReply } from './conversation.ts';
import { buildTimeline, conversationReducer, initialConversation, MAX_REPLY_CHARS, mergeMessages, newestMessageId } from './conversation.ts';

const contact = { id: 'ct', displayName: 'Jane Doe', email: null, phone: '+15555550100', dateOfBirth: null, channels: ['web', 'sms'] };
const detail = (messages = [msg({ id: 1 }), msg({ id: 2 })], hasMore = false): ConversationDetail => ({
  conversation: conv({ id: 'c1' }),
  contact,
  messages,
  hasMore,
});
const loadedState = (d = detail()): ConversationState => conversationReducer(initialConversation('c1'), { type: 'loaded', detail: d });
const pending = (over: Partial<PendingReply> = {}): PendingReply => ({
  clientId: 'client-1',
  body: 'On my way',
  internal: false,
  createdAt: at(5),
  error: null,
  ...over,
});

describe('mergeMessages', () => {
  it('unions by id, ascending, the later copy winning', () => {
    const merged = mergeMessages([msg({ id: 3 }), msg({ id: 1, body: 'old' })], [msg({ id: 2 }), msg({ id: 1, body: 'new' })]);
    expect(merged.map((m) => m.id)).toEqual([1, 2, 3]);
    expect(merged[0]!.body).toBe('new');
    expect(newestMessageId(merged)).toBe(3);
    expect(newestMessageId([])).toBeNull();
  });
});

describe('conversationReducer', () => {
  it('loads, then prepends older history', () => {
    let s = loadedState(detail([msg({ id: 5 }), msg({ id: 6 })], true));
    expect(s).toMatchObject({ loading: false, hasMore: true, contact });
    s = conversationReducer(s, { type: 'older-loading' });
    expect(s.loadingOlder).toBe(true);
    s = conversationReducer(s, { type: 'older-loaded', messages: [msg({ id: 3 }), msg({ id: 4 })], hasMore: false });
    expect(s.messages.map((m) => m.id)).toEqual([3, 4, 5, 6]);
    expect(s).toMatchObject({ loadingOlder: false, hasMore: false });
  });

  it('a reload keeps older pages already fetched and whether more remain', () => {
    let s = loadedState(detail([msg({ id: 5 }), msg({ id: 6 })], true));
    s = conversationReducer(s, { type: 'older-loaded', messages: [msg({ id: 1 })], hasMore: true });
    s = conversationReducer(s, { type: 'loaded', detail: detail([msg({ id: 5 }), msg({ id: 6 }), msg({ id: 7 })], true) });
    expect(s.messages.map((m) => m.id)).toEqual([1, 5, 6, 7]);
    expect(s.hasMore).toBe(true);
  });

  it('shows a reply at once and replaces it with the stored one (POST answer first)', () => {
    let s = conversationReducer(loadedState(), { type: 'send', pending: pending() });
    expect(s.pending).toHaveLength(1);
    const stored = msg({ id: 9, direction: 'out', body: 'On my way', authorName: 'Ann' });
    s = conversationReducer(s, { type: 'sent', clientId: 'client-1', message: stored });
    expect(s.pending).toHaveLength(0);
    // The same message over the socket afterwards is merged, not doubled.
    s = conversationReducer(s, { type: 'message', message: stored, myName: 'Ann' });
    expect(s.messages.filter((m) => m.id === 9)).toHaveLength(1);
  });

  it('matches the socket copy of a reply to its pending item (socket first)', () => {
    let s = conversationReducer(loadedState(), { type: 'send', pending: pending() });
    const stored = msg({ id: 9, direction: 'out', body: 'On my way', authorName: 'Ann' });
    s = conversationReducer(s, { type: 'message', message: stored, myName: 'Ann' });
    expect(s.pending).toHaveLength(0);
    s = conversationReducer(s, { type: 'sent', clientId: 'client-1', message: stored });
    expect(s.messages.filter((m) => m.id === 9)).toHaveLength(1);
  });

  it("does not take a colleague's identical reply, or a note, for my pending reply", () => {
    let s = conversationReducer(loadedState(), { type: 'send', pending: pending() });
    s = conversationReducer(s, { type: 'message', message: msg({ id: 9, direction: 'out', body: 'On my way', authorName: 'Bob' }), myName: 'Ann' });
    expect(s.pending).toHaveLength(1);
    s = conversationReducer(s, { type: 'message', message: msg({ id: 10, direction: 'out', kind: 'note', body: 'On my way', authorName: 'Ann' }), myName: 'Ann' });
    expect(s.pending).toHaveLength(1);
  });

  it('keeps a failed reply for retry or discard', () => {
    let s = conversationReducer(loadedState(), { type: 'send', pending: pending() });
    s = conversationReducer(s, { type: 'send-failed', clientId: 'client-1', error: 'Cannot reach the server' });
    expect(s.pending[0]!.error).toBe('Cannot reach the server');
    s = conversationReducer(s, { type: 'retry', clientId: 'client-1' });
    expect(s.pending[0]!.error).toBeNull();
    s = conversationReducer(s, { type: 'discard', clientId: 'client-1' });
    expect(s.pending).toHaveLength(0);
  });

  it("takes live messages of this conversation and of the contact's others shown here, nothing else", () => {
    let s = loadedState(detail([msg({ id: 1, conversationId: 'c0', channel: 'sms' }), msg({ id: 2 })]));
    s = conversationReducer(s, { type: 'message', message: msg({ id: 3 }), myName: null });
    s = conversationReducer(s, { type: 'message', message: msg({ id: 4, conversationId: 'c0' }), myName: null });
    s = conversationReducer(s, { type: 'message', message: msg({ id: 5, conversationId: 'stranger' }), myName: null });
    expect(s.messages.map((m) => m.id)).toEqual([1, 2, 3, 4]);
  });

  it('ignores live messages before the conversation has loaded', () => {
    const s = initialConversation('c1');
    expect(conversationReducer(s, { type: 'message', message: msg({ id: 1 }), myName: null })).toBe(s);
  });

  it('updates the summary of this conversation only', () => {
    const s = loadedState();
    expect(conversationReducer(s, { type: 'summary', conversation: conv({ id: 'c1', status: 'resolved' }) }).conversation!.status).toBe('resolved');
    expect(conversationReducer(s, { type: 'summary', conversation: conv({ id: 'other' }) })).toBe(s);
  });

  it('keeps the reply limit equal to the server protocol', () => {
    expect(MAX_REPLY_CHARS).toBe(MAX_MESSAGE_CHARS);
  });
});

describe('buildTimeline', () => {
  const o = { timeZone: 'UTC', locale: 'en-US' };
  const now = Date.parse('2025-03-03T18:00:00Z');

  it('puts day separators and channel labels where they change', () => {
    const messages = [
      msg({ id: 1, channel: 'web', createdAt: '2025-03-02T09:00:00Z' }),
      msg({ id: 2, channel: 'web', createdAt: '2025-03-02T09:05:00Z' }),
      msg({ id: 3, channel: 'sms', createdAt: '2025-03-03T08:00:00Z' }),
      msg({ id: 4, channel: 'sms', createdAt: '2025-03-03T08:01:00Z', direction: 'out', kind: 'note' }),
      msg({ id: 5, channel: 'web', createdAt: '2025-03-03T08:02:00Z' }),
    ];
    const t = buildTimeline(messages, [pending({ createdAt: '2025-03-03T09:00:00Z' })], 'web', now, o);
    expect(t.map((i) => (i.type === 'day' || i.type === 'channel' ? `${i.type}:${i.label}` : i.type === 'message' ? i.message.id : 'pending'))).toEqual([
      'day:Yesterday', 'channel:Web chat', 1, 2,
      'day:Today', 'channel:SMS', 3, 4,
      'channel:Web chat', 5,
      'pending',
    ]);
    expect(new Set(t.map((i) => i.key)).size).toBe(t.length);
  });

  it('labels a pending reply with the channel when it differs', () => {
    const t = buildTimeline([msg({ id: 1, channel: 'sms', createdAt: '2025-03-03T08:00:00Z' })], [pending({ createdAt: '2025-03-03T09:00:00Z' })], 'web', now, o);
    expect(t.filter((i) => i.type === 'channel').map((i) => (i.type === 'channel' ? i.channel : ''))).toEqual(['sms', 'web']);
  });

  it('is empty for nothing', () => {
    expect(buildTimeline([], [], 'web', now, o)).toEqual([]);
  });
});
