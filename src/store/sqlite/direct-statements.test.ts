import SqliteDatabase from 'better-sqlite3';
import { CamelCasePlugin, Kysely, SqliteDialect, sql, type Generated, type PluginTransformQueryArgs, type PluginTransformResultArgs, type Selectable } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { PreparedQuery, runDirectly } from '../prepared.ts';
import { sqliteStatementRunner } from './direct-statements.ts';

interface Db { notes: { noteId: Generated<number>; orgId: string; bodyText: string | null; rawData: Buffer | null } }

describe('prepared statements run on the connection a transaction holds', () => {
  let sqlite: SqliteDatabase.Database;
  afterEach(() => sqlite.close());

  function open() {
    sqlite = new SqliteDatabase(':memory:');
    sqlite.exec('create table notes (note_id integer primary key, org_id text not null, body_text text, raw_data blob)');
    // Counts the results that went through Kysely's executor (its plugins see every one of them).
    let throughKysely = 0;
    const counter = {
      transformQuery: (args: PluginTransformQueryArgs) => args.node,
      transformResult: async (args: PluginTransformResultArgs) => { throughKysely++; return args.result; },
    };
    const db = new Kysely<Db>({ dialect: new SqliteDialect({ database: sqlite }), plugins: [new CamelCasePlugin(), counter] });
    return { db, runner: sqliteStatementRunner(sqlite), kyselyCalls: () => throughKysely };
  }

  const insert = new PreparedQuery<{ orgId: string; bodyText: string | null; rawData: Buffer | null }, { noteId: number }>(
    (db, arg) => (db as unknown as Kysely<Db>).insertInto('notes').values({ orgId: arg('orgId'), bodyText: arg('bodyText'), rawData: arg('rawData') }).returning('noteId') as never,
  );
  const byOrg = new PreparedQuery<{ orgId: string }, Selectable<Db['notes']>>(
    (db, arg) => (db as unknown as Kysely<Db>).selectFrom('notes').selectAll().where('orgId', '=', arg('orgId')).orderBy('noteId') as never,
  );
  const rename = new PreparedQuery<{ orgId: string }, never>(
    (db, arg) => (db as unknown as Kysely<Db>).updateTable('notes').set({ bodyText: 'renamed' }).where('orgId', '=', arg('orgId')) as never,
  );

  it('gives the rows, counts and ids that Kysely\'s executor gives', async () => {
    const { db, runner } = open();
    const run = (trx: never) => Promise.all([
      insert.rows(trx, 'sqlite', { orgId: 'org_a', bodyText: 'first', rawData: Buffer.from([1, 2]) }),
      insert.rows(trx, 'sqlite', { orgId: 'org_a', bodyText: null, rawData: null }),
    ]).then(async (ids) => ({ ids, renamed: await rename.execute(trx, 'sqlite', { orgId: 'org_a' }), rows: await byOrg.rows(trx, 'sqlite', { orgId: 'org_a' }) }));

    const direct = await db.transaction().execute((trx) => runDirectly(trx as never, runner, () => run(trx as never)));
    await sql`delete from notes`.execute(db);
    const kysely = await db.transaction().execute((trx) => run(trx as never));

    expect(direct.ids).toEqual([[{ noteId: 1 }], [{ noteId: 2 }]]);
    expect(direct.renamed.numAffectedRows).toBe(2n);
    expect(direct.rows).toEqual([
      { noteId: 1, orgId: 'org_a', bodyText: 'renamed', rawData: Buffer.from([1, 2]) },
      { noteId: 2, orgId: 'org_a', bodyText: 'renamed', rawData: null },
    ]);
    // The same statements through Kysely's executor, on the emptied table: the same results.
    expect(kysely).toEqual(direct);
  });

  it('is used only while the transaction runs; a statement that fails rejects as through Kysely', async () => {
    const { db, runner, kyselyCalls } = open();
    let inside = 0;
    let kept: never | undefined;
    await db.transaction().execute((trx) => runDirectly(trx as never, runner, async () => {
      kept = trx as never;
      const before = kyselyCalls();
      await insert.rows(trx as never, 'sqlite', { orgId: 'org_a', bodyText: 'x', rawData: null });
      inside = kyselyCalls() - before;
      await expect(insert.rows(trx as never, 'sqlite', { orgId: null as never, bodyText: 'x', rawData: null })).rejects.toMatchObject({ code: 'SQLITE_CONSTRAINT_NOTNULL' });
    }));
    // Kysely's executor never saw the statement.
    expect(inside).toBe(0);
    // After the transaction the same object is Kysely's again, which refuses a finished transaction.
    await expect(byOrg.rows(kept as never, 'sqlite', { orgId: 'org_a' })).rejects.toThrow(/committed|rolled back/i);
    const before = kyselyCalls();
    expect(await byOrg.rows(db as never, 'sqlite', { orgId: 'org_a' })).toHaveLength(1);
    expect(kyselyCalls()).toBe(before + 1);
  });
});
