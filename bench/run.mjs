/**
 * `npm run bench [-- --quick] [-- --profile] [-- --only relay,latency,idle,growth,slack,weight]`
 *
 * Runs each scenario against Bedside (a real process, all protections on) and the baselines in
 * bench/baselines/, with the load coming from a separate process (bench/load/load.mjs), and writes
 * bench/results.json and bench/results.md. See bench/README.md for the method.
 */
import { fork, spawn, spawnSync } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { closeSync, cpSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, setPriority, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { createServer } from 'node:net';
import { entry, renderMarkdown } from './lib/results.ts';
import { summarizeProfile } from './lib/profile.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const profile = argv.includes('--profile');
const onlyArg = argv.find((a) => a.startsWith('--only'));
const only = onlyArg ? new Set((onlyArg.includes('=') ? onlyArg.split('=')[1] : argv[argv.indexOf(onlyArg) + 1]).split(',')) : undefined;
const want = (s) => !only || only.has(s);
/** BENCH_TARGETS=bedside (say) narrows a run while working on one side; a real run measures all three. */
const TARGETS = (process.env.BENCH_TARGETS ?? 'bare,socketio,bedside').split(',');

const P = quick ? {
  senders: 2500, rampStart: 450, rampFactor: 1.5, stepMs: 1500, drainMs: 2000, maxSteps: 7,
  latencyMs: 3000, latencyRounds: 3, idle: 10_000, growthSmall: [1000, 10], growthLarge: [100_000, 10], growthSamples: 150,
  slackRate: 50, slackVisitors: 200, slackMs: 3000, outageMs: 8000,
} : {
  senders: 6000, rampStart: 200, rampFactor: 1.25, stepMs: 5000, drainMs: 4000, maxSteps: 16,
  latencyMs: 20_000, latencyRounds: 2, idle: 10_000, growthSmall: [1000, 10], growthLarge: [100_000, 10], growthSamples: 200,
  slackRate: 50, slackVisitors: 300, slackMs: 20_000, outageMs: 60_000,
};
// Checked before anything starts: a mistyped knob should not cost a minute of benchmark first.
const ASSUMED_BARE_RATE = assumedBareRate();
/** A step passes while at least this share of what was offered was delivered, and p99 stayed sane. */
const MIN_DELIVERED = 0.95;
const MAX_P99_MS = 1000;

const MASTER_KEY = randomBytes(32).toString('hex');
const SECRET_KEY = randomBytes(32).toString('hex');
const work = mkdtempSync(join(tmpdir(), 'bedside-bench-'));
const profileDir = join(root, 'bench', 'profiles');
const started = Date.now();
const log = (...a) => process.stderr.write(`[bench ${((Date.now() - started) / 1000).toFixed(1).padStart(6)}s] ${a.join(' ')}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

function rssBytes(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

/** CPU time (user + system, every thread) a process has used so far, in clock ticks (1/100 s). */
function cpuTicks(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/**
 * Waits until every one of the servers has been nearly idle (each under 5% of a core) for the same
 * half second, at most 30 s: a backlog (a saturating ramp leaves work behind, such as Bedside's
 * word index that waited for a pause) must not be measured as the next slice's latency, whoever's
 * slice it is. Every target waits the same way. Returns the seconds it took.
 */
async function settle(pids) {
  const start = Date.now();
  let before = pids.map(cpuTicks);
  while (Date.now() - start < 30_000) {
    await sleep(500);
    const now = pids.map(cpuTicks);
    if (now.every((t, i) => t - before[i] < 3)) break;
    before = now;
  }
  return (Date.now() - start) / 1000;
}

const children = new Set();
process.on('exit', () => { for (const c of children) c.kill('SIGKILL'); });

/** Starts a child whose output goes to a file (not through this process). */
function launch(name, args, env = {}) {
  const out = join(work, `${name}-${Date.now()}.log`);
  const fd = openSync(out, 'w');
  const child = spawn(process.execPath, args, { cwd: root, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  children.add(child);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => { children.delete(child); resolve({ code, signal }); }));
  return { child, out, exited, output: () => readFileSync(out, 'utf8') };
}

async function waitHttp(url, proc, ms = 30_000) {
  const end = Date.now() + ms;
  for (;;) {
    if (proc.child.exitCode !== null) throw new Error(`process exited during start:\n${proc.output()}`);
    try {
      if ((await fetch(url)).status === 200) return;
    } catch { /* not listening yet */ }
    if (Date.now() > end) throw new Error(`no answer from ${url}:\n${proc.output()}`);
    await sleep(100);
  }
}

async function stop(proc) {
  proc.child.kill('SIGTERM');
  // Bedside drains for up to SHUTDOWN_GRACE_MS + 5 s; a profile is written only on a clean exit.
  const t = setTimeout(() => proc.child.kill('SIGKILL'), 30_000);
  await proc.exited;
  clearTimeout(t);
}

// ------------------------------------------------------------------ servers

async function startBaseline(kind) {
  const port = await freePort();
  const proc = launch(kind, [`bench/baselines/${kind}.mjs`, String(port), join(work, kind)]);
  await waitHttp(`http://127.0.0.1:${port}/`, proc);
  return { kind, proc, pid: proc.child.pid, httpUrl: `http://127.0.0.1:${port}`, wsUrl: `ws://127.0.0.1:${port}` };
}

async function startBedside(dataDir, label, extraEnv = {}) {
  const port = await freePort();
  const args = ['--import', 'tsx'];
  if (profile) {
    mkdirSync(join(profileDir, label), { recursive: true });
    args.push('--cpu-prof', `--cpu-prof-dir=${join(profileDir, label)}`);
  }
  args.push('src/main.ts');
  const proc = launch(`bedside-${label}`, args, {
    PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, MASTER_KEY, SECRET_KEY, DEMO: 'true',
    RETENTION_SWEEP_MINUTES: '1440', ...extraEnv,
  });
  const httpUrl = `http://127.0.0.1:${port}`;
  await waitHttp(`${httpUrl}/healthz`, proc, 60_000);
  const key = /data-inbox="([^"]+)"/.exec(proc.output());
  return { kind: 'bedside', proc, pid: proc.child.pid, httpUrl, wsUrl: `ws://127.0.0.1:${port}`, inboxKey: key?.[1], label };
}

