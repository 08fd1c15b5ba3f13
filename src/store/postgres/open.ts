/**
 * Opens the PostgreSQL store: a connection pool, the migrations (under an advisory lock, so nodes
 * starting together take turns), the row-level-security declaration, and the scoped store.
 *
 * Two ways to give it the application role (docs/deployment-postgres.md):
 * - one URL (the schema owner's): migrations run as the owner, and every transaction then
 *   switches to `bedside_app` (`SET LOCAL ROLE`), which owns nothing and is bound by the policies;
 * - `migrationUrl` for the owner and the main URL for the application role itself, which is then
 *   checked to own no table and not to bypass row-level security.
 */
import pg from 'pg';
import { CamelCasePlugin, Kysely, Migrator, PostgresDialect, sql } from 'kysely';
import type { Database } from '../schema.ts';
import { FieldCrypto } from '../field-crypto.ts';
import { migrationProvider } from '../migrations/index.ts';
import type { Store } from '../types.ts';
import type { MasterKey } from '../../security/master-key.ts';
import { applyRowSecurity, assertLeastPrivilege, assertRoleName, DEFAULT_APP_ROLE } from './row-security.ts';
import { scopedPostgresStore } from './scoped-store.ts';
import { InlineLimitPlugin } from '../inline-limit-plugin.ts';

export interface PostgresStoreOptions {
  /** Connections in the pool (DATABASE_POOL_MAX). */
  poolMax?: number;
  /** The schema owner's URL, when the main URL is the application role's (DATABASE_MIGRATION_URL). */
  migrationUrl?: string;
}

const INT8_OID = 20;

/** BIGINT columns hold epoch milliseconds and ids, all well inside 2^53: read them as numbers, as SQLite does. */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary' ? (v: string) => Number.parseInt(v, 10) : pg.types.getTypeParser(oid, format ?? 'text')
  ) as typeof pg.types.getTypeParser,
};

export function postgresPool(url: string, max: number): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max, types });
  // An idle connection dropped by the server must not take the process down; the pool replaces it.
  pool.on('error', () => undefined);
  return pool;
}

const kysely = (pool: pg.Pool) => new Kysely<Database>({ dialect: new PostgresDialect({ pool }), plugins: [new CamelCasePlugin(), new InlineLimitPlugin()] });

/** Any number for the advisory lock, the same on every node: "beds" in ASCII. */
const MIGRATION_LOCK = 0x62656473;

/** Migrations and the row-security declaration, one node at a time, on one connection. */
export async function migratePostgres(db: Kysely<Database>, appRole: string, actAsRole: boolean): Promise<void> {
  await db.connection().execute(async (conn) => {
    await sql`select pg_advisory_lock(${MIGRATION_LOCK})`.execute(conn);
    try {
      const migrator = new Migrator({ db: conn, provider: migrationProvider('postgres') });
      const { error, results } = await migrator.migrateToLatest();
      const failed = results?.find((r) => r.status === 'Error');
      if (error || failed) throw new Error(`Database migration ${failed?.migrationName ?? ''} failed`, { cause: error });
      await applyRowSecurity(conn, appRole, { actAsRole });
    } finally {
      await sql`select pg_advisory_unlock(${MIGRATION_LOCK})`.execute(conn);
    }
  });
}

function userOf(url: string): string {
  const user = decodeURIComponent(new URL(url).username);
  if (!user) throw new Error('DATABASE_URL must name the application role (postgres://bedside_app:...@host/db) when DATABASE_MIGRATION_URL is set');
  return user;
}

export async function openPostgresStore(url: string, masterKey: MasterKey, options: PostgresStoreOptions = {}): Promise<Store> {
  const separateOwner = options.migrationUrl !== undefined && options.migrationUrl !== url;
  const appRole = assertRoleName(separateOwner ? userOf(url) : DEFAULT_APP_ROLE);
  const db = kysely(postgresPool(url, options.poolMax ?? 10));
  try {
    if (separateOwner) {
      const owner = kysely(postgresPool(options.migrationUrl as string, 1));
      try {
        await migratePostgres(owner, appRole, false);
      } finally {
        await owner.destroy();
      }
      await assertLeastPrivilege(db);
    } else {
      await migratePostgres(db, appRole, true);
    }
  } catch (err) {
    await db.destroy();
    throw err;
  }
  return scopedPostgresStore(db, new FieldCrypto(masterKey), { actAs: separateOwner ? undefined : appRole });
}
