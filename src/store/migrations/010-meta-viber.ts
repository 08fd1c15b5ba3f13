import type { Kysely } from 'kysely';

/**
 * Messenger, WhatsApp and Viber reply to an address the channel gave us (a page-scoped id, a
 * WhatsApp number, a Viber user id). The identity's external_id is a blind index and cannot be
 * read back, so the address is kept beside it, sealed; and WhatsApp's 24-hour service window
 * needs the time of the patient's last message on that address.
 */
export const metaViberMigration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('contact_identities').addColumn('address', 'text').execute();
    await db.schema.alterTable('contact_identities').addColumn('last_inbound_at', 'bigint').execute();
  },
};
