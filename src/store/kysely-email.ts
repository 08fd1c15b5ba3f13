/** E-mail threading rows and webhook tokens (EmailStoreOps). Message-IDs are looked up by blind
 *  index and stored sealed: some mail programs put the sender's name or address in them. */
import type { Kysely, Transaction } from 'kysely';
import type { EmailStoreOps, EmailThreadEntry } from './email-types.ts';
import type { FieldCrypto } from './field-crypto.ts';
import type { Database } from './schema.ts';

type Db = Kysely<Database> | Transaction<Database>;

const PURPOSE = 'email-message-id';

export class KyselyEmailOps implements EmailStoreOps {
  constructor(private readonly db: Db, private readonly crypto: FieldCrypto) {}

  private index(orgId: string, header: string): Promise<string> {
    return this.crypto.index(this.db, orgId, PURPOSE, header.trim().toLowerCase());
  }

  async recordMessageId(orgId: string, conversationId: string, e: EmailThreadEntry, now: number): Promise<void> {
    const inserted = await this.db.insertInto('emailMessageIds').values({
      orgId, conversationId, messageId: e.messageId, direction: e.direction, headerIndex: await this.index(orgId, e.header),
      header: '', subject: null, createdAt: now,
    }).onConflict((oc) => oc.doNothing()).returning('id').executeTakeFirst();
    if (!inserted) return;
    // Sealed once the row id exists: it is part of the associated data.
    const id = Number(inserted.id);
    await this.db.updateTable('emailMessageIds').set({
      header: await this.crypto.seal(this.db, orgId, 'email_message_ids', 'header', id, e.header),
      subject: await this.crypto.sealNullable(this.db, orgId, 'email_message_ids', 'subject', id, e.subject),
    }).where('id', '=', id).execute();
  }

  async findByMessageIds(orgId: string, headers: string[]) {
    const wanted = [...new Set(headers.filter((h) => h.length > 0 && h.length <= 998))].slice(-50);
    if (wanted.length === 0) return undefined;
    const indexes = await Promise.all(wanted.map((h) => this.index(orgId, h)));
    const r = await this.db.selectFrom('emailMessageIds').select(['conversationId', 'messageId', 'direction'])
      .where('orgId', '=', orgId).where('headerIndex', 'in', indexes).orderBy('id', 'desc').limit(1).executeTakeFirst();
    return r && { conversationId: r.conversationId, messageId: r.messageId == null ? null : Number(r.messageId), direction: r.direction as 'in' | 'out' };
  }

  async thread(orgId: string, conversationId: string): Promise<EmailThreadEntry[]> {
    const rows = await this.db.selectFrom('emailMessageIds').selectAll()
      .where('orgId', '=', orgId).where('conversationId', '=', conversationId).orderBy('id').execute();
    return Promise.all(rows.map(async (r) => ({
      header: await this.crypto.open(this.db, orgId, 'email_message_ids', 'header', Number(r.id), r.header),
      subject: await this.crypto.openNullable(this.db, orgId, 'email_message_ids', 'subject', Number(r.id), r.subject),
      direction: r.direction as 'in' | 'out',
      messageId: r.messageId == null ? null : Number(r.messageId),
    })));
  }

  async useWebhookToken(tokenHash: string, now: number): Promise<boolean> {
    const r = await this.db.insertInto('webhookTokens').values({ tokenHash, seenAt: now })
      .onConflict((oc) => oc.doNothing()).returning('tokenHash').executeTakeFirst();
    return r !== undefined;
  }

  async releaseWebhookToken(tokenHash: string): Promise<void> {
    await this.db.deleteFrom('webhookTokens').where('tokenHash', '=', tokenHash).execute();
  }

  async pruneWebhookTokens(before: number): Promise<void> {
    await this.db.deleteFrom('webhookTokens').where('seenAt', '<', before).execute();
  }
}
