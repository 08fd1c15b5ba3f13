import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { runStoreContract } from '../store.contract.ts';
import { testMasterKey } from '../../../test/support/keys.ts';
import { seedPractice } from '../../../test/support/practice.ts';
import { descriptorsOf, openFiles } from '../../../test/support/open-files.ts';
import { openSqliteStore, openSqliteWriterStore, sqliteFile } from './open.ts';
import { logRestartFlag } from './log-restart.ts';
import { writePatientMessage } from '../../features/patient-message-write.ts';

runStoreContract('SQLite in memory', () => openSqliteStore(':memory:', testMasterKey()));

describe('SQLite file store', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bedside-store-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('creates its file under DATA_DIR in WAL mode, and reopens without re-running migrations', async () => {
    const store = await openSqliteStore(dir, testMasterKey());
    await store.createOrganization({ id: 'org_1', name: 'P', slug: 'p', createdAt: 1 });
    await store.close();
    expect(statSync(join(dir, 'bedside.sqlite')).isFile()).toBe(true);
    const raw = new SqliteDatabase(join(dir, 'bedside.sqlite'), { readonly: true });
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    raw.close();
    const again = await openSqliteStore(dir, testMasterKey());
    expect(await again.countOrganizations()).toBe(1);
    await again.close();
  });

  it('keeps no descriptor of its file open once closed, its checkpoint thread\'s included', async () => {
    const file = sqliteFile(join(dir, 'descriptors'));
    const descriptors = () => descriptorsOf(file);
    const store = await openSqliteStore(join(dir, 'descriptors'), testMasterKey());
    // Its own connection's, and the one the checkpoint thread syncs the file through.
    expect(descriptors()).toBeGreaterThanOrEqual(2);
    await store.close();
    expect(descriptors()).toBe(0);
  });

  it('waits for another connection\'s write lock with the event loop free, then runs against what it committed', async () => {
    const store = await openSqliteStore(join(dir, 'locked'), testMasterKey());
    await store.createOrganization({ id: 'org_1', name: 'Practice', slug: 'practice', createdAt: 1 });
    const other = new SqliteDatabase(sqliteFile(join(dir, 'locked')));
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

describe('SQLite writer connection', () => {
  /** SQLite's temporary files, open now: it unlinks them at once, so they show as deleted. */
  const openTempFiles = () => openFiles().filter((target) => target.includes('etilqs_'));

  it('keeps the savepoint journals of a group commit in memory: a full group of messages opens no temporary file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bedside-writer-journal-'));
    const server = await openSqliteStore(dir, testMasterKey());
    const inbox = await seedPractice(server);
    const { store } = openSqliteWriterStore(sqliteFile(dir), testMasterKey(), logRestartFlag(sqliteFile(dir)));
    onTestFinished(async () => {
      await store.close();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    });
    const seen: string[][] = [];
    // Transactions that arrive together share one commit, each in its own savepoint; each looks at
    // the open files while the shared transaction, with the journals of the savepoints before it,
    // is still open.
    const writes = Array.from({ length: 64 }, (_, i) => store.transaction(async (tx) => {
      const r = await writePatientMessage(tx, {
        inbox, identity: { channel: 'web', externalId: `v_${i}` }, body: `Can I move my appointment to Friday? (${i})`, clientId: `c${i}`,
      }, { now: Date.now, slackEnabled: true });
      seen.push(openTempFiles());
      return r;
    }));
    const written = await Promise.all(writes);
    expect(new Set(written.map((w) => w.conversation.id)).size).toBe(64);
    expect(seen).toHaveLength(64);
    expect(seen.flat()).toEqual([]);
  });
});

describe('SQLite audit chain against edits by hand', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bedside-audit-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function seeded() {
    rmSync(join(dir, 'bedside.sqlite'), { force: true });
    const store = await openSqliteStore(dir, testMasterKey());
    await store.createOrganization({ id: 'org_1', name: 'P', slug: 'p', createdAt: 1 });
    for (const action of ['a', 'b', 'c', 'd']) {
      await store.audit.append({ orgId: 'org_1', at: 1, actorType: 'system', actorId: null, ip: null, action, targetType: null, targetId: null, outcome: 'success', details: null });
    }
    await store.close();
  }

  async function verifyAfter(sql: string) {
    await seeded();
    const raw = new SqliteDatabase(join(dir, 'bedside.sqlite'));
    raw.exec(sql);
    raw.close();
    const store = await openSqliteStore(dir, testMasterKey());
    const r = await store.audit.verify();
    await store.close();
    return r;
  }

  it('names the edited record', async () => {
    const r = await verifyAfter("UPDATE audit_log SET outcome = 'denied' WHERE action = 'b'");
    expect(r).toMatchObject({ ok: false, firstBad: { id: 2, reason: expect.stringContaining('changed') } });
  });

  it('detects a deleted record, in the middle or at the end', async () => {
    expect(await verifyAfter("DELETE FROM audit_log WHERE action = 'c'")).toMatchObject({ ok: false, firstBad: { id: 4 } });
    expect(await verifyAfter("DELETE FROM audit_log WHERE action = 'd'")).toMatchObject({ ok: false, firstBad: { reason: expect.stringContaining('end') } });
  });

  it('detects reordering', async () => {
    const r = await verifyAfter("UPDATE audit_log SET action = CASE action WHEN 'b' THEN 'c' ELSE 'b' END WHERE action IN ('b', 'c')");
    expect(r.ok).toBe(false);
  });
});

describe('SQLite search', () => {
  it('refuses to run inside a transaction instead of waiting forever for its own catch-up', async () => {
    const store = await openSqliteStore(':memory:', testMasterKey());
    await store.createOrganization({ id: 'org_1', name: 'P', slug: 'p', createdAt: 1 });
    await expect(store.transaction((tx) => tx.inbox.searchMessages('org_1', 'refill', 10))).rejects.toThrow('outside a transaction');
    expect(await store.inbox.searchMessages('org_1', 'refill', 10)).toEqual([]);
    await store.close();
  });
});
