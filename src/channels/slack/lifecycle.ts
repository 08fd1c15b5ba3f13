/**
 * `app_uninstalled` and `tokens_revoked` (Events API): the workspace took Bedside's access away.
 * In OAuth mode the practice's installation is marked revoked and its token deleted, so nothing
 * more is posted there (queued Slack jobs are skipped) until someone installs the app again.
 */
import { z } from 'zod';
import type { AuditTrail } from '../../features/audit.ts';
import type { Logger } from '../../log.ts';
import type { Store } from '../../store/types.ts';
import type { SlackEventCallback } from './schema.ts';
import type { SlackWorkspaces } from './workspaces.ts';

const appUninstalled = z.object({ type: z.literal('app_uninstalled') });
/** Each list holds user ids, not tokens ("tokens_revoked" event reference). */
const tokensRevoked = z.object({
  type: z.literal('tokens_revoked'),
  tokens: z.object({ oauth: z.array(z.string()).optional(), bot: z.array(z.string()).optional() }),
});

export interface LifecycleDeps {
  store: Store;
  workspaces: SlackWorkspaces;
  audit: AuditTrail;
  log: Logger;
}

/** Handles the event if it is a lifecycle event; true when it was one (handled or ignored). */
export async function revokeOnLifecycleEvent(envelope: SlackEventCallback, deps: LifecycleDeps): Promise<boolean> {
  const type = envelope.event.type;
  if (type !== 'app_uninstalled' && type !== 'tokens_revoked') return false;
  if (deps.workspaces.mode === 'env') {
    // The token comes from the environment: only the operator can replace it.
    deps.log.warn({ eventId: envelope.event_id, type }, 'slack access was revoked: replace SLACK_BOT_TOKEN');
    return true;
  }
  const installation = envelope.team_id ? await deps.store.slack.findInstallationByTeam(envelope.team_id) : undefined;
  if (!installation || installation.status !== 'active') return true;
  if (type === 'tokens_revoked') {
    const parsed = tokensRevoked.safeParse(envelope.event);
    // Bedside holds only the bot token: user tokens being revoked changes nothing for it.
    if (!parsed.success || !(parsed.data.tokens.bot ?? []).includes(installation.botUserId)) return true;
  } else if (!appUninstalled.safeParse(envelope.event).success) {
    return true;
  }
  const orgId = installation.orgId;
  const revoked = await deps.store.transaction(async (tx) => {
    if (!(await tx.slack.revokeInstallation(orgId, Date.now(), type))) return false;
    await deps.audit.record(tx, { type: 'slack', id: null, orgId, ip: null }, 'slack.revoked', 'success',
      { type: 'organization', id: orgId }, { reason: type, teamId: installation.teamId });
    return true;
  });
  await deps.workspaces.refresh(orgId);
  if (revoked) deps.log.warn({ eventId: envelope.event_id, type, orgId }, 'slack disconnected by the workspace');
  return true;
}
