/**
 * Data-key rotation without downtime: `bedside keys rotate-data` adds a key version and queues a
 * job; the server re-seals the practice's rows in small batches (new writes already use the new
 * key), then retires the old versions. A crash only delays it: the job resumes where rows remain.
 */
import { z } from 'zod';
import { RetryableError } from '../jobs/errors.ts';
import type { JobWorker } from '../jobs/worker.ts';
import type { Store } from '../store/types.ts';
import type { AuditTrail } from './audit.ts';
import { jobKinds } from './job-kinds.ts';

const BATCH = 200;
/** Per job run; the job re-queues itself (as a retry) until nothing is left. */
const BATCHES_PER_RUN = 25;

export function registerReencryptHandler(worker: JobWorker, store: Store, audit: AuditTrail): void {
  worker.register(jobKinds.reencrypt, async (job) => {
    const { orgId } = z.object({ orgId: z.string() }).parse(job.payload);
    let total = 0;
    for (let i = 0; i < BATCHES_PER_RUN; i++) {
      const n = await store.reencryptBatch(orgId, BATCH);
      total += n;
      if (n === 0) {
        await store.retireOldDataKeys(orgId);
        await audit.record(store, { type: 'system', id: null, orgId, ip: null }, 'keys.rotate_data', 'success', { type: 'organization', id: orgId }, { lastRunRows: total });
        return;
      }
    }
    throw new RetryableError('re-encryption continues');
  });
}

export async function startDataKeyRotation(store: Store, orgId: string): Promise<{ version: number }> {
  const version = await store.rotateDataKey(orgId);
  await store.enqueueJob({ orgId, kind: jobKinds.reencrypt, payload: { orgId }, queueKey: `keys:${orgId}`, dedupeKey: `reencrypt:${orgId}:${version}` });
  return { version };
}
