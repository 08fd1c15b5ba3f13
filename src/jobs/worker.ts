/**
 * The outbox worker: leases due jobs from the store, runs their handler, and records the outcome.
 * At-least-once by construction (a job is finished only after its handler returned), so every
 * handler must be idempotent; the handlers make vendor sends idempotent with delivery keys.
 */
import type { Logger } from '../log.ts';
import type { Job, Store } from '../store/types.ts';
import { backoffDelay } from './backoff.ts';
import { PermanentError, RetryableError, SkipJob } from './errors.ts';
import { withFields } from '../domain/with-fields.ts';

export type JobHandler = (job: Job) => Promise<void>;

export interface WorkerOptions {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  leaseMs: number;
  pollMs: number;
  concurrency?: number;
  /** Told of every failed attempt, by job kind (the metrics count delivery failures). */
  onFailure?: (kind: string) => void;
}

export class JobWorker {
  private readonly handlers = new Map<string, JobHandler>();
  private running = false;
  private timer: NodeJS.Timeout | undefined;
  private tickPromise: Promise<void> | undefined;
  private rerun = false;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly store: Store,
    private readonly log: Logger,
    private readonly options: WorkerOptions,
    private readonly now: () => number = Date.now,
  ) {}

  register(kind: string, handler: JobHandler): void {
    this.handlers.set(kind, handler);
  }

  start(): void {
    this.running = true;
    this.schedule(0);
  }

  /** Ask for a poll now (a job was just enqueued) instead of waiting for the next interval. */
  wake(): void {
    if (!this.running) return;
    if (this.tickPromise) this.rerun = true;
    else this.schedule(0);
  }

  /** Stops leasing new jobs and waits for running ones, up to `graceMs`. */
  async stop(graceMs: number): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    const all = Promise.all([this.tickPromise, ...this.inFlight]);
    let timeout: NodeJS.Timeout | undefined;
    await Promise.race([all, new Promise((r) => (timeout = setTimeout(r, graceMs)))]);
    clearTimeout(timeout);
    // Anything still running keeps its lease and is picked up after restart when the lease ends.
  }

  private schedule(delay: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.tickPromise = this.tick().finally(() => {
        this.tickPromise = undefined;
        if (!this.running) return;
        const again = this.rerun;
        this.rerun = false;
        this.schedule(again ? 0 : this.options.pollMs);
      });
    }, delay);
    this.timer.unref?.();
  }

  private async tick(): Promise<void> {
    const free = (this.options.concurrency ?? 8) - this.inFlight.size;
    if (free <= 0) return;
    let jobs: Job[];
    try {
      jobs = await this.store.claimJobs(this.now(), free, this.options.leaseMs);
    } catch (err) {
      this.log.error({ err }, 'job claim failed');
      return;
    }
    for (const job of jobs) {
      // Recording the outcome can fail too (the database went away, or closed under a job that
      // outlived the shutdown grace): the job keeps its lease and runs again after it.
      const p = this.run(job).catch((err: unknown) => {
        // The message only: a database error's details can quote the row's values.
        this.log.error({ jobId: job.id, kind: job.kind, reason: err instanceof Error ? err.message : 'unknown error' }, 'job outcome not recorded');
      }).finally(() => {
        this.inFlight.delete(p);
        this.wake();
      });
      this.inFlight.add(p);
    }
  }

  private async run(job: Job): Promise<void> {
    const handler = this.handlers.get(job.kind);
    const ctx = { jobId: job.id, kind: job.kind, attempt: job.attempts };
    try {
      if (!handler) throw new PermanentError(`no handler for job kind ${job.kind}`);
      await handler(job);
      await this.store.completeJob(job.id, this.now());
      this.log.debug(ctx, 'job done');
    } catch (err) {
      this.options.onFailure?.(job.kind);
      if (err instanceof SkipJob) {
        await this.store.skipJob(job.id, err.message, this.now());
        this.log.info(withFields(ctx, { reason: err.message }), 'job skipped');
        return;
      }
      // Only the error's own text is recorded: handlers never put message content in errors.
      const reason = err instanceof Error ? `${err.name}: ${err.message}` : 'unknown error';
      const permanent = err instanceof PermanentError;
      if (permanent || job.attempts >= this.options.maxAttempts) {
        await this.store.buryJob(job.id, reason, this.now());
        this.log.error(withFields(ctx, { reason }), 'job dead-lettered');
        return;
      }
      const backoff = backoffDelay(job.attempts, this.options.baseDelayMs, this.options.maxDelayMs);
      const delay = err instanceof RetryableError && err.retryAfterMs !== undefined
        ? Math.max(err.retryAfterMs, backoff / 4)
        : backoff;
      await this.store.retryJob(job.id, this.now() + delay, reason, this.now());
      this.log.warn(withFields(ctx, { reason, retryInMs: Math.round(delay) }), 'job failed, will retry');
    }
  }
}
