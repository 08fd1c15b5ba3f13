import type { Kysely } from 'kysely';

/**
 * Encryption at rest (HIPAA 164.312(a)(2)(iv)): per-organization data keys wrapped by the master
 * key, and keyed blind indexes so contacts can be found by phone or e-mail, and messages by word,
 * without any of those values stored in the clear.
 */
export const encryptionMigration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.createTable('data_keys')
      // No foreign key: the installation's own key ("__system__", for queued webhook payloads) has no organization.
      .addColumn('org_id', 'text', (c) => c.notNull())
      .addColumn('purpose', 'text', (c) => c.notNull())
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('wrapped', 'text', (c) => c.notNull())
      .addColumn('master_key_id', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('retired_at', 'bigint')
      .addPrimaryKeyConstraint('data_keys_pk', ['org_id', 'purpose', 'version'])
      .execute();
    await db.schema.alterTable('contacts').addColumn('email_index', 'text').execute();
    await db.schema.alterTable('contacts').addColumn('phone_index', 'text').execute();
    await db.schema.createIndex('contacts_email_index').on('contacts').columns(['org_id', 'email_index']).execute();
    await db.schema.createIndex('contacts_phone_index').on('contacts').columns(['org_id', 'phone_index']).execute();
    await db.schema.createTable('message_terms')
      .addColumn('org_id', 'text', (c) => c.notNull())
      .addColumn('term', 'text', (c) => c.notNull())
      .addColumn('message_id', 'bigint', (c) => c.notNull().references('messages.id').onDelete('cascade'))
      .addPrimaryKeyConstraint('message_terms_pk', ['org_id', 'term', 'message_id'])
      .execute();
    await db.schema.createIndex('message_terms_message').on('message_terms').column('message_id').execute();
  },
};