// ------------------------------------------------------------------ staff sign-in (real HTTP API)

function base32(s) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const ch of s.replace(/=+$/, '').toUpperCase()) bits += alphabet.indexOf(ch).toString(2).padStart(5, '0');
  const bytes = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(bytes);
}

/** RFC 6238, what an authenticator app shows (SHA-1, 6 digits, 30 s). */
function totp(secret, now = Date.now()) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(now / 30_000)));
  const h = createHmac('sha1', base32(secret)).update(counter).digest();
  const o = h[h.length - 1] & 0xf;
  return String((h.readUInt32BE(o) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

class Staff {
  constructor(url) { this.url = url; this.cookie = undefined; this.csrf = undefined; }
  async call(method, path, body) {
    const headers = { origin: this.url };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.cookie) headers.cookie = this.cookie;
    if (this.csrf && method !== 'GET') headers['x-csrf-token'] = this.csrf;
    const res = await fetch(`${this.url}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    const m = /bedside_session=([^;]*)/.exec(res.headers.get('set-cookie') ?? '');
    if (m) this.cookie = `bedside_session=${m[1]}`;
    const text = await res.text();
    const parsed = text ? JSON.parse(text) : undefined;
    if (parsed?.csrfToken) this.csrf = parsed.csrfToken;
    return { status: res.status, body: parsed };
  }
}

const PASSWORD = 'bench horse battery staple';
/** Enrols the demo owner from the link Bedside printed, then signs in with password + TOTP. */
async function signInOwner(b) {
  const link = /(http\S+#token=\S+)/.exec(b.proc.output());
  if (!link) throw new Error('no enrolment link printed');
  const token = new URL(link[1]).hash.replace(/^#token=/, '');
  const s = new Staff(b.httpUrl);
  const inspect = await s.call('POST', '/api/enrol/inspect', { token });
  if (inspect.status !== 200) throw new Error(`enrol inspect: ${inspect.status}`);
  const secret = inspect.body.totpSecret;
  const done = await s.call('POST', '/api/enrol/complete', { token, displayName: 'Bench Owner', password: PASSWORD, totpCode: totp(secret) });
  if (done.status !== 200) throw new Error(`enrol: ${done.status} ${JSON.stringify(done.body)}`);
  return login(b.httpUrl, secret);
}

async function login(url, secret, stepOffset = 1) {
  const s = new Staff(url);
  const a = await s.call('POST', '/api/auth/login', { email: 'owner@demo.bedside.test', password: PASSWORD });
  if (a.status !== 200) throw new Error(`login: ${a.status}`);
  const v = await s.call('POST', '/api/auth/verify', { code: totp(secret, Date.now() + stepOffset * 30_000) });
  if (v.status !== 200) throw new Error(`verify: ${v.status} ${JSON.stringify(v.body)}`);
  s.secret = secret;
  return s;
}

// ------------------------------------------------------------------ load process

/**
 * The load process is the measuring instrument, and must not pause: every message in flight while
 * it collects garbage is timed late. With V8's default 16 MB young generation, the frames of
 * thousands of sockets outlived it and were promoted, and full collections followed every two
 * seconds: 5-20 ms pauses, measured as server latency (60-90 times in Bedside's 20 s latency step,
 * which receives an acknowledgement for each message as well). A 64 MB one lets them die young.
 * `--expose-gc`: each step starts with a full collection of what the steps before it left (see
 * openLoop in load.mjs).
 */
function startLoad() {
  const child = fork(join(root, 'bench/load/load.mjs'), [], {
    cwd: root, execArgv: ['--import', 'tsx', '--max-old-space-size=2048', '--max-semi-space-size=64', '--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  children.add(child);
  let seq = 0;
  const waiting = new Map();
  child.on('message', (m) => {
    const w = waiting.get(m.seq);
    waiting.delete(m.seq);
    if (m.ok) w?.resolve(m.result); else w?.reject(new Error(m.error));
  });
  child.on('exit', (code) => { for (const w of waiting.values()) w.reject(new Error(`load process exited (${code})`)); });
  return {
    pid: child.pid,
    call(cmd, args) {
      const s = ++seq;
      return new Promise((resolve, reject) => { waiting.set(s, { resolve, reject }); child.send({ seq: s, cmd, args }); });
    },
    async close() { await this.call('exit').catch(() => undefined); children.delete(child); },
  };
}

function targetOf(server, staff) {
  return { kind: server.kind, httpUrl: server.httpUrl, wsUrl: server.wsUrl, inboxKey: server.inboxKey, cookie: staff?.cookie };
}

// ------------------------------------------------------------------ scenarios

const results = [];
const notes = [];
const raw = {};
const fixed = (v, d = 1) => (v === null || v === undefined ? null : Number(v.toFixed(d)));

/** Ramps the offered rate until delivery falls under 95% or p99 passes 1 s; the last passing rate. */
async function saturate(load, name) {
  let rate = P.rampStart;
  let best = null;
  let ceiling = Infinity;
  const steps = [];
  for (let i = 0; i < P.maxSteps; i++) {
    const r = await load.call('step', { rate: Math.round(rate), durationMs: P.stepMs, drainMs: P.drainMs });
    steps.push(r);
    const pass = r.deliveredRatio >= MIN_DELIVERED && r.p99 <= MAX_P99_MS && r.errors === 0;
    log(`${name} ${Math.round(rate)}/s: delivered ${(r.deliveredRatio * 100).toFixed(1)}% p99 ${r.p99.toFixed(1)} ms errors ${r.errors} ${pass ? 'ok' : 'saturated'}`);
    if (!pass) {
      // The first step already too fast: come down until one passes, so there is a figure.
      if (best === null && i < P.maxSteps - 1 && rate > 10) { ceiling = rate; rate /= 2; continue; }
      return { best, steps, saturated: true };
    }
    best = r;
    rate *= P.rampFactor;
    // Back up to a rate that failed after halving down from it: saturated, between the two.
    if (rate >= ceiling) return { best, steps, saturated: true };
    await sleep(150);
  }
  return { best, steps, saturated: false };
}

/** BENCH_BARE_RATE, for a run narrowed to Bedside: a positive number of messages a second. */
function assumedBareRate() {
  const v = process.env.BENCH_BARE_RATE;
  if (v === undefined) return P.rampStart;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`BENCH_BARE_RATE must be a positive number of messages a second, not "${v}"`);
  return n;
}

async function relayAndLatency() {
  const load = startLoad();
  const sat = {};
  const lat = {};
  /** Targets that passed every step: the figure is the ramp's top, their saturation lies above it. */
  const unsaturated = [];
  const servers = [];
  try {
    // Scenario 1, one target after another; each stays up, its visitors connected, for scenario 2.
    for (const kind of TARGETS) {
      const server = kind === 'bedside' ? await startBedside(join(work, 'relay'), 'relay') : await startBaseline(kind);
      servers.push(server);
      const staff = kind === 'bedside' ? await signInOwner(server) : undefined;
      await load.call('connect', { target: targetOf(server, staff), senders: P.senders });
      const warm = await load.call('warm');
      log(`${kind}: ${P.senders} visitors connected, warm-up delivered ${warm.delivered}/${warm.offered}`);
      const { best, steps, saturated } = await saturate(load, kind);
      sat[kind] = best;
      if (!saturated) unsaturated.push(kind);
      raw[`relay_${kind}`] = steps;
    }
    // Scenario 2: the targets take turns, a slice each, every round in another order, so that they
    // share whatever else the machine is doing in those seconds; before each slice every server is
    // left to settle (see settle), so that nobody's slice carries another's leftover work.
    const rate = Math.round((sat.bare?.rate ?? ASSUMED_BARE_RATE) * 0.5);
    const sliceMs = P.latencyMs / P.latencyRounds;
    for (let round = 0; round < P.latencyRounds; round++) {
      for (let i = 0; i < TARGETS.length; i++) {
        const kind = TARGETS[(i + round) % TARGETS.length];
        const settled = await settle(servers.map((server) => server.pid));
        await load.call('use', { kind });
        const { kept } = await load.call('step', { rate, durationMs: sliceMs, drainMs: 5000, keep: kind });
        lat[kind] = { ...kept, settledSeconds: (lat[kind]?.settledSeconds ?? 0) + settled };
      }
    }
    for (const kind of TARGETS) {
      const l = lat[kind];
      log(`${kind} latency at ${rate}/s (${P.latencyRounds} slices of ${sliceMs / 1000} s, ${l.settledSeconds.toFixed(1)} s settling before them): p50 ${l.p50.toFixed(2)} p99 ${l.p99.toFixed(2)} p99.9 ${l.p999.toFixed(2)} ms, delivered ${(l.deliveredRatio * 100).toFixed(1)}%`);
    }
    await load.call('disconnect');
  } finally {
    await load.close();
    for (const server of servers) await stop(server.proc);
  }
  const rateOf = (k) => (sat[k] ? sat[k].rate : null);
  results.push(entry({
    scenario: '1. relay throughput', name: 'messages/s persisted and delivered to staff, at saturation', unit: 'msg/s',
    bedside: rateOf('bedside'), baselines: { bare: rateOf('bare'), socketio: rateOf('socketio') },
    targets: [{ baseline: 'bare', kind: 'min', ratio: 0.5 }, { baseline: 'socketio', kind: 'min', ratio: 1.0 }],
    note: `highest offered rate (ramp from ${P.rampStart}/s, x${P.rampFactor} per ${P.stepMs / 1000} s step) with ≥95% delivered within ${P.drainMs / 1000} s and p99 ≤ ${MAX_P99_MS} ms, over ${P.senders} widget connections`
      + (unsaturated.length ? `. ${unsaturated.join(' and ')} passed every step: the figure is the ramp's top, the real saturation lies above it${unsaturated.includes('bedside') ? '' : ', so Bedside\'s ratios are upper bounds'}` : ''),
  }));
  const latRate = lat.bare?.rate;
  for (const [key, label] of [['p50', 'p50'], ['p99', 'p99'], ['p999', 'p99.9']]) {
    results.push(entry({
      scenario: '2. latency under load', name: `widget-to-staff delivery ${label} at ${latRate}/s (50% of bare's saturation)`, unit: 'ms',
      bedside: fixed(lat.bedside?.[key], 2), baselines: { bare: fixed(lat.bare?.[key], 2), socketio: fixed(lat.socketio?.[key], 2) },
      targets: key === 'p99' ? [{ baseline: 'bare', kind: 'max', ratio: 2 }] : [],
      ...(key === 'p99' ? { note: `${P.latencyMs / 1000} s each, in ${P.latencyRounds} slices of ${P.latencyMs / P.latencyRounds / 1000} s taken in turns with the other targets (every round in another order), every server left to settle before each slice (before bedside's slices ${fixed(lat.bedside?.settledSeconds, 1)} s in all, bare's ${fixed(lat.bare?.settledSeconds, 1)} s, socketio's ${fixed(lat.socketio?.settledSeconds, 1)} s); delivered at that rate: bedside ${fixed((lat.bedside?.deliveredRatio ?? 0) * 100)}%, bare ${fixed((lat.bare?.deliveredRatio ?? 0) * 100)}%, socketio ${fixed((lat.socketio?.deliveredRatio ?? 0) * 100)}%; messages still undelivered after the drain are not in the histogram` } : {}),
    }));
  }
  raw.latency = lat;
}

