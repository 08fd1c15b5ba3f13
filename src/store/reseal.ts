/**
 * Data-key rotation for the sealed columns that have no query layer of their own to do it: each
 * listed column is opened under its old key version and sealed again under the current one, a
 * batch at a time, with the same associated data (organization, table, column, row) as when it
 * was written. A new sealed column must be listed here, or rotation leaves it on the old key.
 */
import type { Kysely, Transaction } from 'kysely';
import type { FieldCrypto } from './field-crypto.ts';
import type { Database } from './schema.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- one loop over several table shapes
type AnyDb = Kysely<any> | Transaction<any>;
type Row = Record<string, unknown>;

interface SealedColumns {
  table: keyof Database;
  /** Name used in the associated data (the SQL table name). */
  aadTable: string;
  /** camelCase column -> SQL column name (as in the associated data). */
  columns: Record<string, string>;
  /** The columns that identify a row within its organization. */
  key: string[];
  rowId(row: Row): string;
}

const SEALED: SealedColumns[] = [
  { table: 'contacts', aadTable: 'contacts', columns: { legalHoldReason: 'legal_hold_reason', dateOfBirth: 'date_of_birth' }, key: ['id'], rowId: (r) => String(r.id) },
  { table: 'contactIdentities', aadTable: 'contact_identities', columns: { address: 'address' }, key: ['channel', 'externalId'], rowId: (r) => `${String(r.channel)}:${String(r.externalId)}` },
  { table: 'emailMessageIds', aadTable: 'email_message_ids', columns: { header: 'header', subject: 'subject' }, key: ['id'], rowId: (r) => String(r.id) },
];

/** Re-seals up to `limit` rows not yet under `currentPrefix` (`e1.<version>.`); returns how many. */
export async function resealColumns(db: Kysely<Database> | Transaction<Database>, crypto: FieldCrypto, orgId: string, currentPrefix: string, limit: number): Promise<number> {
  const anyDb = db as AnyDb;
  let done = 0;
  for (const spec of SEALED) {
    if (done >= limit) break;
    const names = Object.keys(spec.columns);
    const rows = await anyDb.selectFrom(spec.table).selectAll().where('orgId', '=', orgId)
      .where((eb) => eb.or(names.map((c) => eb.and([eb(c, 'is not', null), eb(c, 'not like', `${currentPrefix}%`)]))))
      .limit(limit - done).execute() as Row[];
    for (const row of rows) {
      const id = spec.rowId(row);
      const patch: Row = {};
      for (const [column, sqlName] of Object.entries(spec.columns)) {
        const value = row[column];
        if (typeof value !== 'string' || value === '' || value.startsWith(currentPrefix)) continue;
        const plain = await crypto.open(db, orgId, spec.aadTable, sqlName, id, value);
        patch[column] = await crypto.seal(db, orgId, spec.aadTable, sqlName, id, plain);
      }
      let update = anyDb.updateTable(spec.table).set(patch).where('orgId', '=', orgId);
      for (const k of spec.key) update = update.where(k, '=', row[k]);
      await update.execute();
      done++;
    }
  }
  return done;
}
