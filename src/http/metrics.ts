/**
 * Prometheus metrics at GET /metrics. One registry per app (never prom-client's global one), so
 * several apps in one process (tests, two-node rehearsals) each count their own.
 *
 * No label ever carries an id, a URL or any text: channels and directions are closed sets, and
 * request latency is labelled by the route's template (`/api/conversations/:id`), never the path.
 *
 * Who may read it: with METRICS_TOKEN set, whoever sends `Authorization: Bearer <token>`; without
 * it, only a direct (not proxied) request from a loopback or private address, such as a
 * Prometheus on the same host or network. A request that came through the reverse proxy carries
 * X-Forwarded-For and is refused, so the public site never shows the metrics.
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import { isIP } from 'node:net';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ChannelKind } from '../domain/types.ts';
import { errorBody } from '../errors.ts';
import type { CoreMetrics } from '../features/metrics.ts';
import { jobKinds } from '../features/job-kinds.ts';
import type { Store } from '../store/types.ts';

/** Job kinds whose failure is a failed delivery, and to where. `deliver` is counted by its handler,
 *  which knows the conversation's channel. */
const DELIVERY_KINDS: Record<string, 'slack' | 'sms'> = {
  [jobKinds.slackPost]: 'slack',
  [jobKinds.slackMirror]: 'slack',
  [jobKinds.slackUpdate]: 'slack',
  [jobKinds.slackDeliveryProblem]: 'slack',
  [jobKinds.smsNotice]: 'sms',
};

export type SocketKind = 'widget' | 'staff';

export class AppMetrics implements CoreMetrics {
  readonly registry = new Registry();
  private readonly messages: Counter<'channel' | 'direction'>;
  private readonly deliveryFailures: Counter<'channel'>;
  private readonly busPublishFailures: Counter;
  private readonly sockets: Gauge<'kind'>;
  readonly httpDuration: Histogram<'method' | 'route' | 'status_code'>;

  constructor(outbox: Pick<Store, 'jobCounts'>, now: () => number = Date.now) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.messages = new Counter({
      name: 'bedside_messages_total', help: 'Messages recorded, by patient channel and direction (in: from patients, out: staff replies)',
      labelNames: ['channel', 'direction'], registers,
    });
    this.deliveryFailures = new Counter({
      name: 'bedside_delivery_failures_total', help: 'Failed delivery attempts (retried until dead-lettered), by destination channel',
      labelNames: ['channel'], registers,
    });
    this.busPublishFailures = new Counter({
      name: 'bedside_bus_publish_failures_total', help: 'Live updates that could not be published to the other nodes (clients resume from the store)',
      registers,
    });
    this.sockets = new Gauge({ name: 'bedside_websocket_connections', help: 'Open WebSocket connections', labelNames: ['kind'], registers });
    this.httpDuration = new Histogram({
      name: 'bedside_http_request_duration_seconds', help: 'HTTP request latency by route template',
      labelNames: ['method', 'route', 'status_code'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers,
    });
    // The outbox figures are read at scrape time; both come from one query.
    let last: Promise<{ depth: number; oldestAge: number; dead: number }> | undefined;
    const outboxNow = () => (last ??= outbox.jobCounts().then((c) => ({
      depth: c.pending + c.running,
      dead: c.dead,
      oldestAge: c.oldestWaitingAt == null ? 0 : Math.max(0, (now() - c.oldestWaitingAt) / 1000),
    })).finally(() => setTimeout(() => { last = undefined; }, 0)));
    new Gauge({
      name: 'bedside_outbox_depth', help: 'Deliveries waiting or running in the outbox', registers,
      async collect() { this.set((await outboxNow()).depth); },
    });
    new Gauge({
      name: 'bedside_outbox_oldest_age_seconds', help: 'Age of the oldest delivery still waiting (0 when none)', registers,
      async collect() { this.set((await outboxNow()).oldestAge); },
    });
    new Gauge({
      name: 'bedside_outbox_dead_letters', help: 'Deliveries that gave up and wait for an administrator', registers,
      async collect() { this.set((await outboxNow()).dead); },
    });
    for (const kind of ['widget', 'staff'] as const) this.sockets.set({ kind }, 0);
  }

  messageRecorded(channel: ChannelKind, direction: 'in' | 'out'): void {
    this.messages.inc({ channel, direction });
  }

  deliveryFailed(channel: ChannelKind | 'slack'): void {
    this.deliveryFailures.inc({ channel });
  }

  /** For the job worker: a failed attempt of a delivery job counts against its destination. */
  jobFailed(kind: string): void {
    const channel = DELIVERY_KINDS[kind];
    if (channel) this.deliveryFailures.inc({ channel });
  }

  busPublishFailed(): void {
    this.busPublishFailures.inc();
  }

  socketOpened(kind: SocketKind): () => void {
    this.sockets.inc({ kind });
    let closed = false;
    return () => {
      if (closed) return;
      closed = true;
      this.sockets.dec({ kind });
    };
  }
}

/** Times every request, labelled by the matched route's template (`unmatched` for 404s). */
export function installRequestMetrics(app: FastifyInstance, metrics: AppMetrics): void {
  app.addHook('onResponse', async (req, reply) => {
    metrics.httpDuration.observe(
      { method: req.method, route: req.routeOptions.url ?? 'unmatched', status_code: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });
  // Counts WebSocket connections by endpoint; the socket handlers need not know about metrics.
  app.websocketServer?.on('connection', (ws: { once(e: 'close', f: () => void): void }, req: { url?: string }) => {
    const path = (req.url ?? '').split('?')[0];
    const kind: SocketKind | undefined = path === '/widget/ws' ? 'widget' : path === '/api/ws' ? 'staff' : undefined;
    if (kind) ws.once('close', metrics.socketOpened(kind));
  });
}

/** Loopback and private (RFC 1918, RFC 4193, link-local) addresses: the host or its network. */
export function isPrivateAddress(ip: string): boolean {
  const v4 = ip.startsWith('::ffff:') ? ip.slice(7) : ip;
  if (isIP(v4) === 4) {
    const [a = 0, b = 0] = v4.split('.').map(Number);
    return a === 127 || a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254);
  }
  const lower = ip.toLowerCase();
  return lower === '::1' || lower.startsWith('fc') || lower.startsWith('fd') || lower.startsWith('fe80:');
}

function sameSecret(given: string, expected: string): boolean {
  // Hash first so the comparison takes the same time whatever the lengths.
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

export function metricsAllowed(req: FastifyRequest, token: string | undefined): boolean {
  if (token) {
    const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    return !!m?.[1] && sameSecret(m[1], token);
  }
  if (req.headers['x-forwarded-for'] !== undefined || req.headers.forwarded !== undefined) return false;
  return isPrivateAddress(req.socket.remoteAddress ?? '');
}

export async function metricsRoutes(app: FastifyInstance, deps: { metrics: AppMetrics; token: string | undefined }): Promise<void> {
  app.get('/metrics', { logLevel: 'warn' }, async (req, reply) => {
    if (!metricsAllowed(req, deps.token)) {
      return reply.code(403).send(errorBody('forbidden', 'Metrics are not available from here'));
    }
    const body = await deps.metrics.registry.metrics();
    return reply.type(deps.metrics.registry.contentType).send(body);
  });
}
