import type { FastifyInstance } from 'fastify';
import type { Store } from '../store/types.ts';

/**
 * GET /healthz: 200 once the server is ready to take traffic, 503 while starting or draining, or
 * when the database does not answer. Dead-lettered deliveries make the status "degraded" (still
 * 200: the node itself is fine, but someone should look).
 */
export async function healthRoutes(app: FastifyInstance, deps: {
  store: Store; isReady(): boolean;
  /** "Add to Slack" mode: how many practices' workspaces are connected, and how many were disconnected. */
  slackWorkspaces?: () => Promise<{ active: number; revoked: number }>;
}): Promise<void> {
  // Probes hit this every few seconds: keep them out of the request log.
  app.get('/healthz', { logLevel: 'warn' }, async (_req, reply) => {
    if (!deps.isReady()) return reply.code(503).send({ status: 'starting_or_stopping' });
    try {
      const jobs = await deps.store.jobCounts();
      const slack = deps.slackWorkspaces ? await deps.slackWorkspaces() : undefined;
      return {
        status: jobs.dead > 0 ? 'degraded' : 'ok',
        database: 'ok',
        outbox: { pending: jobs.pending, running: jobs.running, deadLetters: jobs.dead },
        ...(slack ? { slack: { connected: slack.active, disconnected: slack.revoked } } : {}),
      };
    } catch {
      return reply.code(503).send({ status: 'unavailable', database: 'unreachable' });
    }
  });
}
