/**
 * Slack installations and OAuth states over Kysely. Bot tokens are sealed with the
 * organization's data key (associated data org|slack_installations|bot_token|org), so a copy of
 * the database gives no access to any practice's workspace.
 */
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Conversation } from '../domain/types.ts';
import type { FieldCrypto } from './field-crypto.ts';
import { toConversation } from './rows.ts';
import type { Database } from './schema.ts';
import type { NewSlackInstallation, SlackInstallation, SlackInstallationStatus, SlackOAuthState, SlackStoreOps } from './slack-types.ts';
import { withFields } from '../domain/with-fields.ts';

type Db = Kysely<Database> | Transaction<Database>;
const TABLE = 'slack_installations';

export class KyselySlackOps implements SlackStoreOps {
  constructor(private readonly db: Db, private readonly crypto: FieldCrypto) {}

  private async open(r: Selectable<Database['slackInstallations']>): Promise<SlackInstallation> {
    return {
      orgId: r.orgId, teamId: r.teamId, teamName: r.teamName, appId: r.appId, botUserId: r.botUserId, scope: r.scope,
      botToken: await this.crypto.openNullable(this.db, r.orgId, TABLE, 'bot_token', r.orgId, r.botToken),
      status: r.status as SlackInstallationStatus, defaultChannelId: r.defaultChannelId, installedBy: r.installedBy,
      installedAt: Number(r.installedAt), revokedAt: r.revokedAt === null ? null : Number(r.revokedAt), revokedReason: r.revokedReason,
    };
  }

  async getInstallation(orgId: string): Promise<SlackInstallation | undefined> {
    const r = await this.db.selectFrom('slackInstallations').selectAll().where('orgId', '=', orgId).executeTakeFirst();
    return r && this.open(r);
  }

  async findInstallationByTeam(teamId: string): Promise<SlackInstallation | undefined> {
    const r = await this.db.selectFrom('slackInstallations').selectAll().where('teamId', '=', teamId).executeTakeFirst();
    return r && this.open(r);
  }

  async saveInstallation(i: NewSlackInstallation): Promise<void> {
    const botToken = await this.crypto.seal(this.db, i.orgId, TABLE, 'bot_token', i.orgId, i.botToken);
    const previous = await this.db.selectFrom('slackInstallations').select(['teamId', 'defaultChannelId']).where('orgId', '=', i.orgId).executeTakeFirst();
    const row = {
      orgId: i.orgId, teamId: i.teamId, teamName: i.teamName, appId: i.appId, botUserId: i.botUserId, scope: i.scope, botToken,
      status: 'active', installedBy: i.installedBy, installedAt: i.installedAt, revokedAt: null, revokedReason: null,
      // Channel ids belong to a workspace: keep the choice only when the workspace is the same.
      defaultChannelId: previous?.teamId === i.teamId ? previous.defaultChannelId : null,
    };
    if (previous) await this.db.updateTable('slackInstallations').set(row).where('orgId', '=', i.orgId).execute();
    else await this.db.insertInto('slackInstallations').values(row).execute();
  }

  async revokeInstallation(orgId: string, at: number, reason: string): Promise<boolean> {
    const r = await this.db.updateTable('slackInstallations')
      .set({ status: 'revoked', botToken: null, revokedAt: at, revokedReason: reason })
      .where('orgId', '=', orgId).where('status', '=', 'active').executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async setDefaultChannel(orgId: string, channelId: string | null): Promise<void> {
    await this.db.updateTable('slackInstallations').set({ defaultChannelId: channelId }).where('orgId', '=', orgId).execute();
  }

  async listActiveOrgIds(): Promise<string[]> {
    const rows = await this.db.selectFrom('slackInstallations').select('orgId').where('status', '=', 'active').execute();
    return rows.map((r) => r.orgId);
  }

  async countInstallations(): Promise<{ active: number; revoked: number }> {
    const rows = await this.db.selectFrom('slackInstallations').select(['status', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('status').execute();
    const n = (s: string) => Number(rows.find((r) => r.status === s)?.n ?? 0);
    return { active: n('active'), revoked: n('revoked') };
  }

  async createOAuthState(s: Omit<SlackOAuthState, 'usedAt'>): Promise<void> {
    // Expired states are of no use to anyone: sweep them as new ones arrive.
    await this.db.deleteFrom('slackOauthStates').where('expiresAt', '<', s.createdAt - 3600_000).execute();
    await this.db.insertInto('slackOauthStates').values(withFields(s, { usedAt: null })).execute();
  }

  async consumeOAuthState(stateHash: string, now: number): Promise<SlackOAuthState | undefined> {
    const r = await this.db.selectFrom('slackOauthStates').selectAll().where('stateHash', '=', stateHash).executeTakeFirst();
    if (!r) return undefined;
    // Compare-and-set: of two requests racing with one state, only one sees usedAt null.
    const won = await this.db.updateTable('slackOauthStates').set({ usedAt: now })
      .where('stateHash', '=', stateHash).where('usedAt', 'is', null).executeTakeFirst();
    const usedAt = Number(won.numUpdatedRows) === 1 ? null : Number(r.usedAt ?? now);
    return withFields(r, { createdAt: Number(r.createdAt), expiresAt: Number(r.expiresAt), usedAt });
  }

  /** Data-key rotation: re-seals the token if it is under an older key version; returns 0 or 1. */
  async reencrypt(orgId: string, currentPrefix: string): Promise<number> {
    const r = await this.db.selectFrom('slackInstallations').selectAll().where('orgId', '=', orgId)
      .where('botToken', 'is not', null).where('botToken', 'not like', `${currentPrefix}%`).executeTakeFirst();
    if (!r?.botToken) return 0;
    const token = await this.crypto.open(this.db, orgId, TABLE, 'bot_token', orgId, r.botToken);
    await this.db.updateTable('slackInstallations').set({ botToken: await this.crypto.seal(this.db, orgId, TABLE, 'bot_token', orgId, token) })
      .where('orgId', '=', orgId).execute();
    return 1;
  }

  async findConversationByThread(orgId: string, channelId: string, threadTs: string): Promise<Conversation | undefined> {
    const r = await this.db.selectFrom('conversations').selectAll()
      .where('orgId', '=', orgId).where('slackChannelId', '=', channelId).where('slackThreadTs', '=', threadTs).executeTakeFirst();
    return r && toConversation(r);
  }
}
