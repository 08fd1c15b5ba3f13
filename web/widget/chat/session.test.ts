import { describe, expect, it } from 'vitest';
import { MAX_MESSAGE_CHARS as PROTOCOL_MAX } from '../../../src/channels/widget/protocol.ts';
import type { ClientFrame, ServerFrame, WidgetInboxInfo, WidgetMessage } from '../../../src/channels/widget/protocol.ts';
import { clientFrameSchema } from '../../../src/channels/widget/protocol.ts';
import {
  BACKOFF_MAX_MS,
  CLIENT_ID_PATTERN,
  ChatSession,
  DEAD_AFTER_MS,
  MAX_MESSAGE_CHARS,
  PING_INTERVAL_MS,
  RATE_RETRY_MS,
  TYPING_IDLE_MS,
  TYPING_SHOWN_MS,
  backoffDelay,
  randomClientId,
  storageKey,
} from './session.ts';
import type { Clock, SocketHandlers, SocketLike, StorageLike } from './session.ts';
import { brandColors, luminance, parseHex } from './color.ts';
import { FakeClock } from '../../../test/support/fake-clock.ts';

const INBOX = 'pk_test_inbox';

/** The widget tests' clock starts on a Saturday morning. */
class WidgetClock extends FakeClock implements Clock {
  constructor() {
    super('2025-03-01T10:00:00Z');
  }
}

class FakeSocket implements SocketLike {
  sent: ClientFrame[] = [];
  closed = false;
  constructor(readonly url: string, readonly h: SocketHandlers) {}
  send(data: string): void {
    if (this.closed) throw new Error('socket closed');
    const frame: unknown = JSON.parse(data);
    // Every frame the widget sends must pass the server's own schema.
    this.sent.push(clientFrameSchema.parse(frame));
  }
  close(): void {
    this.closed = true;
  }
  open(): void {
    this.h.open();
  }
  receive(frame: ServerFrame): void {
    this.h.message(JSON.stringify(frame));
  }
  drop(): void {
    this.closed = true;
    this.h.close();
  }
  ofType<T extends ClientFrame['type']>(type: T): Extract<ClientFrame, { type: T }>[] {
    return this.sent.filter((f): f is Extract<ClientFrame, { type: T }> => f.type === type);
  }
}

class MemoryStorage implements StorageLike {
  map = new Map<string, string>();
  getItem(k: string): string | null {
    return this.map.get(k) ?? null;
  }
  setItem(k: string, v: string): void {
    this.map.set(k, v);
  }
  removeItem(k: string): void {
    this.map.delete(k);
  }
}

const inboxInfo: WidgetInboxInfo = {
  name: 'Riverside Dental',
  greeting: 'Hi! How can we help?',
  color: '#0a7d4f',
  preChat: { enabled: false, fields: [] },
};

function msg(id: number, from: 'patient' | 'staff', body: string, extra: Partial<WidgetMessage> = {}): WidgetMessage {
  return { id, from, body, at: new Date(Date.UTC(2025, 2, 1, 10, 0, id)).toISOString(), ...extra };
}

function setup(opts: { storage?: MemoryStorage; random?: () => number } = {}) {
  const clock = new WidgetClock();
  const storage = opts.storage ?? new MemoryStorage();
  const sockets: FakeSocket[] = [];
  const incoming: WidgetMessage[] = [];
  let n = 0;
  const session = new ChatSession({
    inbox: INBOX,
    url: 'wss://bedside.example/widget/ws?inbox=' + INBOX,
    socket: (url, h) => {
      const s = new FakeSocket(url, h);
      sockets.push(s);
      return s;
    },
    storage,
    clock,
    random: opts.random ?? (() => 0.5),
    newClientId: () => `client_${String(++n).padStart(4, '0')}`,
    onIncoming: (m) => incoming.push(m),
  });
  const last = () => sockets[sockets.length - 1]!;
  /** Opens the newest socket and answers its hello with a welcome. */
  const connect = (welcome: Partial<Extract<ServerFrame, { type: 'welcome' }>> = {}) => {
    const s = last();
    s.open();
    s.receive({ type: 'welcome', token: 'tok_1', inbox: inboxInfo, profileComplete: true, messages: [], ...welcome });
    return s;
  };
  return { clock, storage, sockets, session, last, connect, incoming };
}

