import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import SqliteDatabase from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditTrail } from '../features/audit.ts';
import { seedDemoPractice } from '../features/demo.ts';
import { StaffAuth } from '../features/staff-auth.ts';
import { createLogger } from '../log.ts';
import { TEST_MASTER_KEY_TEXT, testMasterKey } from '../../test/support/keys.ts';
import { openSqliteStore } from '../store/sqlite/open.ts';
import { runCli } from './main.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'bedside-cli-'));
const env = { DATA_DIR: dataDir, PUBLIC_URL: 'https://desk.clinic.test', SECRET_KEY: 's'.repeat(40), MASTER_KEY: TEST_MASTER_KEY_TEXT };

async function runWithCode(args: string[]): Promise<{ out: string; code: number }> {
  let out = '';
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    const code = await runCli(args, (s) => { out += s; });
    return { out, code };
  } finally {
    process.env = saved;
  }
}

async function run(args: string[]): Promise<string> {
  return (await runWithCode(args)).out;
}

beforeAll(async () => {
  const store = await openSqliteStore(dataDir, testMasterKey());
  await seedDemoPractice(store, new StaffAuth(store, new AuditTrail(createLogger('silent')), {
    idleMs: 900_000, maxAgeMs: 3600_000, enrolmentLinkMs: 86_400_000, publicUrl: env.PUBLIC_URL, serverKey: env.SECRET_KEY,
  }));
  await store.close();
});
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('bedside CLI', () => {
  it('adds a staff account in the only organization and prints a one-time enrolment link', async () => {
    const out = await run(['users', 'add', '--email', 'Front.Desk@clinic.test', '--role', 'admin', '--name', 'Front Desk']);
    expect(out).toMatch(/^Created admin front\.desk@clinic\.test\./);
    expect(out).toMatch(/https:\/\/desk\.clinic\.test\/enrol#token=[A-Za-z0-9_-]{43}\n$/);
    const list = await run(['users', 'list']);
    expect(list).toContain('front.desk@clinic.test\tadmin\tinvited\tno 2FA yet');
  });

  it('refuses bad arguments with a message, and changes nothing', async () => {
    await expect(run(['users', 'add', '--email', 'x@clinic.test', '--role', 'superuser'])).rejects.toThrow('--role must be owner, admin or agent');
    await expect(run(['users', 'add', '--email', 'not-an-email', '--role', 'agent'])).rejects.toThrow('--email');
    await expect(run(['users', 'add', '--email', 'x@clinic.test', '--role', 'agent', '--org', 'nope'])).rejects.toThrow('No organization with slug "nope"');
    await expect(run(['users', 'add', '--email', 'front.desk@clinic.test', '--role', 'agent'])).rejects.toThrow('already exists');
    await expect(run(['users', 'frobnicate'])).rejects.toThrow('Unknown command');
    expect(await run(['users', 'list'])).not.toContain('x@clinic.test');
  });

  it('issues a new link on reset', async () => {
    const out = await run(['users', 'reset', '--email', 'front.desk@clinic.test']);
    expect(out).toMatch(/New enrolment link for front\.desk@clinic\.test/);
  });

  it('verifies the audit trail, and names the record changed by hand', async () => {
    const ok = await runWithCode(['audit', 'verify']);
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/^Audit trail intact: \d+ record\(s\)/);
    const raw = new SqliteDatabase(join(dataDir, 'bedside.sqlite'));
    const victim = raw.prepare("SELECT id FROM audit_log WHERE action = 'staff.create' ORDER BY id LIMIT 1").get() as { id: number };
    raw.prepare("UPDATE audit_log SET outcome = 'denied' WHERE id = ?").run(victim.id);
    raw.close();
    const bad = await runWithCode(['audit', 'verify']);
    expect(bad.code).toBe(1);
    expect(bad.out).toContain(`Audit trail BROKEN at record ${victim.id}`);
  });

  it('deletes an organization only with the slug confirmed', async () => {
    await expect(run(['org', 'delete', '--org', 'demo'])).rejects.toThrow('--confirm demo');
    expect(await run(['org', 'delete', '--org', 'demo', '--confirm', 'demo'])).toContain('its keys were destroyed first');
    await expect(run(['users', 'list'])).rejects.toThrow('no organization yet');
  });

  it('prints the Slack manifest for this server', async () => {
    const out = await run(['slack', 'manifest']);
    expect(out).toContain('request_url: https://desk.clinic.test/slack/events');
    expect(out).not.toContain('YOUR-BEDSIDE-HOST');
  });

  it('runs as `npx bedside --help`', async () => {
    const { stdout } = await promisify(execFile)('npx', ['bedside', '--help'], { cwd: new URL('../..', import.meta.url).pathname });
    expect(stdout).toContain('users add --email E --role owner|admin|agent');
  }, 30_000);
});
