/**
 * Two real Bedside processes of one deployment, as two servers behind a load balancer: node A and
 * node B share a fresh (empty) PostgreSQL database, a Redis prefix, the master and signing keys,
 * and one Slack emulator, whose events go to node B. Both start at the same moment.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSlackEmulator, type SlackEmulator } from '../emulators/slack/index.ts';
import { SLACK, STAFF } from './harness.ts';
import { TEST_MASTER_KEY_TEXT } from './keys.ts';
import { createTestDatabase, type TestDatabase } from './postgres.ts';
import { freePort, spawnBedside, type BedsideProcess } from './process.ts';
import { dropPrefix, TEST_REDIS_URL, uniquePrefix } from './redis.ts';

/** The same on both nodes: a visitor token signed by one must verify on the other. */
export const SHARED_SECRET_KEY = 'two-nodes-share-this-signing-key-0123456789';

export interface TwoNodes {
  a: BedsideProcess;
  b: BedsideProcess;
  db: TestDatabase;
  slack: SlackEmulator;
  /** Starts node A again (after it was killed), on its port and settings. */
  restartA(): Promise<BedsideProcess>;
  close(): Promise<void>;
}

export async function startTwoNodes(): Promise<TwoNodes> {
  const db = await createTestDatabase();
  const prefix = uniquePrefix();
  const dirs = [mkdtempSync(join(tmpdir(), 'bedside-node-a-')), mkdtempSync(join(tmpdir(), 'bedside-node-b-'))];
  const slack = await startSlackEmulator({ botToken: SLACK.botToken, signingSecret: SLACK.signingSecret });
  slack.addUser({ id: STAFF.id, name: STAFF.name, realName: STAFF.realName, displayName: STAFF.displayName });
  const portA = await freePort();
  const portB = await freePort();
  // Slack's events reach node B only; patients come in through node A.
  slack.setEventsUrl(`http://127.0.0.1:${portB}/slack/events`);
  const shared = {
    DATABASE_URL: db.url, DATABASE_POOL_MAX: '4', REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: prefix,
    MASTER_KEY: TEST_MASTER_KEY_TEXT, SECRET_KEY: SHARED_SECRET_KEY, LOG_LEVEL: 'warn',
    SLACK_BOT_TOKEN: SLACK.botToken, SLACK_SIGNING_SECRET: SLACK.signingSecret, SLACK_CHANNEL_ID: SLACK.channelId,
    SLACK_API_URL: slack.apiUrl, SLACK_CONTENT: 'full',
    JOB_BASE_DELAY_MS: '100', JOB_MAX_DELAY_MS: '500', JOB_POLL_MS: '100', JOB_LEASE_MS: '1500',
  };
  const envA = { ...shared, DATA_DIR: dirs[0] as string, PUBLIC_URL: `http://127.0.0.1:${portA}` };
  const envB = { ...shared, DATA_DIR: dirs[1] as string, PUBLIC_URL: `http://127.0.0.1:${portB}` };
  const started = await Promise.allSettled([spawnBedside(envA, portA), spawnBedside(envB, portB)]);
  const procs = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const nodes: TwoNodes = {
    a: procs[0] as BedsideProcess,
    b: procs[1] as BedsideProcess,
    db, slack,
    async restartA() {
      nodes.a = await spawnBedside(envA, portA);
      return nodes.a;
    },
    async close() {
      for (const p of [nodes.a, nodes.b]) {
        if (p && p.child.exitCode === null && p.child.signalCode === null) {
          p.child.kill('SIGKILL');
          await p.exited;
        }
      }
      await slack.close();
      await db.drop();
      await dropPrefix(prefix);
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    },
  };
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) {
    await nodes.close();
    throw failed.reason;
  }
  return nodes;
}
