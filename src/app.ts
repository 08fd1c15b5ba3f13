/**
 * Composition root: config -> store -> bus -> channels -> http -> workers. Tests build the same
 * app in-process; main.ts adds signals and the start-up banner.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import cookie from '@fastify/cookie';
import type { DestinationStream } from 'pino';
import { MemoryBus } from './bus/memory-bus.ts';
import { RedisBus } from './bus/redis-bus.ts';
import { MemoryPresence, type PresenceRegistry } from './bus/presence.ts';
import { RedisPresence } from './bus/redis-presence.ts';
import { StaffPresence } from './features/presence.ts';
import type { Bus } from './bus/types.ts';
import { ChannelRegistry } from './channels/registry.ts';
import { registerSlackHandlers } from './channels/slack/handlers.ts';
import { slackConnection, slackInstallApiRoutes, slackOAuthCallbackRoute } from './channels/slack/install-routes.ts';
import { SlackInstaller } from './channels/slack/oauth.ts';
import { slackRoutes } from './channels/slack/routes.ts';
import { EnvWorkspace, InstalledWorkspaces, type SlackWorkspaces } from './channels/slack/workspaces.ts';
import { widgetAdapter } from './channels/widget/adapter.ts';
import { TwilioApi } from './channels/twilio-sms/api.ts';
import { twilioSmsAdapter } from './channels/twilio-sms/adapter.ts';
import { registerTwilioHandlers } from './channels/twilio-sms/handlers.ts';
import { messagingApps } from './channels/messaging-apps.ts';
import { whatsappRoutes } from './http/api/whatsapp-routes.ts';
import { twilioRoutes } from './channels/twilio-sms/routes.ts';
import type { EmailChannel } from './channels/email/index.ts';
import { WIDGET_MAX_FRAME_BYTES, widgetSocketRoutes } from './channels/widget/socket.ts';
import type { Config } from './config.ts';
import type { Inbox } from './domain/types.ts';
import { ConversationService } from './features/conversations.ts';
import { writerInTransaction } from './features/patient-message-write.ts';
import { PatientMessageThread } from './features/writer-thread/writer-thread.ts';
import { registerDeliveryHandler } from './features/delivery.ts';
import { ensureEmailInbox, ensureSmsInbox, seedDemoPractice } from './features/demo.ts';
import { attachmentPolicy } from './features/attachments.ts';
import { AuditTrail } from './features/audit.ts';
import { StaffAuth } from './features/staff-auth.ts';
import { adminRoutes } from './http/api/admin-routes.ts';
import { attachmentRoutes } from './http/api/attachment-routes.ts';
import { auditRoutes } from './http/api/audit-routes.ts';
import { authRoutes } from './http/api/auth-routes.ts';
import { recordsRoutes } from './http/api/records-routes.ts';
import { RecordsService } from './features/records.ts';
import { jobKinds } from './features/job-kinds.ts';
import { Scheduler } from './jobs/scheduler.ts';
import { SecureLinks } from './features/secure-links.ts';
import { secureLinkPages, secureLinkRoutes } from './http/secure-link-pages.ts';
import { registerReencryptHandler } from './features/key-rotation.ts';
import { conversationRoutes } from './http/api/conversation-routes.ts';
import { ApiRegistry } from './http/api/registry.ts';
import { SessionGuard } from './http/api/session-guard.ts';
import { installWebSockets } from './http/websocket-routes.ts';
import { staffSocketRoutes } from './http/api/staff-socket.ts';
import { frameworkErrorHandler, installErrorHandlers } from './http/errors.ts';
import { inboxPages } from './http/inbox-pages.ts';
import { healthRoutes } from './http/health.ts';
import { AppMetrics, installRequestMetrics, metricsRoutes } from './http/metrics.ts';
import { installSecurityHeaders } from './http/security-headers.ts';
import { widgetPages } from './http/widget-pages.ts';
import { JobWorker } from './jobs/worker.ts';
import { createLogger, type Logger } from './log.ts';
import { loadMasterKey, type MasterKey } from './security/master-key.ts';
import { loadOrCreateSecretKey } from './security/secret-key.ts';
import { openConfiguredStore } from './store/open.ts';
import { sqliteFile } from './store/sqlite/open.ts';
import type { Store } from './store/types.ts';
import { withFields } from './domain/with-fields.ts';

/** JSON bodies anywhere else are small; Slack's route sets its own limit. */
const DEFAULT_BODY_LIMIT = 64 * 1024;

