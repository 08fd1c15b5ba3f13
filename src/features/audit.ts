/**
 * The audit trail's writer: who did what to which record, from where, with what outcome. Records
 * carry ids and reasons, never patient content or secrets. (Tamper evidence is added on top.)
 */
import type { AuditEvent, AuditOutcome } from '../domain/types.ts';
import type { Logger } from '../log.ts';
import type { StoreOps } from '../store/types.ts';

export interface Actor {
  type: AuditEvent['actorType'];
  id: string | null;
  orgId: string | null;
  ip: string | null;
}

export const anonymous = (ip: string | null): Actor => ({ type: 'anonymous', id: null, orgId: null, ip });

export class AuditTrail {
  constructor(private readonly log: Logger, private readonly now: () => number = Date.now) {}

  /** Appends within `ops` (pass a transaction to make the record part of the change it describes). */
  async record(
    ops: StoreOps, actor: Actor, action: string, outcome: AuditOutcome,
    target?: { type: string; id: string; orgId?: string }, details?: Record<string, unknown>,
  ): Promise<void> {
    const event: AuditEvent = {
      orgId: target?.orgId ?? actor.orgId, at: this.now(), actorType: actor.type, actorId: actor.id, ip: actor.ip,
      action, targetType: target?.type ?? null, targetId: target?.id ?? null, outcome, details: details ?? null,
    };
    await ops.audit.append(event);
    if (outcome !== 'success') this.log.warn({ action, outcome, actorId: actor.id, targetId: event.targetId, reason: details?.reason }, 'refused');
  }
}
