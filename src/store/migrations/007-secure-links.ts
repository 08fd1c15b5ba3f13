import type { Kysely } from 'kysely';

/**
 * Notice mode for channels without encryption (SMS): the patient gets a link instead of the text,
 * and reads and answers after confirming a one-time code sent to them (and their date of birth
 * when the practice has it on file).
 */
export const secureLinksMigration = {
  async up(db: Kysely<unknown>): Promise<void> {
    /** Sealed, YYYY-MM-DD. */
    await db.schema.alterTable('contacts').addColumn('date_of_birth', 'text').execute();
    await db.schema.createTable('secure_links')
      .addColumn('token_hash', 'text', (c) => c.primaryKey())
      .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
      .addColumn('conversation_id', 'text', (c) => c.notNull().references('conversations.id').onDelete('cascade'))
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('code_hash', 'text')
      .addColumn('code_expires_at', 'bigint')
      .addColumn('codes_sent', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('failed_attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('reader_hash', 'text')
      .addColumn('reader_expires_at', 'bigint')
      .execute();
  },
};
