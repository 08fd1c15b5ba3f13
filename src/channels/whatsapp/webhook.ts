/**
 * A verified `whatsapp_business_account` callback: patient messages (text, images, documents) into
 * conversations, and statuses of our messages onto their delivery state. Everything is validated
 * before anything is stored, so a malformed batch stores nothing. A WhatsApp number is a phone
 * number: the contact is matched by it (E.164), as an SMS from the same number would be.
 */
import { errors } from '../../errors.ts';
import { mediaType, refusedNote, type AttachmentPolicy } from '../../features/attachments.ts';
import type { ConversationService } from '../../features/conversations.ts';
import type { Logger } from '../../log.ts';
import type { Store } from '../../store/types.ts';
import { toE164 } from '../twilio-sms/routes.ts';
import { fallbackFilename, MediaUnavailable, mediaNote, type InboundMedia } from '../download.ts';
import { receiveChannelMessage, type ChannelInboundDeps } from '../inbound.ts';
import type { MetaObjectHandler } from '../meta/routes.ts';
import { reportStatus } from '../statuses.ts';
import type { WhatsAppApi } from './api.ts';
import { waValueSchema, waWebhookSchema, type WaMessage } from './schema.ts';
import type { z } from 'zod';

export interface WhatsAppWebhookDeps extends ChannelInboundDeps {
  store: Store;
  conversations: ConversationService;
  api: WhatsAppApi;
  phoneNumberId: string;
  attachmentPolicy: AttachmentPolicy;
  log: Logger;
}

type WaValue = z.infer<typeof waValueSchema>;

export function whatsappWebhook(deps: WhatsAppWebhookDeps): MetaObjectHandler {
  const fetchMedia = async (m: WaMessage): Promise<{ media: InboundMedia[]; notes: string[] }> => {
    const item = m.type === 'image' ? m.image : m.type === 'document' ? m.document : undefined;
    if (!item) return { media: [], notes: [] };
    // WhatsApp declares the type: a file the practice does not accept is not even fetched.
    const named = m.type === 'document' && item.filename ? item.filename : fallbackFilename(m.type, item.mime_type ?? '');
    if (item.mime_type && !deps.attachmentPolicy.allowedTypes.has(mediaType(item.mime_type))) {
      return { media: [], notes: [refusedNote(named, 'type_not_allowed')] };
    }
    try {
      const got = await deps.api.media(item.id, deps.attachmentPolicy.maxBytes);
      const filename = m.type === 'document' && item.filename ? item.filename : fallbackFilename(m.type, got.contentType);
      return { media: [{ filename, contentType: got.contentType, data: got.data }], notes: [] };
    } catch (err) {
      if (err instanceof MediaUnavailable && err.reason !== 'temporary') return { media: [], notes: [mediaNote(err.reason, named)] };
      throw err;
    }
  };

  const receive = async (value: WaValue, m: WaMessage) => {
    const phone = toE164(`+${m.from}`);
    if (!phone) {
      deps.log.warn({ messageId: m.id }, 'whatsapp sender is not a valid number; skipped');
      return;
    }
    const text = m.type === 'text' ? m.text?.body ?? '' : m.type === 'image' ? m.image?.caption ?? '' : m.type === 'document' ? m.document?.caption ?? '' : '';
    const unsupported = ['text', 'image', 'document'].includes(m.type) ? [] : [`[Unsupported WhatsApp message: ${m.type}]`];
    const { media, notes } = await fetchMedia(m);
    const name = value.contacts?.find((c) => c.wa_id === m.from)?.profile?.name;
    const { created } = await receiveChannelMessage(deps, {
      channel: 'whatsapp', externalId: phone, address: m.from, sourceId: m.id, sentAt: Number(m.timestamp) * 1000,
      text, notes: [...unsupported, ...notes], media, profile: { phone, ...(name ? { displayName: name } : {}) }, linkByAddress: { phone },
    });
    deps.log.info({ messageId: m.id, duplicate: !created }, 'whatsapp message received');
  };

  return async (payload) => {
    const parsed = waWebhookSchema.safeParse(payload);
    if (!parsed.success) throw errors.badRequest('invalid_payload', 'Unsupported WhatsApp payload');
    const values: WaValue[] = [];
    for (const entry of parsed.data.entry) {
      for (const change of entry.changes) {
        if (change.field !== 'messages') continue;
        const v = waValueSchema.safeParse(change.value);
        if (!v.success) throw errors.badRequest('invalid_payload', 'Unsupported WhatsApp payload');
        // Another number of the same business account is not ours to answer.
        if (v.data.metadata.phone_number_id === deps.phoneNumberId) values.push(v.data);
      }
    }
    for (const value of values) {
      for (const m of value.messages ?? []) await receive(value, m);
      for (const s of value.statuses ?? []) {
        if (s.status === 'deleted' || s.status === 'warning') continue;
        const message = await deps.store.findMessageByExternalId(s.id);
        if (!message) continue;
        const code = s.errors?.[0]?.code;
        await reportStatus(deps.conversations, message, s.status, s.status === 'failed' ? `whatsapp_${code ?? 'unknown'}` : null);
      }
    }
  };
}
