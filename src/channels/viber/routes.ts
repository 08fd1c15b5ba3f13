/**
 * POST /webhooks/viber: every Viber callback, verified (X-Viber-Content-Signature over the raw
 * bytes) before it is read. `message` opens or continues a conversation (idempotent on
 * `message_token`); `unsubscribed` stops replies (staff see why) and `subscribed` allows them again;
 * `conversation_started` may be answered with the welcome message, as Viber documents;
 * `delivered`/`seen`/`failed` update our messages. Forged: bare 401; malformed: 400.
 */
import type { FastifyInstance } from 'fastify';
import { errors } from '../../errors.ts';
import type { AttachmentPolicy } from '../../features/attachments.ts';
import type { Logger } from '../../log.ts';
import { downloadCapped, fallbackFilename, MediaUnavailable, mediaNote, type InboundMedia } from '../download.ts';
import { receiveChannelMessage, type ChannelInboundDeps } from '../inbound.ts';
import { reportStatus } from '../statuses.ts';
import type { ViberApi } from './api.ts';
import { KNOWN_VIBER_EVENTS, viberCallbackSchema, viberEventSchema, type ViberCallback } from './schema.ts';
import { parseViberJson, verifyViberSignature } from './verify.ts';

const BODY_LIMIT = 256 * 1024;

export interface ViberRouteDeps extends ChannelInboundDeps {
  authToken: string;
  api: ViberApi;
  welcomeText: string | undefined;
  attachmentPolicy: AttachmentPolicy;
  timeoutMs: number;
  log: Logger;
}

type MessageCallback = Extract<ViberCallback, { event: 'message' }>;

export async function viberRoutes(app: FastifyInstance, deps: ViberRouteDeps): Promise<void> {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: BODY_LIMIT }, (_req, body, done) => done(null, body));

  const media = async (cb: MessageCallback): Promise<{ media: InboundMedia[]; notes: string[] }> => {
    const m = cb.message;
    if (m.type === 'text') return { media: [], notes: [] };
    if ((m.type !== 'picture' && m.type !== 'file') || !m.media) return { media: [], notes: [`[Unsupported Viber message: ${m.type}]`] };
    if (m.size !== undefined && m.size > deps.attachmentPolicy.maxBytes) return { media: [], notes: [mediaNote('too_large', m.file_name)] };
    try {
      const got = await downloadCapped(m.media, { maxBytes: deps.attachmentPolicy.maxBytes, timeoutMs: deps.timeoutMs });
      const filename = m.type === 'file' && m.file_name ? m.file_name : fallbackFilename(m.type === 'picture' ? 'image' : 'file', got.contentType);
      return { media: [{ filename, contentType: got.contentType, data: got.data }], notes: [] };
    } catch (err) {
      if (err instanceof MediaUnavailable && err.reason !== 'temporary') return { media: [], notes: [mediaNote(err.reason)] };
      throw err;
    }
  };

  const optOut = async (userId: string, at: number | null) => {
    const inbox = await deps.inbox();
    if (inbox) await deps.store.setIdentityOptOut(inbox.orgId, 'viber', userId, at);
  };

  app.post('/webhooks/viber', async (req, reply) => {
    const raw = req.body;
    const signature = req.headers['x-viber-content-signature'];
    if (!Buffer.isBuffer(raw) || !verifyViberSignature({ authToken: deps.authToken, rawBody: raw, signature: typeof signature === 'string' ? signature : undefined })) {
      throw errors.unauthorized();
    }
    let json: unknown;
    try {
      json = parseViberJson(raw.toString('utf8'));
    } catch {
      throw errors.badRequest('invalid_json', 'The body is not JSON');
    }
    const kind = viberEventSchema.safeParse(json);
    if (!kind.success) throw errors.badRequest('invalid_payload', 'Unsupported Viber payload');
    if (!KNOWN_VIBER_EVENTS.has(kind.data.event)) return reply.code(200).send({ status: 0, status_message: 'ok' });
    const parsed = viberCallbackSchema.safeParse(json);
    if (!parsed.success) throw errors.badRequest('invalid_payload', 'Unsupported Viber payload');
    const cb = parsed.data;
    switch (cb.event) {
      case 'message': {
        const c = cb;
        const { media: items, notes } = await media(c);
        const { created } = await receiveChannelMessage(deps, {
          channel: 'viber', externalId: c.sender.id, address: c.sender.id, sourceId: c.message_token, sentAt: c.timestamp,
          text: c.message.text ?? '', notes, media: items, ...(c.sender.name ? { profile: { displayName: c.sender.name } } : {}),
        });
        // Writing to the bot means the user is subscribed again (Viber subscribes them on a message).
        if (created) await optOut(c.sender.id, null);
        deps.log.info({ messageToken: c.message_token, duplicate: !created }, 'viber message received');
        break;
      }
      case 'unsubscribed':
        await optOut(cb.user_id, cb.timestamp);
        break;
      case 'subscribed':
        await optOut(cb.user.id, null);
        break;
      case 'conversation_started':
        // The one message Viber allows before the user subscribes: sent as this response's body.
        if (deps.welcomeText) return reply.code(200).send(deps.api.welcome(deps.welcomeText));
        break;
      case 'delivered':
      case 'seen':
      case 'failed': {
        const c = cb;
        const message = await deps.store.findMessageByExternalId(`viber:${c.message_token}`);
        if (message) await reportStatus(deps.conversations, message, c.event === 'seen' ? 'read' : c.event, c.event === 'failed' ? 'viber_failed' : null);
        break;
      }
      default:
        break;
    }
    return reply.code(200).send({ status: 0, status_message: 'ok' });
  });
}
