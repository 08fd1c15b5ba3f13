import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { BackgroundCheckpointer } from './checkpointer.ts';

describe('WAL checkpoints on a worker thread', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bedside-checkpoint-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('copies committed pages into the database file while the writer keeps its own automatic checkpoint off', async () => {
    const file = join(dir, 'db.sqlite');
    const writer = new SqliteDatabase(file);
    writer.pragma('journal_mode = WAL');
    writer.pragma('wal_autocheckpoint = 0');
    writer.exec('create table t (id integer primary key, v text)');
    const failures: unknown[] = [];
    const checkpointer = new BackgroundCheckpointer(file, () => failures.push('died'), 50);
    const before = statSync(file).size;
    const insert = writer.prepare('insert into t (v) values (?)');
    writer.transaction(() => { for (let i = 0; i < 2000; i++) insert.run('x'.repeat(1000)); })();
    // Two megabytes committed: only the WAL holds them until someone checkpoints.
    await expect.poll(() => statSync(file).size, { timeout: 5000, interval: 50 }).toBeGreaterThan(before + 1_500_000);
    // The writer was never blocked and still writes.
    insert.run('after');
    await checkpointer.stop();
    expect(failures).toEqual([]);
    expect(writer.prepare('select count(*) as n from t').get()).toEqual({ n: 2001 });
    writer.close();
  });
});
