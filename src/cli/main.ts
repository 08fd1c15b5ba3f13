/**
 * `npx bedside …`: administration from the server's shell. It opens the same database the server
 * uses (DATA_DIR, or the PostgreSQL URL), so it works with the server running or stopped.
 */
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config.ts';
import type { Role } from '../domain/types.ts';
import { AppError } from '../errors.ts';
import { AuditTrail, type Actor } from '../features/audit.ts';
import { createPractice } from '../features/practices.ts';
import { StaffAuth } from '../features/staff-auth.ts';
import { startDataKeyRotation } from '../features/key-rotation.ts';
import { createLogger } from '../log.ts';
import { devMasterKeyPath, loadMasterKey, newMasterKeyText, parseMasterKey } from '../security/master-key.ts';
import { loadOrCreateSecretKey } from '../security/secret-key.ts';
import { openConfiguredStore } from '../store/open.ts';
import type { Store } from '../store/types.ts';
import { ViberApi } from '../channels/viber/api.ts';
import { withFields } from '../domain/with-fields.ts';

const HELP = `bedside: administer a Bedside installation

Usage: npx bedside <command> [options]

Commands:
  orgs add NAME [--slug S] [--owner-email E]
                          Create a practice: its own data key, a website inbox and (with
                          --owner-email) an owner account, whose one-time enrolment link is printed
  orgs list               List practices: slug, name, inboxes, Slack workspace
  users add --email E --role owner|admin|agent [--name N] [--org SLUG]
                          Create a staff account and print its one-time enrolment link
                          (valid ${'24'} hours: set a password, enrol an authenticator app)
  users list [--org SLUG] List staff accounts
  users reset --email E   Print a new enrolment link (new password and authenticator);
                          ends the person's sessions
  users disable --email E End every session of the account and block sign-in
  audit verify            Check the audit trail's hash chains; names the first altered, removed
                          or reordered record and exits 1 if there is one
  keys rotate [--new-key-file F]
                          Re-wrap every practice's data key under a new master key (generated,
                          or read from F). Where the current key came from a file (MASTER_KEY_FILE,
                          or the development key), the file receives the new key and the old one
                          is kept as FILE.previous; with MASTER_KEY, the new key is written to a new
                          file to put into MASTER_KEY. Restart the server right afterwards (a
                          key it creates meanwhile would still be wrapped by the old master key).
  keys rotate-data [--org SLUG]
                          Give each practice (or one) a new data key; the running server
                          re-encrypts its records in the background, then retires the old key
  org delete --org SLUG --confirm SLUG
                          Delete a practice: its data keys are destroyed first (crypto-shredding),
                          so even backups of its data can no longer be read
  jobs retry-dead         Put dead-lettered deliveries back in the queue (after fixing the cause)
  slack manifest          Print the Slack app manifest for this server's PUBLIC_URL
  viber set-webhook       Point the Viber bot at PUBLIC_URL/webhooks/viber (the server must be
                          running: Viber calls it once to check)
  help                    This text

Settings come from the same environment variables as the server (DATA_DIR, PUBLIC_URL, ...).
`;

class UsageError extends Error {}

const CLI_ACTOR: Actor = { type: 'system', id: null, orgId: null, ip: null };

async function resolveOrg(store: Store, slug: string | undefined): Promise<string> {
  if (slug) {
    const org = await store.findOrganizationBySlug(slug);
    if (!org) throw new UsageError(`No organization with slug "${slug}"`);
    return org.id;
  }
  const orgs = await store.listOrganizations();
  if (orgs.length === 1 && orgs[0]) return orgs[0].id;
  if (orgs.length === 0) throw new UsageError('There is no organization yet: start the server once (it creates the demo practice)');
  throw new UsageError(`Several organizations exist; choose one with --org (${orgs.map((o) => o.slug).join(', ')})`);
}

