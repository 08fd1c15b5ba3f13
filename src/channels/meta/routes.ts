/**
 * GET and POST /webhooks/meta: one endpoint for the Meta app, whatever product it serves. The GET
 * answers the subscription handshake; every POST is verified (X-Hub-Signature-256 over the raw
 * bytes) before anything is parsed, then dispatched on `object` (`page`: Messenger,
 * `whatsapp_business_account`: WhatsApp) to the channel that registered for it.
 * Forged: a bare 401 and nothing stored. Malformed: 400. A media fetch that may succeed later: 503,
 * so Meta delivers the callback again (message ids make that harmless).
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { AppError, errors } from '../../errors.ts';
import type { Logger } from '../../log.ts';
import { MediaUnavailable } from '../download.ts';
import { verifyHandshake, verifyMetaSignature } from './verify.ts';

/** WhatsApp batches up to 1,000 updates; Meta's own limit for a callback is a few MB. */
const BODY_LIMIT = 3 * 1024 * 1024;

/** Handles one verified, parsed callback of its `object`; throws AppError(400) for a bad shape. */
export type MetaObjectHandler = (payload: unknown) => Promise<void>;

export interface MetaRouteDeps {
  appSecret: string;
  verifyToken: string;
  handlers: Partial<Record<string, MetaObjectHandler>>;
  log: Logger;
}

const envelope = z.looseObject({ object: z.string().max(64), entry: z.array(z.unknown()).max(1000) });

export async function metaRoutes(app: FastifyInstance, deps: MetaRouteDeps): Promise<void> {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: BODY_LIMIT }, (_req, body, done) => done(null, body));

  app.get('/webhooks/meta', async (req, reply) => {
    const challenge = verifyHandshake(req.query as Record<string, unknown>, deps.verifyToken);
    if (challenge === undefined) throw new AppError('forbidden', 403, 'Verification failed');
    return reply.type('text/plain').send(challenge);
  });

  app.post('/webhooks/meta', async (req, reply) => {
    const raw = req.body;
    const signature = req.headers['x-hub-signature-256'];
    if (!Buffer.isBuffer(raw) || !verifyMetaSignature({ appSecret: deps.appSecret, rawBody: raw, signature: typeof signature === 'string' ? signature : undefined })) {
      throw errors.unauthorized();
    }
    let json: unknown;
    try {
      json = JSON.parse(raw.toString('utf8'));
    } catch {
      throw errors.badRequest('invalid_json', 'The body is not JSON');
    }
    const parsed = envelope.safeParse(json);
    if (!parsed.success) throw errors.badRequest('invalid_payload', 'Unsupported Meta payload');
    const handler = deps.handlers[parsed.data.object];
    if (!handler) {
      // A product of the app that Bedside does not serve (or not configured here): acknowledged,
      // or Meta would redeliver it for days.
      deps.log.info({ object: parsed.data.object }, 'meta callback for an unconfigured product ignored');
      return reply.code(200).send('EVENT_RECEIVED');
    }
    try {
      await handler(json);
    } catch (err) {
      if (err instanceof MediaUnavailable) throw new AppError('media_unavailable', 503, 'Media could not be fetched yet; deliver again');
      throw err;
    }
    return reply.code(200).send('EVENT_RECEIVED');
  });
}
