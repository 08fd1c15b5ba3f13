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
import { startMetaEmulator, type MetaEmulator } from '../emulators/meta/index.ts';
import { startViberEmulator, type ViberEmulator } from '../emulators/viber/index.ts';
import { TEST_MASTER_KEY_TEXT } from './keys.ts';
import { startSmtpSink, type SmtpSink } from './smtp-sink.ts';
import { freePort } from './process.ts';
import { createTestDatabase, testEngine, type TestDatabase } from './postgres.ts';

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

export const META = {
  appSecret: 'meta-test-app-secret-0123456789',
  verifyToken: 'meta-test-verify-token',
  pageId: '104837295012345',
  pageToken: 'EAAG-test-page-token-0123456789',
  phoneNumberId: '106540352242922',
  whatsappToken: 'EAAG-test-whatsapp-token-0123456789',
};

export const VIBER = { authToken: '4453b6ac12345678-e02c5f12174805f9-viber-test', senderName: 'Riverside Front Desk' };

export const EMAIL = {
  address: 'frontdesk@riverside-clinic.test',
  mailgunSigningKey: 'mailgun-test-signing-key-0123456789',
};

export interface Harness {
  app: App;
  url: string;
  wsUrl: string;
  inbox: Inbox;
  slack: SlackEmulator;
  /** Present when started with `twilio: true`. */
  twilio: TwilioEmulator | undefined;
  /** Present when started with `meta: true` (Messenger and WhatsApp). */
  meta: MetaEmulator | undefined;
  /** Present when started with `viber: true`. */
  viber: ViberEmulator | undefined;
  /** Present when started with `email: true`: the relay Bedside sends through, and its listener. */
  email: { sink: SmtpSink; listenPort: number } | undefined;
  logs(): string;
  close(): Promise<void>;
}

export interface HarnessOptions {
  env?: Record<string, string>;
  slack?: boolean;
  twilio?: boolean;
  meta?: boolean;
  viber?: boolean;
  email?: boolean;
  /** Reuse a data directory (restart scenarios); a fresh temporary one otherwise. */
  dataDir?: string;
  /** On a fresh PostgreSQL database (dropped on close); default: BEDSIDE_TEST_ENGINE=postgres. */
  postgres?: boolean;
  /** An already-open store, shared with another app (two nodes of one deployment). */
  store?: Store;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'bedside-it-'));
  const slack = await startSlackEmulator({ botToken: SLACK.botToken, signingSecret: SLACK.signingSecret });
  slack.addUser({ id: STAFF.id, name: STAFF.name, realName: STAFF.realName, displayName: STAFF.displayName });
  const twilio = options.twilio ? await startTwilioEmulator({ accountSid: TWILIO.accountSid, authToken: TWILIO.authToken }) : undefined;
  const meta = options.meta ? await startMetaEmulator(META) : undefined;
  const viber = options.viber ? await startViberEmulator({ authToken: VIBER.authToken }) : undefined;
  const mailSink = options.email ? await startSmtpSink() : undefined;
  const smtpListenPort = mailSink ? await freePort() : 0;
  // A known port, so PUBLIC_URL (which vendors sign and links use) is the real address.
  const port = await freePort();
  const lines: string[] = [];
  const sink = new Writable({ write(chunk, _enc, cb) { lines.push(String(chunk)); cb(); } });
  const database: TestDatabase | undefined = (options.postgres ?? testEngine() === 'postgres') ? await createTestDatabase({ migrated: true }) : undefined;
  const config = loadConfig({
    ...(database ? { DATABASE_URL: database.url, DATABASE_POOL_MAX: '5' } : {}),
    PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}`, HOST: '127.0.0.1', DATA_DIR: dataDir, MASTER_KEY: TEST_MASTER_KEY_TEXT, LOG_LEVEL: 'debug', NODE_ENV: 'test',
    JOB_BASE_DELAY_MS: '50', JOB_MAX_DELAY_MS: '400', JOB_POLL_MS: '50', JOB_LEASE_MS: '2000', SHUTDOWN_GRACE_MS: '2000',
    ...(options.slack === false ? {} : {
      SLACK_BOT_TOKEN: SLACK.botToken, SLACK_SIGNING_SECRET: SLACK.signingSecret, SLACK_CHANNEL_ID: SLACK.channelId,
      SLACK_API_URL: slack.apiUrl, SLACK_CONTENT: 'full',
    }),
    ...(twilio ? {
      TWILIO_ACCOUNT_SID: TWILIO.accountSid, TWILIO_AUTH_TOKEN: TWILIO.authToken, TWILIO_FROM: TWILIO.from, TWILIO_API_URL: twilio.apiUrl,
    } : {}),
    ...(meta ? {
      META_APP_SECRET: META.appSecret, META_VERIFY_TOKEN: META.verifyToken, META_GRAPH_URL: meta.graphUrl,
      MESSENGER_PAGE_ID: META.pageId, MESSENGER_PAGE_TOKEN: META.pageToken, WHATSAPP_PHONE_NUMBER_ID: META.phoneNumberId, WHATSAPP_TOKEN: META.whatsappToken,
    } : {}),
    ...(viber ? { VIBER_AUTH_TOKEN: VIBER.authToken, VIBER_API_URL: viber.apiUrl, VIBER_SENDER_NAME: VIBER.senderName } : {}),
    ...(mailSink ? {
      EMAIL_ADDRESS: EMAIL.address, SMTP_URL: mailSink.url, SMTP_LISTEN_PORT: String(smtpListenPort), MAILGUN_SIGNING_KEY: EMAIL.mailgunSigningKey,
    } : {}),
    ...options.env,
  });
  const app = await createApp(config, { logDestination: sink, ...(options.store ? { store: options.store } : {}) });
  const address = await app.start();
  const url = address.replace('[::1]', '127.0.0.1');
  slack.setEventsUrl(`${url}/slack/events`);
  twilio?.setSmsUrl(`${url}/webhooks/twilio/sms`);
  meta?.setWebhookUrl(`${url}/webhooks/meta`);
  viber?.setWebhookUrl(`${url}/webhooks/viber`);
  const inbox = app.demo?.inbox ?? await app.store.findFirstWebInbox();
  if (!inbox) throw new Error('no inbox');
  return {
    app, url, wsUrl: url.replace(/^http/, 'ws'), inbox, slack, twilio, meta, viber,
    email: mailSink ? { sink: mailSink, listenPort: smtpListenPort } : undefined,
    logs: () => lines.join(''),
    async close() {
      await app.stop();
      await slack.close();
      await twilio?.close();
      await meta?.close();
      await viber?.close();
      await database?.drop();
      await mailSink?.close();
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The ts of the Slack thread whose parent mentions `text`, once Bedside has recorded it. */
export async function slackThreadOf(h: Harness, text: string): Promise<string> {
  const parent = await h.slack.waitFor(() => h.slack.posts(SLACK.channelId).find((p) => !p.thread_ts && JSON.stringify(p.blocks).includes(text)));
  await eventually(() => h.app.store.findConversationBySlackThread(SLACK.channelId, parent.ts));
  return parent.ts;
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
