/**
 * All settings, from environment variables (12-factor), validated in one place.
 * A bad value stops the boot with a message that names the variable; nothing starts half-configured.
 */
import { z } from 'zod';

const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => ['true', '1', 'yes'].includes(v));
const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();
const httpUrl = z.string().url().refine((u) => /^https?:\/\//.test(u), 'must start with http:// or https://');

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: port.default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  PUBLIC_URL: httpUrl.optional(),
  DATA_DIR: z.string().min(1).default('./data'),
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

  TWILIO_ACCOUNT_SID: z.string().regex(/^AC[0-9a-fA-F]{32}$/, 'must be an Account SID (AC followed by 32 hex digits)').optional(),
  TWILIO_AUTH_TOKEN: z.string().min(16).optional(),
  TWILIO_FROM: z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 phone number such as +15550100000').optional(),
  TWILIO_API_URL: httpUrl.default('https://api.twilio.com'),
  SMS_HELP_TEXT: z.string().max(300).optional(),

  JOB_MAX_ATTEMPTS: positiveInt.max(100).default(20),
  JOB_BASE_DELAY_MS: positiveInt.default(1000),
  JOB_MAX_DELAY_MS: positiveInt.default(600_000),
  JOB_LEASE_MS: positiveInt.default(60_000),
  JOB_POLL_MS: positiveInt.default(500),
  SHUTDOWN_GRACE_MS: positiveInt.default(10_000),
  /** How long a stopping node answers /readyz with 503 before it closes, so a load balancer moves away first. */
  SHUTDOWN_DRAIN_MS: z.coerce.number().int().min(0).max(120_000).default(0),

  /** Automatic logoff (HIPAA 164.312(a)(2)(iii)): 15 minutes by default, never more than 60. */
  SESSION_IDLE_SECONDS: z.coerce.number().int().min(5).max(3600, 'must be at most 3600 (60 minutes)').default(900),
  SESSION_MAX_HOURS: z.coerce.number().positive().max(24).default(12),
  ENROLMENT_LINK_HOURS: z.coerce.number().positive().max(72).default(24),
  /** How often the retention rule runs. */
  RETENTION_SWEEP_MINUTES: z.coerce.number().positive().max(1440).default(60),

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

export interface TwilioSettings {
  accountSid: string;
  authToken: string;
  from: string;
  apiUrl: string;
  helpText: string | undefined;
}

export interface Config {
  env: 'development' | 'production' | 'test';
  port: number;
  host: string;
  publicUrl: string;
  dataDir: string;
  logLevel: string;
  secretKey: string | undefined;
  masterKey: { value: string | undefined; file: string | undefined };
  demo: boolean;
  trustProxy: boolean;
  slack: SlackConfig | undefined;
  twilio: TwilioSettings | undefined;
  jobs: { maxAttempts: number; baseDelayMs: number; maxDelayMs: number; leaseMs: number; pollMs: number };
  shutdownGraceMs: number;
  shutdownDrainMs: number;
  sessions: { idleMs: number; maxAgeMs: number; enrolmentLinkMs: number };
  retentionSweepMs: number;
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
const TWILIO_VARS = ['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'TWILIO_FROM'] as const;

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
  const incomplete = [...together(e, SLACK_VARS), ...together(e, TWILIO_VARS)];
  if (incomplete.length) throw new ConfigError(incomplete);
  const publicUrl = (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, '');
  return {
    env: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST,
    publicUrl,
    dataDir: e.DATA_DIR,
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
    twilio: e.TWILIO_ACCOUNT_SID && e.TWILIO_AUTH_TOKEN && e.TWILIO_FROM
      ? { accountSid: e.TWILIO_ACCOUNT_SID, authToken: e.TWILIO_AUTH_TOKEN, from: e.TWILIO_FROM, apiUrl: e.TWILIO_API_URL, helpText: e.SMS_HELP_TEXT }
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
    sessions: {
      idleMs: e.SESSION_IDLE_SECONDS * 1000,
      maxAgeMs: e.SESSION_MAX_HOURS * 3600_000,
      enrolmentLinkMs: e.ENROLMENT_LINK_HOURS * 3600_000,
    },
    retentionSweepMs: e.RETENTION_SWEEP_MINUTES * 60_000,
    redis: e.REDIS_URL ? { url: e.REDIS_URL, prefix: e.REDIS_PREFIX } : undefined,
    metricsToken: e.METRICS_TOKEN,
  };
}
