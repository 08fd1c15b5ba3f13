/** A fake clock for timer-driven browser modules (widget session, inbox idle timer, live socket). */
export class FakeClock {
  t: number;
  private timers = new Map<number, { at: number; fn: () => void }>();
  private seq = 0;

  constructor(start = '2025-03-03T10:00:00Z') {
    this.t = Date.parse(start);
  }

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.timers.set(id, { at: this.t + ms, fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  /** Runs every timer due within `ms`, in time order, then sets the clock to the end. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const e of this.timers) if (e[1].at <= end && (!next || e[1].at < next[1].at)) next = e;
      if (!next) break;
      this.timers.delete(next[0]);
      // A timer that was due while the clock jumped (a sleeping laptop) runs late, not in the past.
      this.t = Math.max(this.t, next[1].at);
      next[1].fn();
    }
    this.t = end;
  }

  /** Delay until the earliest pending timer. */
  nextDelay(): number | undefined {
    let min: number | undefined;
    for (const { at } of this.timers.values()) if (min === undefined || at < min) min = at;
    return min === undefined ? undefined : min - this.t;
  }

  get pending(): number {
    return this.timers.size;
  }
}
