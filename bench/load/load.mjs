/**
 * The load generator: a separate process, driven by bench/run.mjs over IPC (child_process.fork).
 *
 * Open loop: messages leave at a fixed arrival rate whatever the server does, and each latency is
 * measured from the moment the message was *due* to leave, so a server that falls behind cannot
 * slow the load down and hide its latency (no coordinated omission). Latencies go into an HDR
 * histogram (microseconds, 3 significant digits).
 *
 * Every message body ends with a reference (`ref bq<id>`); the staff-side receiver reads it back
 * from what the server delivered, and the due time is looked up here, in the same process.
 */
import { performance } from 'node:perf_hooks';
import * as hdr from 'hdr-histogram-js';
import { WebSocket } from 'ws';
import { io } from 'socket.io-client';

const SENTENCES = [
  'Hello, could I move my appointment to Thursday afternoon please?',
  'Is the clinic open on Saturday morning for vaccinations?',
  'My son has a fever since yesterday, should we come in today?',
  'Can I get a refill of my blood pressure prescription?',
  'Where do I park when I come for the blood test?',
  'I need a copy of my invoice for the insurance company.',
  'Do you accept new patients for the travel clinic?',
  'Thank you, that works for me. See you next week.',
];
const REF = /\bbq([0-9a-z]+)\b/;

export function newHistogram() {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 120_000_000, numberOfSignificantValueDigits: 3 });
}

/**
 * Due times (ms, performance.now clock) of the messages of the current step still in flight, by id.
 * A typed array over the step's ids, not a Map: V8 links each hash table a Map outgrows or shrinks
 * from to its replacement, and a promoted table, dead, then kept the next one alive through every
 * scavenge of this process (see src/domain/waiting-by-id.ts), whose pauses count as server latency.
 */
class DueTimes {
  first = 0;
  times = new Float64Array(0);
  size = 0;

  /** A new step: ids from `first`, `count` of them; nothing in flight. */
  reset(first, count) {
    this.first = first;
    this.times = new Float64Array(count).fill(NaN);
    this.size = 0;
  }

  set(id, t) {
    this.times[id - this.first] = t;
    this.size++;
  }

  /** The due time of `id` if it is in flight, which it no longer is after. */
  take(id) {
    const i = id - this.first;
    const t = i >= 0 && i < this.times.length ? this.times[i] : NaN;
    if (Number.isNaN(t)) return undefined;
    this.times[i] = NaN;
    this.size--;
    return t;
  }
}
const due = new DueTimes();
let histogram = newHistogram();
let delivered = 0;
let errors = 0;
let nextId = 1;

function onDelivered(text) {
  const m = REF.exec(text);
  if (!m) return;
  const id = parseInt(m[1], 36);
  const t = due.take(id);
  if (t === undefined) return;
  delivered++;
  histogram.recordValue(Math.max(1, Math.round((performance.now() - t) * 1000)));
}

function bodyFor(id) {
  return `${SENTENCES[id % SENTENCES.length]} ref bq${id.toString(36)}`;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function openWs(url, headers) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers, perMessageDeflate: false });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/** Opens `count` connections with `open`, at most `parallel` at a time. */
async function openMany(count, parallel, open) {
  const out = new Array(count);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(parallel, count) }, async () => {
    while (next < count) {
      const i = next++;
      out[i] = await open(i);
    }
  }));
  return out;
}

// ------------------------------------------------------------------ targets

/** A Bedside widget visitor: the real protocol (hello, welcome, message frames). */
async function bedsideVisitor(t) {
  const ws = await openWs(`${t.wsUrl}/widget/ws?inbox=${encodeURIComponent(t.inboxKey)}`);
  await new Promise((resolve, reject) => {
    ws.on('message', function first(d) {
      const f = JSON.parse(String(d));
      if (f.type === 'welcome') { ws.off('message', first); resolve(); }
    });
    ws.once('close', () => reject(new Error('closed before welcome')));
    ws.send(JSON.stringify({ type: 'hello' }));
  });
  ws.on('message', (d) => {
    const s = String(d);
    if (s.includes('"type":"error"')) errors++;
  });
  let n = 0;
  return {
    send(id) { ws.send(JSON.stringify({ type: 'message', clientId: `bench${id.toString(36)}x${n++}`, body: bodyFor(id) })); },
    close() { ws.terminate(); },
  };
}

async function bedsideStaff(t) {
  const ws = await openWs(`${t.wsUrl}/api/ws`, { cookie: t.cookie, origin: t.httpUrl });
  ws.on('message', (d) => {
    const s = String(d);
    if (s.startsWith('{"type":"message.created"')) onDelivered(JSON.parse(s).message.body);
  });
  return { close() { ws.terminate(); } };
}

async function bareVisitor(t) {
  const ws = await openWs(`${t.wsUrl}/widget`);
  return { send(id) { ws.send(JSON.stringify({ id, body: bodyFor(id) })); }, close() { ws.terminate(); } };
}

async function bareStaff(t) {
  const ws = await openWs(`${t.wsUrl}/staff`);
  ws.on('message', (d) => onDelivered(JSON.parse(String(d)).body));
  return { close() { ws.terminate(); } };
}

function ioConnect(url, query) {
  return new Promise((resolve, reject) => {
    const s = io(url, { transports: ['websocket'], forceNew: true, reconnection: false, query });
    s.once('connect', () => resolve(s));
    s.once('connect_error', reject);
  });
}

async function socketioVisitor(t) {
  const s = await ioConnect(t.httpUrl, { role: 'widget' });
  return { send(id) { s.emit('message', { id, body: bodyFor(id) }); }, close() { s.disconnect(); } };
}

