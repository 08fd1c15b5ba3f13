import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { ConversationSummary } from '../api-types.ts';
import { at, conv, msg } from './fixtures.ts';
import type { LiveContext, ListState } from './list.ts';
import { appendPage, compareConversations, emptyList, fieldsMatchView, listReducer, matchesView, mergeHead, neighbour, placeSorted, viewQuery } from './list.ts';
import type { ListView } from './routes.ts';

const OPEN: ListView = { filter: 'open', inboxId: null, channel: null };
const ctx = (over: Partial<LiveContext> = {}): LiveContext => ({ view: OPEN, meId: 'me', openId: null, openVisible: true, ...over });
const loaded = (items: ConversationSummary[], nextCursor: string | null = null): ListState =>
  listReducer(emptyList, { type: 'first-page', page: { items, nextCursor } });
const ids = (s: { items: { id: string }[] }) => s.items.map((c) => c.id);

describe('views', () => {
  it('maps filters to the query the API takes', () => {
    expect(viewQuery(OPEN)).toEqual({ status: 'open', assignee: 'any' });
    expect(viewQuery({ filter: 'mine', inboxId: 'ib', channel: 'sms' })).toEqual({ status: 'open', assignee: 'me', inboxId: 'ib', channel: 'sms' });
    expect(viewQuery({ filter: 'unassigned', inboxId: null, channel: null })).toEqual({ status: 'open', assignee: 'unassigned' });
    expect(viewQuery({ filter: 'resolved', inboxId: null, channel: null })).toEqual({ status: 'resolved', assignee: 'any' });
  });

  it('tells whether a conversation belongs in a view', () => {
    const mineOpen = conv({ id: 'a', assignee: { id: 'me', displayName: 'Me' } });
    expect(matchesView(mineOpen, { ...OPEN, filter: 'mine' }, 'me')).toBe(true);
    expect(matchesView(mineOpen, { ...OPEN, filter: 'mine' }, 'someone')).toBe(false);
    expect(matchesView(mineOpen, { ...OPEN, filter: 'unassigned' }, 'me')).toBe(false);
    expect(matchesView({ ...mineOpen, status: 'resolved' }, OPEN, 'me')).toBe(false);
    expect(matchesView({ ...mineOpen, status: 'resolved' }, { ...OPEN, filter: 'resolved' }, 'me')).toBe(true);
    expect(matchesView(mineOpen, { ...OPEN, channel: 'sms' }, 'me')).toBe(false);
    expect(matchesView(mineOpen, { ...OPEN, inboxId: 'other' }, 'me')).toBe(false);
  });

  it('decides the same from the fields a message.created frame carries', () => {
    const views: ListView[] = ['open', 'mine', 'unassigned', 'resolved'].flatMap((filter) => [null, 'ib1'].flatMap((inboxId) =>
      [null, 'sms'].map((channel) => ({ filter, inboxId, channel }) as ListView)));
    const rows = [conv({ id: 'a' }), conv({ id: 'b', assignee: { id: 'me', displayName: 'Me' } }), conv({ id: 'c', status: 'resolved', inboxId: 'ib1', channel: 'sms' })];
    for (const c of rows) {
      for (const view of views) {
        const fields = { inboxId: c.inboxId, channel: c.channel, status: c.status, assigneeId: c.assignee?.id ?? null };
        expect(fieldsMatchView(fields, view, 'me')).toBe(matchesView(c, view, 'me'));
      }
    }
    expect(fieldsMatchView({ inboxId: 'ib1', channel: 'web', status: 'open', assigneeId: 'someone' }, { ...OPEN, filter: 'mine' }, 'me')).toBe(false);
  });
});

