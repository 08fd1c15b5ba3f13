import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId, newPublicKey } from '../../domain/ids.ts';
import { JobWorker } from '../../jobs/worker.ts';
import { createLogger } from '../../log.ts';
import { testMasterKey } from '../../../test/support/keys.ts';
import { createTestDatabase, databaseUrl, rawClient, withAdminClient, type TestDatabase } from '../../../test/support/postgres.ts';
import { describePostgres } from '../../../test/support/postgres-suite.ts';
import { KyselyStore } from '../kysely-store.ts';
import { FieldCrypto } from '../field-crypto.ts';
import { runStoreContract } from '../store.contract.ts';
import type { Job, Store } from '../types.ts';
import { openPostgresStore } from './open.ts';
import { DEFAULT_APP_ROLE } from './row-security.ts';
import { declaredScope } from './tenant-scope.ts';

const quiet = createLogger('silent', new Writable({ write: (_c, _e, cb) => cb() }));

/** This run's database for the contract suite, emptied before each test. */
let contractDb: Promise<TestDatabase> | undefined;

async function freshStore(): Promise<Store> {
  contractDb ??= createTestDatabase({ migrated: true });
  const db = await contractDb;
  const client = await rawClient(db.name);
  try {
    // DELETE, not TRUNCATE: a handful of rows go much faster than new files for every table.
    const tables = await client.query<{ t: string }>("select quote_ident(tablename) as t from pg_tables where schemaname = 'public' and tablename not like 'kysely%'");
    const sequences = await client.query<{ s: string }>("select quote_ident(sequencename) as s from pg_sequences where schemaname = 'public'");
    await client.query([...tables.rows.map((r) => `delete from ${r.t};`), ...sequences.rows.map((r) => `select setval('${r.s}', 1, false);`)].join('\n'));
  } finally {
    await client.end();
  }
  return openPostgresStore(db.url, testMasterKey(), { poolMax: 4 });
}

/** Two practices, each with a contact, a conversation and a message. */
async function twoPractices(store: Store) {
  const now = Date.now();
  const made = [];
  for (const slug of ['alpha', 'beta']) {
    const orgId = newId('org');
    await store.createOrganization({ id: orgId, name: `Practice ${slug}`, slug, createdAt: now });
    const inboxId = newId('ibx');
    await store.createInbox({
      id: inboxId, orgId, name: 'Web', channel: 'web', publicKey: newPublicKey(),
      settings: { greeting: 'Hi', color: '#000000', preChat: { enabled: false, fields: [] } }, createdAt: now,
    });
    const contactId = newId('ct');
    await store.createContact({ id: contactId, orgId, displayName: `Patient of ${slug}`, email: null, phone: null, createdAt: now }, { channel: 'web', externalId: `v-${slug}` });
    const conversationId = newId('cv');
    await store.createConversation({
      id: conversationId, orgId, inboxId, contactId, channel: 'web', ref: 'ABCDE', status: 'open', assigneeId: null,
      slackChannelId: null, slackThreadTs: null, createdAt: now, updatedAt: now, lastMessageAt: now, resolvedAt: null, waitingSince: null,
    });
    await store.insertMessage({
      orgId, conversationId, direction: 'in', kind: 'message', authorType: 'contact', authorStaffId: null, authorName: null,
      body: `secret of ${slug}`, clientId: 'c-000001', source: 'web', sourceId: null, createdAt: now,
    });
    made.push({ orgId, contactId, conversationId });
  }
  return made as [typeof made[0], typeof made[0]];
}

/** Runs `queries` in one transaction as the application role, with `orgId` as the tenant (or none). */
async function asAppRole(client: pg.Client, orgId: string | null, queries: string[]): Promise<unknown[][]> {
  await client.query('begin');
  try {
    await client.query(`set local role ${DEFAULT_APP_ROLE}`);
    if (orgId) await client.query("select set_config('bedside.org_id', $1, true)", [orgId]);
    const out = [];
    for (const q of queries) out.push((await client.query(q)).rows);
    return out;
  } finally {
    await client.query('rollback');
  }
}

