import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { TEST_MASTER_KEY_TEXT, testMasterKey } from '../../test/support/keys.ts';
import { openSqliteStore } from '../store/sqlite/open.ts';
import { runCli } from './main.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'bedside-cli-orgs-'));
const env = { DATA_DIR: dataDir, PUBLIC_URL: 'https://desk.clinic.test', SECRET_KEY: 's'.repeat(40), MASTER_KEY: TEST_MASTER_KEY_TEXT };

async function run(args: string[]): Promise<string> {
  let out = '';
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    await runCli(args, (s) => { out += s; });
    return out;
  } finally {
    process.env = saved;
  }
}

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('bedside orgs', () => {
  it('adds a practice with its own data key, a website inbox and an owner with a one-time link', async () => {
    const out = await run(['orgs', 'add', 'Riverside Clinic', '--owner-email', 'Owner@Riverside.test']);
    expect(out).toMatch(/^Created Riverside Clinic \(slug riverside-clinic\) with its own data key\./);
    expect(out).toMatch(/data-inbox="pk_[A-Za-z0-9_-]+"/);
    expect(out).toMatch(/Owner owner@riverside\.test: enrolment link[^\n]*\nhttps:\/\/desk\.clinic\.test\/enrol#token=[A-Za-z0-9_-]{43}\n$/);

    const second = await run(['orgs', 'add', 'Lakeside Physio', '--slug', 'lakeside', '--owner-email', 'boss@lakeside.test']);
    expect(second).toContain('(slug lakeside)');

    const store = await openSqliteStore(dataDir, testMasterKey());
    try {
      const a = await store.findOrganizationBySlug('riverside-clinic');
      const b = await store.findOrganizationBySlug('lakeside');
      expect(a && b).toBeTruthy();
      expect((await store.listInboxes(a!.id)).map((i) => i.channel)).toEqual(['web']);
      const owner = await store.auth.findAccountByEmail('owner@riverside.test');
      expect(owner).toMatchObject({ orgId: a!.id, role: 'owner', status: 'invited' });
      expect((await store.auth.findAccountByEmail('boss@lakeside.test'))?.orgId).toBe(b!.id);
    } finally {
      await store.close();
    }
    // Each practice has its own wrapped data key, made at creation.
    const db = new SqliteDatabase(join(dataDir, 'bedside.sqlite'), { readonly: true });
    try {
      const keys = db.prepare("SELECT org_id, version FROM data_keys WHERE purpose = 'data'").all() as Array<{ org_id: string; version: number }>;
      expect(new Set(keys.map((k) => k.org_id)).size).toBe(2);
      const audit = db.prepare("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'organization.create'").get() as { n: number };
      expect(audit.n).toBe(2);
    } finally {
      db.close();
    }

    const list = await run(['orgs', 'list']);
    expect(list).toBe('riverside-clinic\tRiverside Clinic\t1 inbox(es)\tno Slack workspace\nlakeside\tLakeside Physio\t1 inbox(es)\tno Slack workspace\n');
    // Several practices: the users commands need --org.
    await expect(run(['users', 'list'])).rejects.toThrow('choose one with --org (riverside-clinic, lakeside)');
    expect(await run(['users', 'list', '--org', 'lakeside'])).toContain('boss@lakeside.test\towner\tinvited');
  });

  it('refuses a taken slug, a bad slug, a taken e-mail or a missing name, and creates nothing', async () => {
    await expect(run(['orgs', 'add', 'Another', '--slug', 'lakeside'])).rejects.toThrow('slug "lakeside" already exists');
    await expect(run(['orgs', 'add', 'Another', '--slug', 'Bad Slug!'])).rejects.toThrow('The slug must be');
    await expect(run(['orgs', 'add', 'Another', '--owner-email', 'boss@lakeside.test'])).rejects.toThrow('already exists');
    await expect(run(['orgs', 'add', 'Another', '--owner-email', 'not-an-email'])).rejects.toThrow('--owner-email must be an e-mail address');
    await expect(run(['orgs', 'add'])).rejects.toThrow('Give the practice a name');
    expect((await run(['orgs', 'list'])).trim().split('\n')).toHaveLength(2);
  });

  it('prints one without an owner when no e-mail is given, with the command to add one', async () => {
    const out = await run(['orgs', 'add', 'St. Mary’s Dental']);
    expect(out).toContain('(slug st-marys-dental)');
    expect(out).toContain('npx bedside users add --org st-marys-dental --role owner');
  });
});