/**
 * A lower priority (nice 10) for a process: the history of scenario 4 is written first (see idle).
 * Linux keeps a priority per thread, and a process's own call reaches only its main thread, so
 * every thread it has started by now (workers, libuv's pool) is lowered too.
 */
function lowerPriority(pid) {
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      setPriority(Number(tid), 10);
    } catch { /* the thread ended meanwhile */ }
  }
}

/**
 * Scenario 3, every target at once, each with its own load process: memory per connection is the
 * target's own RSS, which the others' use of the CPU does not change, and the waits (start, settle,
 * connect) overlap instead of adding up. Its processes run at a lower priority than the writing of
 * the million-message history, which runs meanwhile and is what the next scenario waits for.
 */
async function idle() {
  const per = {};
  const outcomes = await Promise.allSettled(TARGETS.map(async (kind) => {
    const load = startLoad();
    lowerPriority(load.pid);
    try {
      const server = kind === 'bedside' ? await startBedside(join(work, 'idle'), 'idle') : await startBaseline(kind);
      lowerPriority(server.pid);
      await sleep(1000);
      const before = rssBytes(server.pid);
      const r = await load.call('idleOpen', { target: targetOf(server), count: P.idle });
      await sleep(2500);
      const after = rssBytes(server.pid);
      per[kind] = (after - before) / r.opened;
      log(`${kind}: ${r.opened} idle connections in ${r.seconds.toFixed(1)} s, RSS ${(before / 2 ** 20).toFixed(1)} -> ${(after / 2 ** 20).toFixed(1)} MiB, ${(per[kind] / 1024).toFixed(2)} KiB each`);
      await load.call('idleClose');
      await stop(server.proc);
    } finally {
      await load.close();
    }
  }));
  // Reported once every target is done, so a failed one leaves no server of the others running.
  const failed = outcomes.find((o) => o.status === 'rejected');
  if (failed) throw failed.reason;
  const kib = (v) => (v === undefined ? null : fixed(v / 1024, 2));
  results.push(entry({
    scenario: '3. idle connections', name: `memory per idle widget connection (RSS delta over ${P.idle.toLocaleString('en-US')})`, unit: 'KiB',
    bedside: kib(per.bedside), baselines: { bare: kib(per.bare), socketio: kib(per.socketio) },
    targets: [{ baseline: 'bare', kind: 'max', ratio: 1.5 }],
    note: 'Bedside\'s widgets have said hello and been welcomed (visitor token issued), as the real widget does on opening',
  }));
}

