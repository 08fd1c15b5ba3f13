/** Records management: legal hold, consent, retention, export and erasure (see RecordsStoreOps). */
import type { Kysely, Transaction } from 'kysely';
import type { ChannelKind, Consent, Conversation } from '../domain/types.ts';
import type { FieldCrypto } from './field-crypto.ts';
import { toConversation, toMessage } from './rows.ts';
import type { Database } from './schema.ts';
import type { RecordsStoreOps, SecureLink } from './staff-types.ts';
import { withFields } from '../domain/with-fields.ts';

type Db = Kysely<Database> | Transaction<Database>;

export class KyselyRecordsOps implements RecordsStoreOps {
  constructor(private readonly db: Db, private readonly crypto: FieldCrypto) {}

  async setLegalHold(orgId: string, contactId: string, hold: { reason: string; at: number } | null): Promise<boolean> {
    const r = await this.db.updateTable('contacts')
      .set({ legalHoldAt: hold?.at ?? null, legalHoldReason: hold ? await this.crypto.seal(this.db, orgId, 'contacts', 'legal_hold_reason', contactId, hold.reason) : null })
      .where('orgId', '=', orgId).where('id', '=', contactId).executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async legalHold(orgId: string, contactId: string): Promise<{ at: number; reason: string } | null> {
    const r = await this.db.selectFrom('contacts').select(['legalHoldAt', 'legalHoldReason']).where('orgId', '=', orgId).where('id', '=', contactId).executeTakeFirst();
    if (!r || r.legalHoldAt == null) return null;
    return { at: Number(r.legalHoldAt), reason: await this.crypto.openNullable(this.db, orgId, 'contacts', 'legal_hold_reason', contactId, r.legalHoldReason) ?? '' };
  }

  async addConsent(orgId: string, c: Omit<Consent, 'id'>): Promise<Consent> {
    const r = await this.db.insertInto('consents').values({
      orgId, contactId: c.contactId, channel: c.channel, granted: c.granted ? 1 : 0, wording: c.wording, source: c.source,
      recordedBy: c.recordedBy, recordedAt: c.recordedAt,
    }).returning('id').executeTakeFirstOrThrow();
    return withFields(c, { id: Number(r.id) });
  }

  async listConsents(orgId: string, contactId: string): Promise<Consent[]> {
    const rows = await this.db.selectFrom('consents').selectAll().where('orgId', '=', orgId).where('contactId', '=', contactId).orderBy('id').execute();
    return rows.map((r) => ({
      id: Number(r.id), contactId: r.contactId, channel: r.channel as ChannelKind, granted: r.granted === 1, wording: r.wording,
      source: r.source as Consent['source'], recordedBy: r.recordedBy, recordedAt: Number(r.recordedAt),
    }));
  }

  async deleteExpiredMessages(orgId: string, before: number, limit: number): Promise<number> {
    const ids = await this.db.selectFrom('messages as m')
      .innerJoin('conversations as c', 'c.id', 'm.conversationId')
      .innerJoin('contacts as ct', 'ct.id', 'c.contactId')
      .select('m.id')
      .where('m.orgId', '=', orgId).where('m.createdAt', '<', before).where('ct.legalHoldAt', 'is', null)
      .orderBy('m.id').limit(limit).execute();
    if (ids.length === 0) return 0;
    // E-mail subjects kept for threading go with their messages; the Message-IDs stay for threading.
    await this.db.updateTable('emailMessageIds').set({ subject: null }).where('orgId', '=', orgId).where('messageId', 'in', ids.map((i) => Number(i.id))).execute();
    const r = await this.db.deleteFrom('messages').where('id', 'in', ids.map((i) => Number(i.id))).executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  async conversationsOfContact(orgId: string, contactId: string): Promise<Conversation[]> {
    const rows = await this.db.selectFrom('conversations').selectAll().where('orgId', '=', orgId).where('contactId', '=', contactId).orderBy('createdAt').execute();
    return rows.map(toConversation);
  }

  async messagesOfConversations(orgId: string, conversationIds: string[]) {
    if (conversationIds.length === 0) return [];
    const rows = await this.db.selectFrom('messages').selectAll().where('orgId', '=', orgId).where('conversationId', 'in', conversationIds).orderBy('id').execute();
    return Promise.all(rows.map(async (r) => {
      const m = toMessage(r);
      return withFields(m, { body: await this.crypto.open(this.db, orgId, 'messages', 'body', m.id, m.body) });
    }));
  }

  async eraseContact(orgId: string, contactId: string): Promise<{ conversations: number; messages: number }> {
    const conversations = await this.conversationsOfContact(orgId, contactId);
    const ids = conversations.map((c) => c.id);
    let messages = 0;
    if (ids.length) {
      const m = await this.db.selectFrom('messages').select((eb) => eb.fn.countAll<number>().as('n')).where('conversationId', 'in', ids).executeTakeFirstOrThrow();
      messages = Number(m.n);
      // Deliveries still queued for these conversations would only fail now: drop them.
      await this.db.deleteFrom('jobs').where('status', 'in', ['pending', 'dead'])
        .where('queueKey', 'in', ids.flatMap((id) => [`slack:${id}`, `deliver:${id}`])).execute();
      await this.db.deleteFrom('conversations').where('orgId', '=', orgId).where('id', 'in', ids).execute();
    }
    await this.db.deleteFrom('contacts').where('orgId', '=', orgId).where('id', '=', contactId).execute();
    return { conversations: ids.length, messages };
  }

  async mergeContacts(orgId: string, fromId: string, intoId: string): Promise<{ conversations: number }> {
    await this.db.updateTable('contactIdentities').set({ contactId: intoId }).where('orgId', '=', orgId).where('contactId', '=', fromId).execute();
    const moved = await this.db.updateTable('conversations').set({ contactId: intoId })
      .where('orgId', '=', orgId).where('contactId', '=', fromId).executeTakeFirst();
    await this.db.updateTable('consents').set({ contactId: intoId }).where('orgId', '=', orgId).where('contactId', '=', fromId).execute();
    const [from, into] = await Promise.all([
      this.db.selectFrom('contacts').selectAll().where('orgId', '=', orgId).where('id', '=', fromId).executeTakeFirstOrThrow(),
      this.db.selectFrom('contacts').selectAll().where('orgId', '=', orgId).where('id', '=', intoId).executeTakeFirstOrThrow(),
    ]);
    // Sealed values are bound to their row: re-seal what is carried over for the surviving contact.
    const carry = async (column: 'displayName' | 'email' | 'phone' | 'dateOfBirth', sqlName: string) =>
      into[column] === null && from[column] !== null
        ? this.crypto.seal(this.db, orgId, 'contacts', sqlName, intoId, await this.crypto.open(this.db, orgId, 'contacts', sqlName, fromId, from[column] as string))
        : undefined;
    // Each part is a literal made here (Object.assign rather than a leading spread: see domain/with-fields.ts).
    const patch = Object.assign(
      {},
      await carry('displayName', 'display_name').then((v) => (v ? { displayName: v } : {})),
      await carry('email', 'email').then((v) => (v ? { email: v, emailIndex: from.emailIndex } : {})),
      await carry('phone', 'phone').then((v) => (v ? { phone: v, phoneIndex: from.phoneIndex } : {})),
      await carry('dateOfBirth', 'date_of_birth').then((v) => (v ? { dateOfBirth: v } : {})),
      into.legalHoldAt == null && from.legalHoldAt != null ? { legalHoldAt: from.legalHoldAt,
        legalHoldReason: from.legalHoldReason && await this.crypto.seal(this.db, orgId, 'contacts', 'legal_hold_reason', intoId,
          await this.crypto.open(this.db, orgId, 'contacts', 'legal_hold_reason', fromId, from.legalHoldReason)) } : {},
    );
    if (Object.keys(patch).length) await this.db.updateTable('contacts').set(withFields(patch, {
      updatedAt: Date.now(),
    })).where('id', '=', intoId).execute();
    await this.db.deleteFrom('contacts').where('orgId', '=', orgId).where('id', '=', fromId).execute();
    return { conversations: Number(moved.numUpdatedRows) };
  }

  async setDateOfBirth(orgId: string, contactId: string, dateOfBirth: string | null): Promise<boolean> {
    const r = await this.db.updateTable('contacts')
      .set({ dateOfBirth: await this.crypto.sealNullable(this.db, orgId, 'contacts', 'date_of_birth', contactId, dateOfBirth) })
      .where('orgId', '=', orgId).where('id', '=', contactId).executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async dateOfBirth(orgId: string, contactId: string): Promise<string | null> {
    const r = await this.db.selectFrom('contacts').select('dateOfBirth').where('orgId', '=', orgId).where('id', '=', contactId).executeTakeFirst();
    return this.crypto.openNullable(this.db, orgId, 'contacts', 'date_of_birth', contactId, r?.dateOfBirth ?? null);
  }

  async createSecureLink(link: SecureLink): Promise<void> {
    await this.db.insertInto('secureLinks').values(link).execute();
  }

  async findSecureLink(tokenHash: string): Promise<SecureLink | undefined> {
    const r = await this.db.selectFrom('secureLinks').selectAll().where('tokenHash', '=', tokenHash).executeTakeFirst();
    const n = (v: number | null) => (v == null ? null : Number(v));
    return r && withFields(r, {
      createdAt: Number(r.createdAt), expiresAt: Number(r.expiresAt), codeExpiresAt: n(r.codeExpiresAt),
      readerExpiresAt: n(r.readerExpiresAt), codesSent: Number(r.codesSent), failedAttempts: Number(r.failedAttempts),
    });
  }

  async updateSecureLink(tokenHash: string, patch: Partial<Omit<SecureLink, 'tokenHash' | 'orgId' | 'conversationId'>>): Promise<void> {
    await this.db.updateTable('secureLinks').set(patch).where('tokenHash', '=', tokenHash).execute();
  }

  async deleteOrganization(orgId: string): Promise<void> {
    // Crypto-shredding first: without its keys, any copy of the practice's data (a backup, a
    // replica, free pages of the database file) is unreadable.
    await this.db.deleteFrom('dataKeys').where('orgId', '=', orgId).execute();
    await this.db.deleteFrom('jobs').where('orgId', '=', orgId).execute();
    await this.db.deleteFrom('messageTerms').where('orgId', '=', orgId).execute();
    await this.db.deleteFrom('organizations').where('id', '=', orgId).execute();
    this.crypto.forget(orgId);
  }
}
