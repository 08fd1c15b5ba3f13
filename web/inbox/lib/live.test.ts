import { describe, expect, it } from 'vitest';
import type { ClientFrame, ServerFrame } from '../api-types.ts';
import type { LiveStatus, SocketHandlers, SocketLike } from './live.ts';
import {
  applyPresence,
  BACKOFF_MAX_MS,
  backoffDelay,
  LiveConnection,
  parseServerFrame,
  PING_INTERVAL_MS,
  PONG_TIMEOUT_MS,
  STABLE_AFTER_MS,
  TYPING_IDLE_MS,
  TYPING_REPEAT_MS,
  TypingSender,
} from './live.ts';
import { FakeClock } from '../../../test/support/fake-clock.ts';

class FakeSocket implements SocketLike {
  sent: string[] = [];
  closed = false;
  constructor(readonly url: string, readonly h: SocketHandlers) {}
  send(data: string): void {
    this.sent.push(data);
  }
  close(): void {
    this.closed = true;
  }
  frames(): ClientFrame[] {
    return this.sent.map((s) => JSON.parse(s) as ClientFrame);
  }
}

function setup(random = () => 0.5) {
  const clock = new FakeClock();
  const sockets: FakeSocket[] = [];
  const frames: ServerFrame[] = [];
  const statuses: LiveStatus[] = [];
  const events: string[] = [];
  const live = new LiveConnection({
    url: 'ws://desk.test/api/ws',
    clock,
    random,
    socket: (url, h) => {
      const s = new FakeSocket(url, h);
      sockets.push(s);
      return s;
    },
    onFrame: (f) => frames.push(f),
    onStatus: (s) => statuses.push(s),
    onReconnected: () => events.push('reconnected'),
    onDrop: (n) => events.push(`drop ${n}`),
  });
  const last = () => sockets[sockets.length - 1]!;
  return { clock, sockets, frames, statuses, events, live, last };
}

describe('backoffDelay', () => {
  it('doubles from 1 s to at most 30 s, with 50-100 % jitter', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 10].map((n) => backoffDelay(n, () => 0.999999))).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
    expect(backoffDelay(0, () => 0)).toBe(500);
    expect(backoffDelay(20, () => 0)).toBe(BACKOFF_MAX_MS / 2);
  });
});

describe('parseServerFrame', () => {
  it('accepts the documented frames and drops the rest', () => {
    expect(parseServerFrame('{"type":"session.ended"}')).toEqual({ type: 'session.ended' });
    expect(parseServerFrame('{"type":"typing","conversationId":"c","who":"contact","on":true}')).toMatchObject({ type: 'typing', on: true });
    expect(parseServerFrame('{"type":"message.created","conversationId":"c","message":{"id":1}}')).toMatchObject({ type: 'message.created' });
    expect(parseServerFrame('{"type":"conversation.updated","conversation":{"id":"c"}}')).toMatchObject({ type: 'conversation.updated' });
    expect(parseServerFrame('{"type":"message.created","conversationId":"c"}')).toBeNull();
    expect(parseServerFrame('{"type":"typing","conversationId":"c"}')).toBeNull();
    expect(parseServerFrame('{"type":"hello"}')).toBeNull();
    expect(parseServerFrame('not json')).toBeNull();
    expect(parseServerFrame('null')).toBeNull();
    expect(parseServerFrame('{"type":"message.updated","conversationId":"c","message":{"id":1}}')).toMatchObject({ type: 'message.updated' });
    expect(parseServerFrame('{"type":"presence.snapshot","online":["s1",2]}')).toEqual({ type: 'presence.snapshot', online: ['s1'] });
    expect(parseServerFrame('{"type":"presence","staffId":"s1"}')).toBeNull();
  });

  it('keeps the list fields of message.created when whole, and drops them (the message stays) when not', () => {
    const fields = { inboxId: 'ib', channel: 'web', status: 'open', assigneeId: null };
    const frame = (conversation: unknown) => parseServerFrame(JSON.stringify({ type: 'message.created', conversationId: 'c', conversation, message: { id: 1 } }));
    expect(frame(fields)).toMatchObject({ conversation: fields, message: { id: 1 } });
    expect(frame({ ...fields, assigneeId: 'stf_1' })).toMatchObject({ conversation: { assigneeId: 'stf_1' } });
    for (const bad of ['x', {}, { ...fields, status: 'closed' }, { ...fields, assigneeId: 7 }, { ...fields, inboxId: null }]) {
      const parsed = frame(bad);
      expect(parsed).toMatchObject({ type: 'message.created', message: { id: 1 } });
      expect((parsed as { conversation?: unknown }).conversation).toBeUndefined();
    }
  });
});

describe('applyPresence', () => {
  it('starts from the snapshot and follows each change', () => {
    let online = applyPresence(new Set(), { type: 'presence.snapshot', online: ['a', 'b'] });
    expect([...online]).toEqual(['a', 'b']);
    online = applyPresence(online, { type: 'presence', staffId: 'c', online: true });
    online = applyPresence(online, { type: 'presence', staffId: 'a', online: false });
    expect([...online].sort()).toEqual(['b', 'c']);
    const same = applyPresence(online, { type: 'pong' });
    expect(same).toBe(online);
  });
});

