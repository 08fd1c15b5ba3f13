/**
 * PostgreSQL for tests: a fresh database per test (created, then dropped), on the server at
 * TEST_POSTGRES_URL (default: the local server, user postgres).
 *
 * (postgres-suite.ts runs a PostgreSQL suite, or fails it when the server does not answer.)
 */
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

export const ADMIN_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function reachable(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  } finally {
    await client.end().catch(() => undefined);
  }
}

let availability: Promise<string | undefined> | undefined;

/** Undefined when the server answers; otherwise why not. */
export function postgresProblem(): Promise<string | undefined> {
  availability ??= reachable();
  return availability;
}

/** Which store the integration harness runs on: BEDSIDE_TEST_ENGINE=postgres, or SQLite. */
export function testEngine(): 'sqlite' | 'postgres' {
  return process.env.BEDSIDE_TEST_ENGINE === 'postgres' ? 'postgres' : 'sqlite';
}

/** Extra environment for a spawned server: a fresh database on PostgreSQL runs, nothing on SQLite. */
export async function engineEnv(): Promise<{ env: Record<string, string>; cleanup(): Promise<void> }> {
  if (testEngine() !== 'postgres') return { env: {}, cleanup: async () => undefined };
  const db = await createTestDatabase({ migrated: true });
  return { env: { DATABASE_URL: db.url, DATABASE_POOL_MAX: '4' }, cleanup: () => db.drop() };
}

export function databaseUrl(database: string, user?: string): string {
  const u = new URL(ADMIN_URL);
  u.pathname = `/${database}`;
  if (user) {
    u.username = user;
    u.password = '';
  }
  return u.toString();
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

const storeDir = fileURLToPath(new URL('../../src/store/', import.meta.url));

/**
 * A database with the current migrations applied, kept on the server as the template of migrated
 * test databases: named after a hash of the migration sources, so a change makes a new one.
 */
async function migratedTemplate(): Promise<string> {
  const hash = createHash('sha256');
  for (const f of readdirSync(`${storeDir}migrations`).sort()) hash.update(f).update(readFileSync(`${storeDir}migrations/${f}`));
  hash.update(readFileSync(`${storeDir}postgres/row-security.ts`));
  const name = `bedside_template_${hash.digest('hex').slice(0, 12)}`;
  return admin(async (c) => {
    // One creator at a time across test processes.
    await c.query('select pg_advisory_lock(7341)');
    try {
      if ((await c.query('select 1 from pg_database where datname = $1', [name])).rowCount) return name;
      const building = `${name}_${randomBytes(3).toString('hex')}`;
      await c.query(`create database ${building}`);
      const { openPostgresStore } = await import('../../src/store/postgres/open.ts');
      const { testMasterKey } = await import('./keys.ts');
      const store = await openPostgresStore(databaseUrl(building), testMasterKey(), { poolMax: 1 });
      await store.close();
      await c.query(`alter database ${building} rename to ${name}`);
      return name;
    } finally {
      await c.query('select pg_advisory_unlock(7341)');
    }
  });
}

/** A new, empty database, or (`migrated`) one with the schema already in place, which is faster to start on. */
export async function createTestDatabase(options: { migrated?: boolean } = {}): Promise<TestDatabase> {
  const name = `bedside_test_${randomBytes(6).toString('hex')}`;
  const template = options.migrated ? ` template ${await migratedTemplate()}` : '';
  await admin((c) => c.query(`create database ${name}${template}`));
  return {
    name,
    url: databaseUrl(name),
    // FORCE: a connection a crashed test left open does not keep the database alive.
    drop: () => admin((c) => c.query(`drop database if exists ${name} with (force)`)).then(() => undefined),
  };
}

/** A raw client on a test database (the schema owner unless another user is given). */
export async function rawClient(database: string, user?: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: databaseUrl(database, user) });
  await client.connect();
  return client;
}

export { admin as withAdminClient };
