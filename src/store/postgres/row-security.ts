/**
 * The application role and the row-level-security policies, applied by the schema owner after
 * the migrations, every start, under the migration lock.
 *
 * This is a declaration ("every table with an org_id is isolated by organization"), not a
 * migration: it also covers tables that later migrations add, without each of them having to
 * remember. Each step checks first and changes only what is missing, so a start with nothing to do
 * takes no table lock.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../schema.ts';

/** The role the application acts as in the single-URL setup (see docs/deployment-postgres.md). */
export const DEFAULT_APP_ROLE = 'bedside_app';

const POLICY = 'bedside_tenant_isolation';
const SCOPE_CHECK = "current_setting('bedside.scope', true) = 'system'";
const ORG_SETTING = "current_setting('bedside.org_id', true)";

/** Tables isolated by a column other than org_id. */
const TENANT_COLUMN: Readonly<Record<string, string>> = {
  organizations: 'id',
  // The head of an organization's audit chain is named after the organization ("-": no organization).
  audit_heads: 'chain',
};

/** Installation-level tables without an organization (Mailgun's replay tokens): system scope only. */
const SYSTEM_ONLY = new Set(['webhook_tokens']);

/** Bookkeeping of the migrator: the application never reads or writes it. */
const OWNER_ONLY = new Set(['kysely_migration', 'kysely_migration_lock']);

export function assertRoleName(role: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(role)) throw new Error('The PostgreSQL application role name must be lower-case letters, digits and underscores');
  return role;
}

export async function applyRowSecurity(db: Kysely<Database>, appRole: string, options: { actAsRole: boolean }): Promise<void> {
  const role = sql.id(assertRoleName(appRole));
  const exists = await sql<{ n: number }>`select count(*)::int as n from pg_roles where rolname = ${appRole}`.execute(db);
  if (exists.rows[0]?.n === 0) {
    // Two databases of one server may be set up at once: a role created meanwhile is fine.
    await sql.raw(`do $$ begin create role ${appRole} nologin; exception when duplicate_object or unique_violation then null; end $$`).execute(db);
  }
  if (options.actAsRole) {
    // The schema owner switches to the application role in every transaction: it must be a member.
    const member = await sql<{ ok: boolean }>`select pg_has_role(current_user, ${appRole}, 'MEMBER') as ok`.execute(db);
    if (!member.rows[0]?.ok) await sql`grant ${role} to current_user`.execute(db);
  }
  const schema = sql.id((await sql<{ s: string }>`select current_schema() as s`.execute(db)).rows[0]?.s ?? 'public');
  await sql`grant usage on schema ${schema} to ${role}`.execute(db);
  await sql`grant select, insert, update, delete on all tables in schema ${schema} to ${role}`.execute(db);
  await sql`grant usage, select on all sequences in schema ${schema} to ${role}`.execute(db);
  for (const t of OWNER_ONLY) await sql`revoke all on table ${sql.id(t)} from ${role}`.execute(db);

  const tables = await sql<{ table: string; column: string; rls: boolean; forced: boolean; policy: boolean }>`
    select c.relname as table, a.attname as column, c.relrowsecurity as rls, c.relforcerowsecurity as forced,
           exists (select 1 from pg_policy p where p.polrelid = c.oid and p.polname = ${POLICY}) as policy
      from pg_class c
      join pg_attribute a on a.attrelid = c.oid and not a.attisdropped
     where c.relnamespace = current_schema()::regnamespace and c.relkind in ('r', 'p')
       and (a.attname = 'org_id' or (c.relname, a.attname) in (${sql.join(Object.entries(TENANT_COLUMN).map(([t, col]) => sql`(${t}, ${col})`))})
            or (c.relname in (${sql.join([...SYSTEM_ONLY])}) and a.attnum = 1))`
    .execute(db);
  for (const t of tables.rows) {
    const table = sql.id(t.table);
    if (!t.rls) await sql`alter table ${table} enable row level security`.execute(db);
    // FORCE: the policy binds the table's owner too, not only other roles.
    if (!t.forced) await sql`alter table ${table} force row level security`.execute(db);
    if (!t.policy) {
      const check = SYSTEM_ONLY.has(t.table) ? sql.raw(`(${SCOPE_CHECK})`) : sql.raw(`("${t.column.replace(/"/g, '""')}" = ${ORG_SETTING} or ${SCOPE_CHECK})`);
      await sql`create policy ${sql.id(POLICY)} on ${table} using ${check} with check ${check}`.execute(db);
    }
  }
}

/** Tables of the schema the application may touch that have no forced tenant policy (should be none). */
export async function unprotectedTables(db: Kysely<Database>): Promise<string[]> {
  const r = await sql<{ table: string }>`
    select c.relname as table from pg_class c
     where c.relnamespace = current_schema()::regnamespace and c.relkind in ('r', 'p')
       and not (c.relrowsecurity and c.relforcerowsecurity
                and exists (select 1 from pg_policy p where p.polrelid = c.oid and p.polname = ${POLICY}))
     order by 1`.execute(db);
  return r.rows.map((x) => x.table).filter((t) => !OWNER_ONLY.has(t));
}

/**
 * With a separate migration connection, the application's own role must be unable to see past the
 * policies: not a superuser, not BYPASSRLS, and the owner of no table (owners can switch the
 * policies off). Refuses to start otherwise.
 */
export async function assertLeastPrivilege(db: Kysely<Database>): Promise<void> {
  const r = await sql<{ role: string; superuser: boolean; bypass: boolean; owns: number }>`
    select r.rolname as role, r.rolsuper as superuser, r.rolbypassrls as bypass,
           (select count(*)::int from pg_class c where c.relowner = r.oid and c.relnamespace = current_schema()::regnamespace) as owns
      from pg_roles r where r.rolname = current_user`.execute(db);
  const me = r.rows[0];
  if (!me || me.superuser || me.bypass || me.owns > 0) {
    throw new Error('DATABASE_URL must connect as the application role, which owns no table and does not bypass row-level security '
      + '(see docs/deployment-postgres.md); the schema owner belongs in DATABASE_MIGRATION_URL');
  }
}
