import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
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
      if (process.env.SQL_TIMING) stmt = timed(stmt, source);
      if (cache.size >= max) cache.delete(cache.keys().next().value as string);
      cache.set(source, stmt);
    }
    return stmt;
  }) as Database['prepare'];
  return db;
}

const timings = new Map<string, { n: number; ns: bigint }>();
function timed(stmt: Statement, source: string): Statement {
  for (const m of ['run', 'all', 'get'] as const) {
    const orig = (stmt as any)[m].bind(stmt);
    (stmt as any)[m] = (...a: unknown[]) => {
      const t = process.hrtime.bigint();
      try { return orig(...a); } finally {
        const e = timings.get(source) ?? { n: 0, ns: 0n };
        e.n++; e.ns += process.hrtime.bigint() - t; timings.set(source, e);
      }
    };
  }
  return stmt;
}
if (process.env.SQL_TIMING) setInterval(() => {
  const rows = [...timings].map(([s, e]) => ({ ms: Number(e.ns / 1000000n), n: e.n, us: Number(e.ns / 1000n) / e.n, s: s.slice(0, 220) })).sort((a, b) => b.ms - a.ms).slice(0, 40);
  require('node:fs').writeFileSync(process.env.SQL_TIMING!, JSON.stringify(rows, null, 1));
}, 2000).unref();
