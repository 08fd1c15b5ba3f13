import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TEST_MASTER_KEY_TEXT } from '../../test/support/keys.ts';
import { parseMasterKey } from '../security/master-key.ts';
import { openSqliteStore } from '../store/sqlite/open.ts';
import { runCli } from './main.ts';

const dir = mkdtempSync(join(tmpdir(), 'bedside-keys-'));
const dataDir = join(dir, 'data');
const keyFile = join(dir, 'master.key');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('bedside keys rotate', () => {
  it('re-wraps the data keys under a new master key; the history stays readable with it, and only with it', async () => {
    writeFileSync(keyFile, TEST_MASTER_KEY_TEXT);
    const before = await openSqliteStore(dataDir, parseMasterKey(TEST_MASTER_KEY_TEXT));
    await before.createOrganization({ id: 'org_1', name: 'P', slug: 'p', createdAt: 1 });
    await before.createContact({ id: 'ct_1', orgId: 'org_1', displayName: 'Synthetic Patient', email: null, phone: '+15550100999', createdAt: 1 }, { channel: 'sms', externalId: '+15550100999' });
    await before.close();

    let out = '';
    const saved = { ...process.env };
    Object.assign(process.env, { DATA_DIR: dataDir, MASTER_KEY_FILE: keyFile });
    delete process.env.MASTER_KEY;
    try {
      expect(await runCli(['keys', 'rotate'], (s) => { out += s; })).toBe(0);
    } finally {
      process.env = saved;
    }
    expect(out).toMatch(/Re-wrapped 2 data key\(s\) under master key [0-9a-f]{16}/);
    expect(readFileSync(`${keyFile}.previous`, 'utf8')).toBe(TEST_MASTER_KEY_TEXT);
    const next = parseMasterKey(readFileSync(keyFile, 'utf8'));
    expect(next.id).not.toBe(parseMasterKey(TEST_MASTER_KEY_TEXT).id);

    const after = await openSqliteStore(dataDir, next);
    expect((await after.getContact('org_1', 'ct_1'))?.displayName).toBe('Synthetic Patient');
    expect((await after.findContactByIdentity('org_1', 'sms', '+15550100999'))?.id).toBe('ct_1');
    expect((await after.audit.list('org_1', 5)).map((e) => e.action)).toContain('keys.rotate_master');
    await after.close();
    const stale = await openSqliteStore(dataDir, parseMasterKey(TEST_MASTER_KEY_TEXT));
    await expect(stale.getContact('org_1', 'ct_1')).rejects.toThrow(/master key/);
    await stale.close();
  });
});
