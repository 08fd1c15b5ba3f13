/**
 * Starts Bedside in-process on an ephemeral port with a fresh data directory, wired to a Slack
 * emulator, with every log line captured for assertions (PHI absence among them).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createApp, type App } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import type { Inbox, Message } from '../../src/domain/types.ts';
import type { Store } from '../../src/store/types.ts';
import { startSlackEmulator, type SlackEmulator } from '../emulators/slack/index.ts';
import { startTwilioEmulator, type TwilioEmulator } from '../emulators/twilio/index.ts';
import { TEST_MASTER_KEY_TEXT } from './keys.ts';
import { freePort } from './process.ts';

export const SLACK = {
  botToken: 'xoxb-0000000000-test-bot-token',
  signingSecret: 'test-signing-secret-0123456789',
  channelId: 'C0FRONTDESK',
};

export const STAFF = { id: 'U0NURSE001', name: 'nurse.ann', realName: 'Ann Example', displayName: 'Nurse Ann' };

export const TWILIO = {
  accountSid: `AC${'a1'.repeat(16)}`,
  authToken: 'twilio-test-auth-token-0123456789',
  from: '+15005550006',
};

export interface Harness {
  app: App;
  url: string;
  wsUrl: string;
  inbox: Inbox;
  slack: SlackEmulator;
  /** Present when started with `twilio: true`. */
  twilio: TwilioEmulator | undefined;
  logs(): string;
  close(): Promise<void>;
}

export interface HarnessOptions {
  env?: Record<string, string>;
  slack?: boolean;
  twilio?: boolean;
  /** Reuse a data directory (restart scenarios); a fresh temporary one otherwise. */
  dataDir?: string;
  /** An already-open store, shared with another app (two nodes of one deployment). */
  store?: Store;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'bedside-it-'));
  const slack = await startSlackEmulator({ botToken: SLACK.botToken, signingSecret: SLACK.signingSecret });
  slack.addUser({ id: STAFF.id, name: STAFF.name, realName: STAFF.realName, displayName: STAFF.displayName });
  const twilio = options.twilio ? await startTwilioEmulator({ accountSid: TWILIO.accountSid, authToken: TWILIO.authToken }) : undefined;
  // A known port, so PUBLIC_URL (which vendors sign and links use) is the real address.
  const port = await freePort();
  const lines: string[] = [];
  const sink = new Writable({ write(chunk, _enc, cb) { lines.push(String(chunk)); cb(); } });
  const config = loadConfig({
    PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}`, HOST: '127.0.0.1', DATA_DIR: dataDir, MASTER_KEY: TEST_MASTER_KEY_TEXT, LOG_LEVEL: 'debug', NODE_ENV: 'test',
    JOB_BASE_DELAY_MS: '50', JOB_MAX_DELAY_MS: '400', JOB_POLL_MS: '50', JOB_LEASE_MS: '2000', SHUTDOWN_GRACE_MS: '2000',
    ...(options.slack === false ? {} : {
      SLACK_BOT_TOKEN: SLACK.botToken, SLACK_SIGNING_SECRET: SLACK.signingSecret, SLACK_CHANNEL_ID: SLACK.channelId,
      SLACK_API_URL: slack.apiUrl, SLACK_CONTENT: 'full',
    }),
    ...(twilio ? {
      TWILIO_ACCOUNT_SID: TWILIO.accountSid, TWILIO_AUTH_TOKEN: TWILIO.authToken, TWILIO_FROM: TWILIO.from, TWILIO_API_URL: twilio.apiUrl,
    } : {}),
    ...options.env,
  });
  const app = await createApp(config, { logDestination: sink, ...(options.store ? { store: options.store } : {}) });
  const address = await app.start();
  const url = address.replace('[::1]', '127.0.0.1');
  slack.setEventsUrl(`${url}/slack/events`);
  twilio?.setSmsUrl(`${url}/webhooks/twilio/sms`);
  const inbox = app.demo?.inbox ?? await app.store.findFirstWebInbox();
  if (!inbox) throw new Error('no inbox');
  return {
    app, url, wsUrl: url.replace(/^http/, 'ws'), inbox, slack, twilio,
    logs: () => lines.join(''),
    async close() {
      await app.stop();
      await slack.close();
      await twilio?.close();
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function eventually<T>(fn: () => T | undefined | null | false | Promise<T | undefined | null | false>, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The ts of the first Slack thread Bedside opened, once Bedside has also recorded it. */
export async function firstThread(h: Harness): Promise<string> {
  const parent = await h.slack.waitFor(() => h.slack.posts(SLACK.channelId).find((p) => !p.thread_ts));
  // Slack has the post a moment before Bedside has recorded its thread.
  await eventually(() => h.app.store.findConversationBySlackThread(SLACK.channelId, parent.ts));
  return parent.ts;
}

/** Every message of the harness's organization, whatever its conversation or kind (ids 1, 2, 3...). */
export async function storedMessages(h: Harness): Promise<Message[]> {
  const out: Message[] = [];
  for (let id = 1, misses = 0; misses < 20; id++) {
    const m = await h.app.store.getMessage(h.inbox.orgId, id);
    if (m) {
      out.push(m);
      misses = 0;
    } else {
      misses++;
    }
  }
  return out;
}
