/**
 * "Add to Slack" (OAuth v2): starting an installation and finishing it.
 *
 * The `state` sent to Slack is random, stored only as a hash, valid for ten minutes and usable
 * once. It is bound to the organization and the staff session that started it (the session must
 * still be valid, and its holder an owner or admin, when Slack sends the browser back), and to
 * the browser itself through a cookie holding a second random value: a state cannot be replayed
 * in another browser, for another practice, or after sign-out.
 */
import { createHash, randomBytes } from 'node:crypto';
import { ErrorCode, WebClient } from '@slack/web-api';
import { z } from 'zod';
import type { SlackAppConfig } from '../../config.ts';
import { AppError } from '../../errors.ts';
import type { Actor, AuditTrail } from '../../features/audit.ts';
import { ROLE_RANK } from '../../features/staff-auth.ts';
import type { Store } from '../../store/types.ts';
import { botScopesFromManifest } from './manifest.ts';
import type { SlackWorkspaces } from './workspaces.ts';

export const STATE_TTL_MS = 10 * 60_000;
export const CALLBACK_PATH = '/slack/oauth/callback';

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const random = () => randomBytes(32).toString('base64url');

/** The parts of oauth.v2.access's answer Bedside keeps (method reference, "Example response"). */
const accessResponse = z.object({
  ok: z.literal(true),
  access_token: z.string().startsWith('xoxb-'),
  token_type: z.literal('bot'),
  scope: z.string(),
  bot_user_id: z.string().min(1),
  app_id: z.string().optional(),
  team: z.object({ id: z.string().min(1), name: z.string().optional() }),
  is_enterprise_install: z.boolean().optional(),
});

export interface StartedInstall {
  authorizeUrl: string;
  /** To be kept by the browser (cookie) and shown again with the callback. */
  browserBinding: string;
}

export interface CallbackInput {
  state: string | undefined;
  code: string | undefined;
  error: string | undefined;
  browserBinding: string | undefined;
  ip: string;
}

const refuse = (code: string, status: number, message: string) => new AppError(code, status, message);

export class SlackInstaller {
  private readonly scopes: string[];

