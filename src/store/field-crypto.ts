/**
 * Per-organization envelope encryption of PHI columns, and keyed blind indexes.
 *
 * - Data keys (AES-256, one current version per organization) are stored wrapped by the master
 *   key; unwrapped copies live only in memory.
 * - A sealed field is `e1.<key version>.<base64 iv|tag|ciphertext>`; its associated data is
 *   `<org>|<table>|<column>|<row id>`.
 * - Blind indexes are HMAC-SHA256 under a separate per-organization index key, which data-key
 *   rotation leaves alone (rotating it would mean rebuilding every index).
 * Key rows are read and created through the caller's executor, so this works inside transactions.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { gcmOpen, gcmSeal } from '../security/envelope.ts';
import type { MasterKey } from '../security/master-key.ts';
import type { Database } from './schema.ts';

type Db = Kysely<Database> | Transaction<Database>;

export const SYSTEM_KEY_OWNER = '__system__';
const PREFIX = 'e1.';

export class KeyUnavailableError extends Error {
  constructor(masterKeyId: string) {
    super(`A data key is wrapped by master key ${masterKeyId}, which this process was not given (check MASTER_KEY)`);
  }
}

export class FieldCrypto {
  /** orgId -> purpose -> version -> key */
  private readonly keys = new Map<string, Map<string, Map<number, Buffer>>>();
  private readonly current = new Map<string, number>();
  private readonly forgetListeners: Array<(orgId: string | undefined) => void> = [];

  constructor(private readonly master: MasterKey) {}

  get masterKeyId(): string {
    return this.master.id;
  }

  wrapAad(orgId: string, purpose: string, version: number): string {
    return `bedside-data-key|${orgId}|${purpose}|${version}`;
  }

  private async load(db: Db, orgId: string, purpose: string): Promise<Map<number, Buffer>> {
    const rows = await db.selectFrom('dataKeys').selectAll().where('orgId', '=', orgId).where('purpose', '=', purpose).execute();
    const byVersion = new Map<number, Buffer>();
    for (const r of rows) {
      if (r.masterKeyId !== this.master.id) throw new KeyUnavailableError(r.masterKeyId);
      byVersion.set(Number(r.version), gcmOpen(this.master.key, Buffer.from(r.wrapped, 'base64'), this.wrapAad(orgId, purpose, Number(r.version))));
    }
    let perOrg = this.keys.get(orgId);
    if (!perOrg) this.keys.set(orgId, (perOrg = new Map()));
    perOrg.set(purpose, byVersion);
    if (purpose === 'data') {
      const active = rows.filter((r) => r.retiredAt === null).map((r) => Number(r.version));
      if (active.length) this.current.set(orgId, Math.max(...active));
    }
    return byVersion;
  }

  /** Creates version `version` of a key (idempotent: a concurrent creator's key wins). */
  async createKey(db: Db, orgId: string, purpose: string, version: number): Promise<void> {
    const key = randomBytes(32);
    await db.insertInto('dataKeys').values({
      orgId, purpose, version, wrapped: gcmSeal(this.master.key, key, this.wrapAad(orgId, purpose, version)).toString('base64'),
      masterKeyId: this.master.id, createdAt: Date.now(), retiredAt: null,
    }).onConflict((oc) => oc.doNothing()).execute();
    this.keys.get(orgId)?.delete(purpose);
  }

  private async key(db: Db, orgId: string, purpose: string, version?: number): Promise<{ version: number; key: Buffer }> {
    let versions = this.keys.get(orgId)?.get(purpose);
    if (!versions || (version !== undefined && !versions.has(version))) versions = await this.load(db, orgId, purpose);
    if (versions.size === 0) {
      await this.createKey(db, orgId, purpose, 1);
      versions = await this.load(db, orgId, purpose);
    }
    const v = version ?? (purpose === 'data' ? this.current.get(orgId) : undefined) ?? Math.max(...versions.keys());
    const key = versions.get(v);
    if (!key) throw new Error(`data key version ${v} not found`);
    return { version: v, key };
  }

  /** Adds the next data-key version for an organization and makes it current; returns it. */
  async addDataKeyVersion(db: Kysely<Database>, orgId: string): Promise<number> {
    const r = await db.selectFrom('dataKeys').select((eb) => eb.fn.max('version').as('v'))
      .where('orgId', '=', orgId).where('purpose', '=', 'data').executeTakeFirst();
    const next = Number(r?.v ?? 0) + 1;
    await this.createKey(db, orgId, 'data', next);
    this.forget(orgId);
    return next;
  }

  async retireDataKeysBelow(db: Kysely<Database>, orgId: string, version: number): Promise<void> {
    await db.updateTable('dataKeys').set({ retiredAt: Date.now() })
      .where('orgId', '=', orgId).where('purpose', '=', 'data').where('version', '<', version).where('retiredAt', 'is', null).execute();
    this.forget(orgId);
  }

  /** Called after every `forget`: whoever caches these keys elsewhere drops them too. */
  subscribe(listener: (orgId: string | undefined) => void): void {
    this.forgetListeners.push(listener);
  }

  /** Forget cached keys (after a rotation by another process). */
  forget(orgId?: string): void {
    for (const listener of this.forgetListeners) listener(orgId);
    if (orgId) {
      this.keys.delete(orgId);
      this.current.delete(orgId);
    } else {
      this.keys.clear();
      this.current.clear();
    }
  }

  /**
   * Master-key rotation: every wrapped data key is unwrapped with the current master key and
   * wrapped again with the new one, in one transaction; data itself is untouched (no re-encryption).
   */
  async rewrapAll(db: Kysely<Database>, next: MasterKey): Promise<number> {
    const run = async (tx: Db) => {
      const rows = await tx.selectFrom('dataKeys').selectAll().execute();
      for (const r of rows) {
        if (r.masterKeyId === next.id) continue;
        if (r.masterKeyId !== this.master.id) throw new KeyUnavailableError(r.masterKeyId);
        const aad = this.wrapAad(r.orgId, r.purpose, Number(r.version));
        const key = gcmOpen(this.master.key, Buffer.from(r.wrapped, 'base64'), aad);
        await tx.updateTable('dataKeys').set({ wrapped: gcmSeal(next.key, key, aad).toString('base64'), masterKeyId: next.id })
          .where('orgId', '=', r.orgId).where('purpose', '=', r.purpose).where('version', '=', r.version).execute();
      }
      return rows.length;
    };
    // On PostgreSQL every store call already is a transaction (its tenant scope lives there).
    return db.isTransaction ? run(db) : db.transaction().execute(run);
  }

  static aad(orgId: string, table: string, column: string, rowId: string | number): string {
    return `${orgId}|${table}|${column}|${rowId}`;
  }

  async seal(db: Db, orgId: string, table: string, column: string, rowId: string | number, plaintext: string): Promise<string> {
    return this.sealBytes(db, orgId, table, column, rowId, Buffer.from(plaintext, 'utf8'));
  }

  /** Binary content (attachments), in the same text form as every other sealed field. */
  async sealBytes(db: Db, orgId: string, table: string, column: string, rowId: string | number, plaintext: Buffer): Promise<string> {
    const { version, key } = await this.key(db, orgId, 'data');
    const sealed = gcmSeal(key, plaintext, FieldCrypto.aad(orgId, table, column, rowId));
    return `${PREFIX}${version}.${sealed.toString('base64')}`;
  }

  async sealNullable(db: Db, orgId: string, table: string, column: string, rowId: string | number, plaintext: string | null): Promise<string | null> {
    return plaintext === null ? null : this.seal(db, orgId, table, column, rowId, plaintext);
  }

  async open(db: Db, orgId: string, table: string, column: string, rowId: string | number, value: string): Promise<string> {
    if (!value.startsWith(PREFIX)) return value; // written before encryption existed; rotation re-seals it
    return (await this.openBytes(db, orgId, table, column, rowId, value)).toString('utf8');
  }

  async openBytes(db: Db, orgId: string, table: string, column: string, rowId: string | number, value: string): Promise<Buffer> {
    const dot = value.indexOf('.', PREFIX.length);
    const version = Number(value.slice(PREFIX.length, dot));
    const { key } = await this.key(db, orgId, 'data', version);
    return gcmOpen(key, Buffer.from(value.slice(dot + 1), 'base64'), FieldCrypto.aad(orgId, table, column, rowId));
  }

  async openNullable(db: Db, orgId: string, table: string, column: string, rowId: string | number, value: string | null): Promise<string | null> {
    return value === null ? null : this.open(db, orgId, table, column, rowId, value);
  }

  /** The data-key version a sealed value uses (0 for legacy plaintext). */
  static versionOf(value: string): number {
    if (!value.startsWith(PREFIX)) return 0;
    return Number(value.slice(PREFIX.length, value.indexOf('.', PREFIX.length)));
  }

  async currentVersion(db: Db, orgId: string): Promise<number> {
    return (await this.key(db, orgId, 'data')).version;
  }

  /** Keyed blind index of an already-normalised value, for equality look-ups. */
  async index(db: Db, orgId: string, purpose: string, value: string): Promise<string> {
    return (await this.indexer(db, orgId, purpose))(value);
  }

  /** `index` for many values of one purpose: the key is looked up once. */
  async indexer(db: Db, orgId: string, purpose: string): Promise<(value: string) => string> {
    const { key } = await this.key(db, orgId, 'index');
    return (value) => createHmac('sha256', key).update(`${purpose}\u0000${value}`).digest('hex').slice(0, 40);
  }
}
