/**
 * A verified `page` callback: patient messages (text, images, files) into conversations;
 * deliveries (`mids`, else `watermark`) and reads (`watermark`) onto our messages' status.
 * Messenger ids are page-scoped: a channel identity only, never matched to other contacts.
 */
import { errors } from '../../errors.ts';
import type { AttachmentPolicy } from '../../features/attachments.ts';
import type { ConversationService } from '../../features/conversations.ts';
import type { Logger } from '../../log.ts';
import type { Store } from '../../store/types.ts';
import { downloadCapped, fallbackFilename, MediaUnavailable, mediaNote, type InboundMedia } from '../download.ts';
import { receiveChannelMessage, type ChannelInboundDeps } from '../inbound.ts';
import type { MetaObjectHandler } from '../meta/routes.ts';
import { reportStatus } from '../statuses.ts';
import { messengerWebhookSchema, type MessagingEvent } from './schema.ts';

export interface MessengerWebhookDeps extends ChannelInboundDeps {
  store: Store;
  conversations: ConversationService;
  pageId: string;
  attachmentPolicy: AttachmentPolicy;
  timeoutMs: number;
  log: Logger;
}

const STORED_TYPES = new Set(['image', 'file']);

function filenameFromUrl(url: string, type: string, contentType: string): string {
  const base = decodeURIComponent(new URL(url).pathname.split('/').pop() ?? '');
  return /^[\w.\- ]{1,120}\.[A-Za-z0-9]{1,8}$/.test(base) ? base : fallbackFilename(type, contentType);
}

export function messengerWebhook(deps: MessengerWebhookDeps): MetaObjectHandler {
  const attachments = async (e: MessagingEvent): Promise<{ media: InboundMedia[]; notes: string[] }> => {
    const media: InboundMedia[] = [];
    const notes: string[] = [];
    for (const a of e.message?.attachments ?? []) {
      const url = a.payload?.url;
      if (!STORED_TYPES.has(a.type) || !url) {
        notes.push(`[Unsupported Messenger attachment: ${a.type}]`);
        continue;
      }
      try {
        const got = await downloadCapped(url, { maxBytes: deps.attachmentPolicy.maxBytes, timeoutMs: deps.timeoutMs });
        media.push({ filename: filenameFromUrl(url, a.type, got.contentType), contentType: got.contentType, data: got.data });
      } catch (err) {
        if (err instanceof MediaUnavailable && err.reason !== 'temporary') notes.push(mediaNote(err.reason));
        else throw err;
      }
    }
    return { media, notes };
  };

  const receive = async (e: MessagingEvent) => {
    const m = e.message;
    if (!m) return;
    const psid = e.sender.id;
    const { media, notes } = await attachments(e);
    const { created } = await receiveChannelMessage(deps, {
      channel: 'messenger', externalId: psid, address: psid, sourceId: m.mid, sentAt: e.timestamp ?? Date.now(),
      text: m.text ?? '', notes, media,
    });
    deps.log.info({ mid: m.mid, duplicate: !created }, 'messenger message received');
  };

  /** Our messages to this person sent up to `watermark` move to `status`. */
  const byWatermark = async (psid: string, watermark: number, status: 'delivered' | 'read') => {
    const inbox = await deps.inbox();
    if (!inbox) return;
    const contact = await deps.store.findContactByIdentity(inbox.orgId, 'messenger', psid);
    if (!contact) return;
    const history = await deps.store.inbox.contactHistory(inbox.orgId, contact.id, 100);
    for (const m of history) {
      if (m.channel === 'messenger' && m.direction === 'out' && m.kind === 'message' && m.deliveryStatus && m.createdAt <= watermark) {
        await reportStatus(deps.conversations, m, status);
      }
    }
  };

  return async (payload) => {
    const parsed = messengerWebhookSchema.safeParse(payload);
    if (!parsed.success) throw errors.badRequest('invalid_payload', 'Unsupported Messenger payload');
    for (const entry of parsed.data.entry) {
      // Another page of the same app is not ours to answer.
      if (entry.id !== deps.pageId) continue;
      for (const e of entry.messaging ?? []) {
        if (e.message && !e.message.is_echo) await receive(e);
        if (e.delivery) {
          if (e.delivery.mids?.length) {
            for (const mid of e.delivery.mids) {
              const message = await deps.store.findMessageByExternalId(mid);
              if (message) await reportStatus(deps.conversations, message, 'delivered');
            }
          } else {
            await byWatermark(e.sender.id, e.delivery.watermark, 'delivered');
          }
        }
        if (e.read) await byWatermark(e.sender.id, e.read.watermark, 'read');
      }
    }
  };
}
