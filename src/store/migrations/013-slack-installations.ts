import type { Kysely } from 'kysely';

/**
 * Many practices, each with its own Slack workspace ("Add to Slack", OAuth v2).
 * - `slack_installations`: one row per organization (its primary key) and one organization per
 *   workspace (unique team id). The bot token is sealed with the organization's data key and
 *   set to null when Slack tells us it was revoked or the app uninstalled.
 * - `slack_oauth_states`: the `state` of each started installation, stored as a hash only,
 *   single-use and short-lived, bound to the organization, the staff session and the browser.
 */
export const slackInstallationsMigration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.createTable('slack_installations')
      .addColumn('org_id', 'text', (c) => c.primaryKey().references('organizations.id').onDelete('cascade'))
      .addColumn('team_id', 'text', (c) => c.notNull().unique())
      .addColumn('team_name', 'text', (c) => c.notNull())
      .addColumn('app_id', 'text')
      .addColumn('bot_user_id', 'text', (c) => c.notNull())
      .addColumn('scope', 'text', (c) => c.notNull())
      /** Sealed (organization data key); null once revoked. */
      .addColumn('bot_token', 'text')
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('default_channel_id', 'text')
      .addColumn('installed_by', 'text')
      .addColumn('installed_at', 'bigint', (c) => c.notNull())
      .addColumn('revoked_at', 'bigint')
      .addColumn('revoked_reason', 'text')
      .execute();
    await db.schema.createTable('slack_oauth_states')
      .addColumn('state_hash', 'text', (c) => c.primaryKey())
      .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
      .addColumn('staff_id', 'text', (c) => c.notNull())
      .addColumn('session_hash', 'text', (c) => c.notNull())
      .addColumn('browser_hash', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('used_at', 'bigint')
      .execute();
  },
};
