import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startSlackEmulator, type SlackEmulator } from '../emulators/slack/index.ts';
import { SLACK, STAFF } from '../support/harness.ts';
import { TEST_MASTER_KEY_TEXT } from '../support/keys.ts';
import { engineEnv } from '../support/postgres.ts';
import { freePort, spawnBedside, type BedsideProcess } from '../support/process.ts';
import { WidgetClient } from '../support/widget-client.ts';

let slack: SlackEmulator;
let dataDir: string;
let port: number;
let proc: BedsideProcess | undefined;
let env: Record<string, string>;
let dropDatabase: () => Promise<void>;

beforeEach(async () => {
  slack = await startSlackEmulator({ botToken: SLACK.botToken, signingSecret: SLACK.signingSecret });
  slack.addUser({ id: STAFF.id, name: STAFF.name, realName: STAFF.realName, displayName: STAFF.displayName });
  dataDir = mkdtempSync(join(tmpdir(), 'bedside-restart-'));
  port = await freePort();
  slack.setEventsUrl(`http://127.0.0.1:${port}/slack/events`);
  const database = await engineEnv();
  dropDatabase = database.cleanup;
  env = {
    ...database.env,
    DATA_DIR: dataDir, MASTER_KEY: TEST_MASTER_KEY_TEXT, LOG_LEVEL: 'warn', SLACK_BOT_TOKEN: SLACK.botToken, SLACK_SIGNING_SECRET: SLACK.signingSecret,
    SLACK_CHANNEL_ID: SLACK.channelId, SLACK_API_URL: slack.apiUrl, SLACK_CONTENT: 'full',
    JOB_BASE_DELAY_MS: '100', JOB_MAX_DELAY_MS: '500', JOB_POLL_MS: '100', JOB_LEASE_MS: '1500',
  };
});

afterEach(async () => {
  if (proc && proc.child.exitCode === null) {
    proc.child.kill('SIGKILL');
    await proc.exited;
  }
  await slack.close();
  await dropDatabase();
  rmSync(dataDir, { recursive: true, force: true });
});

async function publicKey(url: string): Promise<string> {
  const html = await (await fetch(`${url}/demo`)).text();
  return /data-inbox="([^"]+)"/.exec(html)?.[1] as string;
}

// Each test starts a real server process (twice, for a restart): on a busy machine that alone can take 20 s.
describe('restarts', { timeout: 60_000 }, () => {
  it('a crash after Slack accepted the post, before it was recorded, does not post it twice', async () => {
    proc = await spawnBedside(env, port);
    const key = await publicKey(proc.url);
    const visitor = await WidgetClient.connect(proc.url.replace('http', 'ws'), key);
    const { token } = await visitor.hello();
    slack.hangNext('chat.postMessage');
    await visitor.say('Need a refill form');
    // Slack has it, Bedside never heard back: now the process dies.
    await slack.waitFor(() => slack.posts(SLACK.channelId).length === 1);
    proc.child.kill('SIGKILL');
    await proc.exited;
    await visitor.close();

    proc = await spawnBedside(env, port);
    const again = await WidgetClient.connect(proc.url.replace('http', 'ws'), key);
    await again.hello(token);
    await again.say('Second message');
    const reply = await slack.waitFor(() => slack.posts(SLACK.channelId).find((p) => p.thread_ts), 10_000);
    const parents = slack.posts(SLACK.channelId).filter((p) => !p.thread_ts);
    expect(parents).toHaveLength(1);
    expect(reply.thread_ts).toBe(parents[0]?.ts);
    expect(reply.text).toBe('Second message');
    // The retry looked for its earlier post instead of posting again.
    expect(slack.calls.filter((c) => c.method === 'chat.postMessage')).toHaveLength(2);
    await again.close();
  });

  it('posts after a crash even where channel history cannot be read', async () => {
    proc = await spawnBedside(env, port);
    const key = await publicKey(proc.url);
    const visitor = await WidgetClient.connect(proc.url.replace('http', 'ws'), key);
    await visitor.hello();
    slack.hangNext('chat.postMessage');
    slack.failNext('conversations.history', { error: 'missing_scope' });
    await visitor.say('History is off limits');
    await slack.waitFor(() => slack.posts(SLACK.channelId).length === 1);
    proc.child.kill('SIGKILL');
    await proc.exited;
    await visitor.close();
    proc = await spawnBedside(env, port);
    // The check fails permanently: a possible duplicate is better than a lost message.
    await slack.waitFor(() => slack.calls.filter((c) => c.method === 'chat.postMessage').length === 2, 10_000);
    expect(slack.calls.filter((c) => c.method === 'conversations.history').map((c) => c.error)).toEqual(['missing_scope']);
  });

  it('a message accepted during a Slack outage survives a crash and is posted after restart', async () => {
    slack.setOutage(true);
    proc = await spawnBedside(env, port);
    const key = await publicKey(proc.url);
    const visitor = await WidgetClient.connect(proc.url.replace('http', 'ws'), key);
    await visitor.hello();
    await visitor.say('Sent while Slack was down');
    await slack.waitFor(() => slack.calls.some((c) => c.method === 'chat.postMessage'));
    proc.child.kill('SIGKILL');
    await proc.exited;
    await visitor.close();

    slack.setOutage(false);
    proc = await spawnBedside(env, port);
    const parent = await slack.waitFor(() => slack.posts(SLACK.channelId).find((p) => !p.thread_ts), 10_000);
    expect(JSON.stringify(parent.blocks)).toContain('Sent while Slack was down');
    await new Promise((r) => setTimeout(r, 500));
    expect(slack.posts(SLACK.channelId)).toHaveLength(1);
  });

  it('SIGTERM closes widget sockets with "restarting", drains, and exits 0', async () => {
    proc = await spawnBedside(env, port);
    const key = await publicKey(proc.url);
    const visitor = await WidgetClient.connect(proc.url.replace('http', 'ws'), key);
    await visitor.hello();
    proc.child.kill('SIGTERM');
    const { code } = await proc.exited;
    expect(code).toBe(0);
    await new Promise((r) => setTimeout(r, 100));
    expect(visitor.closeCode).toBe(1012);
    expect(proc.output()).not.toMatch(/Error|error/);
  });

  it('a bad setting stops the boot with a message naming the variable', async () => {
    await expect(spawnBedside({ ...env, PORT: 'not-a-port', JOB_MAX_ATTEMPTS: '0' }, port)).rejects.toThrow(/PORT: .*\n.*JOB_MAX_ATTEMPTS: /s);
  });
});
