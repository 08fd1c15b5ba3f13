import type { CreateTableBuilder } from 'kysely';
import type { Dialect } from '../types.ts';

/** An increasing integer primary key, spelled as each engine wants it. */
export function autoIdColumn<T extends string>(table: CreateTableBuilder<T, never>, dialect: Dialect) {
  return dialect === 'postgres'
    ? table.addColumn('id', 'bigserial', (c) => c.primaryKey())
    : table.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement());
}
