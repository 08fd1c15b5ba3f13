import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { testMasterKey } from '../../../test/support/keys.ts';
import { openSqliteStore, sqliteFile } from './open.ts';

describe('server transactions against another connection holding the write lock', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bedside-lock-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('wait for it with the event loop free, then run against what the other connection committed', async () => {
    const store = await openSqliteStore(dir, testMasterKey());
    await store.createOrganization({ id: 'org_1', name: 'Practice', slug: 'practice', createdAt: 1 });
    const other = new SqliteDatabase(sqliteFile(dir));
    other.exec('begin immediate');
    other.prepare("update organizations set name = 'Renamed' where id = 'org_1'").run();

    const seen = store.transaction(async (tx) => (await tx.getOrganization('org_1'))?.name);
    // The event loop keeps turning while the transaction waits: timers fire on time.
    const ticks: number[] = [];
    const started = performance.now();
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        ticks.push(performance.now() - started);
        if (ticks.length === 5) { clearInterval(timer); resolve(); }
      }, 10);
    });
    other.exec('commit');
    other.close();
    expect(await seen).toBe('Renamed');
    // Five 10 ms ticks in well under the time a blocked thread would have slept through.
    expect(ticks[4]).toBeLessThan(200);
    for (let i = 1; i < ticks.length; i++) expect((ticks[i] ?? 0) - (ticks[i - 1] ?? 0)).toBeLessThan(40);
    await store.close();
  });
});