export async function runCli(argv: string[], out: (s: string) => void = (s) => process.stdout.write(s)): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv, allowPositionals: true, strict: true,
    options: {
      email: { type: 'string' }, role: { type: 'string' }, name: { type: 'string' }, org: { type: 'string' },
      'new-key-file': { type: 'string' }, confirm: { type: 'string' }, slug: { type: 'string' }, 'owner-email': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [group, action] = positionals;
  if (values.help || !group || group === 'help') {
    out(HELP);
    return 0;
  }
  if (group === 'slack' && action === 'manifest') {
    const config = loadConfig();
    const manifest = readFileSync(new URL('../channels/slack/app-manifest.yml', import.meta.url), 'utf8');
    // The header explains the placeholder; this copy has it filled in already.
    const body = manifest.split('\n').filter((l) => !l.startsWith('#')).join('\n');
    out(`# Slack app manifest for the Bedside server at ${config.publicUrl}\n${body.replaceAll('https://YOUR-BEDSIDE-HOST', config.publicUrl)}`);
    return 0;
  }

  if (group === 'viber' && action === 'set-webhook') {
    const config = loadConfig();
    if (!config.channels.viber) throw new UsageError('VIBER_AUTH_TOKEN is not set');
    await new ViberApi(config.channels.viber).setWebhook(`${config.publicUrl}/webhooks/viber`);
    out(`Viber now sends callbacks to ${config.publicUrl}/webhooks/viber\n`);
    return 0;
  }

  const config = loadConfig();
  const master = loadMasterKey(withFields(config.masterKey, { dataDir: config.dataDir, allowGenerate: false }));
  const store = await openConfiguredStore(config, master.key);
  try {
    const auth = new StaffAuth(store, new AuditTrail(createLogger('silent')), withFields(config.sessions, {
      publicUrl: config.publicUrl, serverKey: loadOrCreateSecretKey(config.dataDir, config.secretKey),
    }));
    const byEmail = async () => {
      if (!values.email) throw new UsageError('--email is required');
      const account = await store.auth.findAccountByEmail(values.email.trim().toLowerCase());
      if (!account) throw new UsageError(`No account with e-mail ${values.email}`);
      return account;
    };
    const key = `${group} ${action ?? ''}`.trim();
    switch (key) {
      case 'orgs add': {
        const name = positionals.slice(2).join(' ').trim();
        if (!name) throw new UsageError('Give the practice a name: npx bedside orgs add "Riverside Clinic"');
        const ownerEmail = values['owner-email'];
        if (ownerEmail !== undefined && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(ownerEmail)) throw new UsageError('--owner-email must be an e-mail address');
        const r = await createPractice(store, auth, new AuditTrail(createLogger('silent')), {
          name, ...(values.slug !== undefined ? { slug: values.slug } : {}), ...(ownerEmail ? { owner: { email: ownerEmail } } : {}),
        }, CLI_ACTOR);
        out(`Created ${r.org.name} (slug ${r.org.slug}) with its own data key.\n`);
        out(`Widget snippet: <script src="${config.publicUrl}/widget/loader.js" data-inbox="${r.inbox.publicKey}" async></script>\n`);
        if (r.owner) {
          out(`Owner ${r.owner.email}: enrolment link (one use, valid until ${new Date(r.owner.expiresAt).toISOString()}):\n${r.owner.enrolmentUrl}\n`);
        } else {
          out(`No owner yet: npx bedside users add --org ${r.org.slug} --role owner --email ...\n`);
        }
        return 0;
      }
      case 'orgs list': {
        for (const org of await store.listOrganizations()) {
          const [inboxes, slack] = await Promise.all([store.listInboxes(org.id), store.slack.getInstallation(org.id)]);
          const workspace = !slack ? 'no Slack workspace' : `Slack ${slack.teamName} (${slack.teamId}) ${slack.status === 'active' ? 'connected' : 'disconnected'}`;
          out(`${org.slug}\t${org.name}\t${inboxes.length} inbox(es)\t${workspace}\n`);
        }
        return 0;
      }
      case 'users add': {
        if (!values.email || !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(values.email)) throw new UsageError('--email must be an e-mail address');
        const role = values.role as Role | undefined;
        if (!role || !['owner', 'admin', 'agent'].includes(role)) throw new UsageError('--role must be owner, admin or agent');
        const orgId = await resolveOrg(store, values.org);
        const r = await auth.createAccount({ orgId, email: values.email, role, ...(values.name ? { displayName: values.name } : {}) }, withFields(CLI_ACTOR, { orgId }));
        out(`Created ${r.account.role} ${r.account.email}.\nEnrolment link (one use, valid until ${new Date(r.expiresAt).toISOString()}):\n${r.enrolmentUrl}\n`);
        return 0;
      }
      case 'users list': {
        const orgId = await resolveOrg(store, values.org);
        for (const a of await store.auth.listAccounts(orgId)) {
          if (a.email) out(`${a.email}\t${a.role}\t${a.status}\t${a.mfaEnrolled ? '2FA' : 'no 2FA yet'}\n`);
        }
        return 0;
      }
      case 'users reset': {
        const account = await byEmail();
        const r = await auth.reissueEnrolment(account.orgId, account.id, withFields(CLI_ACTOR, { orgId: account.orgId }));
        out(`New enrolment link for ${account.email} (one use, valid until ${new Date(r.expiresAt).toISOString()}):\n${r.enrolmentUrl}\n`);
        return 0;
      }
      case 'users disable': {
        const account = await byEmail();
        await store.auth.updateAccount(account.orgId, account.id, { status: 'disabled' });
        const n = await store.auth.revokeAllSessions(account.id, Date.now());
        out(`Disabled ${account.email}; ended ${n} session(s).\n`);
        return 0;
      }
      case 'audit verify': {
        const r = await store.audit.verify();
        if (r.ok) {
          out(`Audit trail intact: ${r.records} record(s) in ${r.chains} chain(s).\n`);
          return 0;
        }
        const bad = r.firstBad as NonNullable<typeof r.firstBad>;
        out(`Audit trail BROKEN at record ${bad.id} (chain ${bad.chain}): ${bad.reason}.\n${r.records} record(s) before it verified.\n`);
        return 1;
      }
      case 'keys rotate': {
        const nextText = values['new-key-file'] ? readFileSync(values['new-key-file'], 'utf8').trim() : newMasterKeyText();
        const next = parseMasterKey(nextText);
        if (next.id === master.key.id) throw new UsageError('The new master key is the key in use now');
        // Save the new key before anything depends on it: losing it would lose every practice's data.
        const keyFile = config.masterKey.value ? undefined : (config.masterKey.file ?? devMasterKeyPath(config.dataDir));
        const target = keyFile ?? `bedside-master-${new Date().toISOString().slice(0, 10)}-${next.id.slice(0, 6)}.key`;
        if (keyFile) copyFileSync(keyFile, `${keyFile}.previous`);
        const n = await store.rewrapDataKeys(next);
        writeFileSync(target, `${nextText}\n`, { mode: 0o600 });
        for (const org of await store.listOrganizations()) {
          await store.audit.append({
            orgId: org.id, at: Date.now(), actorType: 'system', actorId: null, ip: null, action: 'keys.rotate_master',
            targetType: 'organization', targetId: org.id, outcome: 'success', details: { from: master.key.id, to: next.id },
          });
        }
        out(`Re-wrapped ${n} data key(s) under master key ${next.id} (was ${master.key.id}).\n`);
        out(keyFile
          ? `The new key is in ${keyFile} (the old one in ${keyFile}.previous). Restart Bedside to use it.\n`
          : `The new key is in ${target}: set MASTER_KEY to its contents (or MASTER_KEY_FILE to its path) and restart Bedside.\n`);
        return 0;
      }
      case 'keys rotate-data': {
        const orgs = values.org ? [await store.findOrganizationBySlug(values.org)] : await store.listOrganizations();
        for (const org of orgs) {
          if (!org) throw new UsageError(`No organization with slug "${values.org}"`);
          const { version } = await startDataKeyRotation(store, org.id);
          out(`${org.slug}: data key version ${version} is now in use; records are re-encrypted by the running server.\n`);
        }
        return 0;
      }
      case 'org delete': {
        if (!values.org) throw new UsageError('--org is required');
        const org = await store.findOrganizationBySlug(values.org);
        if (!org) throw new UsageError(`No organization with slug "${values.org}"`);
        if (values.confirm !== org.slug) throw new UsageError(`This destroys every record of ${org.name}. Repeat the slug with --confirm ${org.slug}`);
        await store.records.deleteOrganization(org.id);
        await store.audit.append({
          orgId: null, at: Date.now(), actorType: 'system', actorId: null, ip: null, action: 'organization.delete',
          targetType: 'organization', targetId: org.id, outcome: 'success', details: { keysDestroyed: true },
        });
        out(`Deleted ${org.name} (${org.slug}); its keys were destroyed first.\n`);
        return 0;
      }
      case 'jobs retry-dead': {
        out(`Requeued ${await store.requeueDeadJobs(Date.now())} dead-lettered job(s).\n`);
        return 0;
      }
      default:
        throw new UsageError(`Unknown command "${key}". Run npx bedside --help`);
    }
  } finally {
    await store.close();
  }
}

const isMain = process.argv[1] && /bedside(\.js)?$|cli[/\\]main\.(ts|js)$/.test(process.argv[1]);
if (isMain) {
  runCli(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (err: unknown) => {
    if (err instanceof UsageError || err instanceof ConfigError || err instanceof AppError) {
      process.stderr.write(`bedside: ${err.message}\n`);
      process.exitCode = 2;
    } else if (err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`bedside: ${err.message}\nRun npx bedside --help\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`bedside: failed: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    }
  });
}
