import type { Kysely, Transaction } from 'kysely';
import { searchTerms } from '../domain/normalize.ts';
import type { FieldCrypto } from './field-crypto.ts';
import type { Database } from './schema.ts';
import { ExpiringMap } from '../domain/expiring-map.ts';

type Db = Kysely<Database> | Transaction<Database>;

/**
 * The keyed word index of messages (given as text in the clear, as just sealed or just opened):
 * every distinct word as an HMAC under the practice's index key, so search can find a message
 * without the database ever holding a readable word.
 */
export async function hashedTerms(
  db: Db, crypto: FieldCrypto, messages: Array<{ id: number; orgId: string; body: string }>, recent?: RecentTermHashes,
): Promise<Array<{ id: number; orgId: string; terms: string[] }>> {
  const indexers = new Map<string, (word: string) => string>();
  const out = [];
  for (const m of messages) {
    let hash = indexers.get(m.orgId);
    if (!hash) {
      const hmac = await crypto.indexer(db, m.orgId, 'term');
      const orgId = m.orgId;
      hash = recent ? (word) => recent.hashOf(orgId, word, hmac) : hmac;
      indexers.set(m.orgId, hash);
    }
    out.push({ id: m.id, orgId: m.orgId, terms: [...new Set(searchTerms(m.body).map(hash))] });
  }
  return out;
}

/**
 * The keyed hashes of the words indexed in the last few seconds. Most words of one message were
 * in the one before ("appointment", "tomorrow", "please"): under load the HMACs of every word of
 * every message were a tenth of the server's time. Held no longer than the decrypted text of new
 * messages is (see features/recent-messages.ts), and bounded in count.
 */
export class RecentTermHashes {
  private readonly byWord: ExpiringMap<string, string>;

  constructor(max = 20_000, ttlMs = 10_000, now: () => number = Date.now) {
    this.byWord = new ExpiringMap(max, ttlMs, now);
  }

  hashOf(orgId: string, word: string, compute: (word: string) => string): string {
    const key = `${orgId}\u0000${word}`;
    const known = this.byWord.get(key);
    if (known !== undefined) return known;
    const hash = compute(word);
    this.byWord.set(key, hash);
    return hash;
  }
}

/** PostgreSQL: the terms as rows of `message_terms`, in the message's own transaction. */
export async function writeMessageTerms(db: Db, crypto: FieldCrypto, messages: Array<{ id: number; orgId: string; body: string }>): Promise<void> {
  const rows = (await hashedTerms(db, crypto, messages)).flatMap((m) => m.terms.map((term) => ({ orgId: m.orgId, term, messageId: m.id })));
  if (rows.length) await db.insertInto('messageTerms').values(rows).onConflict((oc) => oc.doNothing()).execute();
}
