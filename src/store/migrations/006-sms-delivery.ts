import type { Kysely } from 'kysely';

/** Patient channels beyond the widget: opt-out per address, and delivery status per message. */
export const smsDeliveryMigration = {
  async up(db: Kysely<unknown>): Promise<void> {
    // STOP and its synonyms: nothing more is sent to this address until START.
    await db.schema.alterTable('contact_identities').addColumn('opted_out_at', 'bigint').execute();
    // queued, sent, delivered, undelivered, failed, refused (and why, without content).
    await db.schema.alterTable('messages').addColumn('delivery_status', 'text').execute();
    await db.schema.alterTable('messages').addColumn('delivery_error', 'text').execute();
    // The vendor's id for an outbound message (Twilio MessageSid), to match status callbacks.
    await db.schema.alterTable('messages').addColumn('external_id', 'text').execute();
    await db.schema.createIndex('messages_external_id').on('messages').column('external_id').execute();
  },
};
