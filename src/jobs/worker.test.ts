import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../log.ts';
import { testMasterKey } from '../../test/support/keys.ts';
import { openSqliteStore } from '../store/sqlite/open.ts';
import type { Job, Store } from '../store/types.ts';
import { PermanentError, RetryableError } from './errors.ts';
import { JobWorker } from './worker.ts';

const quiet = createLogger('silent', new Writable({ write: (_c, _e, cb) => cb() }));

async function until(cond: () => boolean | Promise<boolean>, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('JobWorker', () => {
  let store: Store;
  let worker: JobWorker;
  const opts = { maxAttempts: 3, baseDelayMs: 20, maxDelayMs: 100, leaseMs: 5000, pollMs: 10_000 };

  beforeEach(async () => { store = await openSqliteStore(':memory:', testMasterKey()); });
  afterEach(async () => { await worker.stop(1000); await store.close(); });

  it('runs a job once and marks it done; wake() avoids waiting for the poll interval', async () => {
    const seen: Job[] = [];
    worker = new JobWorker(store, quiet, opts);
    worker.register('hello', async (job) => { seen.push(job); });
    worker.start();
    await new Promise((r) => setTimeout(r, 30));
    await store.enqueueJob({ orgId: null, kind: 'hello', payload: { n: 1 }, queueKey: 'q' });
    worker.wake();
    await until(async () => (await store.jobCounts()).done === 1, 1000);
    expect(seen.map((j) => j.payload)).toEqual([{ n: 1 }]);
  });

  it('retries with backoff, then dead-letters after the last attempt', async () => {
    let calls = 0;
    worker = new JobWorker(store, quiet, { ...opts, pollMs: 10 });
    worker.register('flaky', async () => { calls++; throw new RetryableError('slack http 503'); });
    await store.enqueueJob({ orgId: null, kind: 'flaky', payload: {}, queueKey: 'q' });
    worker.start();
    await until(async () => (await store.jobCounts()).dead === 1);
    expect(calls).toBe(3);
  });

  it('honours Retry-After over its own shorter backoff', async () => {
    const at: number[] = [];
    worker = new JobWorker(store, quiet, { ...opts, pollMs: 10 });
    worker.register('limited', async () => {
      at.push(Date.now());
      if (at.length === 1) throw new RetryableError('slack rate limited', 400);
    });
    await store.enqueueJob({ orgId: null, kind: 'limited', payload: {}, queueKey: 'q' });
    worker.start();
    await until(async () => (await store.jobCounts()).done === 1);
    expect((at[1] as number) - (at[0] as number)).toBeGreaterThanOrEqual(390);
  });

  it('dead-letters a permanent failure at once, and a job kind nobody handles', async () => {
    let calls = 0;
    worker = new JobWorker(store, quiet, { ...opts, pollMs: 10 });
    worker.register('bad', async () => { calls++; throw new PermanentError('slack error channel_not_found'); });
    await store.enqueueJob({ orgId: null, kind: 'bad', payload: {}, queueKey: 'q1' });
    await store.enqueueJob({ orgId: null, kind: 'unknown', payload: {}, queueKey: 'q2' });
    worker.start();
    await until(async () => (await store.jobCounts()).dead === 2);
    expect(calls).toBe(1);
  });

  it('keeps jobs of one queue key in order even when the first one must retry', async () => {
    const order: number[] = [];
    let failedOnce = false;
    worker = new JobWorker(store, quiet, { ...opts, pollMs: 10 });
    worker.register('seq', async (job) => {
      const n = (job.payload as { n: number }).n;
      if (n === 1 && !failedOnce) { failedOnce = true; throw new RetryableError('try again'); }
      order.push(n);
    });
    for (const n of [1, 2, 3]) await store.enqueueJob({ orgId: null, kind: 'seq', payload: { n }, queueKey: 'conv' });
    worker.start();
    await until(async () => (await store.jobCounts()).done === 3);
    expect(order).toEqual([1, 2, 3]);
  });

  it('stop() waits for a running job to finish', async () => {
    let finished = false;
    worker = new JobWorker(store, quiet, { ...opts, pollMs: 10 });
    worker.register('slow', async () => { await new Promise((r) => setTimeout(r, 200)); finished = true; });
    await store.enqueueJob({ orgId: null, kind: 'slow', payload: {}, queueKey: 'q' });
    worker.start();
    await until(async () => (await store.jobCounts()).running === 1);
    await worker.stop(2000);
    expect(finished).toBe(true);
    expect((await store.jobCounts()).done).toBe(1);
  });
});
