import { sql, type Kysely } from 'kysely';

/**
 * Only messages sent to a vendor have an external id (their id at Twilio, Meta, Viber), looked up
 * when a delivery receipt comes back. Every other message, each patient message among them, still
 * wrote a NULL entry into this index: one more page into the WAL per message for nothing. Partial,
 * it holds the ids it is there to find, and `external_id = ?` still uses it.
 */
export const partialExternalIdMigration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropIndex('messages_external_id').execute();
    await db.schema.createIndex('messages_external_id').on('messages').column('external_id')
      .where(sql.ref('external_id'), 'is not', null).execute();
  },
};
