import type { Kysely } from 'kysely';

/**
 * Files patients send (MMS pictures, e-mail attachments, documents on Messenger and WhatsApp).
 * Content and file name are sealed like message bodies; the type and size are not PHI and stay
 * readable so the inbox can list them without decrypting. A message's files go with it
 * (retention, erasure, organization deletion).
 */
export const attachmentsMigration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.createTable('attachments')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
      .addColumn('message_id', 'bigint', (c) => c.notNull().references('messages.id').onDelete('cascade'))
      .addColumn('filename', 'text', (c) => c.notNull())
      .addColumn('content_type', 'text', (c) => c.notNull())
      .addColumn('size', 'integer', (c) => c.notNull())
      .addColumn('data', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('attachments_message').on('attachments').columns(['org_id', 'message_id']).execute();
  },
};