/**
 * p95s of the conversation list, its next page and search, on each server. The servers take turns
 * request by request, so that a burst of other work on the machine falls on every history alike:
 * measured one after the other, a few busy seconds moved the ratio past its bound.
 */
async function growthMeasure(targets, staff) {
  const time = async (server, path) => {
    staff.url = server.httpUrl;
    const t = performance.now();
    const r = await staff.call('GET', path);
    if (r.status !== 200) throw new Error(`${path}: ${r.status} ${JSON.stringify(r.body)}`);
    return { ms: performance.now() - t, body: r.body };
  };
  const p95 = (xs) => { const s = [...xs].sort((a, c) => a - c); return s[Math.min(s.length - 1, Math.ceil(s.length * 0.95) - 1)]; };
  const queries = ['prescription', 'blood test', 'thursday appointment', 'insurance card'];
  const runs = targets.map(() => ({ first: [], page: [], search: [] }));
  for (const { server } of targets) for (let i = 0; i < 5; i++) await time(server, '/api/conversations?status=all'); // warm caches
  for (let i = 0; i < P.growthSamples; i++) {
    for (const [t, { server }] of targets.entries()) {
      const f = await time(server, '/api/conversations?status=all&limit=50');
      runs[t].first.push(f.ms);
      if (f.body.nextCursor) runs[t].page.push((await time(server, `/api/conversations?status=all&limit=50&cursor=${encodeURIComponent(f.body.nextCursor)}`)).ms);
      runs[t].search.push((await time(server, `/api/search?q=${encodeURIComponent(queries[i % queries.length])}&limit=20`)).ms);
    }
  }
  return runs.map((r, t) => {
    const out = { first: p95(r.first), page: p95(r.page), search: p95(r.search) };
    log(`growth ${targets[t].label}: list p95 ${out.first.toFixed(2)} ms, cursor page p95 ${out.page.toFixed(2)} ms, search p95 ${out.search.toFixed(2)} ms`);
    return out;
  });
}

