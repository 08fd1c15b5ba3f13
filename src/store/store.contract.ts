/**
 * The Store contract: one suite, run against every implementation (SQLite now; PostgreSQL joins
 * with its own *.test.ts that calls this). It pins down the behaviours the features rely on:
 * tenant isolation, idempotent inserts, transactions, and the job queue's leasing rules.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newId, newPublicKey } from '../domain/ids.ts';
import type { Contact, Conversation, Inbox, Organization } from '../domain/types.ts';
import type { NewMessage, Store } from './types.ts';

export function runStoreContract(name: string, open: () => Promise<Store>): void {
  describe(`Store contract: ${name}`, () => {
    let store: Store;
    beforeEach(async () => { store = await open(); });
    afterEach(async () => { await store.close(); });

    async function practice(slug: string) {
      const now = Date.now();
      const org: Organization = { id: newId('org'), name: `Practice ${slug}`, slug, createdAt: now };
      const inbox: Inbox = {
        id: newId('ibx'), orgId: org.id, name: 'Web', channel: 'web', publicKey: newPublicKey(),
        settings: { greeting: 'Hi', color: '#000000', preChat: { enabled: false, fields: [] } }, createdAt: now,
      };
      const contact: Contact = { id: newId('ct'), orgId: org.id, displayName: 'Test Patient', email: null, phone: null, createdAt: now };
      const conversation: Conversation = {
        id: newId('cv'), orgId: org.id, inboxId: inbox.id, contactId: contact.id, channel: 'web', ref: 'ABCDE',
        status: 'open', assigneeId: null, slackChannelId: null, slackThreadTs: null, createdAt: now, updatedAt: now,
        lastMessageAt: now, resolvedAt: null, waitingSince: null,
      };
      await store.createOrganization(org);
      await store.createInbox(inbox);
      await store.createContact(contact, { channel: 'web', externalId: `visitor-${slug}` });
      await store.createConversation(conversation);
      return { org, inbox, contact, conversation };
    }

    const msg = (c: Conversation, over: Partial<NewMessage> = {}): NewMessage => ({
      orgId: c.orgId, conversationId: c.id, direction: 'in', kind: 'message', authorType: 'contact', authorStaffId: null,
      authorName: null, body: 'hello', clientId: null, source: 'web', sourceId: null, createdAt: Date.now(), ...over,
    });

    it('finds records only within their organization', async () => {
      const a = await practice('a');
      const b = await practice('b');
      expect(await store.getConversation(a.org.id, a.conversation.id)).toMatchObject({ id: a.conversation.id, ref: 'ABCDE' });
      expect(await store.getConversation(b.org.id, a.conversation.id)).toBeUndefined();
      expect(await store.getContact(b.org.id, a.contact.id)).toBeUndefined();
      expect(await store.getInbox(b.org.id, a.inbox.id)).toBeUndefined();
      expect(await store.findContactByIdentity(b.org.id, 'web', 'visitor-a')).toBeUndefined();
      expect((await store.findContactByIdentity(a.org.id, 'web', 'visitor-a'))?.id).toBe(a.contact.id);
      const { message } = await store.insertMessage(msg(a.conversation));
      expect(await store.getMessage(b.org.id, message.id)).toBeUndefined();
      await store.updateConversation(b.org.id, a.conversation.id, { status: 'resolved' });
      expect((await store.getConversation(a.org.id, a.conversation.id))?.status).toBe('open');
    });

    it('round-trips inbox settings and finds an inbox by its public key', async () => {
      const a = await practice('a');
      expect(await store.findInboxByPublicKey(a.inbox.publicKey)).toEqual(a.inbox);
      expect(await store.findInboxByPublicKey('pk_unknown')).toBeUndefined();
    });

    it('inserts a message once per client id and once per source id', async () => {
      const { conversation } = await practice('a');
      const first = await store.insertMessage(msg(conversation, { clientId: 'client-0001', body: 'first' }));
      const again = await store.insertMessage(msg(conversation, { clientId: 'client-0001', body: 'changed' }));
      expect(first.created).toBe(true);
      expect(again).toEqual({ created: false, message: first.message });
      const s1 = await store.insertMessage(msg(conversation, { source: 'slack', sourceId: 'C1:1.2', direction: 'out' }));
      const s2 = await store.insertMessage(msg(conversation, { source: 'slack', sourceId: 'C1:1.2', direction: 'out' }));
      expect(s2.created).toBe(false);
      expect(s2.message.id).toBe(s1.message.id);
      const plain = await store.insertMessage(msg(conversation));
      const plain2 = await store.insertMessage(msg(conversation));
      expect(plain2.message.id).toBeGreaterThan(plain.message.id);
    });

    it('replays only patient-visible messages after a cursor, oldest first', async () => {
      const { org, inbox, contact, conversation } = await practice('a');
      const m1 = (await store.insertMessage(msg(conversation, { body: 'one' }))).message;
      await store.insertMessage(msg(conversation, { body: 'internal', kind: 'note', direction: 'out', authorType: 'staff' }));
      const m3 = (await store.insertMessage(msg(conversation, { body: 'three', direction: 'out', authorType: 'staff' }))).message;
      const all = await store.listContactMessagesAfter(org.id, inbox.id, contact.id, 0, 10);
      expect(all.map((m) => m.body)).toEqual(['one', 'three']);
      expect((await store.listContactMessagesAfter(org.id, inbox.id, contact.id, m1.id, 10)).map((m) => m.id)).toEqual([m3.id]);
      expect((await store.listContactMessagesAfter(org.id, inbox.id, contact.id, 0, 1)).map((m) => m.id)).toEqual([m3.id]);
    });

    it('rolls a failed transaction back completely', async () => {
      const { conversation } = await practice('a');
      await expect(store.transaction(async (tx) => {
        await tx.insertMessage(msg(conversation, { clientId: 'rollback-1' }));
        await tx.enqueueJob({ orgId: conversation.orgId, kind: 'x', payload: {}, queueKey: 'q' });
        throw new Error('boom');
      })).rejects.toThrow('boom');
      const again = await store.insertMessage(msg(conversation, { clientId: 'rollback-1' }));
      expect(again.created).toBe(true);
      expect(await store.jobCounts()).toMatchObject({ pending: 0 });
    });

    it('finds a message by its words as soon as it is stored, only within its organization', async () => {
      const a = await practice('search-a');
      const b = await practice('search-b');
      const { message } = await store.insertMessage(msg(a.conversation, { body: 'My knee hurts after the zebracrossing fall' }));
      await store.insertMessage(msg(b.conversation, { body: 'zebracrossing elsewhere' }));
      const hits = await store.inbox.searchMessages(a.org.id, 'Zebracrossing knee', 20);
      expect(hits.map((h) => h.id)).toEqual([message.id]);
      expect(hits[0]?.body).toContain('knee hurts');
      expect(await store.inbox.searchMessages(a.org.id, 'zebracrossing elbow', 20)).toEqual([]);
      expect((await store.inbox.searchMessages(b.org.id, 'zebracrossing', 20)).map((h) => h.orgId)).toEqual([b.org.id]);
      // Full-text query syntax and SQL in a query are plain text: only its words count, all of them.
      const found = async (q: string) => (await store.inbox.searchMessages(a.org.id, q, 20)).map((h) => h.id);
      expect(await found('"zebracrossing')).toEqual([message.id]);
      expect(await found("knee') OR 1=1 --")).toEqual([]);
      expect(await found("-knee' --")).toEqual([message.id]);
      expect(await found('zebracrossing OR elbow')).toEqual([]);
      expect(await found('* NEAR(knee)')).toEqual([]);
      expect(await found('zebra*')).toEqual([]);
      expect(await found('*')).toEqual([]);
    });

    it('draws a new reference for a conversation whose reference the practice already uses', async () => {
      const a = await practice('ref-a');
      const b = await practice('ref-b');
      // The same reference in another practice is no clash.
      expect((await store.createConversation({ ...b.conversation, id: newId('cv'), ref: 'ZZZZZ' })).ref).toBe('ZZZZZ');
      const again = await store.createConversation({ ...a.conversation, id: newId('cv'), ref: a.conversation.ref });
      expect(again.ref).not.toBe(a.conversation.ref);
      expect((await store.getConversation(a.org.id, again.id))?.ref).toBe(again.ref);
    });

    it('finds a conversation by its Slack thread', async () => {
      const { org, conversation } = await practice('a');
      await store.updateConversation(org.id, conversation.id, { slackChannelId: 'C1', slackThreadTs: '171.0001' });
      expect((await store.findConversationBySlackThread('C1', '171.0001'))?.id).toBe(conversation.id);
      expect(await store.findConversationBySlackThread('C1', '171.0002')).toBeUndefined();
    });

    it('updates a conversation with the fields given, in any order, and leaves out the undefined ones', async () => {
      const { org, conversation } = await practice('a');
      await store.updateConversation(org.id, conversation.id, { status: 'resolved', resolvedAt: 1000, assigneeId: undefined });
      // The same fields in the other order, and a patch of nothing defined.
      await store.updateConversation(org.id, conversation.id, { resolvedAt: 2000, status: 'open' });
      await store.updateConversation(org.id, conversation.id, { waitingSince: undefined });
      expect(await store.getConversation(org.id, conversation.id)).toMatchObject({ status: 'open', resolvedAt: 2000, assigneeId: null, waitingSince: null });
    });

    it('stores a message whether its optional fields are given, null or left out', async () => {
      const { conversation } = await practice('a');
      const given = await store.insertMessage(msg(conversation, { clientId: 'c-1', sourceId: null }));
      const { clientId: _c, sourceId: _s, ...bare } = msg(conversation, { body: 'second' });
      const leftOut = await store.insertMessage(bare as NewMessage);
      expect(given.created && leftOut.created).toBe(true);
      expect(await store.getMessage(conversation.orgId, given.message.id)).toMatchObject({ body: 'hello', clientId: 'c-1', sourceId: null });
      expect(await store.getMessage(conversation.orgId, leftOut.message.id)).toMatchObject({ body: 'second', clientId: null, sourceId: null });
    });

    it('keeps a channel address sealed with its identity, the newest inbound time, and follows a merge', async () => {
      const a = await practice('a');
      const b = await practice('b');
      await store.addIdentity(a.org.id, a.contact.id, 'viber', 'vb-user-1=');
      expect(await store.identities.recordInbound(a.org.id, 'viber', 'vb-user-1=', 'vb-user-1=', 2000)).toBe(true);
      expect(await store.identities.recordInbound(a.org.id, 'viber', 'vb-user-1=', 'vb-user-1=', 1000)).toBe(true);
      expect(await store.identities.recordInbound(a.org.id, 'viber', 'unknown', 'unknown', 1000)).toBe(false);
      expect(await store.identities.addresses(a.org.id, a.contact.id, 'viber')).toEqual([{ address: 'vb-user-1=', lastInboundAt: 2000, optedOutAt: null }]);
      expect(await store.identities.addresses(b.org.id, a.contact.id, 'viber')).toEqual([]);
      await store.setIdentityOptOut(a.org.id, 'viber', 'vb-user-1=', 3000);
      expect((await store.identities.addresses(a.org.id, a.contact.id, 'viber'))[0]?.optedOutAt).toBe(3000);
      const other: Contact = { id: newId('ct'), orgId: a.org.id, displayName: null, email: null, phone: null, createdAt: Date.now() };
      await store.createContact(other, { channel: 'web', externalId: 'visitor-a2' });
      await store.records.mergeContacts(a.org.id, a.contact.id, other.id);
      expect((await store.identities.addresses(a.org.id, other.id, 'viber'))[0]?.address).toBe('vb-user-1=');
    });

    it('threads e-mail by Message-ID within an organization, sealed, and uses a webhook token once', async () => {
      const a = await practice('a');
      const b = await practice('b');
      const now = Date.now();
      await store.email.recordMessageId(a.org.id, a.conversation.id, { header: '<First@patients.test>', direction: 'in', subject: 'Visit', messageId: 1 }, now);
      await store.email.recordMessageId(a.org.id, a.conversation.id, { header: '<first@patients.test>', direction: 'in', subject: 'Again', messageId: 1 }, now);
      await store.email.recordMessageId(a.org.id, a.conversation.id, { header: '<bedside.2@clinic.test>', direction: 'out', subject: 'Re: Visit', messageId: 2 }, now);
      expect(await store.email.thread(a.org.id, a.conversation.id)).toEqual([
        { header: '<First@patients.test>', direction: 'in', subject: 'Visit', messageId: 1 },
        { header: '<bedside.2@clinic.test>', direction: 'out', subject: 'Re: Visit', messageId: 2 },
      ]);
      expect(await store.email.findByMessageIds(a.org.id, ['<unknown@x>', '<bedside.2@clinic.test>'])).toEqual({ conversationId: a.conversation.id, messageId: 2, direction: 'out' });
      expect(await store.email.findByMessageIds(b.org.id, ['<bedside.2@clinic.test>'])).toBeUndefined();
      expect(await store.email.findByMessageIds(a.org.id, [])).toBeUndefined();
      expect(await store.email.useWebhookToken('t1', now)).toBe(true);
      expect(await store.email.useWebhookToken('t1', now)).toBe(false);
      await store.email.releaseWebhookToken('t1');
      expect(await store.email.useWebhookToken('t1', now)).toBe(true);
      await store.email.pruneWebhookTokens(now + 1);
      expect(await store.email.useWebhookToken('t1', now)).toBe(true);
    });

    it('keeps one staff row per Slack user and updates the name', async () => {
      const { org } = await practice('a');
      const s1 = await store.upsertSlackStaff(org.id, 'U1', 'Nurse Ann');
      const s2 = await store.upsertSlackStaff(org.id, 'U1', 'Ann B.');
      expect(s2.id).toBe(s1.id);
      expect(s2.displayName).toBe('Ann B.');
    });

    it('chains audit records per organization and verifies them', async () => {
      const a = await practice('a');
      const b = await practice('b');
      const event = (orgId: string | null, action: string) => ({
        orgId, at: Date.now(), actorType: 'system' as const, actorId: null, ip: null, action, targetType: null, targetId: null,
        outcome: 'success' as const, details: { n: 1 },
      });
      await store.audit.append(event(a.org.id, 'one'));
      await store.transaction(async (tx) => {
        await tx.audit.append(event(b.org.id, 'two'));
        await tx.audit.append(event(a.org.id, 'three'));
      });
      await Promise.all([1, 2, 3, 4, 5].map((n) => store.audit.append(event(null, `concurrent-${n}`))));
      expect(await store.audit.verify()).toEqual({ ok: true, records: 8, chains: 3 });
      expect((await store.audit.list(a.org.id, 10)).map((e) => e.action)).toEqual(['three', 'one']);
      // A rolled-back transaction leaves the chain as it was.
      await expect(store.transaction(async (tx) => {
        await tx.audit.append(event(a.org.id, 'rolled back'));
        throw new Error('boom');
      })).rejects.toThrow('boom');
      expect((await store.audit.verify()).ok).toBe(true);
    });

    describe('job queue', () => {
      it('ignores a second enqueue with the same dedupe key', async () => {
        expect(await store.enqueueJob({ orgId: null, kind: 'k', payload: { a: 1 }, queueKey: 'q', dedupeKey: 'evt-1' })).toBeTypeOf('number');
        expect(await store.enqueueJob({ orgId: null, kind: 'k', payload: { a: 2 }, queueKey: 'q', dedupeKey: 'evt-1' })).toBeUndefined();
        expect((await store.jobCounts()).pending).toBe(1);
      });

      it('leases due jobs once, one per queue key, in order', async () => {
        // Claims look a second ahead: jobs enqueued just now are due by then.
        const now = Date.now() + 1000;
        const a1 = await store.enqueueJob({ orgId: null, kind: 'k', payload: { n: 1 }, queueKey: 'a' });
        const a2 = await store.enqueueJob({ orgId: null, kind: 'k', payload: { n: 2 }, queueKey: 'a' });
        const b1 = await store.enqueueJob({ orgId: null, kind: 'k', payload: { n: 3 }, queueKey: 'b' });
        await store.enqueueJob({ orgId: null, kind: 'k', payload: { n: 4 }, queueKey: 'c', runAt: now + 60_000 });
        const first = await store.claimJobs(now, 10, 1000);
        expect(first.map((j) => j.id)).toEqual([a1, b1]);
        expect(first[0]).toMatchObject({ payload: { n: 1 }, attempts: 1 });
        expect(await store.claimJobs(now, 10, 1000)).toEqual([]);
        await store.completeJob(a1 as number, now);
        expect((await store.claimJobs(now, 10, 1000)).map((j) => j.id)).toEqual([a2]);
      });

      it('re-leases a job whose lease expired (its worker died)', async () => {
        // Claims look a second ahead: jobs enqueued just now are due by then.
        const now = Date.now() + 1000;
        const id = await store.enqueueJob({ orgId: null, kind: 'k', payload: {}, queueKey: 'a' });
        await store.claimJobs(now, 10, 1000);
        expect(await store.claimJobs(now + 500, 10, 1000)).toEqual([]);
        const again = await store.claimJobs(now + 1001, 10, 1000);
        expect(again.map((j) => [j.id, j.attempts])).toEqual([[id, 2]]);
      });

      it('retries later, dead-letters, requeues, and clears payloads of finished jobs', async () => {
        // Claims look a second ahead: jobs enqueued just now are due by then.
        const now = Date.now() + 1000;
        const id = (await store.enqueueJob({ orgId: null, kind: 'k', payload: { secret: 'x' }, queueKey: 'a' })) as number;
        await store.claimJobs(now, 10, 1000);
        await store.retryJob(id, now + 5000, 'RetryableError: slack http 503', now);
        expect(await store.claimJobs(now + 4999, 10, 1000)).toEqual([]);
        expect(await store.claimJobs(now + 5000, 10, 1000)).toHaveLength(1);
        await store.buryJob(id, 'PermanentError: slack error channel_not_found', now);
        expect(await store.jobCounts()).toMatchObject({ dead: 1, pending: 0 });
        // A dead job no longer holds up its queue key.
        const next = await store.enqueueJob({ orgId: null, kind: 'k', payload: {}, queueKey: 'a' });
        const later = Date.now() + 1;
        expect((await store.claimJobs(later, 10, 1000)).map((j) => j.id)).toEqual([next]);
        await store.completeJob(next as number, later);
        expect(await store.requeueDeadJobs(later)).toBe(1);
        const [requeued] = await store.claimJobs(later, 10, 1000);
        expect(requeued).toMatchObject({ id, attempts: 1, payload: { secret: 'x' } });
        await store.completeJob(id, later);
        expect(await store.jobCounts()).toMatchObject({ done: 2, dead: 0, pending: 0 });
      });

      it('skips a job: finished with its reason, not retried, and not holding up its queue key', async () => {
        const id = await store.enqueueJob({ orgId: null, kind: 'k', payload: {}, queueKey: 's' }) as number;
        const next = await store.enqueueJob({ orgId: null, kind: 'k', payload: {}, queueKey: 's' });
        const now = Date.now();
        await store.claimJobs(now, 1, 1000);
        await store.skipJob(id, 'slack not connected', now);
        expect((await store.claimJobs(now + 1, 10, 1000)).map((j) => j.id)).toEqual([next]);
      });
    });

    describe('Slack installations', () => {
      const install = (orgId: string, teamId: string, token: string) => ({
        orgId, teamId, teamName: `Team ${teamId}`, appId: 'A0APP00001', botUserId: `U0${teamId}`, scope: 'chat:write',
        installedBy: null, installedAt: Date.now(), botToken: token,
      });

      it('keeps one workspace per organization and one organization per workspace; the token is sealed and survives a reinstall only as the new one', async () => {
        const a = await practice('slack-a');
        const b = await practice('slack-b');
        await store.slack.saveInstallation(install(a.org.id, 'T0AAAAAAA', 'xoxb-token-a-1'));
        await store.slack.setDefaultChannel(a.org.id, 'C0DEFAULT1');
        expect(await store.slack.getInstallation(a.org.id)).toMatchObject({ teamId: 'T0AAAAAAA', botToken: 'xoxb-token-a-1', status: 'active', defaultChannelId: 'C0DEFAULT1' });
        expect((await store.slack.findInstallationByTeam('T0AAAAAAA'))?.orgId).toBe(a.org.id);
        await expect(store.slack.saveInstallation(install(b.org.id, 'T0AAAAAAA', 'xoxb-token-b'))).rejects.toThrow();
        expect(await store.slack.getInstallation(b.org.id)).toBeUndefined();

        expect(await store.slack.revokeInstallation(a.org.id, Date.now(), 'app_uninstalled')).toBe(true);
        expect(await store.slack.revokeInstallation(a.org.id, Date.now(), 'app_uninstalled')).toBe(false);
        expect(await store.slack.getInstallation(a.org.id)).toMatchObject({ botToken: null, status: 'revoked', revokedReason: 'app_uninstalled' });
        expect(await store.slack.listActiveOrgIds()).toEqual([]);
        await store.slack.saveInstallation(install(a.org.id, 'T0AAAAAAA', 'xoxb-token-a-2'));
        expect(await store.slack.getInstallation(a.org.id)).toMatchObject({ botToken: 'xoxb-token-a-2', status: 'active', defaultChannelId: 'C0DEFAULT1', revokedAt: null });
        expect(await store.slack.countInstallations()).toEqual({ active: 1, revoked: 0 });
      });

      it('lets an OAuth state be used once', async () => {
        const a = await practice('slack-state');
        const now = Date.now();
        await store.slack.createOAuthState({ stateHash: 'h1', orgId: a.org.id, staffId: 'stf_1', sessionHash: 's1', browserHash: 'b1', createdAt: now, expiresAt: now + 600_000 });
        expect(await store.slack.consumeOAuthState('h1', now)).toMatchObject({ orgId: a.org.id, usedAt: null });
        expect((await store.slack.consumeOAuthState('h1', now + 1))?.usedAt).toBe(now);
        expect(await store.slack.consumeOAuthState('unknown', now)).toBeUndefined();
      });

      it('finds a Slack thread only within its organization', async () => {
        const a = await practice('thread-a');
        const b = await practice('thread-b');
        await store.updateConversation(a.org.id, a.conversation.id, { slackChannelId: 'C0SAME0001', slackThreadTs: '1700000000.000100' });
        await store.updateConversation(b.org.id, b.conversation.id, { slackChannelId: 'C0SAME0001', slackThreadTs: '1700000000.000200' });
        expect((await store.slack.findConversationByThread(a.org.id, 'C0SAME0001', '1700000000.000100'))?.id).toBe(a.conversation.id);
        expect((await store.slack.findConversationByThread(b.org.id, 'C0SAME0001', '1700000000.000200'))?.id).toBe(b.conversation.id);
        // Another workspace naming A's thread finds nothing in its own practice.
        expect(await store.slack.findConversationByThread(b.org.id, 'C0SAME0001', '1700000000.000100')).toBeUndefined();
      });
    });
  });
}
