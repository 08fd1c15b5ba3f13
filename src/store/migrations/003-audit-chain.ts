import type { Kysely } from 'kysely';

/**
 * Tamper evidence for the audit log (HIPAA 164.312(b), (c)(1)): every record carries the hash of
 * the one before it in its organization's chain, and the chain's head is kept apart, so an edited,
 * deleted, inserted or reordered record (the last one included) breaks verification.
 */
export const auditChainMigration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('audit_log').addColumn('prev_hash', 'text').execute();
    await db.schema.alterTable('audit_log').addColumn('hash', 'text').execute();
    await db.schema.createTable('audit_heads')
      .addColumn('chain', 'text', (c) => c.primaryKey())
      .addColumn('last_id', 'bigint', (c) => c.notNull())
      .addColumn('last_hash', 'text', (c) => c.notNull())
      .addColumn('count', 'bigint', (c) => c.notNull())
      .execute();
  },
};
