import type { Kysely } from 'kysely';
import type { Dialect } from '../types.ts';
import { autoIdColumn } from './columns.ts';

/**
 * Staff accounts (sign-in with TOTP), sessions, enrolment links, read state, canned responses,
 * and the audit log the PHI controls build on (its hash chain arrives with them).
 */
export function staffInboxMigration(dialect: Dialect) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('staff').addColumn('status', 'text', (c) => c.notNull().defaultTo('active')).execute();
      await db.schema.alterTable('staff').addColumn('password_hash', 'text').execute();
      /** Encrypted with the server key (AES-256-GCM); never stored in the clear. */
      await db.schema.alterTable('staff').addColumn('totp_secret', 'text').execute();
      await db.schema.alterTable('staff').addColumn('totp_enabled_at', 'bigint').execute();
      /** The last TOTP time step accepted: a code is never accepted twice. */
      await db.schema.alterTable('staff').addColumn('totp_last_step', 'bigint').execute();
      /** JSON array of SHA-256 hashes of unused recovery codes. */
      await db.schema.alterTable('staff').addColumn('recovery_codes', 'text').execute();
      await db.schema.alterTable('staff').addColumn('last_login_at', 'bigint').execute();
      // One account per person across the installation: sign-in needs no organization picker.
      await db.schema.createIndex('staff_email').on('staff').column('email').unique().execute();

      await db.schema.createTable('enrolment_tokens')
        .addColumn('token_hash', 'text', (c) => c.primaryKey())
        .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
        .addColumn('staff_id', 'text', (c) => c.notNull().references('staff.id').onDelete('cascade'))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('used_at', 'bigint')
        .execute();
      await db.schema.createIndex('enrolment_tokens_staff').on('enrolment_tokens').column('staff_id').execute();

      await db.schema.createTable('sessions')
        .addColumn('id_hash', 'text', (c) => c.primaryKey())
        .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
        .addColumn('staff_id', 'text', (c) => c.notNull().references('staff.id').onDelete('cascade'))
        .addColumn('csrf_token', 'text', (c) => c.notNull())
        .addColumn('mfa_verified_at', 'bigint')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('revoked_at', 'bigint')
        .addColumn('ip', 'text')
        .execute();
      await db.schema.createIndex('sessions_staff').on('sessions').column('staff_id').execute();

      await db.schema.createTable('conversation_reads')
        .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
        .addColumn('staff_id', 'text', (c) => c.notNull().references('staff.id').onDelete('cascade'))
        .addColumn('conversation_id', 'text', (c) => c.notNull().references('conversations.id').onDelete('cascade'))
        .addColumn('last_read_message_id', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('conversation_reads_pk', ['staff_id', 'conversation_id'])
        .execute();

      await db.schema.createTable('canned_responses')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
        .addColumn('shortcut', 'text', (c) => c.notNull())
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addUniqueConstraint('canned_responses_shortcut', ['org_id', 'shortcut'])
        .execute();

      /** JSON: OrganizationSettings (Slack content mode and its attestation, ...). */
      await db.schema.alterTable('organizations').addColumn('settings', 'text', (c) => c.notNull().defaultTo('{}')).execute();

      // Since when the patient has been waiting for an answer (null: answered or no message yet).
      await db.schema.alterTable('conversations').addColumn('waiting_since', 'bigint').execute();

      await autoIdColumn(db.schema.createTable('audit_log'), dialect)
        .addColumn('org_id', 'text', (c) => c.references('organizations.id').onDelete('cascade'))
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('actor_type', 'text', (c) => c.notNull())
        .addColumn('actor_id', 'text')
        .addColumn('ip', 'text')
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('target_type', 'text')
        .addColumn('target_id', 'text')
        .addColumn('outcome', 'text', (c) => c.notNull())
        /** JSON; ids and reasons only, never patient content. */
        .addColumn('details', 'text')
        .execute();
      await db.schema.createIndex('audit_log_org_at').on('audit_log').columns(['org_id', 'at']).execute();
    },
  };
}