describe('LiveConnection', () => {
  it('connects, delivers frames and reports its status', () => {
    const { live, last, frames, statuses } = setup();
    live.start();
    expect(last().url).toBe('ws://desk.test/api/ws');
    last().h.open();
    last().h.message('{"type":"conversation.updated","conversation":{"id":"c1"}}');
    last().h.message('garbage');
    expect(frames).toEqual([{ type: 'conversation.updated', conversation: { id: 'c1' } }]);
    expect(statuses).toEqual(['connecting', 'online']);
  });

  it('reconnects with growing delays and says when it is back', () => {
    const { live, last, sockets, clock, events } = setup();
    live.start();
    last().h.open();
    last().h.close(1006);
    expect(events).toEqual(['drop 1']);
    clock.advance(749); // attempt 0: 1000 * 0.75
    expect(sockets).toHaveLength(1);
    clock.advance(1);
    expect(sockets).toHaveLength(2);
    last().h.close(1006); // refused
    clock.advance(1499);
    expect(sockets).toHaveLength(2);
    clock.advance(1); // attempt 1: 2000 * 0.75
    expect(sockets).toHaveLength(3);
    last().h.open();
    expect(events).toEqual(['drop 1', 'drop 2', 'reconnected']);
  });

  it('resets the backoff after a connection that stayed up', () => {
    const { live, last, sockets, clock } = setup();
    live.start();
    for (let i = 0; i < 4; i++) {
      last().h.close(1006);
      clock.advance(60_000);
    }
    last().h.open();
    clock.advance(STABLE_AFTER_MS);
    last().h.close(1006);
    const before = sockets.length;
    clock.advance(750);
    expect(sockets.length).toBe(before + 1);
  });

  it('pings, and drops a connection whose pong does not come', () => {
    const { live, last, sockets, clock, events } = setup();
    live.start();
    last().h.open();
    clock.advance(PING_INTERVAL_MS);
    expect(last().frames()).toEqual([{ type: 'ping' }]);
    last().h.message('{"type":"pong"}');
    clock.advance(PING_INTERVAL_MS);
    expect(last().frames()).toHaveLength(2);
    clock.advance(PONG_TIMEOUT_MS);
    expect(sockets[0]!.closed).toBe(true);
    expect(events).toEqual(['drop 1']);
    // A late close event from the dead socket changes nothing.
    sockets[0]!.h.close(1006);
    expect(events).toEqual(['drop 1']);
  });

  it('sends only while online', () => {
    const { live, last } = setup();
    live.start();
    expect(live.send({ type: 'typing', conversationId: 'c', on: true })).toBe(false);
    last().h.open();
    expect(live.send({ type: 'typing', conversationId: 'c', on: true })).toBe(true);
    expect(last().frames()).toEqual([{ type: 'typing', conversationId: 'c', on: true }]);
  });

  it('stops for good', () => {
    const { live, last, sockets, clock } = setup();
    live.start();
    last().h.open();
    live.stop();
    expect(last().closed).toBe(true);
    last().h.close(1000);
    clock.advance(120_000);
    expect(sockets).toHaveLength(1);
    expect(clock.pending).toBe(0);
  });

  it('wake() skips the wait after the network comes back', () => {
    const { live, last, sockets } = setup();
    live.start();
    last().h.close(1006);
    live.wake();
    expect(sockets).toHaveLength(2);
    live.wake(); // already connecting
    expect(sockets).toHaveLength(2);
  });
});

describe('TypingSender', () => {
  function typing() {
    const clock = new FakeClock();
    const sent: ClientFrame[] = [];
    const t = new TypingSender('c1', (f) => sent.push(f), clock);
    const ons = () => sent.map((f) => (f.type === 'typing' ? f.on : null));
    return { clock, sent, t, ons };
  }

  it('sends "on" at the first key, then at most every 3 s, and "off" after 4 s idle', () => {
    const { clock, t, ons, sent } = typing();
    t.input();
    expect(sent[0]).toEqual({ type: 'typing', conversationId: 'c1', on: true });
    for (let i = 0; i < 10; i++) {
      clock.advance(500);
      t.input();
    }
    // 5 s of typing: on at 0, 3 s.
    expect(ons()).toEqual([true, true]);
    clock.advance(TYPING_IDLE_MS - 1);
    expect(ons()).toEqual([true, true]);
    clock.advance(1);
    expect(ons()).toEqual([true, true, false]);
    expect(TYPING_REPEAT_MS).toBeLessThan(TYPING_IDLE_MS);
  });

  it('sends "off" once when stopped (reply sent), and nothing if never on', () => {
    const { clock, t, ons } = typing();
    t.stop();
    expect(ons()).toEqual([]);
    t.input();
    t.stop();
    t.stop();
    clock.advance(10_000);
    expect(ons()).toEqual([true, false]);
  });
});