async function socketioStaff(t) {
  const s = await ioConnect(t.httpUrl, { role: 'staff' });
  s.on('message', (f) => onDelivered(f.body));
  return { close() { s.disconnect(); } };
}

const kinds = {
  bedside: { visitor: bedsideVisitor, staff: bedsideStaff },
  bare: { visitor: bareVisitor, staff: bareStaff },
  socketio: { visitor: socketioVisitor, staff: socketioStaff },
};

// ------------------------------------------------------------------ commands

let senders = [];
let staff;
let idle = [];
/** Every target's connections, by kind, while they stay open: `use` makes one of them current. */
const connected = new Map();
/** Latencies of every step kept under one key (a target's latency slices), merged. */
const kept = new Map();

function summary(h) {
  return {
    p50: h.getValueAtPercentile(50) / 1000, p95: h.getValueAtPercentile(95) / 1000,
    p99: h.getValueAtPercentile(99) / 1000, p999: h.getValueAtPercentile(99.9) / 1000,
    max: h.maxValue / 1000, count: h.totalCount,
  };
}

/** Sends at `rate` per second for `durationMs`, round-robin over the senders, then waits up to `drainMs`. */
async function openLoop({ rate, durationMs, drainMs }, send) {
  // What the steps before this one left in this process (every target's, all run from here) is
  // collected now, not in a pause during this step, where it would count as this target's latency.
  globalThis.gc?.();
  histogram = newHistogram();
  delivered = 0;
  errors = 0;
  const total = Math.max(1, Math.round((rate * durationMs) / 1000));
  due.reset(nextId, total);
  const start = performance.now();
  let sent = 0;
  while (sent < total) {
    const now = performance.now();
    const dueCount = Math.min(total, Math.floor(((now - start) * rate) / 1000) + 1);
    while (sent < dueCount) {
      const id = nextId++;
      // The due time, not the time we got round to it: lateness here is the server's doing too.
      due.set(id, start + (sent * 1000) / rate);
      send(id, sent);
      sent++;
    }
    await sleep(1);
  }
  const sendEnd = performance.now();
  const drainEnd = sendEnd + drainMs;
  while (due.size > 0 && performance.now() < drainEnd) await sleep(5);
  return {
    rate, offered: total, delivered, errors, lost: due.size, sendSeconds: (sendEnd - start) / 1000,
    deliveredRatio: delivered / total, ...summary(histogram),
  };
}

const commands = {
  /** Opens a target's staff socket and visitors; they become current, and stay open until disconnect. */
  async connect({ target, senders: count }) {
    const k = kinds[target.kind];
    staff = await k.staff(target);
    senders = await openMany(count, 50, () => k.visitor(target));
    connected.set(target.kind, { staff, senders });
    return { senders: senders.length };
  },

  /** Makes the connections of a target connected earlier current. */
  use({ kind }) {
    const c = connected.get(kind);
    if (!c) throw new Error(`no ${kind} connections open`);
    ({ staff, senders } = c);
    return {};
  },

  /** Each visitor says something once, so the timed steps measure steady state, not first contact. */
  async warm() {
    const rate = Math.min(2000, senders.length * 4);
    const r = await openLoop({ rate, durationMs: (senders.length / rate) * 1000, drainMs: 15_000 }, (id, i) => senders[i % senders.length].send(id));
    // Whatever the first contacts left behind (index, checkpoints) settles before the timed steps.
    await sleep(1000);
    return r;
  },

  /** One step; with `keep`, its latencies are merged into that key's, whose totals come back as `kept`. */
  async step({ keep, ...args }) {
    const r = await openLoop(args, (id, i) => senders[i % senders.length].send(id));
    if (!keep) return r;
    if (!kept.has(keep)) kept.set(keep, { histogram: newHistogram(), counts: { offered: 0, delivered: 0, errors: 0, lost: 0 } });
    const { histogram: merged, counts } = kept.get(keep);
    merged.add(histogram);
    for (const key of Object.keys(counts)) counts[key] += r[key];
    return { ...r, kept: { rate: r.rate, ...counts, deliveredRatio: counts.delivered / counts.offered, ...summary(merged) } };
  },

  /** Closes every target's connections. */
  async disconnect() {
    for (const c of connected.values()) {
      for (const s of c.senders) s.close();
      c.staff?.close();
    }
    connected.clear();
    senders = [];
    staff = undefined;
    await sleep(200);
    return {};
  },

  async idleOpen({ target, count }) {
    const k = kinds[target.kind];
    const t0 = performance.now();
    idle = await openMany(count, 100, () => k.visitor(target));
    return { opened: idle.length, seconds: (performance.now() - t0) / 1000 };
  },

  async idleClose() {
    for (const s of idle) s.close();
    idle = [];
    await sleep(200);
    return {};
  },

  async slack(args) {
    const { runSlackScenario } = await import('./slack.mjs');
    return runSlackScenario(args, {
      openMany, bedsideVisitor, openLoop, onDelivered, sleep, pendingCount: () => due.size, deliveredCount: () => delivered,
    });
  },

  async slackEmulator(args) {
    const { startEmulator } = await import('./slack.mjs');
    return startEmulator(args);
  },

  exit() {
    setImmediate(() => process.exit(0));
    return {};
  },
};

process.on('message', async (msg) => {
  try {
    const result = await commands[msg.cmd](msg.args ?? {});
    process.send({ seq: msg.seq, ok: true, result });
  } catch (err) {
    process.send({ seq: msg.seq, ok: false, error: err instanceof Error ? err.stack : String(err) });
  }
});
