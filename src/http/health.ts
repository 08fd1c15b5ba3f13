import type { FastifyInstance } from 'fastify';
import type { Bus } from '../bus/types.ts';
import type { Store } from '../store/types.ts';

/**
 * Two probes, for two questions:
 * - GET /healthz, "is the process alive?": 200 whenever it can answer at all. A load balancer or
 *   systemd watchdog restarts a node that stops answering; a database outage is not a reason to.
 * - GET /readyz, "should this node get traffic?": 200 when the database answers, Redis answers
 *   (when configured), and the node is neither starting nor draining; 503 otherwise. Dead-lettered
 *   deliveries make the status "degraded" (still 200: the node is fine, but someone should look).
 */
export async function healthRoutes(app: FastifyInstance, deps: {
  store: Store; bus: Bus; redis: boolean; isReady(): boolean;
  /** "Add to Slack" mode: how many practices' workspaces are connected, and how many were disconnected. */
  slackWorkspaces?: () => Promise<{ active: number; revoked: number }>;
}): Promise<void> {
  // Probes hit these every few seconds: keep them out of the request log.
  app.get('/healthz', { logLevel: 'warn' }, async () => ({ status: 'ok' }));

  app.get('/readyz', { logLevel: 'warn' }, async (_req, reply) => {
    if (!deps.isReady()) return reply.code(503).send({ status: 'starting_or_stopping' });
    const [jobs, busUp] = await Promise.all([
      deps.store.jobCounts().catch(() => undefined),
      deps.redis ? deps.bus.reachable() : Promise.resolve(true),
    ]);
    const redis = deps.redis ? (busUp ? 'ok' : 'unreachable') : 'not_configured';
    if (!jobs || !busUp) {
      return reply.code(503).send({ status: 'unavailable', database: jobs ? 'ok' : 'unreachable', redis });
    }
    const slack = deps.slackWorkspaces ? await deps.slackWorkspaces().catch(() => undefined) : undefined;
    return {
      status: jobs.dead > 0 ? 'degraded' : 'ok',
      database: 'ok',
      redis,
      outbox: { pending: jobs.pending, running: jobs.running, deadLetters: jobs.dead },
      ...(slack ? { slack: { connected: slack.active, disconnected: slack.revoked } } : {}),
    };
  });
}