export interface App {
  config: Config;
  http: FastifyInstance;
  store: Store;
  bus: Bus;
  worker: JobWorker;
  log: Logger;
  conversations: ConversationService;
  auth: StaffAuth;
  /** Present when e-mail is configured (EMAIL_ADDRESS, SMTP_URL). */
  email: EmailChannel | undefined;
  metrics: AppMetrics;
  /** Set when the demo practice was created by this start. */
  demo: { inbox: Inbox } | undefined;
  /** Listens, starts the workers; resolves with the bound address. */
  start(): Promise<string>;
  /** Stops taking work, drains, closes: what SIGTERM does. */
  stop(): Promise<void>;
}

export interface AppOptions {
  logDestination?: DestinationStream;
  /** An already-open store (tests); otherwise PostgreSQL (DATABASE_URL) or the SQLite file under DATA_DIR. */
  store?: Store;
}

export async function createApp(config: Config, options: AppOptions = {}): Promise<App> {
  const log = createLogger(config.logLevel, options.logDestination);
  const master = loadMasterKey(withFields(config.masterKey, { dataDir: config.dataDir, allowGenerate: config.env !== 'production' }));
  if (master.generatedAt) {
    log.warn({ file: master.generatedAt }, 'no MASTER_KEY given: generated a development master key outside DATA_DIR; set MASTER_KEY (or MASTER_KEY_FILE) in production');
  }
  const store = options.store ?? await openConfiguredStore(config, master.key);
  const metrics = new AppMetrics(store);
  // One node: in-process. Several nodes: REDIS_URL, so each node's sockets see the others' events.
  const bus: Bus = config.redis
    ? new RedisBus(withFields(config.redis, { log: log.child({ module: 'bus' }), onPublishFailed: () => metrics.busPublishFailed() }))
    : new MemoryBus();
  const presenceRegistry: PresenceRegistry = config.redis ? new RedisPresence(config.redis) : new MemoryPresence();
  const secretKey = loadOrCreateSecretKey(config.dataDir, config.secretKey);
  const audit = new AuditTrail(log.child({ module: 'audit' }));
  const auth = new StaffAuth(store, audit, withFields(config.sessions, { publicUrl: config.publicUrl, serverKey: secretKey }));
  const demo = config.demo ? await seedDemoPractice(store, auth) : undefined;

  const worker = new JobWorker(store, log.child({ module: 'jobs' }), withFields(config.jobs, { onFailure: (kind: string) => metrics.jobFailed(kind) }));
  // A Slack call must give up well before its job's lease ends, or a second run could overlap it.
  const slackTimeoutMs = Math.min(10_000, config.jobs.leaseMs / 2);
  // One workspace from the environment, or one per practice installed by "Add to Slack".
  const installed = config.slackApp && !config.slack ? await new InstalledWorkspaces(store, config.slackApp, slackTimeoutMs).load() : undefined;
  const slackWorkspaces: SlackWorkspaces | undefined = config.slack ? new EnvWorkspace(config.slack, slackTimeoutMs) : installed;
  const stopSlackRefresh = installed?.keepFresh(30_000, (err) => log.warn({ err }, 'slack installations not re-read'));
  // Only on the store opened here: a store passed in (tests, a second node) is its opener's.
  const patientMessageThread = !options.store && store.dialect === 'sqlite'
    ? await startPatientMessageThread(store, config, master.key, log) : undefined;
  const conversations = new ConversationService(store, bus, {
    slackEnabledFor: (orgId) => slackWorkspaces?.enabledFor(orgId) ?? false,
    onJobsQueued: () => worker.wake(),
    attachmentPolicy: attachmentPolicy(config),
    metrics,
    ...(patientMessageThread ? { patientMessageWriter: patientMessageThread } : {}),
  });
  const secureLinks = new SecureLinks(store, conversations, audit, config.publicUrl, () => worker.wake());
  const patientChannels = [widgetAdapter(bus)];
  let smsInboxId: string | undefined;
  if (config.twilio) {
    const twilio = config.twilio;
    const api = new TwilioApi(twilio, Math.min(10_000, config.jobs.leaseMs / 2));
    const statusCallbackUrl = `${config.publicUrl}/webhooks/twilio/status`;
    patientChannels.push(twilioSmsAdapter({
      store, api, statusCallbackUrl, report: (m, d) => conversations.deliveryChanged(m, d),
      bodyFor: async ({ conversation, message }) => {
        const mode = (await store.getOrganization(conversation.orgId))?.settings?.channelContent?.sms ?? 'text';
        return mode === 'notice' ? secureLinks.noticeFor(conversation) : message.body;
      },
    }));
    registerTwilioHandlers(worker, { api, statusCallbackUrl, store, conversations, attachmentPolicy: attachmentPolicy(config), log: log.child({ module: 'twilio' }) });
    smsInboxId = (await ensureSmsInbox(store))?.id;
  }
  // Messenger, WhatsApp and Viber, each when configured (channels/messaging-apps.ts).
  const apps = await messagingApps({
    settings: config.channels, store, conversations, noticeFor: (c) => secureLinks.noticeFor(c),
    attachmentPolicy: attachmentPolicy(config), timeoutMs: Math.min(10_000, config.jobs.leaseMs / 2), log,
  });
  patientChannels.push(...apps.adapters);
  let email: EmailChannel | undefined;
  if (config.email) {
    const emailInboxId = (await ensureEmailInbox(store))?.id;
    // Loaded only when configured: the mail parsers weigh on every start otherwise.
    const { emailChannel } = await import('./channels/email/index.ts');
    email = emailChannel({
      settings: config.email, store, conversations, worker, secret: secretKey, timeoutMs: Math.min(10_000, config.jobs.leaseMs / 2),
      attachmentMaxBytes: config.attachmentMaxBytes,
      inbox: async () => {
        const inboxes = await Promise.all((await store.listOrganizations()).map((o) => store.listInboxes(o.id)));
        return inboxes.flat().find((i) => i.id === emailInboxId);
      },
      noticeFor: async (conversation) => ((await store.getOrganization(conversation.orgId))?.settings?.channelContent?.email === 'notice'
        ? secureLinks.noticeFor(conversation) : undefined),
      log: log.child({ module: 'email' }),
    });
    patientChannels.push(email.adapter);
  }
  registerDeliveryHandler(worker, store, new ChannelRegistry(patientChannels));
  registerDeliveryHandler(worker, store, new ChannelRegistry(patientChannels), metrics);

  const http: FastifyInstance = Fastify({
    loggerInstance: log.child({ module: 'http' }) as FastifyBaseLogger,
    bodyLimit: DEFAULT_BODY_LIMIT,
    trustProxy: config.trustProxy,
    // Ids in logs let one request be followed without logging anything it carried.
    requestIdHeader: false,
    return503OnClosing: true,
    frameworkErrors: frameworkErrorHandler,
  });
  installErrorHandlers(http);
  installSecurityHeaders(http, config.publicUrl.startsWith('https://'));
  installWebSockets(http, { maxPayload: WIDGET_MAX_FRAME_BYTES });
  await http.register(cookie);
  installRequestMetrics(http, metrics);
  // Events may have been lost between nodes (Redis was away): clients reconnect and resume from the
  // store (the widget replays after its last seen id, the inbox refetches what it shows).
  bus.onGap(() => {
    const sockets = [...(http.websocketServer?.clients ?? [])];
    log.info({ sockets: sockets.length }, 'live updates may have been missed: asking clients to resume');
    for (const client of sockets) client.close(1012, 'resync');
  });

  let ready = false;
  await http.register(healthRoutes, {
    store, bus, redis: config.redis !== undefined, isReady: () => ready,
    ...(config.slackApp ? { slackWorkspaces: () => store.slack.countInstallations() } : {}),
  });
  await http.register(metricsRoutes, { metrics, token: config.metricsToken });
  await http.register(widgetPages, {
    // Single-practice installs: /demo shows the first website inbox.
    demoInbox: async () => demo?.inbox ?? await store.findFirstWebInbox(),
  });
  await http.register(widgetSocketRoutes, { store, bus, conversations, secretKey, log: log.child({ module: 'widget' }) });

  const guard = new SessionGuard(auth, audit, store, config.publicUrl.startsWith('https://'));
  const api = new ApiRegistry(http, guard);
  authRoutes(api, { auth, guard, store });
  conversationRoutes(api, { store, conversations, audit });
  if (apps.whatsapp) whatsappRoutes(api, { store, conversations, audit });
  adminRoutes(api, {
    store, auth, audit, publicUrl: config.publicUrl,
    slack: {
      connected: config.slack !== undefined, channelId: config.slack?.channelId ?? null,
      defaultContent: config.slack?.content ?? config.slackApp?.content ?? 'notice',
      ...(slackWorkspaces ? { connection: (orgId: string) => slackConnection(store, slackWorkspaces.mode, orgId) } : {}),
    },
  });
  auditRoutes(api, { store, audit });
  attachmentRoutes(api, { store, audit });
  secureLinkRoutes(api, secureLinks);
  await http.register(secureLinkPages);
  const records = new RecordsService(store, audit);
  recordsRoutes(api, { store, records, audit });
  worker.register(jobKinds.retentionSweep, async () => { await records.sweep(); });
  registerReencryptHandler(worker, store, audit);
  const scheduler = new Scheduler(store, [{ kind: jobKinds.retentionSweep, everyMs: config.retentionSweepMs }], () => worker.wake(), log.child({ module: 'scheduler' }));
  http.get('/api/openapi.json', async () => api.openApi(config.publicUrl));
  await http.register(staffSocketRoutes, { store, bus, auth, guard, conversations, presence: new StaffPresence(presenceRegistry, bus) });
  await http.register(inboxPages);

  if (config.twilio) {
    const twilio = config.twilio;
    await http.register(twilioRoutes, {
      store, conversations, twilio, publicUrl: config.publicUrl,
      smsInbox: async () => {
        const inboxes = await Promise.all((await store.listOrganizations()).map((o) => store.listInboxes(o.id)));
        return inboxes.flat().find((i) => i.id === smsInboxId);
      },
      helpText: (practice) => twilio.helpText ?? `${practice}: reply to this number to reach our front desk. Reply STOP to opt out. In an emergency call 911.`,
      onJobsQueued: () => worker.wake(), attachmentPolicy: attachmentPolicy(config), log: log.child({ module: 'twilio' }),
    });
  }

  await apps.registerRoutes(http);
  await email?.routes(http);

  const slackSigningSecret = config.slack?.signingSecret ?? config.slackApp?.signingSecret;
  if (slackWorkspaces && slackSigningSecret) {
    registerSlackHandlers(worker, {
      store, workspaces: slackWorkspaces, conversations, defaultContent: config.slack?.content ?? config.slackApp?.content ?? 'notice',
      publicUrl: config.publicUrl, audit, log: log.child({ module: 'slack' }),
    });
    await http.register(slackRoutes, {
      store, signingSecret: slackSigningSecret, publicUrl: config.publicUrl, onJobsQueued: () => worker.wake(),
      log: log.child({ module: 'slack' }),
    });
  }
  if (config.slackApp && slackWorkspaces) {
    const installer = new SlackInstaller(store, slackWorkspaces, audit, config.slackApp, config.publicUrl, config.sessions.idleMs, slackTimeoutMs);
    slackInstallApiRoutes(api, { app: config.slackApp, store, installer, workspaces: slackWorkspaces, audit, publicUrl: config.publicUrl });
    await http.register(slackOAuthCallbackRoute, { installer, publicUrl: config.publicUrl });
  }

  let stopping: Promise<void> | undefined;
  return {
    config, http, store, bus, worker, log, conversations, auth, metrics, demo, email,
    async start() {
      const address = await http.listen({ port: config.port, host: config.host });
      await email?.start();
      worker.start();
      scheduler.start();
      ready = true;
      return address;
    },
    stop() {
      stopping ??= (async () => {
        ready = false;
        // Still serving, but /readyz says 503: the load balancer stops sending new traffic here.
        if (config.shutdownDrainMs > 0) await new Promise((r) => setTimeout(r, config.shutdownDrainMs));
        // Close sockets first with "service restart" so widgets reconnect (to another node if any).
        for (const client of http.websocketServer?.clients ?? []) client.close(1012, 'restarting');
        await http.close();
        await email?.stop();
        scheduler.stop();
        stopSlackRefresh?.();
        await worker.stop(config.shutdownGraceMs);
        await patientMessageThread?.stop();
        await bus.close();
        await presenceRegistry.close();
        await store.close();
      })();
      return stopping;
    },
  };
}

/**
 * The embedded SQLite store writes patients' messages on a thread of its own (see
 * features/writer-thread/). Should it fail to start, the server's thread writes them, as it does
 * on PostgreSQL, whose writes already happen off this process.
 */
async function startPatientMessageThread(store: Store, config: Config, masterKey: MasterKey, log: Logger): Promise<PatientMessageThread | undefined> {
  const policy = attachmentPolicy(config);
  return PatientMessageThread.start({
    file: sqliteFile(config.dataDir), masterKey, attachmentPolicy: policy, log: log.child({ module: 'writer-thread' }),
    wordIndex: store.wordIndex, dataKeyChanges: store.dataKeyChanges,
    fallback: writerInTransaction(store, { now: Date.now, attachmentPolicy: policy }),
  }).catch((err: unknown) => {
    log.error({ err }, 'patient-message writer thread did not start; writing on the server thread');
    return undefined;
  });
}
