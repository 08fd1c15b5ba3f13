/**
 * All settings, from environment variables (12-factor), validated in one place.
 * A bad value stops the boot with a message that names the variable; nothing starts half-configured.
 */
import { z } from 'zod';
import { channelEnvShape, channelSettings, type ChannelSettings } from './config-channels.ts';

const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => ['true', '1', 'yes'].includes(v));
const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();
const postgresUrl = z.string().refine((u) => /^postgres(ql)?:\/\/./.test(u), 'must be a postgres:// URL');
const httpUrl = z.string().url().refine((u) => /^https?:\/\//.test(u), 'must start with http:// or https://');

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: port.default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  PUBLIC_URL: httpUrl.optional(),
  DATA_DIR: z.string().min(1).default('./data'),
  /** PostgreSQL instead of the embedded SQLite file (see docs/deployment-postgres.md). */
  DATABASE_URL: postgresUrl.optional(),
  /** The schema owner, when DATABASE_URL is the application role (least privilege). */
  DATABASE_MIGRATION_URL: postgresUrl.optional(),
  DATABASE_POOL_MAX: positiveInt.max(1000).default(10),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Signs visitor tokens. When unset, a random key is generated once and kept in DATA_DIR. */
  SECRET_KEY: z.string().min(32, 'must be at least 32 characters').optional(),
  /** Wraps the organizations' data keys: 32 bytes as 64 hex digits or base64. Kept away from DATA_DIR. */
  MASTER_KEY: z.string().refine((v) => /^[0-9a-fA-F]{64}$/.test(v.trim()) || Buffer.from(v.trim(), 'base64').length === 32,
    'must be 32 bytes, as 64 hex digits or base64').optional(),
  MASTER_KEY_FILE: z.string().min(1).optional(),
  /** Seed a demo practice when the database has no organization yet. */
  DEMO: bool.default(true),
  TRUST_PROXY: bool.default(false),

  SLACK_BOT_TOKEN: z.string().regex(/^xox[bp]-/, 'must be a bot token starting with xoxb-').optional(),
  SLACK_SIGNING_SECRET: z.string().min(8).optional(),
  SLACK_CHANNEL_ID: z.string().regex(/^[CGD][A-Z0-9]{2,}$/, 'must be a Slack channel id such as C0123456789').optional(),
  SLACK_API_URL: httpUrl.default('https://slack.com/api/'),
  SLACK_CONTENT: z.enum(['notice', 'full']).default('notice'),
  /** "Add to Slack" (OAuth v2): one app, a workspace per practice. */
  SLACK_CLIENT_ID: z.string().regex(/^\d+\.\d+$/, 'must be the app\'s Client ID, such as 2141029472.691202649728').optional(),
  SLACK_CLIENT_SECRET: z.string().min(16).optional(),
  SLACK_OAUTH_URL: httpUrl.default('https://slack.com/oauth/v2/authorize'),

  TWILIO_ACCOUNT_SID: z.string().regex(/^AC[0-9a-fA-F]{32}$/, 'must be an Account SID (AC followed by 32 hex digits)').optional(),
  TWILIO_AUTH_TOKEN: z.string().min(16).optional(),
  TWILIO_FROM: z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 phone number such as +15550100000').optional(),
  TWILIO_API_URL: httpUrl.default('https://api.twilio.com'),
  SMS_HELP_TEXT: z.string().max(300).optional(),

  /** E-mail: the practice's address (replies come from it; the listener accepts mail only for it). */
  EMAIL_ADDRESS: z.string().regex(/^[^\s@<>"]+@[^\s@<>"]+\.[^\s@<>"]+$/, 'must be an e-mail address such as frontdesk@example-clinic.org').optional(),
  EMAIL_FROM_NAME: z.string().max(100).regex(/^[^\r\n]*$/, 'must be one line').optional(),
  SMTP_URL: z.string().regex(/^smtps?:\/\//, 'must start with smtp:// or smtps://').optional(),
  SMTP_LISTEN_PORT: port.optional(),
  SMTP_LISTEN_HOST: z.string().min(1).default('127.0.0.1'),
  /** Largest message accepted, announced in EHLO SIZE; attachments have their own cap. */
  EMAIL_MAX_BYTES: positiveInt.max(100 * 1024 * 1024).default(25 * 1024 * 1024),
  MAILGUN_SIGNING_KEY: z.string().min(16).optional(),
  /** PEM files for the listener's STARTTLS; without them it offers a built-in self-signed certificate. */
  SMTP_TLS_KEY_FILE: z.string().min(1).optional(),
  SMTP_TLS_CERT_FILE: z.string().min(1).optional(),

  JOB_MAX_ATTEMPTS: positiveInt.max(100).default(20),
  JOB_BASE_DELAY_MS: positiveInt.default(1000),
  JOB_MAX_DELAY_MS: positiveInt.default(600_000),
  JOB_LEASE_MS: positiveInt.default(60_000),
  JOB_POLL_MS: positiveInt.default(500),
  SHUTDOWN_GRACE_MS: positiveInt.default(10_000),
  /** How long a stopping node answers /readyz with 503 before it closes, so a load balancer moves away first. */
  SHUTDOWN_DRAIN_MS: z.coerce.number().int().min(0).max(120_000).default(0),
  /** Old-generation growth before a full collection (see heap-growth.ts); 0 leaves it to V8. */
  HEAP_GROWTH_PERCENT: z.coerce.number().int().min(0).max(300, 'must be at most 300 (four times the live heap, the most V8 uses itself)').default(300),

  /** Automatic logoff (HIPAA 164.312(a)(2)(iii)): 15 minutes by default, never more than 60. */
  SESSION_IDLE_SECONDS: z.coerce.number().int().min(5).max(3600, 'must be at most 3600 (60 minutes)').default(900),
  SESSION_MAX_HOURS: z.coerce.number().positive().max(24).default(12),
  ENROLMENT_LINK_HOURS: z.coerce.number().positive().max(72).default(24),
  /** How often the retention rule runs. */
  RETENTION_SWEEP_MINUTES: z.coerce.number().positive().max(1440).default(60),
  /** Largest file a patient may send on any channel (bytes); larger ones are refused, not stored. */
  ATTACHMENT_MAX_BYTES: positiveInt.max(50 * 1024 * 1024).default(10 * 1024 * 1024),
  ...channelEnvShape,

  /** Live updates across nodes through Redis pub/sub; one node needs none. */
  REDIS_URL: z.string().refine((u) => /^rediss?:\/\/[^\s]+$/.test(u), 'must start with redis:// or rediss://').optional(),
  REDIS_PREFIX: z.string().regex(/^[A-Za-z0-9:_.-]{1,64}$/, 'must be 1-64 letters, digits or : _ . -').default('bedside:'),
  /** Bearer token for GET /metrics; without it only direct requests from private addresses may read it. */
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
});

export interface SlackConfig {
  botToken: string;
  signingSecret: string;
  channelId: string;
  apiUrl: string;
  content: 'notice' | 'full';
}

/** Many workspaces through one Slack app installed by OAuth; tokens live in the database. */
export interface SlackAppConfig {
  clientId: string;
  clientSecret: string;
  signingSecret: string;
  apiUrl: string;
  /** The authorize page browsers are sent to. */
  oauthUrl: string;
  content: 'notice' | 'full';
}

export interface TwilioSettings {
  accountSid: string;
  authToken: string;
  from: string;
  apiUrl: string;
  helpText: string | undefined;
}

export interface EmailSettings {
  address: string;
  fromName: string | undefined;
  smtpUrl: string;
  listen: { port: number; host: string; tls: { keyFile: string; certFile: string } | undefined } | undefined;
  maxBytes: number;
  mailgunSigningKey: string | undefined;
}

export interface Config {
  env: 'development' | 'production' | 'test';
  port: number;
  host: string;
  publicUrl: string;
  dataDir: string;
  /** Set: PostgreSQL; unset: the SQLite file under dataDir. */
  databaseUrl: string | undefined;
  databaseMigrationUrl: string | undefined;
  databasePoolMax: number;
  logLevel: string;
  secretKey: string | undefined;
  masterKey: { value: string | undefined; file: string | undefined };
  demo: boolean;
  trustProxy: boolean;
  slack: SlackConfig | undefined;
  slackApp: SlackAppConfig | undefined;
  twilio: TwilioSettings | undefined;
  /** Messenger, WhatsApp and Viber (config-channels.ts). */
  channels: ChannelSettings;
  email: EmailSettings | undefined;
  jobs: { maxAttempts: number; baseDelayMs: number; maxDelayMs: number; leaseMs: number; pollMs: number };
  shutdownGraceMs: number;
  shutdownDrainMs: number;
  heapGrowthPercent: number;
  sessions: { idleMs: number; maxAgeMs: number; enrolmentLinkMs: number };
  retentionSweepMs: number;
  attachmentMaxBytes: number;
  redis: { url: string; prefix: string } | undefined;
  metricsToken: string | undefined;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const SLACK_VARS = ['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'SLACK_CHANNEL_ID'] as const;
const SLACK_APP_VARS = ['SLACK_CLIENT_ID', 'SLACK_CLIENT_SECRET', 'SLACK_SIGNING_SECRET'] as const;

/** Either one workspace from the environment, or "Add to Slack" for many: never both. */
function slackModeProblems(e: Record<string, unknown>): string[] {
  const oauth = e.SLACK_CLIENT_ID !== undefined || e.SLACK_CLIENT_SECRET !== undefined;
  if (!oauth) return together(e, SLACK_VARS);
  const single = ['SLACK_BOT_TOKEN', 'SLACK_CHANNEL_ID'].filter((k) => e[k] !== undefined)
    .map((k) => `${k}: not used with SLACK_CLIENT_ID ("Add to Slack" stores each practice's token); unset one of them`);
  return [...together(e, SLACK_APP_VARS), ...single];
}
const TWILIO_VARS = ['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'TWILIO_FROM'] as const;
const EMAIL_VARS = ['EMAIL_ADDRESS', 'SMTP_URL'] as const;
const SMTP_TLS_VARS = ['SMTP_TLS_KEY_FILE', 'SMTP_TLS_CERT_FILE'] as const;

/** Variables that only make sense together: all or none, and the message names the missing ones. */
function together(e: Record<string, unknown>, names: readonly string[]): string[] {
  const present = names.filter((k) => e[k] !== undefined);
  if (present.length === 0 || present.length === names.length) return [];
  return names.filter((k) => e[k] === undefined)
    .map((k) => `${k}: required when ${present.join(', ')} ${present.length > 1 ? 'are' : 'is'} set`);
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty strings mean "unset": shells and .env files produce them for blank lines.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    // Name the variable and the rule, never echo the value: it may be a secret.
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  const e = parsed.data;
  const channels = channelSettings(e);
  const incomplete = [...slackModeProblems(e), ...together(e, TWILIO_VARS), ...together(e, EMAIL_VARS), ...together(e, SMTP_TLS_VARS), ...channels.problems];
  if (e.DATABASE_MIGRATION_URL && !e.DATABASE_URL) incomplete.push('DATABASE_URL: required when DATABASE_MIGRATION_URL is set');
  if (!e.EMAIL_ADDRESS && (e.SMTP_LISTEN_PORT !== undefined || e.MAILGUN_SIGNING_KEY)) {
    incomplete.push('EMAIL_ADDRESS: required when SMTP_LISTEN_PORT or MAILGUN_SIGNING_KEY is set');
  }
  if (incomplete.length) throw new ConfigError(incomplete);
  const publicUrl = (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, '');
  return {
    env: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST,
    publicUrl,
    dataDir: e.DATA_DIR,
    databaseUrl: e.DATABASE_URL,
    databaseMigrationUrl: e.DATABASE_MIGRATION_URL,
    databasePoolMax: e.DATABASE_POOL_MAX,
    logLevel: e.LOG_LEVEL,
    secretKey: e.SECRET_KEY,
    masterKey: { value: e.MASTER_KEY, file: e.MASTER_KEY_FILE },
    demo: e.DEMO,
    trustProxy: e.TRUST_PROXY,
    slack: e.SLACK_BOT_TOKEN && e.SLACK_SIGNING_SECRET && e.SLACK_CHANNEL_ID
      ? {
          botToken: e.SLACK_BOT_TOKEN,
          signingSecret: e.SLACK_SIGNING_SECRET,
          channelId: e.SLACK_CHANNEL_ID,
          apiUrl: e.SLACK_API_URL.endsWith('/') ? e.SLACK_API_URL : `${e.SLACK_API_URL}/`,
          content: e.SLACK_CONTENT,
        }
      : undefined,
    slackApp: e.SLACK_CLIENT_ID && e.SLACK_CLIENT_SECRET && e.SLACK_SIGNING_SECRET
      ? {
          clientId: e.SLACK_CLIENT_ID, clientSecret: e.SLACK_CLIENT_SECRET, signingSecret: e.SLACK_SIGNING_SECRET,
          apiUrl: e.SLACK_API_URL.endsWith('/') ? e.SLACK_API_URL : `${e.SLACK_API_URL}/`, oauthUrl: e.SLACK_OAUTH_URL, content: e.SLACK_CONTENT,
        }
      : undefined,
    twilio: e.TWILIO_ACCOUNT_SID && e.TWILIO_AUTH_TOKEN && e.TWILIO_FROM
      ? { accountSid: e.TWILIO_ACCOUNT_SID, authToken: e.TWILIO_AUTH_TOKEN, from: e.TWILIO_FROM, apiUrl: e.TWILIO_API_URL, helpText: e.SMS_HELP_TEXT }
      : undefined,
    channels: channels.settings,
    email: e.EMAIL_ADDRESS && e.SMTP_URL
      ? {
          address: e.EMAIL_ADDRESS.toLowerCase(), fromName: e.EMAIL_FROM_NAME, smtpUrl: e.SMTP_URL,
          listen: e.SMTP_LISTEN_PORT === undefined ? undefined : {
            port: e.SMTP_LISTEN_PORT, host: e.SMTP_LISTEN_HOST,
            tls: e.SMTP_TLS_KEY_FILE && e.SMTP_TLS_CERT_FILE ? { keyFile: e.SMTP_TLS_KEY_FILE, certFile: e.SMTP_TLS_CERT_FILE } : undefined,
          },
          maxBytes: e.EMAIL_MAX_BYTES, mailgunSigningKey: e.MAILGUN_SIGNING_KEY,
        }
      : undefined,
    jobs: {
      maxAttempts: e.JOB_MAX_ATTEMPTS,
      baseDelayMs: e.JOB_BASE_DELAY_MS,
      maxDelayMs: e.JOB_MAX_DELAY_MS,
      leaseMs: e.JOB_LEASE_MS,
      pollMs: e.JOB_POLL_MS,
    },
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    shutdownDrainMs: e.SHUTDOWN_DRAIN_MS,
    heapGrowthPercent: e.HEAP_GROWTH_PERCENT,
    sessions: {
      idleMs: e.SESSION_IDLE_SECONDS * 1000,
      maxAgeMs: e.SESSION_MAX_HOURS * 3600_000,
      enrolmentLinkMs: e.ENROLMENT_LINK_HOURS * 3600_000,
    },
    retentionSweepMs: e.RETENTION_SWEEP_MINUTES * 60_000,
    attachmentMaxBytes: e.ATTACHMENT_MAX_BYTES,
    redis: e.REDIS_URL ? { url: e.REDIS_URL, prefix: e.REDIS_PREFIX } : undefined,
    metricsToken: e.METRICS_TOKEN,
  };
}

/** What is wrong with a configuration, one line per variable (empty when it loads). */
export function configProblems(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}
