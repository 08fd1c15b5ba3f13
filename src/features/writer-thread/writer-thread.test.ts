import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import SqliteDatabase from 'better-sqlite3';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testMasterKey } from '../../../test/support/keys.ts';
import { seedPractice, WEB_INBOX } from '../../../test/support/practice.ts';
import { openSqliteStore, sqliteFile } from '../../store/sqlite/open.ts';
import type { KyselyStore } from '../../store/kysely-store.ts';
import { writerInTransaction, type PatientMessageInput } from '../patient-message-write.ts';
import { PatientMessageThread } from './writer-thread.ts';

const policy = { maxBytes: 1000, allowedTypes: new Set(['text/plain']) };
const visitor = (n: number, body: string, clientId?: string): PatientMessageInput => ({
  inbox: WEB_INBOX, identity: { channel: 'web', externalId: `v_${n}` }, body, ...(clientId ? { clientId } : {}),
});

describe('patient-message writer thread', () => {
  let dir: string;
  let store: KyselyStore;
  let thread: PatientMessageThread;
  const logged: string[] = [];

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bedside-writer-'));
    store = await openSqliteStore(dir, testMasterKey());
    await seedPractice(store);
    logged.length = 0;
    thread = await PatientMessageThread.start({
      file: sqliteFile(dir), masterKey: testMasterKey(), attachmentPolicy: policy,
      fallback: writerInTransaction(store, { now: Date.now, attachmentPolicy: policy }), wordIndex: store.wordIndex,
      log: pino({ level: 'info' }, { write: (line: string) => void logged.push(line) }), dataKeyChanges: store.dataKeyChanges,
    });
  });

  afterEach(async () => {
    await thread.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes the message on its own connection: the server reads it sealed and whole, and a resend stays single', async () => {
    const first = await thread.write(visitor(1, 'My knee hurts since Tuesday', 'c1'), true);
    expect(first).toMatchObject({ created: true, conversationCreated: true, reopened: false, message: { body: 'My knee hurts since Tuesday', direction: 'in' } });
    const stored = await store.getMessage('org_1', first.message.id);
    expect(stored?.body).toBe('My knee hurts since Tuesday');
    expect(await store.getConversation('org_1', first.conversation.id)).toMatchObject({ contactId: first.conversation.contactId, status: 'open' });
    // The Slack job it implied, in the same commit.
    expect((await store.jobCounts()).pending).toBe(1);

    const again = await thread.write(visitor(1, 'My knee hurts since Tuesday', 'c1'), true);
    expect(again).toMatchObject({ created: false, conversationCreated: false, message: { id: first.message.id } });
    expect((await store.jobCounts()).pending).toBe(1);
  });

  it('indexes the words of what it wrote: a search on the server finds a message the moment it is confirmed', async () => {
    const w = await thread.write(visitor(6, 'Refill for lisinopril please'), false);
    const hits = await store.inbox.searchMessages('org_1', 'lisinopril', 10);
    expect(hits.map((h) => h.id)).toEqual([w.message.id]);
    // Once the thread has stopped, the server indexes again.
    await thread.stop();
    const later = await thread.write(visitor(6, 'And for metformin'), false);
    expect((await store.inbox.searchMessages('org_1', 'metformin', 10)).map((h) => h.id)).toEqual([later.message.id]);
  });

  it('seals under a data key rotated on the server from the next message on', async () => {
    const sealedVersion = (id: number) => {
      const raw = new SqliteDatabase(sqliteFile(dir), { readonly: true });
      const row = raw.prepare('select body from messages where id = ?').get(id) as { body: string };
      raw.close();
      return row.body.split('.')[1];
    };
    const before = await thread.write(visitor(7, 'before the rotation'), false);
    expect(sealedVersion(before.message.id)).toBe('1');
    expect(await store.rotateDataKey('org_1')).toBe(2);
    const after = await thread.write(visitor(7, 'after the rotation'), false);
    expect(sealedVersion(after.message.id)).toBe('2');
    expect((await store.getMessage('org_1', after.message.id))?.body).toBe('after the rotation');
  });

  it('takes turns with the server connection: concurrent writes on both all land, none refused as busy', async () => {
    const first = await thread.write(visitor(0, 'hello'), false);
    const contacts = 40;
    const fromPatients = Array.from({ length: 400 }, (_, i) => thread.write(visitor(i % contacts, `message ${i}`, `m${i}`), false));
    // Meanwhile the server's own transactions read, then write (what a staff reply does).
    const fromServer = Array.from({ length: 100 }, (_, i) => store.transaction(async (tx) => {
      const c = await tx.getConversation('org_1', first.conversation.id);
      await tx.updateConversation('org_1', first.conversation.id, { updatedAt: (c?.updatedAt ?? 0) + 1 });
      return tx.insertMessage({
        orgId: 'org_1', conversationId: first.conversation.id, direction: 'out', kind: 'message', authorType: 'staff',
        authorStaffId: null, authorName: null, body: `reply ${i}`, clientId: null, source: 'inbox', sourceId: `r${i}`, createdAt: Date.now(),
      });
    }));
    const written = await Promise.all(fromPatients);
    const replies = await Promise.all(fromServer);
    expect(written.every((w) => w.created)).toBe(true);
    expect(replies.every((r) => r.created)).toBe(true);
    const ids = [...written.map((w) => w.message.id), ...replies.map((r) => r.message.id)];
    expect(new Set(ids).size).toBe(500);
    // One conversation per visitor, found again for each of their messages.
    const byContact = new Map(written.map((w) => [w.conversation.contactId, w.conversation.id]));
    expect(byContact.size).toBe(contacts);
    for (const w of written) expect(w.conversation.id).toBe(byContact.get(w.conversation.contactId));
    const sample = written[123];
    expect((await store.getMessage('org_1', sample?.message.id ?? 0))?.body).toBe('message 123');
  });

  it('hands back the error the write would have thrown, and goes on writing', async () => {
    await expect(thread.write({ ...visitor(2, 'hi'), contactId: 'ct_unknown' }, false)).rejects.toThrow('contact not found');
    await expect(thread.write(visitor(2, 'still here'), false)).resolves.toMatchObject({ created: true });
  });

  it('keeps attachments the policy allows, as bytes, and names the ones it refused', async () => {
    const w = await thread.write({
      ...visitor(3, ''),
      attachments: [
        { filename: 'notes.txt', contentType: 'text/plain', data: Buffer.from('blood pressure log') },
        { filename: 'scan.exe', contentType: 'application/x-msdownload', data: Buffer.from('MZ') },
      ],
    }, false);
    expect(w.withFiles).toBe(true);
    expect(w.message.body).toContain('scan.exe');
    const [info] = await store.attachments.listForMessages('org_1', [w.message.id]);
    expect(info?.filename).toBe('notes.txt');
    const kept = await store.attachments.get('org_1', info?.id ?? '');
    expect(kept?.data.toString()).toBe('blood pressure log');
  });

  it('refuses a message that cannot be handed over, writes nothing of it, and goes on writing', async () => {
    const uncopyable = { ...visitor(9, 'with a function inside'), profile: { displayName: (() => 'x') as unknown as string } };
    await expect(thread.write(uncopyable, false)).rejects.toThrow();
    await expect(thread.write(visitor(9, 'plain'), false)).resolves.toMatchObject({ created: true, message: { body: 'plain' } });
    expect(await store.findContactByIdentity('org_1', 'web', 'v_9')).toBeDefined();
    const raw = new SqliteDatabase(sqliteFile(dir), { readonly: true });
    expect(raw.prepare('select count(*) as n from messages').get()).toEqual({ n: 1 });
    raw.close();
  });

  it('on stop, writes and answers every message it was given before its connection closes', async () => {
    const given = Array.from({ length: 30 }, (_, i) => thread.write(visitor(10 + i, `message ${i}`, `stop-${i}`), false));
    await thread.stop();
    const written = await Promise.all(given);
    expect(written.every((w) => w.created)).toBe(true);
    expect(await store.getMessage('org_1', written[29]?.message.id ?? 0)).toMatchObject({ body: 'message 29' });
  });

  it('after stop, writes on the server thread instead', async () => {
    await thread.stop();
    await expect(thread.write(visitor(4, 'after stop'), false)).resolves.toMatchObject({ created: true, message: { body: 'after stop' } });
  });

  it('fails to start, rather than hang, when it cannot open the database', async () => {
    await expect(PatientMessageThread.start({
      file: join(dir, 'no-such-folder', 'bedside.sqlite'), masterKey: testMasterKey(), attachmentPolicy: undefined,
      fallback: writerInTransaction(store, { now: Date.now }), wordIndex: undefined, dataKeyChanges: undefined,
      log: pino({ level: 'silent' }),
    })).rejects.toThrow();
  });

  it('if the thread dies, unanswered messages fail (to be sent again) and later ones are written on the server thread', async () => {
    const worker = (thread as unknown as { worker: Worker }).worker;
    const lost = thread.write(visitor(5, 'in flight'), false);
    await new Promise((r) => setImmediate(r));
    await worker.terminate();
    await expect(lost).rejects.toThrow('before confirming');
    await expect(thread.write(visitor(5, 'after the crash'), false)).resolves.toMatchObject({ created: true });
    expect(logged.join('')).toContain('writer thread exited');
  });
});