/** Writes history into a stopped Bedside's file (bench/growth/seed.mjs, its own process). */
function seed(dataDir, from, to, per) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/growth/seed.mjs', dataDir, String(from), String(to), String(per)], {
    cwd: root, env: { PATH: process.env.PATH, HOME: process.env.HOME, MASTER_KEY }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => { stdout += d; });
  child.stderr.on('data', (d) => { stderr += d; });
  const done = new Promise((resolve, reject) => child.once('exit', (code) => {
    children.delete(child);
    if (code !== 0) return reject(new Error(`seed failed: ${stderr}`));
    const out = JSON.parse(stdout.trim().split('\n').at(-1));
    log(`seeded: ${out.messages} messages, ${out.conversations} conversations in ${out.seconds.toFixed(1)} s`);
    resolve(out);
  }));
  // Awaited later (see main): a failure meanwhile must not count as unhandled.
  done.catch(() => undefined);
  return done;
}

/**
 * Scenario 4's two histories: 10k messages, and a copy of that file grown to a million. Neither is
 * measured here, so this runs beside scenario 3, which measures memory only. The server over the
 * small one is started meanwhile too, and waits, idle, to be measured.
 */
async function growthHistories() {
  const dir = join(work, 'growth');
  const b = await startBedside(dir, 'growth-setup');
  const staff = await signInOwner(b);
  await stop(b.proc);
  const [smallConv, perConv] = P.growthSmall;
  const [largeConv] = P.growthLarge;
  const small = await seed(dir, 0, smallConv, perConv);
  const largeDir = join(work, 'growth-large');
  cpSync(dir, largeDir, { recursive: true });
  const [smallServer, large] = await Promise.all([startBedside(dir, 'growth-small'), seed(largeDir, smallConv, largeConv, perConv)]);
  return { smallServer, largeDir, staff, small, large, largeConv };
}

