import type { Kysely } from 'kysely';
import type { Dialect } from '../types.ts';
import { autoIdColumn } from './columns.ts';

/** Legal hold per contact (retention and erasure skip held records) and consent records. */
export function retentionConsentMigration(dialect: Dialect) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('contacts').addColumn('legal_hold_at', 'bigint').execute();
      await db.schema.alterTable('contacts').addColumn('legal_hold_reason', 'text').execute();
      // A patient's informed choice to receive messages over an unencrypted channel (SMS, e-mail):
      // what they were told, when, and who recorded it. Never updated: a change is a new row.
      await autoIdColumn(db.schema.createTable('consents'), dialect)
        .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
        .addColumn('contact_id', 'text', (c) => c.notNull().references('contacts.id').onDelete('cascade'))
        .addColumn('channel', 'text', (c) => c.notNull())
        .addColumn('granted', 'integer', (c) => c.notNull())
        .addColumn('wording', 'text', (c) => c.notNull())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('recorded_by', 'text')
        .addColumn('recorded_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('consents_contact').on('consents').columns(['contact_id', 'channel', 'id']).execute();
      await db.schema.createIndex('messages_org_created').on('messages').columns(['org_id', 'created_at']).execute();
    },
  };
}
