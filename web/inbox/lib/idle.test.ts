import { describe, expect, it } from 'vitest';
import { IdleTimer } from './idle.ts';
import { FakeClock } from '../../../test/support/fake-clock.ts';

function setup(timeoutSeconds = 900) {
  const clock = new FakeClock();
  const events: string[] = [];
  const timer = new IdleTimer({
    timeoutSeconds,
    clock,
    onWarn: (left) => events.push(`warn ${left}`),
    onExpire: () => events.push('expire'),
    onKeepAlive: () => events.push(`keepalive ${(clock.now() - start) / 1000}`),
  });
  const start = clock.now();
  return { clock, events, timer };
}

describe('IdleTimer', () => {
  it('warns 60 s before the limit and expires at it', () => {
    const { clock, events } = setup(900);
    clock.advance(839_000);
    expect(events).toEqual([]);
    clock.advance(1_000);
    expect(events).toEqual(['warn 60']);
    clock.advance(59_000);
    expect(events).toEqual(['warn 60']);
    clock.advance(1_000);
    expect(events).toEqual(['warn 60', 'expire']);
    clock.advance(3_600_000);
    expect(events).toHaveLength(2);
  });

  it('starts over with activity', () => {
    const { clock, events, timer } = setup(900);
    clock.advance(800_000);
    timer.activity();
    clock.advance(800_000);
    expect(events.filter((e) => e.startsWith('warn') || e === 'expire')).toEqual([]);
    clock.advance(100_000);
    expect(events.filter((e) => e.startsWith('warn') || e === 'expire')).toEqual(['warn 60', 'expire']);
  });

  it('ignores activity once the warning is up: only "Stay signed in" (reset) counts', () => {
    const { clock, events, timer } = setup(900);
    clock.advance(845_000);
    expect(events).toEqual(['warn 60']);
    timer.activity();
    clock.advance(55_000);
    expect(events).toEqual(['warn 60', 'expire']);
  });

  it('reset dismisses the warning and restarts the count', () => {
    const { clock, events, timer } = setup(900);
    clock.advance(850_000);
    expect(timer.warning).toBe(true);
    timer.reset();
    expect(timer.warning).toBe(false);
    clock.advance(839_000);
    expect(events).toEqual(['warn 60']);
    clock.advance(1_000);
    expect(events).toEqual(['warn 60', 'warn 60']);
    clock.advance(60_000);
    expect(events).toEqual(['warn 60', 'warn 60', 'expire']);
  });

  it('expires at once after a sleep longer than the limit', () => {
    const { clock, events } = setup(900);
    // A laptop lid closed: the next timer only runs long after it was due.
    clock.t += 2 * 3_600_000;
    clock.advance(0);
    expect(events).toEqual(['expire']);
  });

  it('counts activity from another tab, never moving backwards', () => {
    const { clock, events, timer } = setup(900);
    clock.advance(600_000);
    timer.activity(clock.now() - 10_000);
    timer.activity(clock.now() - 500_000);
    expect(timer.lastActivityAt).toBe(clock.now() - 10_000);
    clock.advance(829_000);
    expect(events.filter((e) => e.startsWith('warn'))).toEqual([]);
    clock.advance(1_000);
    expect(events.filter((e) => e.startsWith('warn'))).toEqual(['warn 60']);
  });

  it('keeps the server session alive under someone active but not making requests', () => {
    const { clock, events, timer } = setup(900);
    for (let i = 0; i < 30; i++) {
      clock.advance(10_000);
      timer.activity();
    }
    // 300 s of activity, at most one keep-alive a minute.
    expect(events).toEqual(['keepalive 60', 'keepalive 120', 'keepalive 180', 'keepalive 240', 'keepalive 300']);
  });

  it('needs no keep-alive while the app itself talks to the server', () => {
    const { clock, events, timer } = setup(900);
    for (let i = 0; i < 30; i++) {
      clock.advance(10_000);
      timer.serverContact();
      timer.activity();
    }
    expect(events).toEqual([]);
  });

  it('warns no earlier than half way through a very short limit', () => {
    const { clock, events } = setup(60);
    clock.advance(29_000);
    expect(events).toEqual([]);
    clock.advance(1_000);
    expect(events).toEqual(['warn 30']);
  });

  it('stops', () => {
    const { clock, events, timer } = setup(900);
    timer.stop();
    clock.advance(3_600_000);
    expect(events).toEqual([]);
    expect(clock.pending).toBe(0);
  });
});