  constructor(
    private readonly store: Store,
    private readonly workspaces: SlackWorkspaces,
    private readonly audit: AuditTrail,
    private readonly config: SlackAppConfig,
    private readonly publicUrl: string,
    /** The session's idle limit: a session that went idle meanwhile is over, as everywhere else. */
    private readonly sessionIdleMs: number,
    private readonly timeoutMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {
    this.scopes = botScopesFromManifest();
  }

  get redirectUri(): string {
    return `${this.publicUrl}${CALLBACK_PATH}`;
  }

  async start(who: { orgId: string; staffId: string; sessionHash: string }): Promise<StartedInstall> {
    const state = random();
    const browserBinding = random();
    const now = this.now();
    await this.store.slack.createOAuthState({
      stateHash: sha256(state), orgId: who.orgId, staffId: who.staffId, sessionHash: who.sessionHash,
      browserHash: sha256(browserBinding), createdAt: now, expiresAt: now + STATE_TTL_MS,
    });
    const url = new URL(this.config.oauthUrl);
    url.searchParams.set('client_id', this.config.clientId);
    url.searchParams.set('scope', this.scopes.join(','));
    url.searchParams.set('redirect_uri', this.redirectUri);
    url.searchParams.set('state', state);
    return { authorizeUrl: url.toString(), browserBinding };
  }

  /**
   * Checks the state, exchanges the code, stores the installation; returns the organization.
   * Every refusal is audited and stores nothing.
   */
  async finish(input: CallbackInput): Promise<{ orgId: string; teamId: string }> {
    const anonymous: Actor = { type: 'anonymous', id: null, orgId: null, ip: input.ip };
    const denied = async (actor: Actor, reason: string, err: AppError): Promise<never> => {
      await this.audit.record(this.store, actor, 'slack.install', 'denied', undefined, { reason });
      throw err;
    };
    if (!input.state || input.state.length > 128) {
      return denied(anonymous, 'state_missing', refuse('slack_state_invalid', 400, 'This Slack installation link is not valid. Start again from the Slack page of the administration.'));
    }
    const now = this.now();
    const row = await this.store.slack.consumeOAuthState(sha256(input.state), now);
    if (!row) return denied(anonymous, 'state_unknown', refuse('slack_state_invalid', 400, 'This Slack installation link is not valid. Start again from the Slack page of the administration.'));
    const actor: Actor = { type: 'staff', id: row.staffId, orgId: row.orgId, ip: input.ip };
    if (row.usedAt !== null) return denied(actor, 'state_reused', refuse('slack_state_used', 400, 'This Slack installation link was already used. Start again from the Slack page of the administration.'));
    if (row.expiresAt <= now) return denied(actor, 'state_expired', refuse('slack_state_expired', 400, 'This Slack installation link has expired (10 minutes). Start again from the Slack page of the administration.'));
    if (!input.browserBinding || sha256(input.browserBinding) !== row.browserHash) {
      return denied(actor, 'browser_mismatch', refuse('slack_state_invalid', 400, 'This Slack installation was started in another browser or for another practice. Start again from the Slack page of the administration.'));
    }
    const session = await this.store.auth.findSession(row.sessionHash);
    const account = session && await this.store.auth.getAccount(row.orgId, row.staffId);
    if (!session || session.revokedAt !== null || session.expiresAt <= now || now - session.lastSeenAt > this.sessionIdleMs
      || session.orgId !== row.orgId || session.staffId !== row.staffId
      || !account || account.status !== 'active' || ROLE_RANK[account.role] < ROLE_RANK.admin) {
      return denied(actor, 'session_ended', refuse('slack_session_ended', 401, 'You were signed out before Slack sent you back. Sign in and start again.'));
    }
    if (input.error) {
      const reason = input.error === 'access_denied' ? 'access_denied' : 'slack_error';
      return denied(actor, reason, refuse('slack_install_cancelled', 400, 'Slack was not connected: the installation was cancelled in Slack.'));
    }
    if (!input.code || input.code.length > 256) return denied(actor, 'code_missing', refuse('slack_code_missing', 400, 'Slack sent no authorization code. Start again from the Slack page of the administration.'));

    const granted = await this.exchange(input.code).catch(async (err: unknown) => {
      const code = err instanceof AppError ? err.code : 'slack_exchange_failed';
      return denied(actor, code, err instanceof AppError ? err : refuse('slack_exchange_failed', 502, 'Slack did not confirm the installation. Try again in a moment.'));
    });
    if (granted.is_enterprise_install) {
      return denied(actor, 'enterprise_install', refuse('slack_enterprise_install', 400, 'Install Bedside into one workspace, not across an Enterprise Grid organization.'));
    }
    const teamId = granted.team.id;
    const other = await this.store.slack.findInstallationByTeam(teamId);
    if (other && other.orgId !== row.orgId) {
      return denied(actor, 'workspace_taken', refuse('slack_workspace_taken', 409, 'This Slack workspace is already connected to another practice. Each practice needs its own workspace.'));
    }
    const mine = await this.store.slack.getInstallation(row.orgId);
    if (mine && mine.status === 'active' && mine.teamId !== teamId) {
      return denied(actor, 'org_has_workspace', refuse('slack_org_connected', 409, 'This practice is already connected to another Slack workspace. Remove Bedside from that workspace first.'));
    }
    await this.store.transaction(async (tx) => {
      await tx.slack.saveInstallation({
        orgId: row.orgId, teamId, teamName: granted.team.name ?? teamId, appId: granted.app_id ?? null, botUserId: granted.bot_user_id,
        scope: granted.scope, installedBy: row.staffId, installedAt: now, botToken: granted.access_token,
      });
      await this.audit.record(tx, actor, 'slack.install', 'success', { type: 'organization', id: row.orgId },
        { teamId, reinstall: mine !== undefined });
    });
    await this.workspaces.refresh(row.orgId);
    return { orgId: row.orgId, teamId };
  }

  /** oauth.v2.access with the app's client id and secret; only Slack's error code is kept. */
  private async exchange(code: string): Promise<z.infer<typeof accessResponse>> {
    const client = new WebClient(undefined, {
      slackApiUrl: this.config.apiUrl, retryConfig: { retries: 0 }, timeout: this.timeoutMs,
      logger: { debug() {}, info() {}, warn() {}, error() {}, setLevel() {}, getLevel() { return 'error' as never; }, setName() {} },
    });
    let res: unknown;
    try {
      res = await client.oauth.v2.access({ client_id: this.config.clientId, client_secret: this.config.clientSecret, code, redirect_uri: this.redirectUri });
    } catch (err) {
      const e = err as { code?: string; data?: { error?: string } };
      const slackCode = e.code === ErrorCode.PlatformError ? e.data?.error ?? 'unknown' : 'unreachable';
      throw refuse('slack_exchange_failed', 502, `Slack did not confirm the installation (${slackCode.replace(/[^a-z_]/g, '')}). Start again from the Slack page of the administration.`);
    }
    const parsed = accessResponse.safeParse(res);
    if (!parsed.success) throw refuse('slack_exchange_failed', 502, 'Slack answered the installation with something unexpected. Try again.');
    return parsed.data;
  }
}