async function growth({ smallServer, largeDir, staff, small, large, largeConv }) {
  const [smallConv] = P.growthSmall;
  const b = await startBedside(largeDir, 'growth-large');
  const [s, l] = await growthMeasure([{ server: smallServer, label: `${small.messages} messages` }, { server: b, label: `${large.messages} messages` }], staff);
  await stop(smallServer.proc);
  await stop(b.proc);
  const sm = `${Math.round(small.messages / 1000)}k`;
  const lg = large.messages >= 1e6 ? `${(large.messages / 1e6).toFixed(0)}M` : `${Math.round(large.messages / 1000)}k`;
  const base = `bedside@${sm}`;
  for (const [key, label] of [['first', 'conversation list, first page (50)'], ['page', 'conversation list, cursor page (50)'], ['search', 'message search (20 hits)']]) {
    results.push(entry({
      scenario: '4. growth', name: `${label} p95 with ${large.messages.toLocaleString('en-US')} messages in ${largeConv.toLocaleString('en-US')} conversations`,
      unit: 'ms', bedside: fixed(l[key], 2), baselines: { [base]: fixed(s[key], 2) },
      targets: [{ baseline: base, kind: 'max', ratio: 1.5 }],
    }));
  }
  notes.push(`Growth: ${sm} = ${small.messages.toLocaleString('en-US')} messages in ${smallConv.toLocaleString('en-US')} conversations; ${lg} = ${large.messages.toLocaleString('en-US')} in ${largeConv.toLocaleString('en-US')}; all sealed with the practice key and word-indexed; p95 of ${P.growthSamples} sequential requests each, the two histories taking turns request by request, through the staff HTTP API with a signed-in session (search requests are audited).`);
}

