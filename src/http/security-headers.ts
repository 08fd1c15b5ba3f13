import type { FastifyInstance } from 'fastify';

/**
 * Defaults for every response. Pages that must be framed by practice websites (the widget frame)
 * override X-Frame-Options and frame-ancestors themselves.
 */
export function installSecurityHeaders(app: FastifyInstance, https: boolean): void {
  app.addHook('onSend', async (_req, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    if (!reply.hasHeader('x-frame-options') && !reply.hasHeader('content-security-policy')) {
      reply.header('x-frame-options', 'DENY');
    }
    if (https) reply.header('strict-transport-security', 'max-age=31536000; includeSubDomains');
    return payload;
  });
}
