/**
 * The audit chain's hash: SHA-256 over the previous hash and the record's fields in a fixed order.
 * Pure, so the server that writes and the CLI that verifies compute exactly the same thing.
 */
import { createHash } from 'node:crypto';

export const GENESIS_HASH = '0'.repeat(64);

export interface HashedAuditFields {
  id: number;
  orgId: string | null;
  at: number;
  actorType: string;
  actorId: string | null;
  ip: string | null;
  action: string;
  targetType: string | null;
  targetId: string | null;
  outcome: string;
  /** Exactly as stored (JSON text) or null. */
  details: string | null;
}

export function auditChainOf(orgId: string | null): string {
  return orgId ?? '-';
}

export function auditRecordHash(prevHash: string, r: HashedAuditFields): string {
  const fields = [r.id, r.orgId, r.at, r.actorType, r.actorId, r.ip, r.action, r.targetType, r.targetId, r.outcome, r.details];
  return createHash('sha256').update(prevHash).update('\n').update(JSON.stringify(fields)).digest('hex');
}