describe('ChatSession', () => {
  it('sends hello first, with no token or lastSeenId on a first visit, and stores the token', () => {
    const { session, last, storage } = setup();
    session.start();
    expect(session.getState().status).toBe('connecting');
    const s = last();
    expect(s.url).toContain('/widget/ws?inbox=');
    expect(s.sent).toEqual([]);
    s.open();
    expect(s.sent).toEqual([{ type: 'hello' }]);
    s.receive({ type: 'welcome', token: 'tok_abc', inbox: inboxInfo, profileComplete: true, messages: [] });
    expect(session.getState().status).toBe('online');
    expect(session.getState().inbox?.name).toBe('Riverside Dental');
    expect(storage.getItem(storageKey(INBOX, 'token'))).toBe('tok_abc');
  });

  it('advances lastSeenId with every stored message and sends it (and the token) in the next hello', () => {
    const { session, last, connect, clock, storage } = setup();
    session.start();
    const s1 = connect({ messages: [msg(3, 'staff', 'a'), msg(7, 'patient', 'b')] });
    s1.receive({ type: 'message', message: msg(12, 'staff', 'c') });
    expect(storage.getItem(storageKey(INBOX, 'lastSeenId'))).toBe('12');
    s1.drop();
    expect(session.getState().status).toBe('reconnecting');
    clock.advance(BACKOFF_MAX_MS);
    const s2 = last();
    expect(s2).not.toBe(s1);
    s2.open();
    expect(s2.sent[0]).toEqual({ type: 'hello', token: 'tok_1', lastSeenId: 12 });
  });

  it('a reloaded page sends its token, asks for the recent history, and still knows what it has seen', () => {
    const storage = new MemoryStorage();
    const a = setup({ storage });
    a.session.start();
    a.connect({ token: 'tok_keep', messages: [msg(40, 'staff', 'seen before')] });
    a.session.stop();
    expect(storage.getItem(storageKey(INBOX, 'lastSeenId'))).toBe('40');

    const b = setup({ storage });
    b.session.start();
    b.last().open();
    // No lastSeenId: the new page holds no messages, so the server sends the recent history.
    expect(b.last().sent[0]).toEqual({ type: 'hello', token: 'tok_keep' });
    b.last().receive({
      type: 'welcome', token: 'tok_keep', inbox: inboxInfo, profileComplete: true,
      messages: [msg(40, 'staff', 'seen before'), msg(41, 'staff', 'arrived while away')],
    });
    expect(b.session.getState().messages.map((m) => m.id)).toEqual([40, 41]);
    expect(b.incoming.map((m) => m.id)).toEqual([41]);
    expect(storage.getItem(storageKey(INBOX, 'lastSeenId'))).toBe('41');
  });

  it('resends unacknowledged messages after a reconnect, in order, with the same clientId', () => {
    const { session, connect, clock } = setup();
    session.start();
    const s1 = connect();
    expect(session.send('first')).toBe(true);
    expect(session.send('second')).toBe(true);
    expect(s1.ofType('message').map((f) => [f.clientId, f.body])).toEqual([
      ['client_0001', 'first'],
      ['client_0002', 'second'],
    ]);
    s1.receive({ type: 'ack', clientId: 'client_0001', message: msg(5, 'patient', 'first', { clientId: 'client_0001' }) });
    s1.drop();
    expect(session.send('third')).toBe(true); // typed while offline
    clock.advance(BACKOFF_MAX_MS);
    const s2 = connect();
    // Nothing but hello before the welcome; then the two still pending, oldest first.
    expect(s2.sent.map((f) => f.type)).toEqual(['hello', 'message', 'message']);
    expect(s2.ofType('message').map((f) => [f.clientId, f.body])).toEqual([
      ['client_0002', 'second'],
      ['client_0003', 'third'],
    ]);
    expect(session.getState().pending.map((p) => p.clientId)).toEqual(['client_0002', 'client_0003']);
  });

  it('shows a message once when the ack is lost and the server replays it, or echoes it again', () => {
    const { session, connect, clock } = setup();
    session.start();
    const s1 = connect();
    session.send('are you open on Saturday?');
    s1.drop(); // ack lost with the connection
    clock.advance(BACKOFF_MAX_MS);
    const replayed = msg(9, 'patient', 'are you open on Saturday?', { clientId: 'client_0001' });
    const s2 = connect({ messages: [replayed] });
    // The pending item was replaced by the stored message, so it is not resent.
    expect(s2.ofType('message')).toEqual([]);
    expect(session.getState().pending).toEqual([]);
    s2.receive({ type: 'ack', clientId: 'client_0001', message: replayed });
    s2.receive({ type: 'message', message: replayed });
    s2.receive({ type: 'message', message: msg(10, 'staff', 'Yes, 9 to 12.') });
    s2.receive({ type: 'message', message: msg(10, 'staff', 'Yes, 9 to 12.') });
    const ids = session.getState().messages.map((m) => m.id);
    expect(ids).toEqual([9, 10]);
  });

  it('merges out-of-order frames sorted by id', () => {
    const { session, connect } = setup();
    session.start();
    const s = connect({ messages: [msg(4, 'staff', 'd'), msg(2, 'staff', 'b')] });
    s.receive({ type: 'message', message: msg(3, 'patient', 'c') });
    expect(session.getState().messages.map((m) => m.id)).toEqual([2, 3, 4]);
  });

  it('replaces a pending item with the stored message on ack and clears it from storage', () => {
    const { session, connect, storage } = setup();
    session.start();
    const s = connect();
    session.send('  hello  ');
    expect(s.ofType('message')[0]?.body).toBe('hello');
    expect(JSON.parse(storage.getItem(storageKey(INBOX, 'outbox')) ?? '[]')).toHaveLength(1);
    s.receive({ type: 'ack', clientId: 'client_0001', message: msg(20, 'patient', 'hello', { clientId: 'client_0001' }) });
    expect(session.getState().pending).toEqual([]);
    expect(session.getState().messages.map((m) => m.body)).toEqual(['hello']);
    expect(storage.getItem(storageKey(INBOX, 'outbox'))).toBeNull();
  });

  it('keeps an unsent message across a reload and sends it on the next welcome', () => {
    const storage = new MemoryStorage();
    const a = setup({ storage });
    a.session.start();
    a.session.send('sent while the connection never came up');
    expect(a.sockets[0]!.sent).toEqual([]);
    a.session.stop();

    const b = setup({ storage });
    expect(b.session.getState().pending.map((p) => p.body)).toEqual(['sent while the connection never came up']);
    b.session.start();
    const s = b.connect();
    expect(s.ofType('message')).toEqual([
      { type: 'message', clientId: 'client_0001', body: 'sent while the connection never came up' },
    ]);
  });

  it('ignores a corrupt or tampered outbox in storage', () => {
    const storage = new MemoryStorage();
    storage.setItem(storageKey(INBOX, 'outbox'), JSON.stringify([{ clientId: 'bad id!', body: 'x', at: 'now' }, 7]));
    expect(setup({ storage }).session.getState().pending).toEqual([]);
    storage.setItem(storageKey(INBOX, 'outbox'), '{not json');
    expect(setup({ storage }).session.getState().pending).toEqual([]);
  });

  it('marks a message failed on an error frame with its clientId, does not resend it, and retries on request', () => {
    const { session, connect, clock, storage } = setup();
    session.start();
    const s1 = connect();
    session.send('hello');
    s1.receive({ type: 'error', code: 'invalid_frame', message: 'The message could not be accepted', clientId: 'client_0001' });
    const [item] = session.getState().pending;
    expect(item?.error).toBe('The message could not be accepted');
    expect(session.getState().notice).toBeNull();
    expect(JSON.parse(storage.getItem(storageKey(INBOX, 'outbox'))!)[0].error).toBe('The message could not be accepted');

    s1.drop();
    clock.advance(BACKOFF_MAX_MS);
    const s2 = connect();
    expect(s2.ofType('message')).toEqual([]);

    session.retry('client_0001');
    expect(session.getState().pending[0]?.error).toBeUndefined();
    expect(s2.ofType('message').map((f) => f.clientId)).toEqual(['client_0001']);
  });

  it('keeps a rate-limited message pending and sends it again a moment later', () => {
    const { session, connect, clock } = setup();
    session.start();
    const s = connect();
    session.send('one');
    session.send('two');
    s.receive({ type: 'ack', clientId: 'client_0001', message: msg(3, 'patient', 'one', { clientId: 'client_0001' }) });
    s.receive({ type: 'error', code: 'rate_limited', message: 'Too many messages; please wait a moment', clientId: 'client_0002' });
    expect(session.getState().pending.map((p) => [p.clientId, p.error])).toEqual([['client_0002', undefined]]);
    expect(s.ofType('message')).toHaveLength(2);
    clock.advance(RATE_RETRY_MS);
    expect(s.ofType('message').map((f) => f.clientId)).toEqual(['client_0001', 'client_0002', 'client_0002']);
    s.receive({ type: 'ack', clientId: 'client_0002', message: msg(4, 'patient', 'two', { clientId: 'client_0002' }) });
    expect(session.getState().pending).toEqual([]);
    expect(session.getState().messages.map((m) => m.body)).toEqual(['one', 'two']);
  });

  it('shows an error frame without clientId in the status notice', () => {
    const { session, connect } = setup();
    session.start();
    const s = connect();
    s.receive({ type: 'error', code: 'bad_frame', message: 'That did not work.' });
    expect(session.getState().notice).toBe('That did not work.');
  });

  it('discard removes a failed message for good', () => {
    const storage = new MemoryStorage();
    const { session, connect } = setup({ storage });
    session.start();
    const s = connect();
    session.send('x');
    s.receive({ type: 'error', code: 'invalid', message: 'no', clientId: 'client_0001' });
    session.discard('client_0001');
    expect(session.getState().pending).toEqual([]);
    expect(storage.getItem(storageKey(INBOX, 'outbox'))).toBeNull();
  });

  it('refuses empty, whitespace-only and over-long messages', () => {
    const { session, connect } = setup();
    session.start();
    const s = connect();
    expect(session.send('')).toBe(false);
    expect(session.send(' \n\t ')).toBe(false);
    expect(session.send('x'.repeat(MAX_MESSAGE_CHARS + 1))).toBe(false);
    expect(session.send('x'.repeat(MAX_MESSAGE_CHARS))).toBe(true);
    expect(s.ofType('message')).toHaveLength(1);
  });

  it('backs off exponentially with jitter up to a 10 s cap, and resets after a welcome', () => {
    for (const r of [0, 0.5, 0.999]) {
      const delays = Array.from({ length: 10 }, (_, i) => backoffDelay(i, () => r));
      for (let i = 1; i < delays.length; i++) expect(delays[i]).toBeGreaterThanOrEqual(delays[i - 1]!);
      expect(delays[0]).toBeGreaterThanOrEqual(500);
      expect(delays[0]).toBeLessThanOrEqual(1000);
      expect(Math.max(...delays)).toBeLessThanOrEqual(BACKOFF_MAX_MS);
      expect(delays[9]).toBeGreaterThanOrEqual(BACKOFF_MAX_MS / 2);
    }
    expect(backoffDelay(3, () => 0)).not.toBe(backoffDelay(3, () => 0.99));

    const { session, sockets, clock, connect } = setup({ random: () => 0.999 });
    session.start();
    const observed: number[] = [];
    for (let i = 0; i < 7; i++) {
      sockets[sockets.length - 1]!.drop();
      observed.push(clock.nextDelay()!);
      clock.advance(clock.nextDelay()!);
    }
    expect(observed.map((d) => Math.round(d / 100) * 100)).toEqual([1000, 2000, 4000, 8000, 10000, 10000, 10000]);
    expect(sockets).toHaveLength(8);
    connect();
    sockets[sockets.length - 1]!.drop();
    expect(clock.nextDelay()).toBeLessThanOrEqual(1000);
  });

  it('reconnects at once on wake() instead of waiting out the backoff', () => {
    const { session, sockets, clock } = setup();
    session.start();
    for (let i = 0; i < 4; i++) {
      sockets[sockets.length - 1]!.drop();
      clock.advance(clock.nextDelay()!);
    }
    sockets[sockets.length - 1]!.drop();
    const before = sockets.length;
    session.wake();
    expect(sockets).toHaveLength(before + 1);
  });

  it('pings every 25 s and reconnects when nothing arrives for 60 s', () => {
    const { session, sockets, clock, connect } = setup();
    session.start();
    const s = connect();
    clock.advance(PING_INTERVAL_MS);
    expect(s.ofType('ping')).toHaveLength(1);
    s.receive({ type: 'pong' });
    clock.advance(PING_INTERVAL_MS);
    expect(s.ofType('ping')).toHaveLength(2);
    s.receive({ type: 'pong' });
    expect(sockets).toHaveLength(1);
    // Silence from now on: the socket is declared dead after 60 s and replaced.
    clock.advance(DEAD_AFTER_MS - 1);
    expect(s.closed).toBe(false);
    clock.advance(1);
    expect(s.closed).toBe(true);
    expect(session.getState().status).toBe('reconnecting');
    clock.advance(BACKOFF_MAX_MS);
    expect(sockets).toHaveLength(2);
  });

  it('ignores events from a socket it has already given up on', () => {
    const { session, sockets, clock, connect } = setup();
    session.start();
    const s1 = connect();
    s1.drop();
    clock.advance(BACKOFF_MAX_MS);
    connect();
    s1.receive({ type: 'message', message: msg(99, 'staff', 'ghost') });
    s1.h.close();
    expect(session.getState().messages).toEqual([]);
    expect(session.getState().status).toBe('online');
    expect(sockets).toHaveLength(2);
  });

  it('sends typing on at most every 3 s, off after 4 s idle and on send', () => {
    const { session, clock, connect } = setup();
    session.start();
    const s = connect();
    session.typingInput();
    clock.advance(1000);
    session.typingInput();
    clock.advance(1000);
    session.typingInput();
    expect(s.ofType('typing')).toEqual([{ type: 'typing', on: true }]);
    clock.advance(1500);
    session.typingInput(); // 3.5 s after the first
    expect(s.ofType('typing')).toHaveLength(2);
    clock.advance(TYPING_IDLE_MS);
    expect(s.ofType('typing').at(-1)).toEqual({ type: 'typing', on: false });

    session.typingInput();
    session.send('done');
    const tail = s.sent.slice(-3).map((f) => f.type === 'typing' ? `typing:${f.on}` : f.type);
    expect(tail).toEqual(['typing:true', 'typing:false', 'message']);
  });

  it("shows the server's typing indicator and hides it after 6 s or on a staff message", () => {
    const { session, clock, connect } = setup();
    session.start();
    const s = connect();
    s.receive({ type: 'typing', on: true, name: 'Dana' });
    expect(session.getState().typing).toEqual({ name: 'Dana' });
    clock.advance(TYPING_SHOWN_MS);
    expect(session.getState().typing).toBeNull();
    s.receive({ type: 'typing', on: true });
    s.receive({ type: 'message', message: msg(30, 'staff', 'Here you go') });
    expect(session.getState().typing).toBeNull();
  });

  it('sends the profile, marks it complete on profile_saved, and resends it after a reconnect', () => {
    const { session, clock, connect } = setup();
    session.start();
    const s1 = connect({ profileComplete: false });
    session.saveProfile({ name: 'Ada', email: 'ada@example.com' });
    expect(session.getState().profileSaving).toBe(true);
    expect(s1.ofType('profile')).toHaveLength(1);
    s1.drop();
    clock.advance(BACKOFF_MAX_MS);
    const s2 = connect({ profileComplete: false });
    expect(s2.ofType('profile')).toEqual([{ type: 'profile', profile: { name: 'Ada', email: 'ada@example.com' } }]);
    s2.receive({ type: 'profile_saved' });
    expect(session.getState()).toMatchObject({ profileComplete: true, profileSaving: false });
  });

  it('reports only staff messages newer than the last seen one as incoming', () => {
    const storage = new MemoryStorage();
    storage.setItem(storageKey(INBOX, 'lastSeenId'), '5');
    const { session, connect, incoming } = setup({ storage });
    session.start();
    const s = connect({ messages: [msg(4, 'staff', 'old'), msg(6, 'staff', 'new')] });
    s.receive({ type: 'message', message: msg(7, 'patient', 'mine') });
    s.receive({ type: 'message', message: msg(8, 'staff', 'reply') });
    s.receive({ type: 'message', message: msg(8, 'staff', 'reply') });
    expect(incoming.map((m) => m.id)).toEqual([6, 8]);
  });

  it('stores the refreshed token from every welcome and keeps the history it holds', () => {
    const { session, connect, clock, storage, last } = setup();
    session.start();
    const s1 = connect({ token: 'tok_a', messages: [msg(1, 'staff', 'hi')] });
    s1.drop();
    clock.advance(BACKOFF_MAX_MS);
    last().open();
    expect(last().sent[0]).toEqual({ type: 'hello', token: 'tok_a', lastSeenId: 1 });
    last().receive({ type: 'welcome', token: 'tok_b', inbox: inboxInfo, profileComplete: true, messages: [] });
    expect(storage.getItem(storageKey(INBOX, 'token'))).toBe('tok_b');
    expect(session.getState().messages.map((m) => m.id)).toEqual([1]);
  });

  it('survives storage that throws (blocked third-party storage)', () => {
    const throwing: StorageLike = {
      getItem: () => { throw new Error('SecurityError'); },
      setItem: () => { throw new Error('QuotaExceededError'); },
      removeItem: () => { throw new Error('SecurityError'); },
    };
    const clock = new WidgetClock();
    let sock: FakeSocket | undefined;
    const session = new ChatSession({
      inbox: INBOX,
      url: 'wss://x/widget/ws',
      socket: (url, h) => (sock = new FakeSocket(url, h)),
      storage: throwing,
      clock,
    });
    session.start();
    sock!.open();
    sock!.receive({ type: 'welcome', token: 't', inbox: inboxInfo, profileComplete: true, messages: [msg(1, 'staff', 'hi')] });
    expect(session.send('ok')).toBe(true);
    expect(sock!.ofType('message')).toHaveLength(1);
  });
});