describe('ordering', () => {
  it('keeps newest activity first, ties by id descending (as the server pages)', () => {
    const list = [conv({ id: 'b', lastMessageAt: at(5) }), conv({ id: 'a', lastMessageAt: at(5) }), conv({ id: 'c', lastMessageAt: at(1) })];
    expect([...list].reverse().sort(compareConversations).map((c) => c.id)).toEqual(['b', 'a', 'c']);
  });

  it('placeSorted moves a row without duplicating it', () => {
    const list = [conv({ id: 'a', lastMessageAt: at(3) }), conv({ id: 'b', lastMessageAt: at(2) }), conv({ id: 'c', lastMessageAt: at(1) })];
    expect(placeSorted(list, conv({ id: 'c', lastMessageAt: at(9) })).map((c) => c.id)).toEqual(['c', 'a', 'b']);
    expect(placeSorted(list, conv({ id: 'z', lastMessageAt: at(0) })).map((c) => c.id)).toEqual(['a', 'b', 'c', 'z']);
  });

  it('placeSorted keeps any sorted list sorted and unique (property)', () => {
    const arb = fc.array(fc.record({ id: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'), t: fc.integer({ min: 0, max: 20 }) }), { maxLength: 30 });
    fc.assert(fc.property(arb, (ops) => {
      let list: ConversationSummary[] = [];
      for (const o of ops) list = placeSorted(list, conv({ id: o.id, lastMessageAt: at(o.t) }));
      const sorted = [...list].sort(compareConversations);
      return new Set(list.map((c) => c.id)).size === list.length && sorted.every((c, i) => c === list[i]);
    }));
  });
});

describe('paging', () => {
  it('appends a page, keeping the fresher copy of a row seen twice', () => {
    const first = [conv({ id: 'a', lastMessageAt: at(9) }), conv({ id: 'b', lastMessageAt: at(8), unreadCount: 1 })];
    const page = [conv({ id: 'b', lastMessageAt: at(8), unreadCount: 0 }), conv({ id: 'c', lastMessageAt: at(7) })];
    const out = appendPage(first, page);
    expect(out.map((c) => c.id)).toEqual(['a', 'b', 'c']);
    expect(out[1]!.unreadCount).toBe(0);
    // An older copy in a later page does not undo a live update.
    const stale = appendPage([conv({ id: 'a', lastMessageAt: at(20), preview: 'new' })], [conv({ id: 'a', lastMessageAt: at(9), preview: 'old' })]);
    expect(stale[0]!.preview).toBe('new');
  });

  it('tracks the cursor and loading state through the reducer', () => {
    let s = listReducer(emptyList, { type: 'reset' });
    expect(s.loading).toBe('first');
    s = listReducer(s, { type: 'first-page', page: { items: [conv({ id: 'a' })], nextCursor: 'c1' } });
    expect(s).toMatchObject({ loading: 'none', loaded: true, nextCursor: 'c1' });
    s = listReducer(s, { type: 'loading-more' });
    expect(s.loading).toBe('more');
    s = listReducer(s, { type: 'next-page', page: { items: [conv({ id: 'b', lastMessageAt: at(-5) })], nextCursor: null } });
    expect(s).toMatchObject({ loading: 'none', nextCursor: null });
    expect(ids(s)).toEqual(['a', 'b']);
    s = listReducer(s, { type: 'failed', error: 'boom' });
    expect(s).toMatchObject({ loading: 'none', error: 'boom' });
  });

  it('merges a fresh first page ahead of older loaded rows', () => {
    const items = [
      conv({ id: 'a', lastMessageAt: at(9) }),
      conv({ id: 'b', lastMessageAt: at(8) }),
      conv({ id: 'c', lastMessageAt: at(7) }),
      conv({ id: 'd', lastMessageAt: at(1) }),
    ];
    const page = { items: [conv({ id: 'n', lastMessageAt: at(10) }), conv({ id: 'a', lastMessageAt: at(9) }), conv({ id: 'c', lastMessageAt: at(7) })], nextCursor: 'x' };
    // "b" left the view (it is not in the fresh page although newer than its last row); "d" stays.
    expect(mergeHead(items, page)).toEqual({ items: [page.items[0], page.items[1], page.items[2], items[3]], complete: false });
    expect(mergeHead(items, { items: page.items, nextCursor: null })).toEqual({ items: page.items, complete: true });
  });
});

describe('live updates', () => {
  it('moves a row to the top on a new patient message, with unread count and waiting time', () => {
    const s = loaded([conv({ id: 'a', lastMessageAt: at(9) }), conv({ id: 'b', lastMessageAt: at(8) })]);
    const m = msg({ id: 10, conversationId: 'b', createdAt: at(12), body: 'Is parking free?' });
    const next = listReducer(s, { type: 'message', message: m, ctx: ctx() });
    expect(ids(next)).toEqual(['b', 'a']);
    expect(next.items[0]).toMatchObject({ unreadCount: 1, preview: 'Is parking free?', lastMessageAt: at(12), waitingSince: at(12) });
  });

  it('does not count a message as unread in the conversation being read', () => {
    const s = loaded([conv({ id: 'a', lastMessageAt: at(9) })]);
    const next = listReducer(s, { type: 'message', message: msg({ id: 1, conversationId: 'a', createdAt: at(10) }), ctx: ctx({ openId: 'a' }) });
    expect(next.items[0]!.unreadCount).toBe(0);
    const hidden = listReducer(s, { type: 'message', message: msg({ id: 1, conversationId: 'a', createdAt: at(10) }), ctx: ctx({ openId: 'a', openVisible: false }) });
    expect(hidden.items[0]!.unreadCount).toBe(1);
  });

  it('a staff reply ends the wait; a note changes neither preview nor wait', () => {
    const s = loaded([conv({ id: 'a', lastMessageAt: at(9), waitingSince: at(5), preview: 'help' })]);
    const note = listReducer(s, { type: 'message', message: msg({ id: 2, conversationId: 'a', direction: 'out', kind: 'note', body: 'call back', createdAt: at(10) }), ctx: ctx() });
    expect(note.items[0]).toMatchObject({ waitingSince: at(5), preview: 'help', lastMessageAt: at(9) });
    const reply = listReducer(s, { type: 'message', message: msg({ id: 3, conversationId: 'a', direction: 'out', body: 'Yes it is', createdAt: at(11) }), ctx: ctx() });
    expect(reply.items[0]).toMatchObject({ waitingSince: null, preview: 'Yes it is', lastMessageAt: at(11) });
  });

  it('leaves the list alone for a message of a conversation it does not hold', () => {
    const s = loaded([conv({ id: 'a' })]);
    expect(listReducer(s, { type: 'message', message: msg({ id: 1, conversationId: 'zz' }), ctx: ctx() })).toBe(s);
  });

  it('applies conversation.updated: replaces, drops rows leaving the view, keeps the open one', () => {
    const s = loaded([conv({ id: 'a', lastMessageAt: at(9) }), conv({ id: 'b', lastMessageAt: at(8) })]);
    const resolvedB = conv({ id: 'b', lastMessageAt: at(8), status: 'resolved' });
    expect(ids(listReducer(s, { type: 'conversation', conversation: resolvedB, ctx: ctx() }))).toEqual(['a']);
    const kept = listReducer(s, { type: 'conversation', conversation: resolvedB, ctx: ctx({ openId: 'b' }) });
    expect(ids(kept)).toEqual(['a', 'b']);
    expect(kept.items[1]!.status).toBe('resolved');
    const assigned = conv({ id: 'a', lastMessageAt: at(9), assignee: { id: 'x', displayName: 'Ann' } });
    expect(listReducer(s, { type: 'conversation', conversation: assigned, ctx: ctx() }).items[0]!.assignee?.displayName).toBe('Ann');
  });

  it('inserts a new matching conversation only within the span already loaded', () => {
    const partial = loaded([conv({ id: 'a', lastMessageAt: at(9) }), conv({ id: 'b', lastMessageAt: at(8) })], 'more');
    expect(ids(listReducer(partial, { type: 'conversation', conversation: conv({ id: 'n', lastMessageAt: at(10) }), ctx: ctx() }))).toEqual(['n', 'a', 'b']);
    // Older than everything loaded, with more pages to come: a later page will bring it.
    expect(ids(listReducer(partial, { type: 'conversation', conversation: conv({ id: 'o', lastMessageAt: at(1) }), ctx: ctx() }))).toEqual(['a', 'b']);
    const complete = loaded([conv({ id: 'a', lastMessageAt: at(9) })]);
    expect(ids(listReducer(complete, { type: 'conversation', conversation: conv({ id: 'o', lastMessageAt: at(1) }), ctx: ctx() }))).toEqual(['a', 'o']);
    // Not matching the view: ignored.
    expect(ids(listReducer(complete, { type: 'conversation', conversation: conv({ id: 'r', status: 'resolved' }), ctx: ctx() }))).toEqual(['a']);
  });

  it('clears the unread count on read', () => {
    const s = loaded([conv({ id: 'a', unreadCount: 4 })]);
    expect(listReducer(s, { type: 'read', id: 'a' }).items[0]!.unreadCount).toBe(0);
    const zero = listReducer(s, { type: 'read', id: 'a' });
    expect(listReducer(zero, { type: 'read', id: 'a' })).toBe(zero);
  });

  it('drops every conversation of an erased contact', () => {
    const s = loaded([conv({ id: 'a', contact: { id: 'ct_x', displayName: 'X' } }), conv({ id: 'b' }), conv({ id: 'c', contact: { id: 'ct_x', displayName: 'X' } })]);
    const out = listReducer(s, { type: 'contact-erased', contactId: 'ct_x' });
    expect(ids(out)).toEqual(['b']);
    expect(listReducer(out, { type: 'contact-erased', contactId: 'ct_x' })).toBe(out);
  });
});

describe('neighbour', () => {
  const items = [{ id: 'a' }, { id: 'b' }, { id: 'c' }];
  it('steps through the list and stops at the ends', () => {
    expect(neighbour(items, 'a', 1)).toBe('b');
    expect(neighbour(items, 'b', -1)).toBe('a');
    expect(neighbour(items, 'c', 1)).toBe('c');
    expect(neighbour(items, 'a', -1)).toBe('a');
  });
  it('starts at the first (j) or last (k) row with nothing selected', () => {
    expect(neighbour(items, null, 1)).toBe('a');
    expect(neighbour(items, 'gone', -1)).toBe('c');
    expect(neighbour([], null, 1)).toBeNull();
  });
});
