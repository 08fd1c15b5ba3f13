/**
 * POST /webhooks/twilio/sms (incoming messages) and /webhooks/twilio/status (delivery status).
 * Verified as Twilio signs them, over the public URL; a replayed MessageSid stores nothing twice.
 * STOP/START/HELP are honoured here, with their one confirmation sent through the outbox.
 */
import type { FastifyInstance } from 'fastify';
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import type { Inbox } from '../../domain/types.ts';
import { AppError, errors } from '../../errors.ts';
import { refusedNote, screenAttachment, type AttachmentPolicy } from '../../features/attachments.ts';
import type { ConversationService } from '../../features/conversations.ts';
import { jobKinds } from '../../features/job-kinds.ts';
import type { Logger } from '../../log.ts';
import type { Store } from '../../store/types.ts';
import type { TwilioConfig } from './api.ts';
import { smsKeyword } from './keywords.ts';
import { inboundSmsSchema, statusCallbackSchema } from './schema.ts';
import { verifyTwilioRequest } from './verify.ts';

const BODY_LIMIT = 64 * 1024;
const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>';

export interface TwilioRouteDeps {
  store: Store;
  conversations: ConversationService;
  twilio: TwilioConfig;
  publicUrl: string;
  smsInbox(): Promise<Inbox | undefined>;
  helpText(practice: string): string;
  onJobsQueued(): void;
  attachmentPolicy: AttachmentPolicy;
  log: Logger;
}

/** The media of an incoming MMS worth fetching, and notes for those whose type is not kept. */
export function mmsMedia(params: Record<string, string>, count: number, policy: AttachmentPolicy) {
  const fetch: Array<{ url: string; contentType: string }> = [];
  const notes: string[] = [];
  for (let i = 0; i < count; i++) {
    const url = params[`MediaUrl${i}`];
    const contentType = params[`MediaContentType${i}`] ?? 'application/octet-stream';
    if (!url) continue;
    const refused = screenAttachment(policy, { contentType, size: 0 });
    if (refused) notes.push(refusedNote(`file ${i + 1}`, refused));
    else fetch.push({ url, contentType });
  }
  return { fetch, notes };
}

/** E.164 form of a number as Twilio sends it, or undefined for something else (short codes). */
export function toE164(raw: string): string | undefined {
  const p = parsePhoneNumberFromString(raw);
  return p?.isValid() ? p.number : undefined;
}

function formParams(raw: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(raw.toString('utf8'))) out[k] = v;
  return out;
}

export async function twilioRoutes(app: FastifyInstance, deps: TwilioRouteDeps): Promise<void> {
  const keepRaw = (_req: unknown, body: Buffer, done: (err: Error | null, body?: Buffer) => void) => done(null, body);
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: BODY_LIMIT }, keepRaw);

  const verified = (url: string, signature: unknown, raw: unknown): Record<string, string> => {
    if (!Buffer.isBuffer(raw)) throw errors.unauthorized();
    const params = formParams(raw);
    // Twilio signs the URL it called: ours as the public sees it, never the proxy-internal one.
    if (!verifyTwilioRequest({ authToken: deps.twilio.authToken, url: `${deps.publicUrl}${url}`, signature: typeof signature === 'string' ? signature : undefined, params })) {
      throw errors.unauthorized();
    }
    return params;
  };

  app.post('/webhooks/twilio/sms', async (req, reply) => {
    const params = verified(req.url, req.headers['x-twilio-signature'], req.body);
    const parsed = inboundSmsSchema.safeParse(params);
    if (!parsed.success) throw errors.badRequest('invalid_payload', 'Unsupported Twilio payload');
    const sms = parsed.data;
    const from = toE164(sms.From);
    if (!from) throw errors.badRequest('invalid_sender', 'The sender is not a phone number');
    const inbox = await deps.smsInbox();
    if (!inbox) throw new AppError('not_configured', 404, 'No SMS inbox');

    // MMS media arrive as links: types not kept are noted now, the others fetched by an outbox job
    // (a slow media host must not make Twilio's webhook time out and retry).
    const { fetch: media, notes } = mmsMedia(params, sms.NumMedia, deps.attachmentPolicy);
    const text = sms.Body.trim() || (media.length ? `[MMS: ${media.length} file${media.length > 1 ? 's' : ''}]` : '');
    const body = [text, ...notes].filter(Boolean).join('\n') || '[Empty message]';
    const { created, conversation, message } = await deps.conversations.receivePatientMessage({
      inbox, identity: { channel: 'sms', externalId: from }, body, sourceId: sms.MessageSid, profile: { phone: from }, linkByAddress: { phone: from },
    });
    if (created) {
      const keyword = smsKeyword(sms.Body);
      if (keyword) await handleKeyword(keyword, inbox, from, conversation.orgId, sms.MessageSid);
      if (media.length) {
        await deps.store.enqueueJob({
          orgId: conversation.orgId, kind: jobKinds.smsMedia, payload: { messageId: message.id, messageSid: sms.MessageSid, media },
          queueKey: `sms-media:${conversation.id}`, dedupeKey: `sms-media:${sms.MessageSid}`, sensitive: true,
        });
        deps.onJobsQueued();
      }
    }
    deps.log.info({ messageSid: sms.MessageSid, duplicate: !created }, 'sms received');
    return reply.type('text/xml').send(EMPTY_TWIML);
  });

  const handleKeyword = async (keyword: 'stop' | 'start' | 'help', inbox: Inbox, to: string, orgId: string, sid: string) => {
    const practice = (await deps.store.getOrganization(orgId))?.name ?? inbox.name;
    if (keyword === 'stop') await deps.store.setIdentityOptOut(orgId, 'sms', to, Date.now());
    if (keyword === 'start') await deps.store.setIdentityOptOut(orgId, 'sms', to, null);
    const text = keyword === 'stop'
      ? `You are unsubscribed from ${practice} and will receive no more messages. Reply START to resubscribe.`
      : keyword === 'start' ? `You are resubscribed to messages from ${practice}. Reply STOP to unsubscribe.` : deps.helpText(practice);
    await deps.store.enqueueJob({
      orgId, kind: jobKinds.smsNotice, payload: { to, text }, queueKey: `sms-notice:${orgId}`, dedupeKey: `sms-notice:${sid}`, sensitive: true,
    });
    deps.onJobsQueued();
  };

  app.post('/webhooks/twilio/status', async (req, reply) => {
    const params = verified(req.url, req.headers['x-twilio-signature'], req.body);
    const parsed = statusCallbackSchema.safeParse(params);
    if (!parsed.success) throw errors.badRequest('invalid_payload', 'Unsupported Twilio payload');
    const s = parsed.data;
    const message = await deps.store.findMessageByExternalId(s.MessageSid);
    if (message) await deps.conversations.deliveryChanged(message, { status: s.MessageStatus, error: s.ErrorCode ?? null });
    return reply.code(204).send();
  });
}
