import type { Kysely, Transaction } from 'kysely';
import { searchTerms } from '../domain/normalize.ts';
import type { FieldCrypto } from './field-crypto.ts';
import type { Database } from './schema.ts';

type Db = Kysely<Database> | Transaction<Database>;

/**
 * The keyed word index of messages (given as text in the clear, as just sealed or just opened):
 * every distinct word as an HMAC under the practice's index key, so search can find a message
 * without the database ever holding a readable word.
 */
export async function hashedTerms(
  db: Db, crypto: FieldCrypto, messages: Array<{ id: number; orgId: string; body: string }>,
): Promise<Array<{ id: number; orgId: string; terms: string[] }>> {
  const indexers = new Map<string, (word: string) => string>();
  const out = [];
  for (const m of messages) {
    let hmac = indexers.get(m.orgId);
    if (!hmac) indexers.set(m.orgId, hmac = await crypto.indexer(db, m.orgId, 'term'));
    out.push({ id: m.id, orgId: m.orgId, terms: [...new Set(searchTerms(m.body).map(hmac))] });
  }
  return out;
}

/** PostgreSQL: the terms as rows of `message_terms`, in the message's own transaction. */
export async function writeMessageTerms(db: Db, crypto: FieldCrypto, messages: Array<{ id: number; orgId: string; body: string }>): Promise<void> {
  const rows = (await hashedTerms(db, crypto, messages)).flatMap((m) => m.terms.map((term) => ({ orgId: m.orgId, term, messageId: m.id })));
  if (rows.length) await db.insertInto('messageTerms').values(rows).onConflict((oc) => oc.doNothing()).execute();
}
