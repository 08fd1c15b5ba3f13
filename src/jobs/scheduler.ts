/**
 * Periodic work (retention sweeps, and later reminders and SLA timers) as outbox jobs: each period
 * enqueues one job under a dedupe key naming the period, so several nodes (or a restart) never run
 * the same period twice, and a period missed while down runs when the process is back.
 */
import type { Logger } from '../log.ts';
import type { Store } from '../store/types.ts';

export interface Schedule { kind: string; everyMs: number }

export class Scheduler {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: Store,
    private readonly schedules: Schedule[],
    private readonly onQueued: () => void,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  async tick(): Promise<void> {
    let queued = false;
    for (const s of this.schedules) {
      const period = Math.floor(this.now() / s.everyMs);
      const id = await this.store.enqueueJob({ orgId: null, kind: s.kind, payload: { period }, queueKey: `schedule:${s.kind}`, dedupeKey: `schedule:${s.kind}:${period}` });
      queued ||= id !== undefined;
    }
    if (queued) this.onQueued();
  }

  start(checkEveryMs = 60_000): void {
    const run = () => this.tick().catch((err: unknown) => this.log.error({ err }, 'scheduler tick failed'));
    void run();
    this.timer = setInterval(run, checkEveryMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
