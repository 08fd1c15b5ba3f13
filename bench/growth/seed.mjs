/**
 * Scenario 4's history: realistic rows written straight into Bedside's SQLite file while Bedside is
 * stopped, through the same FieldCrypto the app uses, so every body and name is sealed with the
 * practice's data key (AAD org|table|column|row) and every word is in the keyed word index.
 * Only the cheap parts are shortcut: one transaction, prepared statements, and the HMAC of each
 * vocabulary word computed once.
 *
 *   node --import tsx bench/growth/seed.mjs <dataDir> <fromConversation> <toConversation> <messagesPerConversation>
 *   (MASTER_KEY in the environment)
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import SqliteDatabase from 'better-sqlite3';
import { CamelCasePlugin, Kysely, SqliteDialect } from 'kysely';
import { FieldCrypto } from '../../src/store/field-crypto.ts';
import { gcmSeal } from '../../src/security/envelope.ts';
import { parseMasterKey } from '../../src/security/master-key.ts';
import { searchTerms } from '../../src/domain/normalize.ts';

export const GROWTH_SENTENCES = [
  'Could I move my appointment to Thursday afternoon?',
  'Is the clinic open on Saturday for vaccinations?',
  'My son has had a fever since yesterday evening.',
  'Can I get a refill of my blood pressure prescription?',
  'Where do I park for the blood test tomorrow?',
  'I need a copy of my invoice for the insurance.',
  'We have moved you to 10:40 on Thursday, see you then.',
  'Your prescription is ready at the front desk.',
  'Please bring your insurance card and a photo ID.',
  'Thank you, that works for me.',
  'The results came back normal, nothing to worry about.',
  'Parking is free behind the building, entrance on River Street.',
];

const [dataDir, fromArg, toArg, perArg] = process.argv.slice(2);
const from = Number(fromArg);
const to = Number(toArg);
const per = Number(perArg);
const t0 = performance.now();

const sqlite = new SqliteDatabase(join(dataDir, 'bedside.sqlite'));
// A bulk load into a stopped server's file: straight into the database, not through the WAL (which
// would write every page twice, once there and once at the checkpoint). Bedside opens it in WAL
// mode again; this process puts it back too.
sqlite.pragma('journal_mode = DELETE');
sqlite.pragma('synchronous = OFF');
sqlite.pragma('cache_size = -200000');
const db = new Kysely({ dialect: new SqliteDialect({ database: sqlite }), plugins: [new CamelCasePlugin()] });
const crypto = new FieldCrypto(parseMasterKey(process.env.MASTER_KEY));

const org = sqlite.prepare("SELECT id FROM organizations ORDER BY created_at LIMIT 1").get();
const inbox = sqlite.prepare("SELECT id FROM inboxes WHERE org_id = ? AND channel = 'web' ORDER BY created_at LIMIT 1").get(org.id);
const staff = sqlite.prepare('SELECT id, display_name FROM staff WHERE org_id = ? LIMIT 1').get(org.id);

// The practice's current data key, through FieldCrypto (created on first use exactly as the app
// does), then sealed synchronously in FieldCrypto's format: a million awaits would dominate.
await crypto.seal(db, org.id, 'messages', 'body', 0, 'x');
const { version, key } = await crypto['key'](db, org.id, 'data');
const seal = (table, column, rowId, text) => `e1.${version}.${gcmSeal(key, Buffer.from(text, 'utf8'), FieldCrypto.aad(org.id, table, column, rowId)).toString('base64')}`;

// Each vocabulary word's blind index, once.
const termsOf = [];
for (const s of GROWTH_SENTENCES) {
  termsOf.push([...new Set(await Promise.all(searchTerms(s).map((w) => crypto.index(db, org.id, 'term', w))))].join(' '));
}

const insContact = sqlite.prepare('INSERT INTO contacts (id, org_id, display_name, email, phone, created_at, updated_at) VALUES (?, ?, ?, NULL, NULL, ?, ?)');
const insIdentity = sqlite.prepare("INSERT INTO contact_identities (org_id, contact_id, channel, external_id, created_at) VALUES (?, ?, 'web', ?, ?)");
const insConversation = sqlite.prepare(`INSERT INTO conversations (id, org_id, inbox_id, contact_id, channel, ref, status, assignee_id,
  slack_channel_id, slack_thread_ts, created_at, updated_at, last_message_at, resolved_at, waiting_since)
  VALUES (?, ?, ?, ?, 'web', ?, ?, NULL, NULL, NULL, ?, ?, ?, ?, ?)`);
const insMessage = sqlite.prepare(`INSERT INTO messages (id, org_id, conversation_id, direction, kind, author_type, author_staff_id,
  author_name, body, client_id, source, source_id, created_at) VALUES (?, ?, ?, ?, 'message', ?, ?, ?, ?, ?, ?, ?, ?)`);
// SQLite's word index (src/store/sqlite/deferred-terms.ts): one FTS5 row of keyed terms per message.
const insTerms = sqlite.prepare('INSERT INTO message_term_index (rowid, terms) VALUES (?, ?)');

let nextId = Number(sqlite.prepare('SELECT coalesce(max(id), 0) AS m FROM messages').get().m) + 1;
// History spread over the past year, oldest conversations first; all of it older than live traffic.
const now = Date.now() - 3600_000;
const span = 365 * 86400_000;
const total = Math.max(1, to);

const BATCH = 5000; // conversations per transaction: bounded memory, few commits
for (let start = from; start < to; start += BATCH) {
  const end = Math.min(to, start + BATCH);
  const rows = [];
  for (let i = start; i < end; i++) {
    const contactId = `ct_seed${i}`;
    const convId = `cv_seed${i}`;
    const at = now - span + Math.floor((i / total) * span);
    const name = seal('contacts', 'display_name', contactId, `Patient ${i}`);
    const msgs = [];
    for (let k = 0; k < per; k++) {
      const id = nextId++;
      const inbound = k % 2 === 0;
      const s = (i * 7 + k) % GROWTH_SENTENCES.length;
      const body = seal('messages', 'body', id, GROWTH_SENTENCES[s]);
      msgs.push({ id, inbound, s, body, at: at + k * 60_000 });
    }
    rows.push({ contactId, convId, at, name, msgs, resolved: i % 5 !== 0 });
  }
  sqlite.transaction(() => {
    for (const r of rows) {
      insContact.run(r.contactId, org.id, r.name, r.at, r.at);
      insIdentity.run(org.id, r.contactId, `seed-${r.contactId}`, r.at);
      const last = r.msgs.at(-1)?.at ?? r.at;
      insConversation.run(r.convId, org.id, inbox.id, r.contactId, r.convId.slice(-6).toUpperCase(), r.resolved ? 'resolved' : 'open',
        r.at, last, last, r.resolved ? last : null, r.resolved ? null : last);
      for (const m of r.msgs) {
        insMessage.run(m.id, org.id, r.convId, m.inbound ? 'in' : 'out', m.inbound ? 'contact' : 'staff', m.inbound ? null : staff.id,
          m.inbound ? null : staff.display_name, m.body, m.inbound ? `seed${m.id}` : null, m.inbound ? 'web' : 'inbox',
          m.inbound ? null : `seed:${m.id}`, m.at);
        insTerms.run(m.id, termsOf[m.s]);
      }
    }
  })();
}
// Everything written here is indexed: the indexer resumes after it.
sqlite.prepare("UPDATE search_index_progress SET through_message_id = (SELECT max(id) FROM messages) WHERE name = 'terms'").run();
sqlite.pragma('journal_mode = WAL');
const count = sqlite.prepare('SELECT count(*) AS n FROM messages').get().n;
await db.destroy();
process.stdout.write(`${JSON.stringify({ messages: count, conversations: to, seconds: (performance.now() - t0) / 1000 })}\n`);
