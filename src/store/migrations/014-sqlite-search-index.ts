import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../types.ts';

/**
 * SQLite's word index moves from rows of `message_terms` to an FTS5 table of the same keyed terms
 * (see sqlite/deferred-terms.ts), written behind the messages in batches.
 *
 * - `message_term_index`: one row per message (rowid = message id), its terms space-separated.
 *   Contentless (the terms are kept only as the index's postings), `detail=none` (no positions:
 *   search is an AND of words), and deletable so erasure reaches it.
 * - A trigger removes a message's row whenever the message goes, by erasure, retention or
 *   cascade, in the same transaction.
 * - `search_index_progress`: the last message id indexed. Messages stored before this migration
 *   are copied over from `message_terms`, so it starts at the newest.
 *
 * PostgreSQL keeps `message_terms`, written with each message (its B-tree suits it there).
 */
export const searchIndexMigration = (dialect: Dialect) => ({
  async up(db: Kysely<unknown>): Promise<void> {
    if (dialect !== 'sqlite') return;
    await sql`create virtual table message_term_index using fts5(terms, content='', contentless_delete=1, detail=none, tokenize='ascii')`.execute(db);
    await sql`create trigger message_term_index_forget after delete on messages begin
      delete from message_term_index where rowid = old.id;
    end`.execute(db);
    await sql`insert into message_term_index (rowid, terms)
      select message_id, group_concat(term, ' ') from message_terms group by message_id`.execute(db);
    await sql`delete from message_terms`.execute(db);
    await db.schema.createTable('search_index_progress')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('through_message_id', 'bigint', (c) => c.notNull())
      .execute();
    await sql`insert into search_index_progress (name, through_message_id) select 'terms', coalesce(max(id), 0) from messages`.execute(db);
  },
});
