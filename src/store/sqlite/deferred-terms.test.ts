import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { newId, newPublicKey } from '../../domain/ids.ts';
import { testMasterKey } from '../../../test/support/keys.ts';
import { parseMasterKey } from '../../security/master-key.ts';
import type { KyselyStore } from '../kysely-store.ts';
import type { DeferredTermIndex } from './deferred-terms.ts';
import { openSqliteStore } from './open.ts';

async function seedConversation(store: KyselyStore) {
  const now = Date.now();
  const orgId = newId('org');
  const inboxId = newId('ibx');
  const contactId = newId('ct');
  const conversationId = newId('cv');
  await store.createOrganization({ id: orgId, name: 'P', slug: 'p', createdAt: now });
  await store.createInbox({ id: inboxId, orgId, name: 'Web', channel: 'web', publicKey: newPublicKey(), settings: { greeting: 'Hi', color: '#000000', preChat: { enabled: false, fields: [] } }, createdAt: now });
  await store.createContact({ id: contactId, orgId, displayName: null, email: null, phone: null, createdAt: now }, { channel: 'web', externalId: 'v1' });
  await store.createConversation({
    id: conversationId, orgId, inboxId, contactId, channel: 'web', ref: 'ABCDE', status: 'open', assigneeId: null,
    slackChannelId: null, slackThreadTs: null, createdAt: now, updatedAt: now, lastMessageAt: now, resolvedAt: null, waitingSince: null,
  });
  return { orgId, conversationId, contactId };
}

/** A patient's message in the seeded conversation. */
function patientMessage(orgId: string, conversationId: string, body: string, clientId: string) {
  return {
    orgId, conversationId, direction: 'in' as const, kind: 'message' as const, authorType: 'contact' as const, authorStaffId: null, authorName: null,
    body, clientId, source: 'web', sourceId: null, createdAt: Date.now(),
  };
}

/** The index's stored position, read as another process would. */
function storedPosition(dataDir: string): number {
  const check = new SqliteDatabase(join(dataDir, 'bedside.sqlite'), { readonly: true });
  try {
    return (check.prepare("select through_message_id as n from search_index_progress where name = 'terms'").get() as { n: number }).n;
  } finally { check.close(); }
}

describe('SQLite word index written behind the messages', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bedside-terms-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('indexes every message in batches, resumes after a crash from its stored position, and never misses one in search', async () => {
    const store = await openSqliteStore(dir, testMasterKey());
    const { orgId, conversationId, contactId } = await seedConversation(store);
    const ids: number[] = [];
    // More than two batches' worth, in one burst as under load.
    await Promise.all(Array.from({ length: 450 }, (_, i) => store.transaction(async (tx) => {
      const { message } = await tx.insertMessage(patientMessage(orgId, conversationId, `Refill for prescription number${i} please`, `c-${i}`));
      ids.push(message.id);
    })));
    expect((await store.inbox.searchMessages(orgId, 'number449 refill', 20)).map((m) => m.id)).toEqual([Math.max(...ids)]);
    expect(await store.inbox.searchMessages(orgId, 'prescription', 500)).toHaveLength(450);
    await store.close();

    // A crash before the indexer got to the last 100: their rows and the position are as if never written.
    const raw = new SqliteDatabase(join(dir, 'bedside.sqlite'));
    const cut = [...ids].sort((x, y) => x - y)[349] as number;
    raw.prepare('delete from message_term_index where rowid > ?').run(cut);
    raw.prepare("update search_index_progress set through_message_id = ? where name = 'terms'").run(cut);
    raw.close();

    const again = await openSqliteStore(dir, testMasterKey());
    // The background pass picks them up without anyone searching.
    await expect.poll(() => storedPosition(dir), { timeout: 5000 }).toBe(Math.max(...ids));
    expect(await again.inbox.searchMessages(orgId, 'number400', 20)).toHaveLength(1);
    expect(await again.inbox.searchMessages(orgId, 'prescription', 500)).toHaveLength(450);
    // Erasure reaches the index in the same transaction: every entry goes with its message.
    await again.records.eraseContact(orgId, contactId);
    expect(await again.inbox.searchMessages(orgId, 'prescription', 500)).toEqual([]);
    await again.close();
    const after = new SqliteDatabase(join(dir, 'bedside.sqlite'), { readonly: true });
    expect(after.prepare('select count(*) as n from message_term_index').get()).toEqual({ n: 0 });
    after.close();
  });

  it('waits while messages keep being written, but never longer than its bound, and search still finds them all', async () => {
    const store = await openSqliteStore(join(dir, 'yielding'), testMasterKey());
    const index = store.wordIndex as DeferredTermIndex;
    const { orgId, conversationId } = await seedConversation(store);
    let writing = true;
    index.yieldWhile(() => writing, 2000);
    // Caught up now: the bound counts from here.
    const start = performance.now();
    await index.catchUp();
    const write = (i: number) => store.transaction(async (tx) => (await tx.insertMessage(patientMessage(orgId, conversationId, `Question about invoice${i}`, `y-${i}`))).message.id);
    const position = () => storedPosition(join(dir, 'yielding'));
    const first = await Promise.all(Array.from({ length: 30 }, (_, i) => write(i)));
    // Two ticks of the background pass: it gave way each time.
    await new Promise((r) => setTimeout(r, 500));
    expect(position()).toBeLessThan(Math.min(...first));
    // Its bound passed, it indexes although the writes go on.
    await expect.poll(position, { timeout: 5000, interval: 50 }).toBe(Math.max(...first));
    expect(performance.now() - start).toBeGreaterThanOrEqual(2000);

    // Behind again, search indexes what is pending first: nothing is missed.
    const second = await Promise.all(Array.from({ length: 30 }, (_, i) => write(100 + i)));
    expect(position()).toBeLessThan(Math.min(...second));
    expect(await store.inbox.searchMessages(orgId, 'invoice105', 20)).toHaveLength(1);
    expect(await store.inbox.searchMessages(orgId, 'question', 100)).toHaveLength(60);
    expect(position()).toBe(Math.max(...second));

    // Once the writes pause, the background pass catches up at its next tick.
    const third = await Promise.all(Array.from({ length: 5 }, (_, i) => write(200 + i)));
    writing = false;
    await expect.poll(position, { timeout: 2000, interval: 50 }).toBe(Math.max(...third));
    await store.close();
  });

  it('does not move past messages while it runs with the wrong master key, and indexes them once given the right one', async () => {
    const own = join(dir, 'wrong-key');
    const store = await openSqliteStore(own, testMasterKey());
    const { orgId, conversationId } = await seedConversation(store);
    await store.transaction((tx) => tx.insertMessage(patientMessage(orgId, conversationId, 'Insulin refill please', 'c-key')));
    await store.close();
    const raw = new SqliteDatabase(join(own, 'bedside.sqlite'));
    raw.prepare('delete from message_term_index').run();
    raw.prepare("update search_index_progress set through_message_id = 0 where name = 'terms'").run();
    raw.close();
    const position = () => storedPosition(own);

    const wrong = await openSqliteStore(own, parseMasterKey('11'.repeat(32)));
    // A few of the indexer's 200 ms ticks.
    await new Promise((r) => setTimeout(r, 700));
    expect(position()).toBe(0);
    await wrong.close();

    const right = await openSqliteStore(own, testMasterKey());
    expect((await right.inbox.searchMessages(orgId, 'insulin', 10)).map((m) => m.body)).toEqual(['Insulin refill please']);
    expect(position()).toBeGreaterThan(0);
    await right.close();
  });
});