async function slack() {
  const load = startLoad();
  try {
    const botToken = 'xoxb-bench-token';
    const signingSecret = 'bench-signing-secret';
    const { apiUrl } = await load.call('slackEmulator', { botToken, signingSecret });
    const b = await startBedside(join(work, 'slack'), 'slack', {
      SLACK_BOT_TOKEN: botToken, SLACK_SIGNING_SECRET: signingSecret, SLACK_CHANNEL_ID: 'C0BENCH0001', SLACK_API_URL: apiUrl,
      SLACK_CONTENT: 'full', JOB_BASE_DELAY_MS: '500', JOB_MAX_DELAY_MS: '5000', JOB_MAX_ATTEMPTS: '100',
    });
    const r = await load.call('slack', {
      target: targetOf(b), visitors: P.slackVisitors, rate: P.slackRate, durationMs: P.slackMs, outageMs: P.outageMs,
    });
    await stop(b.proc);
    raw.slack = r;
    log(`slack: p99 ${r.steady.p99.toFixed(1)} ms at ${r.rate}/s; after a ${r.outage.seconds} s outage ${r.outage.backlog} queued, drained at ${r.outage.drainRate.toFixed(1)}/s (${r.outage.undelivered} left)`);
    for (const [key, label] of [['p50', 'p50'], ['p99', 'p99']]) {
      results.push(entry({ scenario: '5. Slack relay', name: `widget message to chat.postMessage ${label} at ${r.rate}/s`, unit: 'ms', bedside: fixed(r.steady[key], 1) }));
    }
    results.push(entry({
      scenario: '5. Slack relay', name: `outbox drain rate after a ${r.outage.seconds} s Slack outage`, unit: 'posts/s', bedside: fixed(r.outage.drainRate, 1),
      note: `${r.outage.backlog} messages queued during the outage (at ${r.rate}/s over ${r.visitors} conversations); first post ${fixed(r.outage.firstPostAfterSeconds, 2)} s after Slack came back, all delivered in ${fixed(r.outage.drainSeconds, 2)} s, ${r.outage.undelivered} undelivered. Retry backoff capped at 5 s for this run (JOB_MAX_DELAY_MS=5000, and JOB_MAX_ATTEMPTS=100 so the extra attempts that cap causes do not dead-letter anything) so the figure measures the worker, not the wait.${quick ? ' Quick run: the outage is shortened from 60 s.' : ''}`,
    }));
  } finally {
    await load.close();
  }
}

function weight() {
  const r = spawnSync(process.execPath, ['scripts/build-web.mjs'], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`widget build failed: ${r.stderr}${r.stdout}`);
  const gz = (f) => gzipSync(readFileSync(join(root, 'dist/web/widget', f)), { level: 9 }).length;
  results.push(entry({ scenario: '6. widget weight', name: 'loader (loader.js), gzipped', unit: 'bytes', bedside: gz('loader.js'), budget: 3072 }));
  results.push(entry({ scenario: '6. widget weight', name: 'chat UI JS (chat.js), gzipped', unit: 'bytes', bedside: gz('chat.js'), budget: 25_600 }));
  results.push(entry({ scenario: '6. widget weight', name: 'chat UI CSS (chat.css), gzipped', unit: 'bytes', bedside: gz('chat.css') }));
}