describe('widget helpers', () => {
  it('keeps MAX_MESSAGE_CHARS equal to the protocol', () => {
    expect(MAX_MESSAGE_CHARS).toBe(PROTOCOL_MAX);
  });

  it('generates url-safe, unique client ids the server accepts', () => {
    const ids = new Set(Array.from({ length: 500 }, randomClientId));
    expect(ids.size).toBe(500);
    for (const id of ids) {
      expect(id).toMatch(CLIENT_ID_PATTERN);
      expect(id.length).toBeGreaterThanOrEqual(22);
      expect(clientFrameSchema.safeParse({ type: 'message', clientId: id, body: 'x' }).success).toBe(true);
    }
  });

  it('picks a text colour with at least 4.5:1 contrast on any brand colour', () => {
    const ratio = (a: string, b: string) => {
      const [la, lb] = [luminance(parseHex(a)!), luminance(parseHex(b)!)];
      return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
    };
    for (let i = 0; i < 4096; i += 7) {
      const bg = `#${i.toString(16).padStart(3, '0')}`;
      const { fg } = brandColors(bg);
      expect(ratio(bg, fg)).toBeGreaterThanOrEqual(4.5);
    }
    expect(brandColors('#ffd700').fg).toBe('#000');
    expect(brandColors('#003366').fg).toBe('#fff');
    expect(brandColors('red;}body{display:none').bg).toBe('#1f5fbf');
    expect(brandColors(undefined).bg).toBe('#1f5fbf');
  });
});
