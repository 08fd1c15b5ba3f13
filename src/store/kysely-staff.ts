/** Kysely implementations of the staff, inbox-query and audit contracts (see staff-types.ts). */
import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type {
  AuditEvent, CannedResponse, ChannelKind, Role, StaffAccount, StaffCredentials, StaffSession, StaffStatus,
} from '../domain/types.ts';
import type { Database, StaffTable } from './schema.ts';
import type { Dialect } from './types.ts';
import { auditChainOf, auditRecordHash, GENESIS_HASH } from '../security/audit-hash.ts';
import type {
  AuditStoreOps, AuditVerification, AuthStoreOps, ConversationListQuery, ConversationRow, InboxStoreOps, NewStaffAccount,
} from './staff-types.ts';
import { toConversation, toMessage } from './rows.ts';
import type { FieldCrypto } from './field-crypto.ts';
import { searchTerms } from '../domain/normalize.ts';
import { PreparedQuery } from './prepared.ts';
import { withFields } from '../domain/with-fields.ts';

type Db = Kysely<Database> | Transaction<Database>;

const toAccount = (r: Selectable<StaffTable>): StaffAccount => ({
  id: r.id, orgId: r.orgId, displayName: r.displayName, slackUserId: r.slackUserId, email: r.email,
  role: r.role as Role, status: r.status as StaffStatus, mfaEnrolled: r.totpEnabledAt != null,
  lastLoginAt: r.lastLoginAt == null ? null : Number(r.lastLoginAt), createdAt: Number(r.createdAt),
});

export class KyselyAuthOps implements AuthStoreOps {
  constructor(private readonly db: Db) {}

  async createAccount(a: NewStaffAccount, now: number): Promise<void> {
    await this.db.insertInto('staff').values({
      id: a.id, orgId: a.orgId, email: a.email, displayName: a.displayName, role: a.role, status: a.status,
      slackUserId: null, createdAt: now, updatedAt: now,
    }).execute();
  }

  async findAccountByEmail(email: string): Promise<StaffAccount | undefined> {
    const r = await this.db.selectFrom('staff').selectAll().where('email', '=', email).executeTakeFirst();
    return r && toAccount(r);
  }

  async getAccount(orgId: string, id: string): Promise<StaffAccount | undefined> {
    const r = await this.db.selectFrom('staff').selectAll().where('orgId', '=', orgId).where('id', '=', id).executeTakeFirst();
    return r && toAccount(r);
  }

  async listAccounts(orgId: string): Promise<StaffAccount[]> {
    const rows = await this.db.selectFrom('staff').selectAll().where('orgId', '=', orgId).orderBy('displayName').execute();
    return rows.map(toAccount);
  }

  async updateAccount(orgId: string, id: string, patch: Partial<Pick<StaffAccount, 'role' | 'status' | 'displayName' | 'lastLoginAt'>>): Promise<void> {
    await this.db.updateTable('staff').set(withFields(patch, { updatedAt: Date.now() })).where('orgId', '=', orgId).where('id', '=', id).execute();
  }

  async getCredentials(orgId: string, id: string): Promise<StaffCredentials | undefined> {
    const r = await this.db.selectFrom('staff').select(['passwordHash', 'totpSecret', 'totpLastStep', 'recoveryCodes'])
      .where('orgId', '=', orgId).where('id', '=', id).executeTakeFirst();
    return r && {
      passwordHash: r.passwordHash, totpSecret: r.totpSecret,
      totpLastStep: r.totpLastStep == null ? null : Number(r.totpLastStep),
      recoveryCodes: r.recoveryCodes ? (JSON.parse(r.recoveryCodes) as string[]) : [],
    };
  }

