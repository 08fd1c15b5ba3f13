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
