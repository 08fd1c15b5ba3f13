/**
 * `npm start`: boot from the environment, print where things are, drain cleanly on SIGTERM/SIGINT.
 */
import { createApp } from './app.ts';
import { ConfigError, loadConfig } from './config.ts';
import { DEMO_OWNER_EMAIL, demoEnrolmentLink } from './features/demo.ts';
import { setHeapGrowth } from './heap-growth.ts';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\nBedside did not start. Fix the variables above and try again.\n`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }

  setHeapGrowth(config.heapGrowthPercent);
  const app = await createApp(config);
  await app.start();
  // Before anything else is awaited: a SIGTERM right after the server answers must still drain.
  const shutdown = (signal: string) => {
    app.log.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), config.shutdownDrainMs + config.shutdownGraceMs + 5000);
    force.unref();
    app.stop().then(() => process.exit(0), (err: unknown) => {
      app.log.error({ err }, 'shutdown failed');
      process.exit(1);
    });
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));

  const inbox = app.demo?.inbox ?? await app.store.findFirstWebInbox();
  const ownerLink = config.demo ? await demoEnrolmentLink(app.store, app.auth) : undefined;
  const lines = [
    '',
    `  Bedside is running at ${config.publicUrl}`,
    `  Staff inbox:      ${config.publicUrl}/inbox`,
    `  Health:           ${config.publicUrl}/healthz (alive), /readyz (ready), /metrics`,
    ...(inbox ? [
      `  Demo practice:    ${config.publicUrl}/demo`,
      `  Widget snippet:   <script src="${config.publicUrl}/widget/loader.js" data-inbox="${inbox.publicKey}" data-color="${inbox.settings.color}" async></script>`,
    ] : []),
    config.slack
      ? `  Slack:            events at ${config.publicUrl}/slack/events, channel ${config.slack.channelId}, content mode "${config.slack.content}"`
      : config.slackApp
        ? `  Slack:            "Add to Slack" per practice from ${config.publicUrl}/admin/slack; events at ${config.publicUrl}/slack/events`
        : '  Slack:            not connected (set SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SLACK_CHANNEL_ID)',
    config.twilio
      ? `  SMS:              Twilio webhooks at ${config.publicUrl}/webhooks/twilio/sms (status: /webhooks/twilio/status), from ${config.twilio.from}`
      : '  SMS:              not connected (set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_FROM)',
    // Never the URL itself: it may carry a password.
    `  Data:             ${config.databaseUrl ? 'PostgreSQL (DATABASE_URL)' : config.dataDir}`,
    ...(ownerLink ? [
      '',
      `  Demo owner (${DEMO_OWNER_EMAIL}): set a password and enrol two-factor sign-in at`,
      `  ${ownerLink}`,
      '  (one use, valid 24 hours; a new link is printed at each start until it is used)',
    ] : []),
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`Bedside failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
