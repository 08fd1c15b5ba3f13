/**
 * Runs the Twilio emulator standalone, with its JSON control API under /_emulator/ on the same port.
 *
 *   node --import tsx test/emulators/twilio/cli.ts --port 4020 \
 *     --account-sid AC0123456789abcdef0123456789abcdef --auth-token test-token \
 *     --sms-url http://127.0.0.1:3000/twilio/sms
 *
 * Options also read TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN from the environment.
 * Prints one line `TWILIO_API_URL=<url>` once listening, then runs until SIGINT/SIGTERM.
 */
import { parseArgs } from 'node:util';
import { type DeliveryOutcome, startTwilioEmulator } from './index.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '4020' },
    host: { type: 'string', default: '127.0.0.1' },
    'account-sid': { type: 'string' },
    'auth-token': { type: 'string' },
    'sms-url': { type: 'string' },
    'status-delay': { type: 'string' },
    'service-sender': { type: 'string' },
    'opt-out-keywords': { type: 'boolean', default: false },
    'opted-out': { type: 'string', multiple: true },
    outcome: { type: 'string', multiple: true },
    help: { type: 'boolean', default: false },
  },
  strict: true,
});

const usage = `Usage: node --import tsx test/emulators/twilio/cli.ts [options]
  --port <n>                 listen port (default 4020; 0 = ephemeral)
  --host <addr>              listen address (default 127.0.0.1)
  --account-sid <AC...>      account the app authenticates as (or TWILIO_ACCOUNT_SID)
  --auth-token <t>           Basic auth password and signing key (or TWILIO_AUTH_TOKEN)
  --sms-url <url>            the app's incoming-message webhook URL
  --status-delay <ms>        delay between status changes (default 20)
  --service-sender <+1...>   sender a Messaging Service assigns (default +15005550006)
  --opt-out-keywords         STOP / START from patients change opt-outs, like Twilio's default handling
  --opted-out <+1...>        start with this number opted out (repeatable)
  --outcome <+1...:delivered|undelivered|failed[:code]>   how messages to a number end (repeatable)

Control API (JSON): GET /_emulator/health | messages | sent[?to=] | calls | callbacks | inbound
  POST /_emulator/sms {from, to, body, media?: [{url, contentType}], messageSid?, url?}
  POST /_emulator/opt-out {number, on?}      POST /_emulator/outcome {to, outcome, errorCode?}
  POST /_emulator/fail {status, code?, retryAfter?, message?, op?, times?}
  POST /_emulator/outage {on}   POST /_emulator/hang {times?}   POST /_emulator/sms-url {url}
  POST /_emulator/reset`;

if (values.help) {
  console.log(usage);
  process.exit(0);
}

const accountSid = values['account-sid'] ?? process.env.TWILIO_ACCOUNT_SID;
const authToken = values['auth-token'] ?? process.env.TWILIO_AUTH_TOKEN;
if (!accountSid || !authToken) {
  console.error('--account-sid and --auth-token are required (or TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN)\n');
  console.error(usage);
  process.exit(2);
}

const emu = await startTwilioEmulator({
  accountSid,
  authToken,
  port: Number(values.port),
  host: values.host,
  smsUrl: values['sms-url'],
  ...(values['status-delay'] !== undefined ? { statusDelayMs: Number(values['status-delay']) } : {}),
  ...(values['service-sender'] !== undefined ? { messagingServiceSender: values['service-sender'] } : {}),
  handleOptOutKeywords: values['opt-out-keywords'],
  controlApi: true,
});

for (const number of values['opted-out'] ?? []) emu.optOut(number);
for (const spec of values.outcome ?? []) {
  const [to = '', outcome = '', code] = spec.split(':');
  if (outcome !== 'delivered' && outcome !== 'undelivered' && outcome !== 'failed') {
    console.error(`--outcome ${spec}: expected <number>:delivered|undelivered|failed[:code]`);
    process.exit(2);
  }
  emu.setDeliveryOutcome(to, outcome as DeliveryOutcome, code ? Number(code) : undefined);
}

console.log(`TWILIO_API_URL=${emu.apiUrl}`);
console.log(`Twilio emulator: Messages at ${emu.messagesUrl}, control API at ${emu.url}/_emulator/, incoming SMS to ${values['sms-url'] ?? '(not set)'}`);

const stop = () => {
  emu.close().then(() => process.exit(0), () => process.exit(1));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
