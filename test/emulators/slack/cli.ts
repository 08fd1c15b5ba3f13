/**
 * Runs the Slack emulator standalone, with its JSON control API under /_emulator/ on the same port.
 *
 *   node --import tsx test/emulators/slack/cli.ts --port 4010 \
 *     --bot-token xoxb-test --signing-secret test-secret \
 *     --events-url http://127.0.0.1:3000/slack/events
 *
 * Options also read SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET from the environment.
 * Prints one line `SLACK_API_URL=<url>` once listening, then runs until SIGINT/SIGTERM.
 */
import { parseArgs } from 'node:util';
import { startSlackEmulator } from './index.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '4010' },
    host: { type: 'string', default: '127.0.0.1' },
    'bot-token': { type: 'string' },
    'signing-secret': { type: 'string' },
    'events-url': { type: 'string' },
    'interactions-url': { type: 'string' },
    'commands-url': { type: 'string' },
    'team-id': { type: 'string' },
    'bot-user-id': { type: 'string' },
    'bot-id': { type: 'string' },
    'app-id': { type: 'string' },
    channel: { type: 'string', multiple: true },
    user: { type: 'string', multiple: true },
    'echo-bot-messages': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
  strict: true,
});

const usage = `Usage: node --import tsx test/emulators/slack/cli.ts [options]
  --port <n>                 listen port (default 4010; 0 = ephemeral)
  --host <addr>              listen address (default 127.0.0.1)
  --bot-token <xoxb-...>     token the app must send (or SLACK_BOT_TOKEN)
  --signing-secret <s>       secret used to sign callbacks (or SLACK_SIGNING_SECRET)
  --events-url <url>         the app's Events API request URL
  --interactions-url <url>   where block_actions go (default: events URL)
  --commands-url <url>       where slash commands go (default: events URL)
  --team-id, --bot-user-id, --bot-id, --app-id   identity overrides
  --channel <C..[:name]>     register a channel (repeatable; default: any id starting with C)
  --user <U..:name[:Real Name]>  register a workspace member (repeatable)
  --echo-bot-messages        send the app a message event for each bot post, like Slack

Control API (JSON): GET /_emulator/health | posts[?channel=] | calls | updates | sent | responses
  POST /_emulator/reply {threadTs, user, text, channel?}   a staff reply in a thread
  POST /_emulator/event {event, eventId?, retryNum?}       any event, wrapped and signed
  POST /_emulator/block-action {user, actionId, value?, channel, messageTs}
  POST /_emulator/slash-command {command, text, userId, channelId}
  POST /_emulator/users {id, name, realName?, displayName?}   POST /_emulator/channels {id, name?}
  POST /_emulator/fail {method, status?, retryAfter?, error?, times?}
  POST /_emulator/outage {on}   POST /_emulator/hang {method}   POST /_emulator/events-url {url}
  POST /_emulator/reset`;

if (values.help) {
  console.log(usage);
  process.exit(0);
}

const botToken = values['bot-token'] ?? process.env.SLACK_BOT_TOKEN;
const signingSecret = values['signing-secret'] ?? process.env.SLACK_SIGNING_SECRET;
if (!botToken || !signingSecret) {
  console.error('--bot-token and --signing-secret are required (or SLACK_BOT_TOKEN / SLACK_SIGNING_SECRET)\n');
  console.error(usage);
  process.exit(2);
}

const emu = await startSlackEmulator({
  botToken,
  signingSecret,
  port: Number(values.port),
  host: values.host,
  eventsUrl: values['events-url'],
  interactionsUrl: values['interactions-url'],
  commandsUrl: values['commands-url'],
  teamId: values['team-id'],
  botUserId: values['bot-user-id'],
  botId: values['bot-id'],
  appId: values['app-id'],
  echoBotMessages: values['echo-bot-messages'],
  controlApi: true,
});

for (const spec of values.channel ?? []) {
  const [id = '', name] = spec.split(':');
  emu.addChannel(id, name || undefined);
}
for (const spec of values.user ?? []) {
  const [id = '', name = id, realName] = spec.split(':');
  emu.addUser({ id, name, realName: realName || undefined });
}

console.log(`SLACK_API_URL=${emu.apiUrl}`);
console.log(`Slack emulator: control API at ${emu.url}/_emulator/, events to ${values['events-url'] ?? '(not set)'}`);

const stop = () => {
  emu.close().then(() => process.exit(0), () => process.exit(1));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
