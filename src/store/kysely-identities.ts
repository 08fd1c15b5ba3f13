/**
 * Channel addresses of a contact (see IdentityStoreOps): sealed like every other PHI column, bound to
 * their identity row (channel and blind index) so a value moved to another row does not open.
 */
import type { Kysely, Transaction } from 'kysely';
import type { FieldCrypto } from './field-crypto.ts';
import type { Database } from './schema.ts';
import type { ChannelAddress, IdentityStoreOps } from './types.ts';

type Db = Kysely<Database> | Transaction<Database>;

export class KyselyIdentityOps implements IdentityStoreOps {
  constructor(private readonly db: Db, private readonly crypto: FieldCrypto) {}

  private index(orgId: string, channel: string, externalId: string): Promise<string> {
    // Same index as the store's identity lookups.
    return this.crypto.index(this.db, orgId, `identity:${channel}`, externalId);
  }

  async recordInbound(orgId: string, channel: string, externalId: string, address: string, at: number): Promise<boolean> {
    const index = await this.index(orgId, channel, externalId);
    const sealed = await this.crypto.seal(this.db, orgId, 'contact_identities', 'address', `${channel}:${index}`, address);
    const row = await this.db.selectFrom('contactIdentities').select('lastInboundAt')
      .where('orgId', '=', orgId).where('channel', '=', channel).where('externalId', '=', index).executeTakeFirst();
    // A late redelivery of an older message must not move the time back.
    const last = Math.max(at, row?.lastInboundAt == null ? 0 : Number(row.lastInboundAt));
    const r = await this.db.updateTable('contactIdentities').set({ address: sealed, lastInboundAt: last })
      .where('orgId', '=', orgId).where('channel', '=', channel).where('externalId', '=', index).executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async addresses(orgId: string, contactId: string, channel: string): Promise<ChannelAddress[]> {
    const rows = await this.db.selectFrom('contactIdentities').select(['externalId', 'address', 'lastInboundAt', 'optedOutAt'])
      .where('orgId', '=', orgId).where('contactId', '=', contactId).where('channel', '=', channel).where('address', 'is not', null)
      .orderBy('lastInboundAt', 'desc').execute();
    return Promise.all(rows.map(async (r) => ({
      address: await this.crypto.open(this.db, orgId, 'contact_identities', 'address', `${channel}:${r.externalId}`, r.address as string),
      lastInboundAt: r.lastInboundAt == null ? null : Number(r.lastInboundAt),
      optedOutAt: r.optedOutAt == null ? null : Number(r.optedOutAt),
    })));
  }
}
