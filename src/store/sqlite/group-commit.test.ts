import { describe, expect, it } from 'vitest';
import { testMasterKey } from '../../../test/support/keys.ts';
import { openSqliteStore } from './open.ts';

const org = (id: string) => ({ id, name: id, slug: id, createdAt: 1 });

describe('SQLite group commit', () => {
  it('keeps each transaction of a group atomic on its own: one failing leaves the others committed', async () => {
    const store = await openSqliteStore(':memory:', testMasterKey());
    const spy: string[] = [];
    const runs = ['a', 'b', 'c', 'd'].map((id) => store.transaction(async (tx) => {
      await tx.createOrganization(org(`org_${id}`));
      spy.push(id);
      // Two writes, then a failure: neither of "c"'s writes may survive.
      if (id === 'c') {
        await tx.createOrganization(org(`org_${id}2`));
        throw new Error('c fails');
      }
      return id;
    }));
    const settled = await Promise.allSettled(runs);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect((settled[2] as PromiseRejectedResult).reason).toMatchObject({ message: 'c fails' });
    expect(spy).toEqual(['a', 'b', 'c', 'd']);
    const slugs = (await store.listOrganizations()).map((o) => o.slug).sort();
    expect(slugs).toEqual(['org_a', 'org_b', 'org_d']);
    await store.close();
  });

  it('undoes only the failing caller\'s writes when SQLite refuses one of its statements', async () => {
    const store = await openSqliteStore(':memory:', testMasterKey());
    await store.transaction(async (tx) => tx.createOrganization(org('org_first')));
    const runs = [
      store.transaction(async (tx) => tx.createOrganization(org('org_x'))),
      store.transaction(async (tx) => {
        await tx.createOrganization(org('org_y'));
        await tx.createInbox({ id: 'ib_1', orgId: 'org_missing', name: 'W', channel: 'web', publicKey: 'pk', settings: {} as never, createdAt: 1 });
      }),
    ];
    const settled = await Promise.allSettled(runs);
    // The inbox insert breaks a foreign key: org_y, written just before it, goes with it.
    expect(settled[0]?.status).toBe('fulfilled');
    expect(settled[1]?.status).toBe('rejected');
    expect((await store.listOrganizations()).map((o) => o.slug).sort()).toEqual(['org_first', 'org_x']);
    await store.close();
  });

  it('runs a lone transaction at the end of its turn when idle, and waits a moment for company right after a commit', async () => {
    const store = await openSqliteStore(':memory:', testMasterKey());
    const nextTurn = () => new Promise((r) => setImmediate(r));
    const ran: string[] = [];
    await new Promise((r) => setTimeout(r, 20));
    const idle = store.transaction(async () => { ran.push('idle'); });
    await nextTurn();
    ran.push('turn');
    await idle;
    // Busy: a commit just happened, so the next transaction waits and the one after joins it.
    await store.transaction(async (tx) => tx.createOrganization(org('org_busy')));
    const a = store.transaction(async () => { ran.push('a'); });
    await nextTurn();
    ran.push('turn');
    const b = store.transaction(async () => { ran.push('b'); });
    await Promise.all([a, b]);
    expect(ran).toEqual(['idle', 'turn', 'turn', 'a', 'b']);
    await store.close();
  });

  it('gives every message of a group its own id, also after one was rolled back or was a resend, and seals each under its id', async () => {
    const store = await openSqliteStore(':memory:', testMasterKey());
    const now = Date.now();
    await store.createOrganization(org('org_ids'));
    await store.createInbox({ id: 'ib_ids', orgId: 'org_ids', name: 'W', channel: 'web', publicKey: 'pk_ids', settings: { greeting: 'Hi', color: '#000000', preChat: { enabled: false, fields: [] } }, createdAt: now });
    await store.createContact({ id: 'ct_ids', orgId: 'org_ids', displayName: null, email: null, phone: null, createdAt: now }, { channel: 'web', externalId: 'v_ids' });
    await store.createConversation({
      id: 'cv_ids', orgId: 'org_ids', inboxId: 'ib_ids', contactId: 'ct_ids', channel: 'web', ref: 'IDSAA', status: 'open', assigneeId: null,
      slackChannelId: null, slackThreadTs: null, createdAt: now, updatedAt: now, lastMessageAt: now, resolvedAt: null, waitingSince: null,
    });
    const message = (body: string, clientId: string) => ({
      orgId: 'org_ids', conversationId: 'cv_ids', direction: 'in' as const, kind: 'message' as const, authorType: 'contact' as const,
      authorStaffId: null, authorName: null, body, clientId, source: 'web', sourceId: null, createdAt: now,
    });
    const before = await store.insertMessage(message('outside a group', 'c0'));
    const runs = [
      store.transaction((tx) => tx.insertMessage(message('one', 'c1'))),
      store.transaction(async (tx) => { await tx.insertMessage(message('rolled back', 'c2')); throw new Error('no'); }),
      store.transaction((tx) => tx.insertMessage(message('one again', 'c1'))),
      store.transaction((tx) => tx.insertMessage(message('three', 'c3'))),
    ];
    const settled = await Promise.allSettled(runs);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    const [one, , resend, three] = settled.map((s) => (s.status === 'fulfilled' ? s.value as { message: { id: number }; created: boolean } : undefined));
    expect(resend).toMatchObject({ created: false, message: { id: one?.message.id } });
    const ids = [before.message.id, one?.message.id, three?.message.id] as number[];
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(3);
    expect((await store.getMessage('org_ids', three?.message.id as number))?.body).toBe('three');
    // After the group, the database's own numbering carries on above them.
    expect((await store.insertMessage(message('after', 'c4'))).message.id).toBeGreaterThan(three?.message.id as number);
    await store.close();
  });
});
