/**
 * Scenario 5, in the load process: the Slack emulator (test/emulators/slack) runs here, so the
 * moment a `chat.postMessage` carrying a message's reference is answered is seen in the same
 * process that sent the message. Loaded with `--import tsx` (the emulator is TypeScript).
 */
import { performance } from 'node:perf_hooks';

let emu;
let onPost = () => {};

export async function startEmulator({ botToken, signingSecret }) {
  const { startSlackEmulator } = await import('../../test/emulators/slack/index.ts');
  emu = await startSlackEmulator({ botToken, signingSecret });
  // Watch each API call's answer: the status is set when the emulator replies.
  const push = emu.calls.push.bind(emu.calls);
  emu.calls.push = (rec) => {
    let status = rec.status;
    Object.defineProperty(rec, 'status', {
      enumerable: true,
      get: () => status,
      set: (v) => {
        status = v;
        if (v === 200 && rec.method === 'chat.postMessage') onPost(rec);
      },
    });
    // Keep the emulator's own log from growing without bound over a long run.
    if (emu.calls.length > 10_000) emu.calls.length = 0;
    return push(rec);
  };
  return { apiUrl: emu.apiUrl };
}

/**
 * Fixed-rate widget messages to Bedside, latency to the matching chat.postMessage; then an outage
 * (every Web API call answers 503) while the same rate continues, and the rate at which the outbox
 * drains once Slack is back.
 */
export async function runSlackScenario(args, h) {
  const { target, visitors, rate, durationMs, outageMs } = args;
  onPost = (rec) => h.onDelivered(JSON.stringify(rec.args));
  const pool = await h.openMany(visitors, 50, () => h.bedsideVisitor(target));
  const send = (id, i) => pool[i % pool.length].send(id);

  // First contact: each visitor's first message opens a Slack thread (a parent post).
  const warm = await h.openLoop({ rate: Math.min(200, visitors * 2), durationMs: (visitors / Math.min(200, visitors * 2)) * 1000, drainMs: 20_000 }, send);
  const steady = await h.openLoop({ rate, durationMs, drainMs: 10_000 }, send);

  emu.setOutage(true);
  const during = await h.openLoop({ rate, durationMs: outageMs, drainMs: 0 }, send);
  const backlog = during.offered - during.delivered;
  emu.setOutage(false);
  const back = performance.now();
  let first;
  const prevOnPost = onPost;
  onPost = (rec) => { first ??= performance.now(); prevOnPost(rec); };
  const { pending, delivered } = await waitForDrain(h, back, 180_000);
  const deliveredAfter = delivered - during.delivered;
  const drainSeconds = (performance.now() - back) / 1000;
  for (const v of pool) v.close();
  return {
    rate, visitors, warm: { delivered: warm.delivered, offered: warm.offered },
    steady,
    outage: {
      seconds: outageMs / 1000, backlog, undelivered: pending, delivered: deliveredAfter,
      firstPostAfterSeconds: first === undefined ? null : (first - back) / 1000,
      drainSeconds,
      drainRate: deliveredAfter / Math.max(0.001, drainSeconds),
    },
  };
}

async function waitForDrain(h, since, timeoutMs) {
  // openLoop left the outage's messages in flight; they complete as the outbox catches up.
  const deadline = since + timeoutMs;
  let last = -1;
  let stableSince = performance.now();
  for (;;) {
    const pending = h.pendingCount();
    if (pending === 0) return { pending, delivered: h.deliveredCount() };
    if (pending !== last) { last = pending; stableSince = performance.now(); }
    if (performance.now() > deadline || performance.now() - stableSince > 30_000) return { pending, delivered: h.deliveredCount() };
    await h.sleep(10);
  }
}
