import type { Kysely } from 'kysely';

/**
 * The conversation list must cost the same with a year of history as on day one. It is read newest
 * activity first, with the id as tie-break (the cursor is `(last_message_at, id)`), with or without
 * a status filter. Without an index in exactly that order the database sorts every conversation
 * of the practice, and computes each one's unread count and preview on the way, before keeping 50.
 * These two let it walk the index from the newest row and stop at the page size. The older
 * (org_id, status, last_message_at) index is a prefix of the second one, so it goes.
 */
export const listIndexesMigration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.createIndex('conversations_recent').on('conversations')
      .columns(['org_id', 'last_message_at', 'id']).execute();
    await db.schema.createIndex('conversations_status_recent').on('conversations')
      .columns(['org_id', 'status', 'last_message_at', 'id']).execute();
    await db.schema.dropIndex('conversations_list').execute();
  },
};
