import type { Kysely } from 'kysely';
import type { Dialect } from '../types.ts';
import { autoIdColumn } from './columns.ts';

/**
 * E-mail threading and inbound-webhook replay protection.
 * - `email_message_ids`: every Message-ID seen or sent in a conversation, so a reply (In-Reply-To,
 *   References) finds its conversation and an outbound reply names the patient's last message.
 *   Looked up through a keyed blind index; the header itself and the subject are sealed.
 * - `webhook_tokens`: Mailgun signing tokens already used (single use), as SHA-256 hashes.
 */
export function emailMigration(dialect: Dialect) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await autoIdColumn(db.schema.createTable('email_message_ids'), dialect)
        .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
        .addColumn('conversation_id', 'text', (c) => c.notNull().references('conversations.id').onDelete('cascade'))
        /** The Bedside message it belongs to, when there is one (a DSN has none). */
        .addColumn('message_id', 'bigint')
        .addColumn('direction', 'text', (c) => c.notNull())
        .addColumn('header_index', 'text', (c) => c.notNull())
        /** Sealed: the Message-ID exactly as it goes into In-Reply-To / References. */
        .addColumn('header', 'text', (c) => c.notNull())
        /** Sealed. */
        .addColumn('subject', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('email_message_ids_header').unique().on('email_message_ids').columns(['org_id', 'header_index']).execute();
      await db.schema.createIndex('email_message_ids_conversation').on('email_message_ids').columns(['conversation_id', 'id']).execute();
      await db.schema.createTable('webhook_tokens')
        .addColumn('token_hash', 'text', (c) => c.primaryKey())
        .addColumn('seen_at', 'bigint', (c) => c.notNull())
        .execute();
    },
  };
}