await describePostgres('PostgreSQL store', () => {
  afterAll(async () => { await (await contractDb)?.drop(); });
  runStoreContract('PostgreSQL', freshStore);

  it('declares the tenant scope of every store method (a new cross-tenant one must be listed)', () => {
    const crypto = new FieldCrypto(testMasterKey());
    const store = new KyselyStore({} as never, 'postgres', crypto) as unknown as Record<string, object>;
    const internal = new Set(['constructor', 'open', 'toRow', 'rowQuery', 'openContact', 'sealContactFields', 'identityIndex', 'openMessage', 'migrate', 'transaction', 'close']);
    const undeclared: string[] = [];
    const check = (obj: object, prefix: string) => {
      for (let proto = Object.getPrototypeOf(obj) as object | null; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto) as object | null) {
        for (const name of Object.getOwnPropertyNames(proto)) {
          const fn = (proto as Record<string, unknown>)[name];
          if (typeof fn !== 'function' || internal.has(name)) continue;
          const first = /^[^(]*\(\s*([A-Za-z_$][\w$]*)/.exec(fn.toString())?.[1];
          if (!declaredScope(`${prefix}${name}`, first)) undeclared.push(`${prefix}${name}`);
        }
      }
    };
    check(store, '');
    // Every group of operations (auth, inbox, audit, records, and any added later).
    for (const [sub, ops] of Object.entries(store)) {
      if (ops !== null && typeof ops === 'object' && !['db', 'root', 'crypto'].includes(sub)) check(ops, `${sub}.`);
    }
    expect(undeclared).toEqual([]);
  });

  describe('row-level security', rowLevelSecurity);
  describe('job claims across nodes', claimsAcrossNodes);
  describe('setup', setup);
});

function rowLevelSecurity() {
  let db: TestDatabase;
  let store: Store;
  let client: pg.Client;
  let orgs: Awaited<ReturnType<typeof twoPractices>>;
  beforeAll(async () => {
    db = await createTestDatabase({ migrated: true });
    store = await openPostgresStore(db.url, testMasterKey(), { poolMax: 2 });
    orgs = await twoPractices(store);
    client = await rawClient(db.name);
  });
  afterAll(async () => {
    await client.end();
    await store.close();
    await db.drop();
  });

  it('shows an unfiltered query as the application role only its own organization, and nothing without one', async () => {
    const [a, b] = orgs;
    const [messages, contacts, conversations, keys] = await asAppRole(client, a.orgId, [
      'select org_id, body from messages', 'select org_id, id from contacts', 'select org_id from conversations', 'select org_id from data_keys',
    ]);
    expect(messages).toHaveLength(1);
    expect(messages?.every((r) => (r as { org_id: string }).org_id === a.orgId)).toBe(true);
    expect(contacts).toEqual([{ org_id: a.orgId, id: a.contactId }]);
    expect(conversations).toEqual([{ org_id: a.orgId }]);
    expect(keys?.length).toBeGreaterThan(0);
    expect(keys?.every((r) => (r as { org_id: string }).org_id === a.orgId)).toBe(true);
    // The rows are there (the owner sees both practices), just not for this tenant.
    expect((await client.query('select count(*)::int as n from messages')).rows[0]).toEqual({ n: 2 });

    const none = await asAppRole(client, null, ['select * from messages', 'select * from contacts', 'select * from organizations', 'select * from jobs']);
    expect(none).toEqual([[], [], [], []]);
    const other = await asAppRole(client, b.orgId, ['select id from contacts']);
    expect(other).toEqual([[{ id: b.contactId }]]);
  });

  it("refuses, as the application role, to write a row into another organization or change another's", async () => {
    const [a, b] = orgs;
    await expect(asAppRole(client, a.orgId, [
      `insert into canned_responses (id, org_id, shortcut, title, body, created_at, updated_at) values ('cr_x', '${b.orgId}', 'x', 'x', 'x', 0, 0)`,
    ])).rejects.toThrow(/row-level security/);
    const [updated] = await asAppRole(client, a.orgId, [`update conversations set status = 'resolved' where id = '${b.conversationId}' returning id`]);
    expect(updated).toEqual([]);
  });

  it('leaves the application role owning nothing, and every table it may touch under a forced policy', async () => {
    const owned = await client.query('select count(*)::int as n from pg_class where relowner = (select oid from pg_roles where rolname = $1)', [DEFAULT_APP_ROLE]);
    expect(owned.rows[0]).toEqual({ n: 0 });
    const open = await client.query(`
      select c.relname from pg_class c where c.relnamespace = 'public'::regnamespace and c.relkind = 'r'
         and has_table_privilege($1, c.oid, 'select') and not (c.relrowsecurity and c.relforcerowsecurity) order by 1`, [DEFAULT_APP_ROLE]);
    expect(open.rows).toEqual([]);
    await expect(asAppRole(client, orgs[0].orgId, ['select * from kysely_migration'])).rejects.toThrow(/permission denied/);
  });

  it('still answers every lookup the features make across practices (the declared system calls)', async () => {
    const [a] = orgs;
    expect((await store.listOrganizations()).map((o) => o.slug).sort()).toEqual(['alpha', 'beta']);
    expect(await store.countOrganizations()).toBe(2);
    expect((await store.findOrganizationBySlug('beta'))?.name).toBe('Practice beta');
    const inbox = (await store.listInboxes(a.orgId))[0]!;
    expect((await store.findInboxByPublicKey(inbox.publicKey))?.id).toBe(inbox.id);
    expect(await store.audit.verify()).toMatchObject({ ok: true });
  });
}

function claimsAcrossNodes() {
  let db: TestDatabase;
  const stores: Store[] = [];
  beforeAll(async () => {
    db = await createTestDatabase({ migrated: true });
    // Two nodes: two pools on one database.
    stores.push(await openPostgresStore(db.url, testMasterKey(), { poolMax: 3 }));
    stores.push(await openPostgresStore(db.url, testMasterKey(), { poolMax: 3 }));
  });
  afterAll(async () => {
    for (const s of stores) await s.close();
    await db.drop();
  });

  it('runs every job exactly once, in order per queue key, with two nodes claiming at the same time', async () => {
    const [one, two] = stores as [Store, Store];
    const keys = ['k0', 'k1', 'k2', 'k3', 'k4'];
    const expected = new Map<string, number[]>(keys.map((k) => [k, []]));
    for (let n = 0; n < 60; n++) {
      const key = keys[n % keys.length] as string;
      const id = await one.enqueueJob({ orgId: null, kind: 'step', payload: { n }, queueKey: key, sensitive: n % 2 === 0 });
      expected.get(key)?.push(id as number);
    }
    const ran: Array<{ id: number; key: string; node: string }> = [];
    const running = new Set<string>();
    const overlaps: string[] = [];
    const handler = (node: string) => async (job: Job) => {
      if (running.has(job.queueKey)) overlaps.push(job.queueKey);
      running.add(job.queueKey);
      await new Promise((r) => setTimeout(r, Math.random() * 8));
      ran.push({ id: job.id, key: job.queueKey, node });
      running.delete(job.queueKey);
    };
    const opts = { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 50, leaseMs: 30_000, pollMs: 5, concurrency: 4 };
    const workers = [new JobWorker(one, quiet, opts), new JobWorker(two, quiet, opts)];
    workers.forEach((w, i) => { w.register('step', handler(`node${i}`)); w.start(); });
    const end = Date.now() + 20_000;
    while ((await one.jobCounts()).done < 60 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    await Promise.all(workers.map((w) => w.stop(2000)));

    expect(ran).toHaveLength(60);
    expect(new Set(ran.map((r) => r.id)).size).toBe(60);
    expect(overlaps).toEqual([]);
    for (const key of keys) expect(ran.filter((r) => r.key === key).map((r) => r.id)).toEqual(expected.get(key));
    // Both nodes took part.
    expect(new Set(ran.map((r) => r.node)).size).toBe(2);
    expect(await two.jobCounts()).toMatchObject({ done: 60, pending: 0, running: 0, dead: 0 });
  });

  it('never hands one job to two nodes claiming in the same instant', async () => {
    const [one, two] = stores as [Store, Store];
    const ids: number[] = [];
    for (let n = 0; n < 40; n++) ids.push((await one.enqueueJob({ orgId: null, kind: 'x', payload: {}, queueKey: `solo-${n}` })) as number);
    const now = Date.now() + 1000;
    const batches = await Promise.all([one.claimJobs(now, 25, 10_000), two.claimJobs(now, 25, 10_000), one.claimJobs(now, 25, 10_000)]);
    const claimed = batches.flat().map((j) => j.id);
    expect(new Set(claimed).size).toBe(claimed.length);
    expect(claimed.sort((x, y) => x - y)).toEqual(ids);
  });
}

function setup() {
  it('migrates once when two nodes start together, and again finds nothing to do', async () => {
    const db = await createTestDatabase();
    try {
      const both = await Promise.all([openPostgresStore(db.url, testMasterKey()), openPostgresStore(db.url, testMasterKey())]);
      await both[0].createOrganization({ id: 'org_1', name: 'P', slug: 'p', createdAt: 1 });
      for (const s of both) await s.close();
      const again = await openPostgresStore(db.url, testMasterKey());
      expect(await again.countOrganizations()).toBe(1);
      await again.close();
      const client = await rawClient(db.name);
      const migrations = await client.query('select name from kysely_migration order by name');
      const policies = await client.query("select count(*)::int as n from pg_policy where polname = 'bedside_tenant_isolation'");
      await client.end();
      expect(migrations.rows.map((r: { name: string }) => r.name)).toContain('001-core');
      expect(new Set(migrations.rows.map((r: { name: string }) => r.name)).size).toBe(migrations.rows.length);
      expect((policies.rows[0] as { n: number }).n).toBeGreaterThanOrEqual(18);
    } finally {
      await db.drop();
    }
  });

  it('with a separate migration URL, runs as a login role that owns nothing, and refuses an owner as the application role', async () => {
    const db = await createTestDatabase({ migrated: true });
    const role = `bedside_t_${randomBytes(4).toString('hex')}`;
    await withAdminClient((c) => c.query(`create role ${role} login`));
    try {
      const store = await openPostgresStore(databaseUrl(db.name, role), testMasterKey(), { migrationUrl: db.url });
      const [a, b] = await twoPractices(store);
      expect((await store.getContact(a.orgId, a.contactId))?.displayName).toBe('Patient of alpha');
      expect(await store.getContact(a.orgId, b.contactId)).toBeUndefined();
      await store.close();
      const client = await rawClient(db.name, role);
      const rows = await client.query('select * from contacts');
      await client.end();
      expect(rows.rows).toEqual([]);
      await expect(openPostgresStore(`${db.url}?application_name=app`, testMasterKey(), { migrationUrl: db.url }))
        .rejects.toThrow(/owns no table/);
    } finally {
      await db.drop();
      await withAdminClient((c) => c.query(`drop role if exists ${role}`));
    }
  });
}
