import type { Database, Statement } from 'better-sqlite3';

/**
 * Kysely's SQLite driver calls `prepare()` for every query it runs, so SQLite parses and plans the
 * same few dozen statements again for every message (a tenth of the relay's CPU time in the
 * benchmark). This keeps the prepared statements by SQL text and hands the same one back.
 * Safe because every statement runs to completion synchronously before the next is prepared
 * (nothing here streams with `iterate()`); bounded, oldest out first, for SQL that varies in
 * length (IN lists).
 */
export function cachePreparedStatements(db: Database, max = 1000): Database {
  const cache = new Map<string, Statement>();
  const prepare = db.prepare.bind(db);
  db.prepare = ((source: string) => {
    let stmt = cache.get(source);
    if (!stmt) {
      stmt = prepare(source);
      if (cache.size >= max) cache.delete(cache.keys().next().value as string);
      cache.set(source, stmt);
    }
    return stmt;
  }) as Database['prepare'];
  return db;
}
