import { sql, type Expression, type ExpressionBuilder, type SqlBool, type Transaction } from 'kysely';
import { SYSTEM_KEY_OWNER, type FieldCrypto } from '../field-crypto.ts';
import type { Database } from '../schema.ts';
import type { Job } from '../types.ts';

type JobsEb = ExpressionBuilder<Database, 'jobs'>;

/** Pending and due, or running with an expired lease (its worker died). */
const due = (eb: JobsEb, now: number): Expression<SqlBool> => eb.or([
  eb.and([eb('jobs.status', '=', 'pending'), eb('jobs.runAt', '<=', now)]),
  eb.and([eb('jobs.status', '=', 'running'), eb('jobs.lockedUntil', '<', now)]),
]);

/**
 * Leases due jobs for one of many nodes working the same queue, in the caller's transaction.
 *
 * Only the oldest unfinished job of a queue key is ever claimable: a job with an older pending or
 * running job of its key is not. `FOR UPDATE SKIP LOCKED` lets each node take the candidates no
 * other node is taking right now, and the update repeats the due condition, so a candidate another
 * node claimed (and committed) between this node's snapshot and its lock is not taken again. A
 * later job of the key becomes claimable only once the older one is done or dead, hence never two
 * running jobs of one key, on any number of nodes.
 */
export async function claimJobsSkipLocked(
  trx: Transaction<Database>, crypto: FieldCrypto, now: number, limit: number, leaseMs: number,
): Promise<Job[]> {
  const candidates = await trx.selectFrom('jobs')
    .select('jobs.id')
    .where((eb) => due(eb, now))
    .where(({ not, exists, selectFrom }) => not(exists(
      selectFrom('jobs as older').select('older.id')
        .whereRef('older.queueKey', '=', 'jobs.queueKey')
        .whereRef('older.id', '<', 'jobs.id')
        .where('older.status', 'in', ['pending', 'running']),
    )))
    .orderBy('jobs.id').limit(limit)
    .forUpdate().skipLocked()
    .execute();
  if (candidates.length === 0) return [];
  const rows = await trx.updateTable('jobs')
    .set({ status: 'running', lockedUntil: now + leaseMs, attempts: sql`attempts + 1`, updatedAt: now })
    .where('id', 'in', candidates.map((c) => Number(c.id)))
    .where((eb) => due(eb, now))
    .returningAll().execute();
  rows.sort((a, b) => Number(a.id) - Number(b.id));
  const claimed: Job[] = [];
  for (const row of rows) {
    const payload = await crypto.open(trx, row.orgId ?? SYSTEM_KEY_OWNER, 'jobs', 'payload', Number(row.id), row.payload);
    claimed.push({
      id: Number(row.id), orgId: row.orgId, kind: row.kind, payload: JSON.parse(payload) as unknown,
      queueKey: row.queueKey, attempts: row.attempts, lastError: row.lastError, createdAt: Number(row.createdAt),
    });
  }
  return claimed;
}
