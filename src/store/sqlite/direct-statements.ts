import type { Database as SqliteDatabase } from 'better-sqlite3';
import { CamelCasePlugin, type CompiledQuery, type QueryResult, type UnknownRow } from 'kysely';
import type { StatementRunner } from '../prepared.ts';

/** Kysely's own camel-case mapping of a result row (the store's plugin), called synchronously. */
class RowMapper extends CamelCasePlugin {
  map(row: UnknownRow): UnknownRow {
    return this.mapRow(row);
  }
}

/**
 * Runs a compiled query on the connection itself, with the result Kysely's SQLite driver and
 * camel-case plugin would give. Only for statements of a transaction that already holds the
 * connection (see group-commit.ts): there Kysely's own path adds nothing but cost. Per statement it
 * made a query executor, a chain of promises and a copy of every row; the writer thread measured
 * 37% of its allocations in it.
 */
export function sqliteStatementRunner(sqlite: SqliteDatabase): StatementRunner {
  const rows = new RowMapper();
  return {
    run<R>(query: CompiledQuery<R>, parameters: readonly unknown[] = query.parameters): QueryResult<R> {
      const stmt = sqlite.prepare(query.sql);
      if (stmt.reader) return { rows: (stmt.all(parameters) as UnknownRow[]).map((r) => rows.map(r) as R) };
      const { changes, lastInsertRowid } = stmt.run(parameters);
      return { rows: [], numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid) };
    },
  };
}