// ------------------------------------------------------------------ main

const PROTECTIONS = [
  'zod validation of every widget frame', 'per-visitor rate limit (burst 10, 1/s)', 'signed visitor tokens',
  'AES-256-GCM encryption of message bodies and contact names',
  'keyed word index (HMAC per word) for search, written behind the messages (FTS5: a fraction of a second behind, or while messages keep coming up to 10 s), searches index what is pending first',
  'exactly-once by clientId (unique key; a resend returns the stored message)',
  'durable outbox and transactional writes (SQLite WAL, synchronous=NORMAL; patient messages written on a writer thread with its own connection; group commit: each message in its own savepoint, acknowledged only after the shared COMMIT; checkpoints on a worker thread)',
  'staff socket authenticated by a TOTP-verified session, same-origin checked; each message sent with the fields that place its conversation in lists, the recipient\'s own list row (unread count) when the message opens a conversation and with every change of status or assignee',
  'audit records for sign-in and every staff API read that the product audits (search, conversation open)', 'security headers', 'pino logging at info',
];

async function main() {
  const tw = Date.now();
  log(`mode ${quick ? 'quick' : 'full'}${profile ? ', profiling Bedside' : ''}; scratch ${work}`);
  if (profile) rmSync(profileDir, { recursive: true, force: true });
  // The widget bundle must exist for Bedside to start; scenario 6 measures the same build.
  weight();
  log(`widget and inbox bundles built in ${((Date.now() - tw) / 1000).toFixed(1)} s`);
  // A scenario that fails is reported as such; the others still run and the files are written.
  const attempt = async (name, fn) => {
    try {
      await fn();
    } catch (err) {
      log(`${name} failed: ${err instanceof Error ? err.stack : String(err)}`);
      notes.push(`The ${name} scenario failed in this run: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
      process.exitCode = 1;
    }
  };
  if (want('relay') || want('latency')) await attempt('relay and latency', relayAndLatency);
  // Scenario 4's histories are written while scenario 3 runs: that one measures memory only, which
  // another process's use of the CPU does not change, and writing the million takes 35 to 60 s.
  let histories;
  await Promise.all([
    want('growth') && attempt('growth', async () => { histories = await growthHistories(); }),
    want('idle') && attempt('idle connections', idle),
  ]);
  if (histories) await attempt('growth', () => growth(histories));
  if (want('slack')) await attempt('Slack relay', slack);
  if (!want('weight')) results.splice(0, 3);

  const cpu = cpus();
  const report = {
    mode: quick ? 'quick' : 'full', startedAt: new Date(started).toISOString(), seconds: (Date.now() - started) / 1000,
    machine: { cpus: cpu.length, model: cpu[0]?.model ?? 'unknown', node: process.versions.node, platform: `${process.platform} ${process.arch}`, memoryGiB: Math.round(totalmem() / 2 ** 30) },
    protections: PROTECTIONS, entries: results, notes,
  };
  if (profile) {
    const summaries = {};
    for (const label of readdirSync(profileDir)) {
      const files = readdirSync(join(profileDir, label)).filter((f) => /\.\d+\.0\.\d+\.cpuprofile$/.test(f)); // thread 0: the main thread, not the loader's
      if (files.length) summaries[label] = summarizeProfile(JSON.parse(readFileSync(join(profileDir, label, files[0]), 'utf8')), root);
    }
    writeFileSync(join(root, 'bench/profiles/summary.json'), `${JSON.stringify(summaries, null, 2)}\n`);
    report.profiles = summaries;
  }
  const suffix = only ? '.partial' : '';
  writeFileSync(join(root, `bench/results${suffix}.json`), `${JSON.stringify({ ...report, raw }, null, 2)}\n`);
  writeFileSync(join(root, `bench/results${suffix}.md`), renderMarkdown(report));
  log(`done in ${report.seconds.toFixed(0)} s: bench/results${suffix}.json, bench/results${suffix}.md`);
  rmSync(work, { recursive: true, force: true });
  process.exit(process.exitCode ?? 0);
}

main().catch((err) => {
  log(`failed: ${err instanceof Error ? err.stack : String(err)}`);
  process.exit(1);
});
