import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { runStoreContract } from '../store.contract.ts';
import { openSqliteStore } from './open.ts';

runStoreContract('SQLite in memory', () => openSqliteStore(':memory:'));

describe('SQLite file store', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bedside-store-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('creates its file under DATA_DIR in WAL mode, and reopens without re-running migrations', async () => {
    const store = await openSqliteStore(dir);
    await store.createOrganization({ id: 'org_1', name: 'P', slug: 'p', createdAt: 1 });
    await store.close();
    expect(statSync(join(dir, 'bedside.sqlite')).isFile()).toBe(true);
    const raw = new SqliteDatabase(join(dir, 'bedside.sqlite'), { readonly: true });
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    raw.close();
    const again = await openSqliteStore(dir);
    expect(await again.countOrganizations()).toBe(1);
    await again.close();
  });
});
