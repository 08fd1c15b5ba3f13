/**
 * Webhook payloads in Meta's documented shapes:
 * - WhatsApp Cloud API "messages" webhook: `object: whatsapp_business_account`,
 *   `entry[].changes[].value` with `metadata`, `contacts[]`, `messages[]` or `statuses[]`;
 * - Messenger Platform: `object: page`, `entry[].messaging[]` with `message` (`mid`, `text`,
 *   `attachments[].payload.url`), `delivery` (`mids`, `watermark`), `read` (`watermark`).
 */
import { randomBytes } from 'node:crypto';

export const newWamid = () => `wamid.${randomBytes(24).toString('base64')}`;
export const newMid = () => `m_${randomBytes(30).toString('base64url')}`;

export interface WaIds { wabaId: string; phoneNumberId: string; displayPhoneNumber: string }

export function waEnvelope(ids: WaIds, value: Record<string, unknown>): Record<string, unknown> {
  return {
    object: 'whatsapp_business_account',
    entry: [{
      id: ids.wabaId,
      changes: [{
        value: { messaging_product: 'whatsapp', metadata: { display_phone_number: ids.displayPhoneNumber, phone_number_id: ids.phoneNumberId }, ...value },
        field: 'messages',
      }],
    }],
  };
}

export function waInbound(ids: WaIds, m: { from: string; name?: string; id: string; timestamp: number; type: string; content: Record<string, unknown> }) {
  return waEnvelope(ids, {
    contacts: [{ profile: { name: m.name ?? '' }, wa_id: m.from }],
    messages: [{ from: m.from, id: m.id, timestamp: String(m.timestamp), type: m.type, [m.type]: m.content }],
  });
}

export function waStatus(ids: WaIds, s: { id: string; status: 'sent' | 'delivered' | 'read' | 'failed'; recipient: string; timestamp: number; errorCode?: number }) {
  return waEnvelope(ids, {
    statuses: [{
      id: s.id, status: s.status, timestamp: String(s.timestamp), recipient_id: s.recipient,
      ...(s.status === 'failed' ? { errors: [{ code: s.errorCode ?? 131026, title: 'Message undeliverable' }] } : {}),
    }],
  });
}

export function pageEnvelope(pageId: string, messaging: Record<string, unknown>): Record<string, unknown> {
  return { object: 'page', entry: [{ id: pageId, time: Date.now(), messaging: [messaging] }] };
}

export function messengerInbound(pageId: string, m: { psid: string; mid: string; text?: string; attachments?: Array<{ type: string; url: string }> }) {
  return pageEnvelope(pageId, {
    sender: { id: m.psid }, recipient: { id: pageId }, timestamp: Date.now(),
    message: {
      mid: m.mid, ...(m.text !== undefined ? { text: m.text } : {}),
      ...(m.attachments ? { attachments: m.attachments.map((a) => ({ type: a.type, payload: { url: a.url } })) } : {}),
    },
  });
}

export function messengerDelivery(pageId: string, psid: string, mids: string[] | undefined, watermark: number) {
  return pageEnvelope(pageId, { sender: { id: psid }, recipient: { id: pageId }, delivery: { ...(mids ? { mids } : {}), watermark } });
}

export function messengerRead(pageId: string, psid: string, watermark: number) {
  return pageEnvelope(pageId, { sender: { id: psid }, recipient: { id: pageId }, timestamp: Date.now(), read: { watermark } });
}

/** Graph API error body (`error.message`, `type`, `code`, `error_subcode`, `fbtrace_id`). */
export function graphError(code: number, message: string, subcode?: number) {
  return { error: { message, type: 'OAuthException', code, ...(subcode ? { error_subcode: subcode } : {}), fbtrace_id: randomBytes(8).toString('base64url') } };
}
