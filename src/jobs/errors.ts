/** How a job handler tells the worker what to do with a failure. */

/** Try again later; `retryAfterMs` when the vendor said how long (HTTP 429 Retry-After). */
export class RetryableError extends Error {
  constructor(message: string, readonly retryAfterMs?: number) {
    super(message);
    this.name = 'RetryableError';
  }
}

/** Trying again cannot help (bad channel id, revoked token): dead-letter now. */
export class PermanentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentError';
  }
}

/**
 * The request may or may not have reached the vendor (timeout, reset connection). A retry must
 * first check whether the earlier attempt took effect before doing it again.
 */
export class AmbiguousError extends RetryableError {
  constructor(message: string) {
    super(message);
    this.name = 'AmbiguousError';
  }
}

/** Whether an earlier attempt of this job may have taken effect: it failed ambiguously, or its
 *  worker died mid-run (a lease expired: no error was recorded). */
export function mayHaveBeenApplied(job: { attempts: number; lastError: string | null }): boolean {
  return job.attempts > 1 && (job.lastError === null || job.lastError.startsWith('AmbiguousError'));
}

/**
 * There is nothing to do and nothing a retry could change (the practice disconnected Slack): the
 * job is finished as "skipped" with this reason kept, neither retried nor dead-lettered.
 */
export class SkipJob extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SkipJob';
  }
}
