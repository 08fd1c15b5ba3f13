import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { testMasterKey } from '../../../test/support/keys.ts';
import { logSequence, openLogWriter } from '../../../test/support/sqlite-log.ts';
import { copyWhenAsked, logRestartFlag } from './log-restart.ts';
import { openSqliteStore, sqliteFile } from './open.ts';

describe('the log started over by the connection that writes next', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bedside-log-restart-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('copies the log into the database file only when asked, once, and the next commit starts the log over', () => {
    const file = join(dir, 'asked.sqlite');
    const { writer: db, insert } = openLogWriter(file);
    db.transaction(() => { for (let i = 0; i < 2000; i++) insert.run('x'.repeat(1000)); })();
    const flag = logRestartFlag(file);
    const copy = copyWhenAsked(flag, db);
    const before = { size: statSync(file).size, sequence: logSequence(file) };
    copy();
    // Not asked: nothing copied.
    expect(statSync(file).size).toBe(before.size);
    Atomics.store(flag, 0, 1);
    // Inside a transaction it waits for the next turn.
    db.transaction(() => {
      insert.run('y');
      copy();
    })();
    expect(Atomics.load(flag, 0)).toBe(1);
    expect(statSync(file).size).toBe(before.size);
    // A second connection to the same file takes the request first: this one finds it taken.
    const other = new SqliteDatabase(file);
    copyWhenAsked(flag, other)();
    expect(Atomics.load(flag, 0)).toBe(0);
    expect(statSync(file).size).toBeGreaterThan(before.size + 1_500_000);
    copy();
    insert.run('z');
    expect(logSequence(file)).toBe(before.sequence + 1);
    expect(db.prepare('select count(*) as n from t').get()).toEqual({ n: 2002 });
    other.close();
    db.close();
  });

  it('is what a store\'s connection does between two group commits', async () => {
    const store = await openSqliteStore(dir, testMasterKey());
    const flag = logRestartFlag(sqliteFile(dir));
    Atomics.store(flag, 0, 1);
    let duringTransaction = -1;
    await store.transaction(async (tx) => {
      await tx.createOrganization({ id: 'org_a', name: 'A', slug: 'a', createdAt: 1 });
      duringTransaction = Atomics.load(flag, 0);
    });
    expect(duringTransaction).toBe(1);
    expect(Atomics.load(flag, 0)).toBe(0);
    await store.close();
  });
});