  async setCredentials(orgId: string, id: string, c: Partial<StaffCredentials> & { totpEnabledAt?: number | null }): Promise<void> {
    await this.db.updateTable('staff').set({
      updatedAt: Date.now(),
      ...(c.passwordHash !== undefined ? { passwordHash: c.passwordHash } : {}),
      ...(c.totpSecret !== undefined ? { totpSecret: c.totpSecret } : {}),
      ...(c.totpLastStep !== undefined ? { totpLastStep: c.totpLastStep } : {}),
      ...(c.recoveryCodes !== undefined ? { recoveryCodes: JSON.stringify(c.recoveryCodes) } : {}),
      ...(c.totpEnabledAt !== undefined ? { totpEnabledAt: c.totpEnabledAt } : {}),
    }).where('orgId', '=', orgId).where('id', '=', id).execute();
  }

  async advanceTotpStep(orgId: string, id: string, step: number): Promise<boolean> {
    const r = await this.db.updateTable('staff').set({ totpLastStep: step })
      .where('orgId', '=', orgId).where('id', '=', id)
      .where((eb) => eb.or([eb('totpLastStep', 'is', null), eb('totpLastStep', '<', step)]))
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async consumeRecoveryCode(orgId: string, id: string, codeHash: string): Promise<boolean> {
    // Read-modify-write guarded by the previous value, so two concurrent uses cannot both win.
    const r = await this.db.selectFrom('staff').select('recoveryCodes').where('orgId', '=', orgId).where('id', '=', id).executeTakeFirst();
    if (!r?.recoveryCodes) return false;
    const codes = JSON.parse(r.recoveryCodes) as string[];
    if (!codes.includes(codeHash)) return false;
    const u = await this.db.updateTable('staff').set({ recoveryCodes: JSON.stringify(codes.filter((c) => c !== codeHash)) })
      .where('orgId', '=', orgId).where('id', '=', id).where('recoveryCodes', '=', r.recoveryCodes).executeTakeFirst();
    return Number(u.numUpdatedRows) === 1;
  }

  async createEnrolmentToken(t: { tokenHash: string; orgId: string; staffId: string; createdAt: number; expiresAt: number }): Promise<void> {
    await this.db.insertInto('enrolmentTokens').values(withFields(t, { usedAt: null })).execute();
  }

  async findEnrolmentToken(tokenHash: string) {
    const r = await this.db.selectFrom('enrolmentTokens').selectAll().where('tokenHash', '=', tokenHash).executeTakeFirst();
    return r && { orgId: r.orgId, staffId: r.staffId, expiresAt: Number(r.expiresAt), usedAt: r.usedAt == null ? null : Number(r.usedAt) };
  }

  async useEnrolmentToken(tokenHash: string, now: number): Promise<boolean> {
    const r = await this.db.updateTable('enrolmentTokens').set({ usedAt: now })
      .where('tokenHash', '=', tokenHash).where('usedAt', 'is', null).executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async revokeEnrolmentTokens(staffId: string, now: number): Promise<void> {
    await this.db.updateTable('enrolmentTokens').set({ usedAt: now }).where('staffId', '=', staffId).where('usedAt', 'is', null).execute();
  }

  async createSession(s: StaffSession & { ip: string | null }): Promise<void> {
    await this.db.insertInto('sessions').values(s).execute();
  }

  async findSession(idHash: string): Promise<StaffSession | undefined> {
    const r = await this.db.selectFrom('sessions').selectAll().where('idHash', '=', idHash).executeTakeFirst();
    return r && {
      idHash: r.idHash, orgId: r.orgId, staffId: r.staffId, csrfToken: r.csrfToken,
      mfaVerifiedAt: r.mfaVerifiedAt == null ? null : Number(r.mfaVerifiedAt), createdAt: Number(r.createdAt),
      lastSeenAt: Number(r.lastSeenAt), expiresAt: Number(r.expiresAt), revokedAt: r.revokedAt == null ? null : Number(r.revokedAt),
    };
  }

  async touchSession(idHash: string, now: number, patch: { mfaVerifiedAt?: number } = {}): Promise<void> {
    await this.db.updateTable('sessions').set({ lastSeenAt: now, ...patch }).where('idHash', '=', idHash).execute();
  }

  async revokeSession(idHash: string, now: number): Promise<void> {
    await this.db.updateTable('sessions').set({ revokedAt: now }).where('idHash', '=', idHash).where('revokedAt', 'is', null).execute();
  }

  async revokeAllSessions(staffId: string, now: number): Promise<number> {
    const r = await this.db.updateTable('sessions').set({ revokedAt: now }).where('staffId', '=', staffId).where('revokedAt', 'is', null).executeTakeFirst();
    return Number(r.numUpdatedRows);
  }
}

/** SQLite's word index (sqlite/deferred-terms.ts), as search uses it. */
export interface DeferredTermSearch {
  catchUp(): Promise<void>;
  search(db: Db, hashed: string[], limit: number): Promise<number[]>;
}

/**
 * Conversation list rows as one staff member sees them: their own unread count, and (unless the
 * caller already has it) the newest message's id for the preview.
 */
function rowQuery(db: Db, orgId: string, staffId: string, withPreviewId = true) {
  return db.selectFrom('conversations as c')
    .innerJoin('inboxes as i', 'i.id', 'c.inboxId')
    .innerJoin('contacts as ct', 'ct.id', 'c.contactId')
    .leftJoin('staff as s', 's.id', 'c.assigneeId')
    .leftJoin('conversationReads as r', (j) => j.onRef('r.conversationId', '=', 'c.id').on('r.staffId', '=', staffId))
    .selectAll('c')
    .select((eb) => [
      'i.name as inboxName', 'ct.displayName as contactName', 's.displayName as assigneeName',
      eb.selectFrom('messages as m').select((e) => e.fn.countAll<number>().as('n'))
        .whereRef('m.conversationId', '=', 'c.id').where('m.direction', '=', 'in')
        .where('m.id', '>', sql<number>`coalesce(${sql.ref('r.lastReadMessageId')}, 0)`).as('unreadCount'),
    ])
    .$if(withPreviewId, (q) => q.select((eb) => eb.selectFrom('messages as m').select('m.id').whereRef('m.conversationId', '=', 'c.id')
      .where('m.kind', '=', 'message').orderBy('m.id', 'desc').limit(1).as('previewId')))
    .where('c.orgId', '=', orgId);
}

/** The row of one conversation: sent to every signed-in staff member with every new message. */
const oneRow = new PreparedQuery<{ orgId: string; staffId: string; id: string }, Record<string, unknown>>(
  (db, arg) => rowQuery(db, arg('orgId'), arg('staffId')).where('c.id', '=', arg('id')),
);
/** The same for a new message the caller holds: it is the preview, so the newest message is not looked up. */
const oneRowForNewMessage = new PreparedQuery<{ orgId: string; staffId: string; id: string }, Record<string, unknown>>(
  (db, arg) => rowQuery(db, arg('orgId'), arg('staffId'), false).where('c.id', '=', arg('id')),
);

export class KyselyInboxOps implements InboxStoreOps {
  /** `termIndex`: SQLite's word index, written behind the messages (else `message_terms`, written with them). */
  constructor(
    private readonly db: Db, private readonly dialect: string, private readonly crypto: FieldCrypto,
    private readonly termIndex?: DeferredTermSearch,
  ) {}

  private async toRow(r: Record<string, unknown>, known?: { id: number; body: string }): Promise<ConversationRow> {
    const c = toConversation(r as never);
    const row = withFields(c, {
      inboxName: r.inboxName as string,
      contactName: await this.crypto.openNullable(this.db, c.orgId, 'contacts', 'display_name', c.contactId, (r.contactName as string | null) ?? null),
      assigneeName: (r.assigneeName as string | null) ?? null, unreadCount: Number(r.unreadCount ?? 0),
    });
    if (known) return withFields(row, { preview: known.body.slice(0, 140) });
    // The preview is the newest message's sealed body, opened with that message's id.
    const previewId = r.previewId == null ? undefined : Number(r.previewId);
    const previewBody = previewId === undefined ? undefined
      : (await this.db.selectFrom('messages').select('body').where('id', '=', previewId).executeTakeFirst())?.body;
    return withFields(row, {
      preview: previewBody === undefined ? '' : (await this.crypto.open(this.db, c.orgId, 'messages', 'body', previewId as number, previewBody)).slice(0, 140),
    });
  }

  async listConversations(q: ConversationListQuery): Promise<ConversationRow[]> {
    let query = rowQuery(this.db, q.orgId, q.staffId);
    if (q.status !== 'all') query = query.where('c.status', '=', q.status);
    if (q.assignee === 'me') query = query.where('c.assigneeId', '=', q.staffId);
    if (q.assignee === 'unassigned') query = query.where('c.assigneeId', 'is', null);
    if (q.inboxId) query = query.where('c.inboxId', '=', q.inboxId);
    if (q.channel) query = query.where('c.channel', '=', q.channel);
    if (q.after) {
      const { lastMessageAt, id } = q.after;
      // A row-value comparison, so the index on (…, last_message_at, id) serves it as one range.
      query = query.where((eb) => eb(eb.refTuple('c.lastMessageAt', 'c.id'), '<', eb.tuple(lastMessageAt, id)));
    }
    const rows = await query.orderBy('c.lastMessageAt', 'desc').orderBy('c.id', 'desc').limit(q.limit).execute();
    return Promise.all(rows.map((r) => this.toRow(r)));
  }

  async conversationRow(orgId: string, staffId: string, id: string, known?: { id: number; body: string }): Promise<ConversationRow | undefined> {
    const [r] = await (known ? oneRowForNewMessage : oneRow).rows(this.db, this.dialect, { orgId, staffId, id });
    return r && this.toRow(r, known);
  }

  async countConversations(orgId: string, staffId: string) {
    const r = await this.db.selectFrom('conversations').where('orgId', '=', orgId).select((eb) => [
      eb.fn.sum<number>(eb.case().when('status', '=', 'open').then(1).else(0).end()).as('open'),
      eb.fn.sum<number>(eb.case().when(eb.and([eb('status', '=', 'open'), eb('assigneeId', '=', staffId)])).then(1).else(0).end()).as('mine'),
      eb.fn.sum<number>(eb.case().when(eb.and([eb('status', '=', 'open'), eb('assigneeId', 'is', null)])).then(1).else(0).end()).as('unassigned'),
      eb.fn.sum<number>(eb.case().when('status', '=', 'resolved').then(1).else(0).end()).as('resolved'),
    ]).executeTakeFirstOrThrow();
    return { open: Number(r.open ?? 0), mine: Number(r.mine ?? 0), unassigned: Number(r.unassigned ?? 0), resolved: Number(r.resolved ?? 0) };
  }

  async contactHistory(orgId: string, contactId: string, limit: number, beforeId?: number) {
    let q = this.db.selectFrom('messages as m').innerJoin('conversations as c', 'c.id', 'm.conversationId')
      .selectAll('m').select('c.channel as channel')
      .where('c.orgId', '=', orgId).where('c.contactId', '=', contactId);
    if (beforeId !== undefined) q = q.where('m.id', '<', beforeId);
    const rows = await q.orderBy('m.id', 'desc').limit(limit).execute();
    return Promise.all(rows.reverse().map(async (r) => {
      const m = toMessage(r);
      return withFields(m, { body: await this.crypto.open(this.db, orgId, 'messages', 'body', m.id, m.body), channel: r.channel as ChannelKind });
    }));
  }

  async searchMessages(orgId: string, text: string, limit: number) {
    const terms = searchTerms(text, 10);
    if (terms.length === 0) return [];
    const hmac = await this.crypto.indexer(this.db, orgId, 'term');
    const hashed = [...new Set(terms.map(hmac))];
    let ids: number[];
    if (this.termIndex) {
      // Catching up indexes on the store's own connection, which an open transaction holds: it
      // would wait for this transaction, and this transaction for it.
      if (this.db.isTransaction) throw new Error('search runs outside a transaction: it first indexes pending messages');
      // Search never misses a message already stored, indexed or not yet.
      await this.termIndex.catchUp();
      ids = await this.termIndex.search(this.db, hashed, limit);
    } else {
      // Walk the first word's postings newest first and probe the others by primary key, stopping
      // at `limit` hits: the cost follows the page size, not how many messages ever used the word.
      const [first, ...rest] = hashed;
      let q = this.db.selectFrom('messageTerms as t0').select('t0.messageId')
        .where('t0.orgId', '=', orgId).where('t0.term', '=', first as string);
      for (const term of rest) {
        q = q.where((eb) => eb.exists(eb.selectFrom('messageTerms as tn').select(eb.lit(1).as('one'))
          .where('tn.orgId', '=', orgId).where('tn.term', '=', term).whereRef('tn.messageId', '=', 't0.messageId')));
      }
      ids = (await q.orderBy('t0.messageId', 'desc').limit(limit).execute()).map((i) => Number(i.messageId));
    }
    if (ids.length === 0) return [];
    // By primary key alone: with `org_id = ?` beside the IN list, SQLite without statistics walks
    // the practice's whole (org_id, created_at) index instead (half a second at a million
    // messages). The ids come from this practice's own word index; the filter below keeps it so.
    const rows = await this.db.selectFrom('messages as m').innerJoin('conversations as c', 'c.id', 'm.conversationId')
      .selectAll('m').select('c.channel as channel')
      .where('m.id', 'in', ids).orderBy('m.id', 'desc').execute();
    return Promise.all(rows.filter((r) => r.orgId === orgId).map(async (r) => {
      const m = toMessage(r);
      return withFields(m, { body: await this.crypto.open(this.db, orgId, 'messages', 'body', m.id, m.body), channel: r.channel as ChannelKind });
    }));
  }

  async contactChannels(orgId: string, contactId: string): Promise<ChannelKind[]> {
    const rows = await this.db.selectFrom('contactIdentities').select('channel').distinct()
      .where('orgId', '=', orgId).where('contactId', '=', contactId).execute();
    return rows.map((r) => r.channel as ChannelKind);
  }

  async markRead(orgId: string, staffId: string, conversationId: string, lastMessageId: number): Promise<void> {
    await this.db.insertInto('conversationReads').values({ orgId, staffId, conversationId, lastReadMessageId: lastMessageId })
      .onConflict((oc) => oc.columns(['staffId', 'conversationId']).doUpdateSet({
        // Never move the read mark backwards (an older tab reporting late).
        // CASE rather than max(a, b) or greatest(a, b): one spelling for SQLite and PostgreSQL.
        lastReadMessageId: (eb) => eb.case().when(eb.ref('excluded.lastReadMessageId'), '>', eb.ref('conversationReads.lastReadMessageId'))
          .then(eb.ref('excluded.lastReadMessageId')).else(eb.ref('conversationReads.lastReadMessageId')).end(),
      })).execute();
  }

  async listCanned(orgId: string): Promise<CannedResponse[]> {
    return this.db.selectFrom('cannedResponses').select(['id', 'orgId', 'shortcut', 'title', 'body'])
      .where('orgId', '=', orgId).orderBy('shortcut').execute();
  }

  async createCanned(c: CannedResponse): Promise<boolean> {
    const now = Date.now();
    const r = await this.db.insertInto('cannedResponses').values(withFields(c, { createdAt: now, updatedAt: now }))
      .onConflict((oc) => oc.doNothing()).executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  async updateCanned(orgId: string, id: string, patch: Partial<Pick<CannedResponse, 'shortcut' | 'title' | 'body'>>): Promise<boolean> {
    const r = await this.db.updateTable('cannedResponses').set(withFields(patch, { updatedAt: Date.now() }))
      .where('orgId', '=', orgId).where('id', '=', id).executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async deleteCanned(orgId: string, id: string): Promise<boolean> {
    const r = await this.db.deleteFrom('cannedResponses').where('orgId', '=', orgId).where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) === 1;
  }
}

export class KyselyAuditOps implements AuditStoreOps {
  constructor(private readonly db: Db, private readonly dialect: Dialect) {}

  async append(e: AuditEvent): Promise<void> {
    // Reading the chain head and moving it must be one unit: inside the caller's transaction if
    // there is one, else a transaction of its own. On PostgreSQL the head row is locked.
    const run = async (tx: Db) => {
      const chain = auditChainOf(e.orgId);
      await tx.insertInto('auditHeads').values({ chain, lastId: 0, lastHash: GENESIS_HASH, count: 0 })
        .onConflict((oc) => oc.doNothing()).execute();
      let q = tx.selectFrom('auditHeads').selectAll().where('chain', '=', chain);
      if (this.dialect === 'postgres') q = q.forUpdate();
      const head = await q.executeTakeFirstOrThrow();
      const details = e.details ? JSON.stringify(e.details) : null;
      const row = await tx.insertInto('auditLog').values(withFields(e, { details, prevHash: head.lastHash, hash: null }))
        .returning('id').executeTakeFirstOrThrow();
      const id = Number(row.id);
      const hash = auditRecordHash(head.lastHash, withFields(e, { id, details }));
      await tx.updateTable('auditLog').set({ hash }).where('id', '=', id).execute();
      await tx.updateTable('auditHeads').set({ lastId: id, lastHash: hash, count: sql`count + 1` }).where('chain', '=', chain).execute();
    };
    if (this.db.isTransaction) await run(this.db);
    else await this.db.transaction().execute(run);
  }

  async list(orgId: string, limit: number, beforeId?: number) {
    let q = this.db.selectFrom('auditLog').selectAll().where('orgId', '=', orgId);
    if (beforeId !== undefined) q = q.where('id', '<', beforeId);
    const rows = await q.orderBy('id', 'desc').limit(limit).execute();
    return rows.map((r) => ({
      orgId: r.orgId, at: Number(r.at), actorType: r.actorType as AuditEvent['actorType'], actorId: r.actorId, ip: r.ip,
      action: r.action, targetType: r.targetType, targetId: r.targetId, outcome: r.outcome as AuditEvent['outcome'],
      details: r.details ? (JSON.parse(r.details) as Record<string, unknown>) : null, id: Number(r.id),
    }));
  }

  async verify(orgId?: string): Promise<AuditVerification> {
    const heads = new Map((await this.db.selectFrom('auditHeads').selectAll().execute()).map((h) => [h.chain, h]));
    const orgs = await this.db.selectFrom('auditLog').select('orgId').distinct().execute();
    const all = new Set([...heads.keys(), ...orgs.map((o) => auditChainOf(o.orgId))]);
    const chains = orgId === undefined ? all : new Set([auditChainOf(orgId)].filter((c) => all.has(c)));
    let records = 0;
    for (const chain of chains) {
      const head = heads.get(chain);
      let prev = GENESIS_HASH;
      let lastId = 0;
      let count = 0;
      for (let after = 0; ;) {
        let q = this.db.selectFrom('auditLog').selectAll().where('id', '>', after);
        q = chain === '-' ? q.where('orgId', 'is', null) : q.where('orgId', '=', chain);
        const rows = await q.orderBy('id').limit(1000).execute();
        if (rows.length === 0) break;
        for (const r of rows) {
          const id = Number(r.id);
          const expected = auditRecordHash(prev, {
            id, orgId: r.orgId, at: Number(r.at), actorType: r.actorType, actorId: r.actorId, ip: r.ip, action: r.action,
            targetType: r.targetType, targetId: r.targetId, outcome: r.outcome, details: r.details,
          });
          if (r.prevHash !== prev) return { ok: false, records, chains: chains.size, firstBad: { id, chain, reason: 'does not follow the record before it (a record was removed, added or reordered)' } };
          if (r.hash !== expected) return { ok: false, records, chains: chains.size, firstBad: { id, chain, reason: 'its content does not match its hash (the record was changed)' } };
          prev = expected;
          lastId = id;
          count++;
          records++;
        }
        after = lastId;
      }
      if (!head || head.lastHash !== prev || Number(head.lastId) !== lastId || Number(head.count) !== count) {
        return { ok: false, records, chains: chains.size, firstBad: { id: lastId, chain, reason: 'the chain does not end where it should (records at its end were removed or added)' } };
      }
    }
    return { ok: true, records, chains: chains.size };
  }
}
