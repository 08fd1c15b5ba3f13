/** Attachments: content and file name sealed per row (see migration 008). */
import type { Kysely, Transaction } from 'kysely';
import type { AttachmentInfo } from '../domain/types.ts';
import type { FieldCrypto } from './field-crypto.ts';
import type { Database } from './schema.ts';
import type { AttachmentStoreOps, NewAttachment } from './staff-types.ts';

type Db = Kysely<Database> | Transaction<Database>;

export class KyselyAttachmentOps implements AttachmentStoreOps {
  constructor(private readonly db: Db, private readonly crypto: FieldCrypto) {}

  async insert(a: NewAttachment): Promise<boolean> {
    const seal = (column: string, bytes: Buffer) => this.crypto.sealBytes(this.db, a.orgId, 'attachments', column, a.id, bytes);
    const r = await this.db.insertInto('attachments').values({
      id: a.id, orgId: a.orgId, messageId: a.messageId, contentType: a.contentType, size: a.data.length, createdAt: a.createdAt,
      filename: await seal('filename', Buffer.from(a.filename, 'utf8')), data: await seal('data', a.data),
    }).onConflict((oc) => oc.column('id').doNothing()).executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  async listForMessages(orgId: string, messageIds: number[]): Promise<AttachmentInfo[]> {
    if (messageIds.length === 0) return [];
    const rows = await this.db.selectFrom('attachments').select(['id', 'messageId', 'filename', 'contentType', 'size'])
      .where('orgId', '=', orgId).where('messageId', 'in', messageIds).orderBy('createdAt').orderBy('id').execute();
    return Promise.all(rows.map(async (r) => ({
      id: r.id, messageId: Number(r.messageId), contentType: r.contentType, size: Number(r.size),
      filename: (await this.crypto.openBytes(this.db, orgId, 'attachments', 'filename', r.id, r.filename)).toString('utf8'),
    })));
  }

  async get(orgId: string, id: string): Promise<(AttachmentInfo & { data: Buffer }) | undefined> {
    const r = await this.db.selectFrom('attachments').selectAll().where('orgId', '=', orgId).where('id', '=', id).executeTakeFirst();
    if (!r) return undefined;
    const open = (column: string, v: string) => this.crypto.openBytes(this.db, orgId, 'attachments', column, r.id, v);
    return {
      id: r.id, messageId: Number(r.messageId), contentType: r.contentType, size: Number(r.size),
      filename: (await open('filename', r.filename)).toString('utf8'), data: await open('data', r.data),
    };
  }

  async reencryptBatch(orgId: string, currentPrefix: string, limit: number): Promise<number> {
    if (limit <= 0) return 0;
    const rows = await this.db.selectFrom('attachments').select('id').where('orgId', '=', orgId)
      .where((eb) => eb.or([eb('data', 'not like', currentPrefix), eb('filename', 'not like', currentPrefix)])).limit(limit).execute();
    for (const { id } of rows) {
      const a = await this.get(orgId, id);
      if (!a) continue;
      const seal = (column: string, bytes: Buffer) => this.crypto.sealBytes(this.db, orgId, 'attachments', column, id, bytes);
      await this.db.updateTable('attachments')
        .set({ filename: await seal('filename', Buffer.from(a.filename, 'utf8')), data: await seal('data', a.data) })
        .where('orgId', '=', orgId).where('id', '=', id).execute();
    }
    return rows.length;
  }
}
