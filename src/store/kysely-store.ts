/**
 * One implementation of the Store contract over Kysely, shared by SQLite and PostgreSQL.
 * Only the way a connection is opened differs between the engines (see sqlite/ and postgres/).
 */
import { CompiledQuery, Migrator, sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type {
  ChannelKind, Contact, Conversation, Inbox, InboxSettings, Message, Organization, OrganizationSettings, Staff,
} from '../domain/types.ts';
import { newConversationRef, newId } from '../domain/ids.ts';
import type { Database } from './schema.ts';
import { toConversation, toMessage } from './rows.ts';
import { KyselyAuditOps, KyselyAuthOps, KyselyInboxOps } from './kysely-staff.ts';
import { KyselyRecordsOps } from './kysely-records.ts';
import { KyselyEmailOps } from './kysely-email.ts';
import { KyselyAttachmentOps } from './kysely-attachments.ts';
import { resealColumns } from './reseal.ts';
import { KyselySlackOps } from './kysely-slack.ts';
import { KyselyIdentityOps } from './kysely-identities.ts';
import { SYSTEM_KEY_OWNER, type FieldCrypto } from './field-crypto.ts';
import type { MasterKey } from '../security/master-key.ts';
import { normalizeEmail, normalizePhone } from '../domain/normalize.ts';
import { migrationProvider } from './migrations/index.ts';
import { GroupCommit } from './sqlite/group-commit.ts';
import { DeferredTermIndex } from './sqlite/deferred-terms.ts';
import { writeMessageTerms } from './term-index.ts';
import { executeCompiled, PreparedQuery, type StatementRunner } from './prepared.ts';
import { withFields } from '../domain/with-fields.ts';
import type {
  ContactPatch, ConversationPatch, DataKeyChanges, DeferredWordIndex, Dialect, Job, JobCounts, NewJob, NewMessage, Store, StoreOps,
} from './types.ts';

type Db = Kysely<Database> | Transaction<Database>;

const toInbox = (r: Selectable<Database['inboxes']>): Inbox => withFields(r, {
  channel: r.channel as ChannelKind, settings: JSON.parse(r.settings) as InboxSettings, createdAt: Number(r.createdAt),
});

const toStaff = (r: Selectable<Database['staff']>): Staff => ({
  id: r.id, orgId: r.orgId, displayName: r.displayName, slackUserId: r.slackUserId,
});

/** The statements every patient message runs, compiled once (see prepared.ts). */
const latestConversation = new PreparedQuery<{ orgId: string; contactId: string; inboxId: string }, Selectable<Database['conversations']>>(
  (db, arg) => db.selectFrom('conversations').selectAll()
    .where('orgId', '=', arg('orgId')).where('contactId', '=', arg('contactId')).where('inboxId', '=', arg('inboxId'))
    .orderBy('createdAt', 'desc').limit(1),
);
const insertMessageRow = new PreparedQuery<NewMessage & { id?: number }, { id: number }>(
  (db, arg, m) => db.insertInto('messages')
    .values(Object.fromEntries(Object.keys(m).map((k) => [k, arg(k as keyof NewMessage)])) as NewMessage)
    .onConflict((oc) => oc.doNothing()).returning('id'),
);
/**
 * The same with the id given: the count of rows says whether it went in. SQLite computes a
 * RETURNING clause's rows into a temporary table first: a fifth to a third of this insert's cost.
 */
const insertMessageRowWithId = new PreparedQuery<NewMessage & { id: number }, never>(
  (db, arg, m) => db.insertInto('messages')
    .values(Object.fromEntries(Object.keys(m).map((k) => [k, arg(k as keyof NewMessage)])) as NewMessage)
    .onConflict((oc) => oc.doNothing()),
);
/** SQLite: the last message id handed out (AUTOINCREMENT keeps it at or above every id ever used). */
const lastMessageId = CompiledQuery.raw(`select coalesce((select seq from sqlite_sequence where name = 'messages'), 0) as seq`);
const sealMessageBody = new PreparedQuery<{ id: number; body: string }, never>(
  (db, arg) => db.updateTable('messages').set({ body: arg('body') }).where('id', '=', arg('id')),
);
const updateConversationRow = new PreparedQuery<ConversationPatch & { orgId: string; id: string }, never>(
  (db, arg, p) => db.updateTable('conversations')
    .set(Object.fromEntries(Object.keys(p).filter((k) => k !== 'orgId' && k !== 'id').map((k) => [k, arg(k as keyof ConversationPatch)])))
    .where('orgId', '=', arg('orgId')).where('id', '=', arg('id')),
);

/**
 * Copies the fields of `from` that are not undefined onto `to`, in their order, and returns their
 * names joined by commas: the shape of a PreparedQuery whose columns follow the fields given.
 * A loop rather than keys filtered, mapped to pairs, sorted and joined: on the path of every
 * patient message those arrays cost the writer thread about a tenth of its young-generation
 * collections (116-117 in a quick benchmark run before, 105-106 after).
 */
function copyDefined<T extends object>(from: T, to: object): string {
  const target = to as Record<string, unknown>;
  // Joined once at the end: a string grown name by name is a chain of pieces that the look-up by
  // shape then copies flat again (2 million 12-field rows copied: 295 scavenges that way, 198 so).
  const names: string[] = [];
  for (const k of Object.keys(from)) {
    const v = (from as Record<string, unknown>)[k];
    // Never a column; assigned, it would set the copy's prototype instead.
    if (v === undefined || k === '__proto__') continue;
    target[k] = v;
    names.push(k);
  }
  return names.join(',');
}

/** The queries, bound to either the root connection or an open transaction. */
class KyselyOps implements StoreOps {
  readonly auth: KyselyAuthOps;
  readonly inbox: KyselyInboxOps;
  readonly audit: KyselyAuditOps;
  readonly records: KyselyRecordsOps;
  readonly email: KyselyEmailOps;
  readonly attachments: KyselyAttachmentOps;
  readonly slack: KyselySlackOps;
  readonly identities: KyselyIdentityOps;

  /** The next message id, when this connection is the database's only writer (see insertMessage). */
  private messageIds: number | undefined;

  /**
   * `terms`: the word index is written behind the messages by this indexer, not with each one.
   * `soleWriter`: `db` is a transaction no other write can interleave with (SQLite's group commit).
   */
  constructor(
    protected readonly db: Db, readonly dialect: Dialect, protected readonly crypto: FieldCrypto, protected readonly terms?: DeferredTermIndex,
    private readonly soleWriter = false,
  ) {
    this.auth = new KyselyAuthOps(db);
    this.inbox = new KyselyInboxOps(db, dialect, crypto, terms);
    this.audit = new KyselyAuditOps(db, dialect);
    this.records = new KyselyRecordsOps(db, crypto);
    this.email = new KyselyEmailOps(db, crypto);
    this.attachments = new KyselyAttachmentOps(db, crypto);
    this.slack = new KyselySlackOps(db, crypto);
    this.identities = new KyselyIdentityOps(db, crypto);
  }

  /** Contacts: names, e-mails and phone numbers are sealed; e-mail and phone also get blind indexes. */
  protected async openContact(r: Selectable<Database['contacts']>): Promise<Contact> {
    const o = (column: string, v: string | null) => this.crypto.openNullable(this.db, r.orgId, 'contacts', column, r.id, v);
    return {
      id: r.id, orgId: r.orgId, displayName: await o('display_name', r.displayName), email: await o('email', r.email),
      phone: await o('phone', r.phone), createdAt: Number(r.createdAt),
    };
  }

  protected async sealContactFields(orgId: string, id: string, patch: ContactPatch) {
    const c = this.crypto;
    const out: Record<string, string | null> = {};
    if (patch.displayName !== undefined) out.displayName = await c.sealNullable(this.db, orgId, 'contacts', 'display_name', id, patch.displayName);
    if (patch.email !== undefined) {
      out.email = await c.sealNullable(this.db, orgId, 'contacts', 'email', id, patch.email);
      out.emailIndex = patch.email === null ? null : await c.index(this.db, orgId, 'email', normalizeEmail(patch.email));
    }
    if (patch.phone !== undefined) {
      out.phone = await c.sealNullable(this.db, orgId, 'contacts', 'phone', id, patch.phone);
      out.phoneIndex = patch.phone === null ? null : await c.index(this.db, orgId, 'phone', normalizePhone(patch.phone));
    }
    return out;
  }

  protected identityIndex(orgId: string, channel: string, externalId: string): Promise<string> {
    // A phone number or e-mail address identifies an SMS or e-mail patient: never stored in the clear.
    return this.crypto.index(this.db, orgId, `identity:${channel}`, externalId);
  }

  protected async openMessage(r: Selectable<Database['messages']>): Promise<Message> {
    const m = toMessage(r);
    return withFields(m, { body: await this.crypto.open(this.db, m.orgId, 'messages', 'body', m.id, m.body) });
  }

  async countOrganizations(): Promise<number> {
    const r = await this.db.selectFrom('organizations').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return Number(r.n);
  }

  async createOrganization(org: Organization): Promise<void> {
    await this.db.insertInto('organizations').values(withFields(org, { settings: JSON.stringify(org.settings ?? {}) })).execute();
  }

  async getOrganization(id: string): Promise<Organization | undefined> {
    const r = await this.db.selectFrom('organizations').selectAll().where('id', '=', id).executeTakeFirst();
    return r && withFields(r, { createdAt: Number(r.createdAt), settings: JSON.parse(r.settings) as OrganizationSettings });
  }

  async findOrganizationBySlug(slug: string): Promise<Organization | undefined> {
    const r = await this.db.selectFrom('organizations').select('id').where('slug', '=', slug).executeTakeFirst();
    return r && this.getOrganization(r.id);
  }

  async listOrganizations(): Promise<Organization[]> {
    const rows = await this.db.selectFrom('organizations').select('id').orderBy('createdAt').execute();
    return (await Promise.all(rows.map((r) => this.getOrganization(r.id)))).filter((o): o is Organization => o !== undefined);
  }

  async updateOrganizationSettings(id: string, settings: OrganizationSettings): Promise<void> {
    await this.db.updateTable('organizations').set({ settings: JSON.stringify(settings) }).where('id', '=', id).execute();
  }

  async createInbox(inbox: Inbox): Promise<void> {
    await this.db.insertInto('inboxes').values(withFields(inbox, { settings: JSON.stringify(inbox.settings) })).execute();
  }

  async findInboxByPublicKey(publicKey: string): Promise<Inbox | undefined> {
    const r = await this.db.selectFrom('inboxes').selectAll().where('publicKey', '=', publicKey).executeTakeFirst();
    return r && toInbox(r);
  }

  async getInbox(orgId: string, id: string): Promise<Inbox | undefined> {
    const r = await this.db.selectFrom('inboxes').selectAll().where('orgId', '=', orgId).where('id', '=', id).executeTakeFirst();
    return r && toInbox(r);
  }

  async listInboxes(orgId: string): Promise<Inbox[]> {
    const rows = await this.db.selectFrom('inboxes').selectAll().where('orgId', '=', orgId).orderBy('createdAt').execute();
    return rows.map(toInbox);
  }

  async updateInboxSettings(orgId: string, id: string, settings: InboxSettings): Promise<void> {
    await this.db.updateTable('inboxes').set({ settings: JSON.stringify(settings) }).where('orgId', '=', orgId).where('id', '=', id).execute();
  }

  async renameInbox(orgId: string, id: string, name: string): Promise<void> {
    await this.db.updateTable('inboxes').set({ name }).where('orgId', '=', orgId).where('id', '=', id).execute();
  }

  async findFirstWebInbox(): Promise<Inbox | undefined> {
    const r = await this.db.selectFrom('inboxes').selectAll().where('channel', '=', 'web').orderBy('createdAt').limit(1).executeTakeFirst();
    return r && toInbox(r);
  }

  async findContactByIdentity(orgId: string, channel: string, externalId: string): Promise<Contact | undefined> {
    const r = await this.db.selectFrom('contactIdentities as i')
      .innerJoin('contacts as c', 'c.id', 'i.contactId')
      .selectAll('c')
      .where('i.orgId', '=', orgId).where('i.channel', '=', channel)
      .where('i.externalId', '=', await this.identityIndex(orgId, channel, externalId))
      .executeTakeFirst();
    return r && this.openContact(r);
  }

  async findContactsByEmailOrPhone(orgId: string, by: { email?: string; phone?: string }): Promise<Contact[]> {
    let q = this.db.selectFrom('contacts').selectAll().where('orgId', '=', orgId);
    if (by.email) q = q.where('emailIndex', '=', await this.crypto.index(this.db, orgId, 'email', normalizeEmail(by.email)));
    if (by.phone) q = q.where('phoneIndex', '=', await this.crypto.index(this.db, orgId, 'phone', normalizePhone(by.phone)));
    if (!by.email && !by.phone) return [];
    return Promise.all((await q.limit(20).execute()).map((r) => this.openContact(r)));
  }

  async createContact(contact: Contact, identity: { channel: string; externalId: string }): Promise<void> {
    const sealed = await this.sealContactFields(contact.orgId, contact.id, contact);
    await this.db.insertInto('contacts').values(Object.assign({}, contact, sealed, { updatedAt: contact.createdAt })).execute();
    await this.db.insertInto('contactIdentities').values({
      orgId: contact.orgId, contactId: contact.id, channel: identity.channel,
      externalId: await this.identityIndex(contact.orgId, identity.channel, identity.externalId), createdAt: contact.createdAt,
    }).execute();
  }

  async updateContact(orgId: string, id: string, patch: ContactPatch): Promise<void> {
    await this.db.updateTable('contacts').set(withFields(await this.sealContactFields(orgId, id, patch), { updatedAt: Date.now() }))
      .where('orgId', '=', orgId).where('id', '=', id).execute();
  }

  async addIdentity(orgId: string, contactId: string, channel: string, externalId: string): Promise<void> {
    await this.db.insertInto('contactIdentities').values({
      orgId, contactId, channel, externalId: await this.identityIndex(orgId, channel, externalId), createdAt: Date.now(),
    }).onConflict((oc) => oc.doNothing()).execute();
  }

  async setIdentityOptOut(orgId: string, channel: string, externalId: string, at: number | null): Promise<boolean> {
    const r = await this.db.updateTable('contactIdentities').set({ optedOutAt: at })
      .where('orgId', '=', orgId).where('channel', '=', channel)
      .where('externalId', '=', await this.identityIndex(orgId, channel, externalId)).executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async identityOptOut(orgId: string, channel: string, externalId: string): Promise<number | null> {
    const r = await this.db.selectFrom('contactIdentities').select('optedOutAt')
      .where('orgId', '=', orgId).where('channel', '=', channel)
      .where('externalId', '=', await this.identityIndex(orgId, channel, externalId)).executeTakeFirst();
    return r?.optedOutAt == null ? null : Number(r.optedOutAt);
  }

  async getContact(orgId: string, id: string): Promise<Contact | undefined> {
    const r = await this.db.selectFrom('contacts').selectAll().where('orgId', '=', orgId).where('id', '=', id).executeTakeFirst();
    return r && this.openContact(r);
  }

  async upsertSlackStaff(orgId: string, slackUserId: string, displayName: string): Promise<Staff> {
    const now = Date.now();
    await this.db.insertInto('staff')
      .values({ id: newId('stf'), orgId, displayName, email: null, role: 'agent', slackUserId, createdAt: now, updatedAt: now })
      .onConflict((oc) => oc.columns(['orgId', 'slackUserId']).doUpdateSet({ displayName, updatedAt: now }))
      .execute();
    const r = await this.db.selectFrom('staff').selectAll()
      .where('orgId', '=', orgId).where('slackUserId', '=', slackUserId).executeTakeFirstOrThrow();
    return toStaff(r);
  }

  async getStaff(orgId: string, id: string): Promise<Staff | undefined> {
    const r = await this.db.selectFrom('staff').selectAll().where('orgId', '=', orgId).where('id', '=', id).executeTakeFirst();
    return r && toStaff(r);
  }

  async createConversation(c: Conversation): Promise<Conversation> {
    // Five characters from a 31-letter alphabet: by 3,000 conversations a practice has one chance in
    // six that some new one drew a reference already taken, by 30,000 it is certain. Draw again.
    for (let attempt = 0; ; attempt++) {
      const conversation = attempt === 0 ? c : withFields(c, { ref: newConversationRef(attempt < 5 ? 5 : 7) });
      const r = await this.db.insertInto('conversations').values(conversation)
        .onConflict((oc) => oc.columns(['orgId', 'ref']).doNothing()).executeTakeFirst();
      if (Number(r.numInsertedOrUpdatedRows ?? 0) === 1) return conversation;
      if (attempt >= 10) throw new Error('no free conversation reference');
    }
  }

  async getConversation(orgId: string, id: string): Promise<Conversation | undefined> {
    const r = await this.db.selectFrom('conversations').selectAll().where('orgId', '=', orgId).where('id', '=', id).executeTakeFirst();
    return r && toConversation(r);
  }

  async findLatestConversation(orgId: string, inboxId: string, contactId: string): Promise<Conversation | undefined> {
    const [r] = await latestConversation.rows(this.db, this.dialect, { orgId, contactId, inboxId });
    return r && toConversation(r);
  }

  async findConversationBySlackThread(channelId: string, threadTs: string): Promise<Conversation | undefined> {
    const r = await this.db.selectFrom('conversations').selectAll()
      .where('slackChannelId', '=', channelId).where('slackThreadTs', '=', threadTs).executeTakeFirst();
    return r && toConversation(r);
  }

  async updateConversation(orgId: string, id: string, patch: ConversationPatch): Promise<void> {
    const args = { orgId, id };
    const shape = copyDefined(patch, args);
    if (!shape) return;
    await updateConversationRow.execute(this.db, this.dialect, args as ConversationPatch & typeof args, shape);
  }

  async insertMessage(m: NewMessage): Promise<{ message: Message; created: boolean }> {
    // The row id is part of the ciphertext's associated data. As the only writer, the id is known
    // before the insert and the body goes in sealed; otherwise the row goes in with an empty body,
    // sealed once the database has given it an id, in the caller's transaction. An id taken by a
    // message that then turned out to be a resend, or rolled back, is simply never used.
    const row = {} as NewMessage & { id?: number };
    const shape = copyDefined(m, row);
    let inserted: { id: number } | undefined;
    if (this.soleWriter) {
      // Once per group commit: on the connection directly, like the group's other statements.
      this.messageIds ??= Number((await executeCompiled<{ seq: number }>(this.db, lastMessageId)).rows[0]?.seq ?? 0);
      const id = ++this.messageIds;
      // Into the row itself: it is this method's own object, so no copy of it is needed. `body`
      // keeps its place among the fields; `id` comes last.
      row.body = await this.crypto.seal(this.db, m.orgId, 'messages', 'body', id, m.body);
      row.id = id;
      const { numAffectedRows } = await insertMessageRowWithId.execute(this.db, this.dialect, row as NewMessage & { id: number }, `${shape},id`);
      if (numAffectedRows) inserted = { id };
    } else {
      row.body = '';
      [inserted] = await insertMessageRow.rows(this.db, this.dialect, row, shape);
    }
    if (inserted) {
      const id = Number(inserted.id);
      if (!this.soleWriter) {
        await sealMessageBody.execute(this.db, this.dialect, { id, body: await this.crypto.seal(this.db, m.orgId, 'messages', 'body', id, m.body) });
      }
      if (!this.terms) await writeMessageTerms(this.db, this.crypto, [{ id, orgId: m.orgId, body: m.body }]);
      return { message: { deliveryStatus: null, deliveryError: null, ...m, id }, created: true };
    }
    let q = this.db.selectFrom('messages').selectAll().where('orgId', '=', m.orgId);
    q = m.clientId != null
      ? q.where('conversationId', '=', m.conversationId).where('clientId', '=', m.clientId)
      : q.where('source', '=', m.source).where('sourceId', '=', m.sourceId);
    const existing = await q.executeTakeFirstOrThrow();
    return { message: await this.openMessage(existing), created: false };
  }

  async getMessage(orgId: string, id: number): Promise<Message | undefined> {
    const r = await this.db.selectFrom('messages').selectAll().where('orgId', '=', orgId).where('id', '=', id).executeTakeFirst();
    return r && this.openMessage(r);
  }

  async setDeliveryStatus(orgId: string, messageId: number, d: { status: string; error?: string | null; externalId?: string }): Promise<void> {
    await this.db.updateTable('messages').set({
      deliveryStatus: d.status, ...(d.error !== undefined ? { deliveryError: d.error } : {}), ...(d.externalId ? { externalId: d.externalId } : {}),
    }).where('orgId', '=', orgId).where('id', '=', messageId).execute();
  }

  async findMessageByExternalId(externalId: string): Promise<Message | undefined> {
    const r = await this.db.selectFrom('messages').selectAll().where('externalId', '=', externalId).executeTakeFirst();
    return r && this.openMessage(r);
  }

  async firstMessage(orgId: string, conversationId: string): Promise<Message | undefined> {
    const r = await this.db.selectFrom('messages').selectAll()
      .where('orgId', '=', orgId).where('conversationId', '=', conversationId).where('kind', '=', 'message')
      .orderBy('id').limit(1).executeTakeFirst();
    return r && this.openMessage(r);
  }

  async listContactMessagesAfter(orgId: string, inboxId: string, contactId: string, afterId: number, limit: number): Promise<Message[]> {
    // Newest `limit` after the cursor, returned oldest first: a long-absent visitor gets the recent
    // history, not the first page of it.
    const rows = await this.db.selectFrom('messages as m')
      .innerJoin('conversations as c', 'c.id', 'm.conversationId')
      .selectAll('m')
      .where('c.orgId', '=', orgId).where('c.inboxId', '=', inboxId).where('c.contactId', '=', contactId)
      .where('m.kind', '=', 'message').where('m.id', '>', afterId)
      .orderBy('m.id', 'desc').limit(limit).execute();
    return Promise.all(rows.reverse().map((r) => this.openMessage(r)));
  }

  async enqueueJob(job: NewJob): Promise<number | undefined> {
    const now = Date.now();
    const plain = JSON.stringify(job.payload);
    const r = await this.db.insertInto('jobs').values({
      orgId: job.orgId, kind: job.kind, payload: job.sensitive ? '{}' : plain, dedupeKey: job.dedupeKey ?? null,
      queueKey: job.queueKey, status: 'pending', attempts: 0, runAt: job.runAt ?? now, lockedUntil: null,
      lastError: null, createdAt: now, updatedAt: now,
    }).onConflict((oc) => oc.doNothing()).returning('id').executeTakeFirst();
    if (!r) return undefined;
    const id = Number(r.id);
    if (job.sensitive) {
      // Webhook payloads carry message text: sealed like any other stored PHI until processed.
      const owner = job.orgId ?? SYSTEM_KEY_OWNER;
      await this.db.updateTable('jobs').set({ payload: await this.crypto.seal(this.db, owner, 'jobs', 'payload', id, plain) })
        .where('id', '=', id).execute();
    }
    return id;
  }
}

export class KyselyStore extends KyselyOps implements Store {
  private readonly grouped: GroupCommit<StoreOps> | undefined;
  readonly wordIndex: DeferredWordIndex | undefined;
  readonly dataKeyChanges: DataKeyChanges | undefined;

  /**
   * SQLite only (one writer at a time): `groupCommit`, transactions that queue up share one COMMIT
   * (see sqlite/group-commit.ts), its prepared statements run on the connection by `runner` (see
   * sqlite/direct-statements.ts); `deferredTerms`, the word index is written in batches behind the
   * messages (see sqlite/deferred-terms.ts); `announceKeyChanges`, `dataKeyChanges` tells the
   * writer thread's connection when to drop its cached data keys.
   */
  constructor(
    private readonly root: Kysely<Database>, override readonly dialect: Dialect, crypto: FieldCrypto,
    private readonly options: {
      groupCommit?: { waitWhenBusy: boolean; runner?: StatementRunner; betweenGroups?: () => void }; deferredTerms?: boolean; announceKeyChanges?: boolean; beforeClose?: () => Promise<void>; afterClose?: () => void;
    } = {},
  ) {
    const terms = options.deferredTerms ? new DeferredTermIndex(root, crypto) : undefined;
    super(root, dialect, crypto, terms);
    this.wordIndex = terms;
    this.dataKeyChanges = options.announceKeyChanges ? crypto : undefined;
    const group = options.groupCommit;
    this.grouped = group
      ? new GroupCommit<StoreOps>(root, (db) => new KyselyOps(db, dialect, crypto, terms, true), {
        waitWhenBusy: group.waitWhenBusy, ...(group.runner ? { runner: group.runner } : {}), ...(group.betweenGroups ? { betweenGroups: group.betweenGroups } : {}),
      })
      : undefined;
    // The word index is written behind the messages; while they keep coming (a commit within the
    // last 50 ms), it waits for a pause.
    if (this.grouped && terms) {
      const grouped = this.grouped;
      terms.yieldWhile(() => grouped.busy(50));
    }
  }

  async migrate(): Promise<void> {
    const migrator = new Migrator({ db: this.root, provider: migrationProvider(this.dialect) });
    const { error, results } = await migrator.migrateToLatest();
    const failed = results?.find((r) => r.status === 'Error');
    if (error || failed) {
      throw new Error(`Database migration ${failed?.migrationName ?? ''} failed`, { cause: error });
    }
    this.terms?.start();
  }

  transaction<T>(fn: (tx: StoreOps) => Promise<T>): Promise<T> {
    if (this.grouped) return this.grouped.run(fn);
    return this.root.transaction().execute((trx) => fn(new KyselyOps(trx, this.dialect, this.crypto, this.terms)));
  }

  async claimJobs(now: number, limit: number, leaseMs: number): Promise<Job[]> {
    // A job is due when pending and its time has come, or running with an expired lease (its
    // worker died). It may run only if no older job of its queue key is still unfinished.
    const candidates = await this.root.selectFrom('jobs as j')
      .select(['j.id'])
      .where((eb) => eb.or([
        eb.and([eb('j.status', '=', 'pending'), eb('j.runAt', '<=', now)]),
        eb.and([eb('j.status', '=', 'running'), eb('j.lockedUntil', '<', now)]),
      ]))
      .where(({ not, exists, selectFrom }) => not(exists(
        selectFrom('jobs as e').select('e.id')
          .whereRef('e.queueKey', '=', 'j.queueKey')
          .whereRef('e.id', '<', 'j.id')
          .where('e.status', 'in', ['pending', 'running']),
      )))
      .orderBy('j.id').limit(limit).execute();

    const claimed: Job[] = [];
    for (const { id } of candidates) {
      // Compare-and-set: on PostgreSQL with many nodes, only one of them wins each job.
      const row = await this.root.updateTable('jobs')
        .set({ status: 'running', lockedUntil: now + leaseMs, attempts: sql`attempts + 1`, updatedAt: now })
        .where('id', '=', id)
        .where((eb) => eb.or([
          eb.and([eb('status', '=', 'pending'), eb('runAt', '<=', now)]),
          eb.and([eb('status', '=', 'running'), eb('lockedUntil', '<', now)]),
        ]))
        .returningAll().executeTakeFirst();
      if (row) {
        const payload = await this.crypto.open(this.root, row.orgId ?? SYSTEM_KEY_OWNER, 'jobs', 'payload', Number(row.id), row.payload);
        claimed.push({
          id: Number(row.id), orgId: row.orgId, kind: row.kind, payload: JSON.parse(payload) as unknown,
          queueKey: row.queueKey, attempts: row.attempts, lastError: row.lastError, createdAt: Number(row.createdAt),
        });
      }
    }
    return claimed;
  }

  async completeJob(id: number, now: number): Promise<void> {
    await this.root.updateTable('jobs')
      .set({ status: 'done', payload: '{}', lockedUntil: null, lastError: null, updatedAt: now })
      .where('id', '=', id).execute();
  }

  async retryJob(id: number, runAt: number, error: string, now: number): Promise<void> {
    await this.root.updateTable('jobs')
      .set({ status: 'pending', runAt, lockedUntil: null, lastError: error.slice(0, 500), updatedAt: now })
      .where('id', '=', id).execute();
  }

  async buryJob(id: number, error: string, now: number): Promise<void> {
    await this.root.updateTable('jobs')
      .set({ status: 'dead', lockedUntil: null, lastError: error.slice(0, 500), updatedAt: now })
      .where('id', '=', id).execute();
  }

  async skipJob(id: number, reason: string, now: number): Promise<void> {
    await this.root.updateTable('jobs')
      .set({ status: 'skipped', payload: '{}', lockedUntil: null, lastError: reason.slice(0, 500), updatedAt: now })
      .where('id', '=', id).execute();
  }

  async jobCounts(): Promise<JobCounts> {
    const rows = await this.root.selectFrom('jobs').select(['status', (eb) => eb.fn.countAll<number>().as('n')])
      .groupBy('status').execute();
    const counts: JobCounts = { pending: 0, running: 0, dead: 0, done: 0 };
    for (const r of rows) {
      if (r.status in counts) counts[r.status as 'pending' | 'running' | 'dead' | 'done'] = Number(r.n);
    }
    const oldest = await this.root.selectFrom('jobs').select((eb) => eb.fn.min<number>('createdAt').as('at'))
      .where('status', 'in', ['pending', 'running']).executeTakeFirst();
    counts.oldestWaitingAt = oldest?.at == null ? null : Number(oldest.at);
    return counts;
  }

  async requeueDeadJobs(now: number): Promise<number> {
    const r = await this.root.updateTable('jobs')
      .set({ status: 'pending', runAt: now, attempts: 0, updatedAt: now })
      .where('status', '=', 'dead').executeTakeFirst();
    return Number(r.numUpdatedRows);
  }

  rotateDataKey(orgId: string): Promise<number> {
    return this.crypto.addDataKeyVersion(this.root, orgId);
  }

  /**
   * Re-seals up to `limit` rows of an organization still sealed under an older data-key version
   * (or written before encryption existed); returns how many. Each row in its own short update,
   * so the server keeps serving while a rotation runs.
   */
  async reencryptBatch(orgId: string, limit: number): Promise<number> {
    this.crypto.forget(orgId);
    const version = await this.crypto.currentVersion(this.root, orgId);
    const current = `e1.${version}.%`;
    let done = 0;
    const contacts = await this.root.selectFrom('contacts').selectAll().where('orgId', '=', orgId)
      .where((eb) => eb.or(['displayName', 'email', 'phone'].map((col) =>
        eb.and([eb(col as 'email', 'is not', null), eb(col as 'email', 'not like', current)]))))
      .limit(limit).execute();
    for (const r of contacts) {
      const c = await this.openContact(r);
      await this.root.updateTable('contacts').set(await this.sealContactFields(orgId, c.id, c)).where('id', '=', c.id).execute();
      done++;
    }
    const messages = await this.root.selectFrom('messages').selectAll().where('orgId', '=', orgId).where('body', 'not like', current)
      .limit(Math.max(0, limit - done)).execute();
    for (const r of messages) {
      const m = await this.openMessage(r);
      await this.root.updateTable('messages').set({ body: await this.crypto.seal(this.root, orgId, 'messages', 'body', m.id, m.body) })
        .where('id', '=', m.id).execute();
      done++;
    }
    done += await this.attachments.reencryptBatch(orgId, current, limit - done);
    if (done < limit) done += await resealColumns(this.root, this.crypto, orgId, current.slice(0, -1), limit - done);
    if (done < limit) done += await this.slack.reencrypt(orgId, current.slice(0, -1));
    return done;
  }

  retireOldDataKeys(orgId: string): Promise<void> {
    return this.crypto.currentVersion(this.root, orgId).then((v) => this.crypto.retireDataKeysBelow(this.root, orgId, v));
  }

  /** Re-wraps every data key under a new master key (see FieldCrypto.rewrapAll). */
  rewrapDataKeys(next: MasterKey): Promise<number> {
    return this.crypto.rewrapAll(this.root, next);
  }

  async close(): Promise<void> {
    await this.terms?.stop();
    await this.options.beforeClose?.();
    await this.root.destroy();
    this.options.afterClose?.();
  }
}
