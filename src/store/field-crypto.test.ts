import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testMasterKey } from '../../test/support/keys.ts';
import { parseMasterKey } from '../security/master-key.ts';
import type { KyselyStore } from './kysely-store.ts';
import { openSqliteStore } from './sqlite/open.ts';
import { FieldCrypto, KeyUnavailableError } from './field-crypto.ts';

let store: KyselyStore;
beforeEach(async () => { store = await openSqliteStore(':memory:', testMasterKey()); });
afterEach(async () => { await store.close(); });

const db = (s: KyselyStore) => (s as unknown as { root: Parameters<FieldCrypto['seal']>[0] }).root;

describe('FieldCrypto', () => {
  it('seals with the organization key and opens only with the same associated data', async () => {
    const crypto = new FieldCrypto(testMasterKey());
    const sealed = await crypto.seal(db(store), 'org_a', 'messages', 'body', 7, 'Rash on the left arm');
    expect(sealed).toMatch(/^e1\.1\./);
    expect(sealed).not.toContain('Rash');
    expect(await crypto.open(db(store), 'org_a', 'messages', 'body', 7, sealed)).toBe('Rash on the left arm');
    // Moved to another row, column, table or organization: it no longer decrypts.
    await expect(crypto.open(db(store), 'org_a', 'messages', 'body', 8, sealed)).rejects.toThrow();
    await expect(crypto.open(db(store), 'org_a', 'contacts', 'body', 7, sealed)).rejects.toThrow();
    await expect(crypto.open(db(store), 'org_b', 'messages', 'body', 7, sealed)).rejects.toThrow();
  });

  it('gives each organization its own keys and blind indexes', async () => {
    const crypto = new FieldCrypto(testMasterKey());
    const a = await crypto.index(db(store), 'org_a', 'phone', '+15550100777');
    expect(await crypto.index(db(store), 'org_a', 'phone', '+15550100777')).toBe(a);
    expect(await crypto.index(db(store), 'org_b', 'phone', '+15550100777')).not.toBe(a);
    expect(await crypto.index(db(store), 'org_a', 'email', '+15550100777')).not.toBe(a);
  });

  it('cannot unwrap data keys without the master key that wrapped them', async () => {
    const crypto = new FieldCrypto(testMasterKey());
    const sealed = await crypto.seal(db(store), 'org_a', 'messages', 'body', 1, 'x');
    const other = new FieldCrypto(parseMasterKey('11'.repeat(32)));
    await expect(other.open(db(store), 'org_a', 'messages', 'body', 1, sealed)).rejects.toBeInstanceOf(KeyUnavailableError);
  });
});
